/**
 * Two-factor sign-in over HTTP for the integration and security tests: a fresh user who turned
 * MFA on through the gateway, with the tests' own authenticator (tests/support/totp.ts).
 */
import assert from 'node:assert/strict';
import { call, freshUser, loginAs, tokensOf } from './client';
import type { SeedUser } from '../../scripts/local/settings';
import { freshCode } from './totp';

export interface MfaUser {
  user: SeedUser;
  /** The authenticator secret setup returned (base32). */
  secret: string;
  /** Codes already used (the gateway refuses them again). */
  used: Set<string>;
  /** The next unused code of the authenticator. */
  code(): Promise<string>;
  /** The access token the user held before MFA went on. */
  before: { accessToken: string; refreshToken: string };
}

/** A fresh user (a customer unless told) who set MFA up and turned it on with the first code. */
export const userWithMfa = async (prefix = 'mfa', roles: SeedUser['roles'] = ['customer']): Promise<MfaUser> => {
  const user = await freshUser(prefix, roles);
  const before = await tokensOf(user);
  const setup = await call('POST', '/auth/mfa/setup', { token: before.accessToken });
  assert.equal(setup.status, 200, setup.text);
  const secret: string = setup.body.secret;
  const used = new Set<string>();
  const code = () => freshCode(secret, used);
  const verify = await call('POST', '/auth/mfa/verify', { token: before.accessToken, body: { code: await code(), deviceName: 'test phone' } });
  assert.equal(verify.status, 204, verify.text);
  return { user, secret, used, code, before };
};

/** Log in with the password: the MFA challenge's answer (status 200, `challenge`, `session`, `username`). */
export const mfaChallenge = async (user: { username: string; password: string }) => {
  const answer = await loginAs(user);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.challenge, 'SOFTWARE_TOKEN_MFA', answer.text);
  return answer.body as { challenge: 'SOFTWARE_TOKEN_MFA'; session: string; username: string };
};

/** Answer a challenge with a code: the raw answer. */
export const answerChallenge = (body: { username: string; session: string; code: string }) => call('POST', '/auth/mfa', { body });

/** Both steps of a login with MFA: the tokens. */
export const mfaLogin = async (mfa: MfaUser) => {
  const challenge = await mfaChallenge(mfa.user);
  const answer = await answerChallenge({ username: challenge.username, session: challenge.session, code: await mfa.code() });
  assert.equal(answer.status, 200, answer.text);
  return answer.body as { accessToken: string; idToken: string; refreshToken: string; expiresIn: number; tokenType: string };
};

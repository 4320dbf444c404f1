/**
 * Browser sessions' flows (functions/auth/web-sessions.ts): Cognito a fake that issues unsigned
 * tokens, the real access store on an in-process dynalite, the local key wrapping, and a clock
 * the test moves forward.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAuthFlows } from '../../functions/auth/flows';
import { createMfaFlows } from '../../functions/auth/mfa-flows';
import { createWebSessionFlows } from '../../functions/auth/web-sessions';
import { WEBSESSION } from '../../lib/access/records';
import { UnauthorizedError } from '../../lib/errors';
import type { SessionRoleContext } from '../../lib/policy/role-context';
import { createSecretVault, localKeyWrapper } from '../../lib/secrets/vault';
import { hashSessionId, SESSION_COOKIE } from '../../lib/sessions/web-session';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';
import { claimsOf, FakeIdentity, movableClock, TOKEN_LIFETIME_SECONDS } from '../support/fake-identity';
import { freshCode } from '../support/totp';
import { recordingLogger, roleContext } from './fixtures';

let table: LocalAccessTable;
beforeAll(async () => {
  table = await startAccessTable();
});
afterAll(() => table.stop());

const CONFIG = { idleSeconds: 1800, lifetimeSeconds: 12 * 3600, allowedOrigins: [] };

const setup = () => {
  const clock = movableClock();
  const cognito = new FakeIdentity({ clock });
  const { logger } = recordingLogger('auth');
  const login = createAuthFlows({ identity: cognito, accessStore: table.store, mfa: table.mfa, config: { refreshTokenValidityDays: 30 }, logger, clock });
  const flows = createWebSessionFlows({
    identity: cognito,
    accessStore: table.store,
    vault: createSecretVault(localKeyWrapper(randomBytes(32))),
    config: CONFIG,
    logger,
    clock,
    login,
  });
  const account = cognito.add(['branch-manager']);
  return { clock, cognito, flows, login, logger, account };
};

/** Sign in; the session id from its cookie, and the context the authorizer would build. */
const signedIn = async (flows: ReturnType<typeof setup>['flows'], account: { username: string; password: string; sub: string }) => {
  const result = await flows.signIn({ username: account.username, password: account.password });
  assert.ok('cookies' in result);
  const sessionId = result.cookies[0]!.split(';')[0]!.slice(`${SESSION_COOKIE}=`.length);
  const caller = roleContext({ authType: 'session', sub: account.sub, username: account.username, roles: ['branch-manager'], sessionId: hashSessionId(sessionId) });
  return { sessionId, caller: caller as SessionRoleContext };
};

const record = async (sessionId: string) => table.store.getWebSession(hashSessionId(sessionId));

describe('browser session flows', () => {
  it('records the session under the hash of its id, with the login and roles times of its tokens and both ends', async () => {
    const { flows, account, clock } = setup();
    const { sessionId } = await signedIn(flows, account);
    const stored = await record(sessionId);
    assert.ok(stored);
    const now = Math.floor(clock() / 1000);
    assert.equal(stored.sub, account.sub);
    assert.deepEqual(stored.roles, ['branch-manager']);
    assert.equal(stored.createdAt, now);
    assert.equal(stored.lastSeenAt, now);
    assert.equal(stored.expiresAt, now + CONFIG.lifetimeSeconds);
    assert.ok(stored.authTime <= now && stored.rolesTakenAt <= now);
  });

  it('answers who is signed in without touching Cognito while the access token is valid', async () => {
    const { flows, account, cognito } = setup();
    const { caller } = await signedIn(flows, account);
    const state = await flows.state(caller);
    assert.equal(state.username, account.username);
    assert.equal(cognito.count('refresh'), 0);
  });

  it('refreshes the stored tokens when the access token has expired, and keeps the session', async () => {
    const { flows, account, cognito, clock } = setup();
    const { sessionId, caller } = await signedIn(flows, account);
    const before = await record(sessionId);
    clock.advance((TOKEN_LIFETIME_SECONDS + 1) * 1000);
    await flows.state(caller);
    const after = await record(sessionId);
    assert.equal(cognito.count('refresh'), 1);
    assert.ok(after!.accessExpiresAt > before!.accessExpiresAt);
    assert.notDeepEqual(after!.tokens, before!.tokens);
    assert.equal(after!.revokedAt, undefined);
  });

  it('ends the session when Cognito refuses the refresh token', async () => {
    const { flows, account, cognito, clock } = setup();
    const { sessionId, caller } = await signedIn(flows, account);
    // Cognito refuses the refresh token (here: the user was disabled there).
    await cognito.disableUser(account.username);
    clock.advance((TOKEN_LIFETIME_SECONDS + 1) * 1000);
    await assert.rejects(flows.state(caller), (error) => error instanceof UnauthorizedError && error.code === 'session_ended');
    assert.ok((await record(sessionId))!.revokedAt !== undefined);
  });

  it("ends a session whose record holds another session's sealed tokens: they are bound to their own record", async () => {
    const { flows, account } = setup();
    const first = await signedIn(flows, account);
    const second = await signedIn(flows, account);
    const firstPk = WEBSESSION + hashSessionId(first.sessionId);
    const secondPk = WEBSESSION + hashSessionId(second.sessionId);
    await table.put({ ...(await table.raw(secondPk))!, tokens: (await table.raw(firstPk))!.tokens });
    await assert.rejects(flows.state(second.caller), (error) => error instanceof UnauthorizedError && error.code === 'session_ended');
    assert.ok((await record(second.sessionId))!.revokedAt !== undefined);
    assert.equal((await flows.state(first.caller)).username, account.username, 'the first session is untouched');
  });

  it('signs out: the record revoked first, then the refresh token revoked at Cognito; both cookies cleared', async () => {
    const { flows, account, cognito } = setup();
    const { sessionId, caller } = await signedIn(flows, account);
    const { cookies } = await flows.signOut(caller);
    assert.ok(cookies.every((cookie) => cookie.endsWith('Max-Age=0')));
    assert.ok((await record(sessionId))!.revokedAt !== undefined);
    assert.equal(cognito.count('revokeRefreshToken'), 1);
    await assert.rejects(flows.state(caller), (error) => error instanceof UnauthorizedError);
  });
});

describe('a browser sign-in with two-factor sign-in on', () => {
  /** MFA turned on for the account, through the gateway's own flows. */
  const withMfa = async () => {
    const parts = setup();
    const { cognito, login, logger, clock, account } = parts;
    const mfa = createMfaFlows({ identity: cognito, accessStore: table.store, mfa: table.mfa, logger, clock, issuer: 'Test' });
    const first = await login.login({ username: account.username, password: account.password });
    assert.ok(!('challenge' in first));
    const claims = claimsOf(first.accessToken);
    const caller = roleContext({ sub: claims.sub, username: claims.username, roles: ['branch-manager'], sessionId: claims.origin_jti ?? claims.jti, tokenId: claims.jti });
    const { secret } = await mfa.setup(caller as Parameters<typeof mfa.setup>[0], first.accessToken);
    const used = new Set<string>();
    await mfa.verify(caller as Parameters<typeof mfa.verify>[0], first.accessToken, { code: await freshCode(secret, used) });
    return { ...parts, code: () => freshCode(secret, used) };
  };

  it('answers the code challenge instead of a cookie, and starts the session once the code is right', async () => {
    const { flows, account, code } = await withMfa();
    const challenge = await flows.signIn({ username: account.username, password: account.password });
    assert.ok('challenge' in challenge && challenge.challenge === 'SOFTWARE_TOKEN_MFA', JSON.stringify(challenge));
    const answer = { challenge: 'SOFTWARE_TOKEN_MFA' as const, username: account.username, session: challenge.session, code: await code() };
    const started = await flows.answerChallenge(answer);
    assert.ok(started.cookies.some((line) => line.startsWith(`${SESSION_COOKIE}=`)));
    // The same challenge again, even with a new code: spent.
    await assert.rejects(flows.answerChallenge({ ...answer, code: await code() }), (error: unknown) => error instanceof UnauthorizedError);
  });

  it('refuses a wrong code with the wrong-password answer, and a new-password answer to the code challenge', async () => {
    const { flows, account } = await withMfa();
    const first = await flows.signIn({ username: account.username, password: account.password });
    assert.ok('challenge' in first);
    await assert.rejects(
      flows.answerChallenge({ challenge: 'SOFTWARE_TOKEN_MFA', username: account.username, session: first.session, code: '000000' }),
      (error: unknown) => error instanceof UnauthorizedError && error.code === 'invalid_credentials',
    );
    const second = await flows.signIn({ username: account.username, password: account.password });
    assert.ok('challenge' in second);
    await assert.rejects(
      flows.answerChallenge({ challenge: 'NEW_PASSWORD_REQUIRED', username: account.username, session: second.session, newPassword: 'Other-Passw0rd!-9' }),
      (error: unknown) => error instanceof UnauthorizedError,
    );
  });
});

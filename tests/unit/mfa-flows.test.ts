/**
 * Two-factor sign-in's flows (functions/auth/mfa-flows.ts, and `mfaLogin` in flows.ts) with
 * Cognito a fake that checks codes as Cognito does (tests/support/fake-identity.ts), the real
 * access store and MFA records on an in-process dynalite, and the tests' own RFC 6238
 * authenticator (tests/support/totp.ts).
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createAuthFlows, type TokenAnswer } from '../../functions/auth/flows';
import { createMfaFlows } from '../../functions/auth/mfa-flows';
import { revocationReason, USER } from '../../lib/access/store';
import { MFA, MFA_MAX_FAILURES } from '../../lib/access/store/mfa';
import { GatewayError } from '../../lib/errors';
import { isSealedSecret } from '../../lib/secrets/vault';
import type { UserRoleContext } from '../../lib/policy/role-context';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';
import { FakeIdentity, claimsOf, movableClock } from '../support/fake-identity';
import { freshCode, totp } from '../support/totp';
import { recordingLogger, roleContext } from './fixtures';

let table: LocalAccessTable;
beforeAll(async () => {
  table = await startAccessTable();
});
afterAll(() => table.stop());

const isCode = (code: string, status: number) => (error: unknown) => {
  assert.ok(error instanceof GatewayError, `a GatewayError, not ${String(error)}`);
  assert.equal(error.code, code);
  assert.equal(error.statusCode, status);
  return true;
};

const callerOf = (accessToken: string): UserRoleContext => {
  const claims = claimsOf(accessToken);
  return roleContext({ sub: claims.sub, username: claims.username, roles: claims['cognito:groups'], sessionId: claims.origin_jti ?? claims.jti, tokenId: claims.jti, expiresAt: claims.exp }) as UserRoleContext;
};

const setup = () => {
  const clock = movableClock();
  const cognito = new FakeIdentity({ clock, originJti: true });
  const { logger, lines } = recordingLogger('auth');
  const deps = { identity: cognito, accessStore: table.store, mfa: table.mfa, config: { refreshTokenValidityDays: 30 }, logger, clock };
  const auth = createAuthFlows(deps);
  const mfa = createMfaFlows({ ...deps, issuer: 'Test Gateway' });
  const account = cognito.add(['admin']);
  const credentials = { username: account.username, password: account.password };
  const tokens = async (): Promise<TokenAnswer> => {
    const answer = await auth.login(credentials);
    if ('challenge' in answer) throw new Error('unexpected challenge');
    return answer;
  };
  const challenge = async () => {
    const answer = await auth.login(credentials);
    assert.ok('challenge' in answer && answer.challenge === 'SOFTWARE_TOKEN_MFA', JSON.stringify(answer));
    return answer;
  };
  /** Setup and verify with the first code: MFA on. */
  const turnOn = async () => {
    const first = await tokens();
    const caller = callerOf(first.accessToken);
    const { secret } = await mfa.setup(caller, first.accessToken);
    const used = new Set<string>();
    await mfa.verify(caller, first.accessToken, { code: await freshCode(secret, used) });
    return { first, caller, secret, used, code: () => freshCode(secret, used) };
  };
  return { clock, cognito, auth, mfa, account, credentials, tokens, challenge, turnOn, lines };
};

describe('setup and verify', () => {
  it('keeps the new secret sealed (never in the table as it is) and answers the URI apps scan', async () => {
    const { mfa, tokens, account } = setup();
    const first = await tokens();
    const answer = await mfa.setup(callerOf(first.accessToken), first.accessToken);
    assert.match(answer.secret, /^[A-Z2-7]+$/);
    assert.ok(answer.otpauthUri.startsWith('otpauth://totp/Test%20Gateway:'));
    const raw = await table.raw(MFA + account.sub);
    assert.ok(isSealedSecret(raw?.pending), 'the pending secret kept, sealed by the vault');
    assert.equal(JSON.stringify(raw).includes(answer.secret), false, 'the secret as it is, in the table');
  });

  it('changes nothing for a wrong code: 400 invalid_code, MFA off at Cognito and in the record, earlier logins fine', async () => {
    const { mfa, tokens, account, cognito } = setup();
    const first = await tokens();
    const caller = callerOf(first.accessToken);
    const { secret } = await mfa.setup(caller, first.accessToken);
    await assert.rejects(mfa.verify(caller, first.accessToken, { code: totp(secret, { steps: 5 }) }), isCode('invalid_code', 400));
    assert.equal(cognito.accounts.get(account.username)?.mfaEnabled, undefined);
    assert.equal((await table.store.getUser(account.sub))?.mfaEnabled, undefined);
    const claims = claimsOf(first.accessToken);
    assert.equal(revocationReason(await table.store.snapshot(claims.sub, claims.origin_jti!), { issuedAt: claims.iat, authTime: claims.auth_time }), undefined);
  });

  it('turns MFA on at Cognito and in the record (announced on the change log), and cuts off every earlier login', async () => {
    const { turnOn, account, cognito } = setup();
    const before = (await table.changes()).length;
    const { first } = await turnOn();
    assert.equal(cognito.accounts.get(account.username)?.mfaEnabled, true);
    const record = await table.store.getUser(account.sub);
    assert.equal(record?.mfaEnabled, true);
    assert.equal(typeof record?.mfaChangedAt, 'number');
    assert.ok((await table.changes()).slice(before).some((entry) => JSON.stringify(entry).includes(USER + account.sub)), 'the user record announced');
    const claims = claimsOf(first.accessToken);
    assert.equal(revocationReason(await table.store.snapshot(claims.sub, claims.origin_jti!), { issuedAt: claims.iat, authTime: claims.auth_time }), 'user_signed_out');
    assert.ok(isSealedSecret((await table.raw(MFA + account.sub))?.secret), 'the verified secret kept, sealed by the vault');
  });

  it('refuses setup and verify again while MFA is on (409): a new secret would replace the verified one', async () => {
    const { turnOn, mfa, challenge, auth } = setup();
    const on = await turnOn();
    const login = await challenge();
    const tokens = await auth.mfaLogin({ username: login.username, session: login.session, code: await on.code() });
    const caller = callerOf(tokens.accessToken);
    await assert.rejects(mfa.setup(caller, tokens.accessToken), isCode('mfa_already_enabled', 409));
    await assert.rejects(mfa.verify(caller, tokens.accessToken, { code: await on.code() }), isCode('mfa_already_enabled', 409));
  });
});

describe('login with a code (mfaLogin)', () => {
  it('answers the challenge with tokens, a session like any login, born after the cut-off of turning MFA on', async () => {
    const { turnOn, challenge, auth } = setup();
    const on = await turnOn();
    const login = await challenge();
    const tokens = await auth.mfaLogin({ username: login.username, session: login.session, code: await on.code() });
    assert.deepEqual(Object.keys(tokens).sort(), ['accessToken', 'expiresIn', 'idToken', 'refreshToken', 'tokenType']);
    const claims = claimsOf(tokens.accessToken);
    assert.equal(revocationReason(await table.store.snapshot(claims.sub, claims.origin_jti!), { issuedAt: claims.iat, authTime: claims.auth_time }), undefined);
  });

  it('refuses a code used before (the verify code, or a login code) as a wrong one, before Cognito sees it', async () => {
    const { turnOn, challenge, auth, cognito } = setup();
    const on = await turnOn();
    const verifyCode = [...on.used][0]!;
    const first = await challenge();
    const calls = cognito.count('respondToSoftwareTokenMfa');
    await assert.rejects(auth.mfaLogin({ username: first.username, session: first.session, code: verifyCode }), isCode('invalid_credentials', 401));
    assert.equal(cognito.count('respondToSoftwareTokenMfa'), calls, 'Cognito never saw the replay');
    const code = await on.code();
    const second = await challenge();
    await auth.mfaLogin({ username: second.username, session: second.session, code });
    const third = await challenge();
    await assert.rejects(auth.mfaLogin({ username: third.username, session: third.session, code }), isCode('invalid_credentials', 401));
  });

  it('takes one answer per challenge: a wrong code spends it; a session twice, for another user or of another kind is invalid_session', async () => {
    const { turnOn, challenge, auth, credentials } = setup();
    const on = await turnOn();
    const login = await challenge();
    await assert.rejects(auth.mfaLogin({ username: login.username, session: login.session, code: totp(on.secret, { steps: 9 }) }), isCode('invalid_credentials', 401));
    // The session is refused before any code is looked at: the current code, never marked used.
    const current = totp(on.secret);
    await assert.rejects(auth.mfaLogin({ username: login.username, session: login.session, code: current }), isCode('invalid_session', 401));

    const other = await challenge();
    await assert.rejects(auth.mfaLogin({ username: 'someone-else@example.com', session: other.session, code: current }), isCode('invalid_session', 401));
    const asNewPassword = await challenge();
    await assert.rejects(auth.newPassword({ username: credentials.username, session: asNewPassword.session, newPassword: 'Other-Passw0rd!-1' }), isCode('invalid_session', 401));
    await assert.rejects(auth.mfaLogin({ username: credentials.username, session: 'never-issued', code: current }), isCode('invalid_session', 401));
  });

  it(`answers 429 too_many_attempts after ${MFA_MAX_FAILURES} wrong codes in the window, even to the right code`, async () => {
    const { turnOn, challenge, auth } = setup();
    const on = await turnOn();
    for (let i = 0; i < MFA_MAX_FAILURES; i += 1) {
      const login = await challenge();
      await assert.rejects(auth.mfaLogin({ username: login.username, session: login.session, code: totp(on.secret, { steps: 10 + i }) }), isCode('invalid_credentials', 401));
    }
    const login = await challenge();
    await assert.rejects(auth.mfaLogin({ username: login.username, session: login.session, code: await on.code() }), isCode('too_many_attempts', 429));
  });
});

describe('turning MFA off (disable)', () => {
  it('checks the code against the kept secret: a wrong one 400 and MFA stays on; a right one turns it off and forgets the secret', async () => {
    const { turnOn, challenge, auth, mfa, account, cognito } = setup();
    const on = await turnOn();
    const login = await challenge();
    const tokens = await auth.mfaLogin({ username: login.username, session: login.session, code: await on.code() });
    const caller = callerOf(tokens.accessToken);
    await assert.rejects(mfa.disable(caller, tokens.accessToken, { code: totp(on.secret, { steps: -4 }) }), isCode('invalid_code', 400));
    assert.equal(cognito.accounts.get(account.username)?.mfaEnabled, true);
    await assert.rejects(mfa.disable(caller, tokens.accessToken, { code: [...on.used][0]! }), isCode('invalid_code', 400));

    await mfa.disable(caller, tokens.accessToken, { code: await on.code() });
    assert.equal(cognito.accounts.get(account.username)?.mfaEnabled, false);
    assert.equal((await table.store.getUser(account.sub))?.mfaEnabled, undefined);
    assert.equal(await table.raw(MFA + account.sub), undefined);
    await assert.rejects(mfa.disable(caller, tokens.accessToken, { code: '000000' }), isCode('mfa_not_enabled', 409));
  });

  it("answers 409 mfa_secret_unknown, MFA staying on, when the kept secret is another user's sealed secret copied into the record", async () => {
    const other = setup();
    const otherOn = await other.turnOn();
    const { turnOn, challenge, auth, mfa, account, cognito } = setup();
    const on = await turnOn();
    const login = await challenge();
    const tokens = await auth.mfaLogin({ username: login.username, session: login.session, code: await on.code() });
    const own = await table.raw(MFA + account.sub);
    const copied = (await table.raw(MFA + other.account.sub))?.secret;
    assert.ok(isSealedSecret(copied));
    await table.put({ ...own, secret: copied });
    // The other user's code would match the copied secret, were it to open here.
    await assert.rejects(mfa.disable(callerOf(tokens.accessToken), tokens.accessToken, { code: await otherOn.code() }), isCode('mfa_secret_unknown', 409));
    assert.equal(cognito.accounts.get(account.username)?.mfaEnabled, true);
  });
});

describe('MFA turned off at Cognito directly (not through the gateway)', () => {
  it('refuses a password-only login of a user the gateway has MFA on for, with the answer of a wrong password, and says so in the log', async () => {
    const { turnOn, auth, credentials, cognito, account, lines } = setup();
    await turnOn();
    // What SetUserMFAPreference with the user's own access token does at Cognito, code or not.
    cognito.accounts.get(account.username)!.mfaEnabled = false;
    await assert.rejects(auth.login(credentials), isCode('invalid_credentials', 401));
    assert.ok(lines.some((line) => line.level === 'error' && JSON.stringify(line.extra).includes('mfa_off_outside_gateway')));
  });
});

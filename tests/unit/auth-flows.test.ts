/**
 * The auth service's flows (functions/auth/flows.ts): login, refresh, logout, with Cognito a fake
 * that issues unsigned tokens (tests/support/fake-identity.ts), the real access store on an
 * in-process dynalite, and a clock the test moves forward (tests/support/fake-identity.ts).
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createAuthFlows, type TokenAnswer } from '../../functions/auth/flows';
import { REFRESH, SessionRevokedError, hashRefreshToken, revocationReason, type CutOffKind } from '../../lib/access/store';
import { epochSeconds } from '../../lib/clock';
import { BadRequestError, GatewayError, UnauthorizedError } from '../../lib/errors';
import type { UserRoleContext } from '../../lib/policy/role-context';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';
import { FakeIdentity, claimsOf, movableClock, TOKEN_LIFETIME_SECONDS, type FakeAccount } from '../support/fake-identity';
import { recordingLogger, roleContext, type LogLine } from './fixtures';

let table: LocalAccessTable;
beforeAll(async () => {
  table = await startAccessTable();
});
afterAll(() => table.stop());

const REFRESH_TOKEN_VALIDITY_DAYS = 30;

const setup = (options: { originJti?: boolean; expiresIn?: number } = {}) => {
  const clock = movableClock();
  const cognito = new FakeIdentity({ clock, ...options });
  const { logger, lines } = recordingLogger('auth');
  const all = createAuthFlows({
    identity: cognito,
    accessStore: table.store,
    mfa: table.mfa,
    config: { refreshTokenValidityDays: REFRESH_TOKEN_VALIDITY_DAYS, signUp: { enabled: true } },
    logger,
    clock,
  });
  // A login with a permanent password: tokens (a challenge here is a failure of the test).
  const flows = {
    ...all,
    login: async (input: { username: string; password: string }): Promise<TokenAnswer> => {
      const answer = await all.login(input);
      if ('challenge' in answer) throw new Error('unexpected challenge');
      return answer;
    },
  };
  const account = cognito.add(['customer']);
  return { clock, cognito, flows, lines, account, credentials: { username: account.username, password: account.password } };
};

/** Every flow, login as it is (tokens or a challenge); sign-up on unless `signUp: false`. */
const setupAll = (options: { signUp?: boolean } = {}) => {
  const clock = movableClock();
  const cognito = new FakeIdentity({ clock });
  const { logger } = recordingLogger('auth');
  const all = createAuthFlows({
    identity: cognito,
    accessStore: table.store,
    mfa: table.mfa,
    config: { refreshTokenValidityDays: REFRESH_TOKEN_VALIDITY_DAYS, signUp: { enabled: options.signUp ?? true } },
    logger,
    clock,
  });
  return { all, cognito, clock };
};

/** The role context the authorizer would build for this access token. */
const callerOf = (accessToken: string): UserRoleContext => {
  const claims = claimsOf(accessToken);
  return roleContext({
    sub: claims.sub,
    username: claims.username,
    roles: claims['cognito:groups'],
    sessionId: claims.origin_jti ?? claims.jti,
    tokenId: claims.jti,
    expiresAt: claims.exp,
  }) as UserRoleContext;
};

/** Why the authorizer's rule, over the records as they are now, refuses this access token (undefined: it passes). */
const refusal = async (accessToken: string) => {
  const claims = claimsOf(accessToken);
  return revocationReason(await table.store.snapshot(claims.sub, claims.origin_jti ?? claims.jti), { issuedAt: claims.iat, authTime: claims.auth_time });
};

const isCode = (code: string, status: number) => (error: unknown) => {
  assert.ok(error instanceof GatewayError, `a GatewayError, not ${String(error)}`);
  assert.equal(error.code, code);
  assert.equal(error.statusCode, status);
  return true;
};
const invalidRefreshToken = isCode('invalid_refresh_token', 401);

const refusedFor = (lines: LogLine[]) => lines.filter((line) => line.message === 'refresh refused').map((line) => (line.extra[0] as { reason: string }).reason);

const ISSUERS = [
  ['Cognito on AWS (origin_jti)', true],
  ['cognito-local (a new jti per refresh)', false],
] as const;

describe('login', () => {
  it('records the session by its refresh token and answers the contract\'s shape', async () => {
    // Prepare
    const { flows, credentials, account, clock, lines } = setup({ expiresIn: 1800 });
    // Act
    const answer = await flows.login(credentials);
    // Assess
    assert.deepEqual(Object.keys(answer).sort(), ['accessToken', 'expiresIn', 'idToken', 'refreshToken', 'tokenType']);
    assert.equal(answer.tokenType, 'Bearer');
    assert.equal(answer.expiresIn, 1800, 'as Cognito says');
    const claims = claimsOf(answer.accessToken);
    assert.equal(claims.sub, account.sub);
    assert.deepEqual(await table.store.sessionForRefreshToken(answer.refreshToken!), { sessionId: claims.jti, sub: account.sub, issuedAt: claims.auth_time, children: [] });
    const expiresAt = (await table.raw(REFRESH + hashRefreshToken(answer.refreshToken!)))?.expiresAt as number;
    assert.ok(Math.abs(expiresAt - (epochSeconds(clock()) + REFRESH_TOKEN_VALIDITY_DAYS * 86_400)) <= 1, 'the record lives as long as the refresh token');
    assert.deepEqual(lines.map((line) => [line.message, line.extra[0]]), [['login', { sub: account.sub, sessionId: claims.jti }]]);
  });

  it('dates the session by origin_jti where the issuer gives one, and the expiry by the token where it does not say', async () => {
    const { flows, credentials } = setup({ originJti: true });

    const answer = await flows.login(credentials);

    const claims = claimsOf(answer.accessToken);
    assert.equal((await table.store.sessionForRefreshToken(answer.refreshToken!))?.sessionId, claims.origin_jti);
    assert.ok(answer.expiresIn <= TOKEN_LIFETIME_SECONDS && answer.expiresIn >= TOKEN_LIFETIME_SECONDS - 1, `expiresIn ${answer.expiresIn}`);
  });

  it('answers invalid_credentials alike to a wrong password, a user the gateway disabled and a user deleted', async () => {
    // Prepare: the cut-offs are in the gateway's records only (where Cognito's trigger has not run)
    const { flows, credentials, cognito } = setup();
    const wrongPassword = await flows.login({ ...credentials, password: 'wrong' }).catch((error: unknown) => error);
    assert.ok(wrongPassword instanceof UnauthorizedError);
    const cases: [string, (user: FakeAccount) => Promise<unknown>][] = [
      ['disabled', (user) => table.store.setDisabled({ sub: user.sub, username: user.username, disabled: true, versionMs: Date.now() })],
      ['deleted', (user) => table.store.raiseCutOff({ sub: user.sub, username: user.username, kind: 'deletedAt', at: epochSeconds() })],
    ];
    for (const [what, cutOff] of cases) {
      const user = cognito.add();
      await cutOff(user);
      // Act
      const refused = await flows.login({ username: user.username, password: user.password }).catch((error: unknown) => error);
      // Assess
      assert.ok(refused instanceof UnauthorizedError, what);
      assert.deepEqual([refused.statusCode, refused.code, refused.message], [wrongPassword.statusCode, wrongPassword.code, wrongPassword.message], what);
      assert.equal(wrongPassword.code, 'invalid_credentials');
    }
  });

  for (const kind of ['signedOutAt', 'rolesChangedAt', 'disabledAt'] as const satisfies readonly CutOffKind[]) {
    it(`signs in again once the second is over when ${kind} was raised in the same second, so the session is not born revoked`, async () => {
      // Prepare: a cut-off in this second, 200 ms before its end (disabledAt: a disable already followed by an enable)
      const { flows, credentials, account, cognito, clock } = setup();
      clock.toEndOfSecond(200);
      const second = epochSeconds(clock());
      await table.store.raiseCutOff({ sub: account.sub, username: account.username, kind, at: second });
      const started = Date.now();
      // Act
      const answer = await flows.login(credentials);
      // Assess
      assert.equal(cognito.count('passwordLogin'), 2, 'signed in at Cognito a second time');
      assert.ok(Date.now() - started < 600, 'waited only for the rest of the second');
      const claims = claimsOf(answer.accessToken);
      assert.ok(claims.auth_time > second && claims.iat > second, 'the tokens are from the next second');
      assert.equal((await table.store.sessionForRefreshToken(answer.refreshToken!))?.issuedAt, claims.auth_time, 'the session is the second login');
      assert.equal(await refusal(answer.accessToken), undefined, 'the authorizer lets the new token through');
    });
  }

  it('signs in once when every cut-off is in an earlier second', async () => {
    const { flows, credentials, account, cognito, clock } = setup();
    await table.store.raiseCutOff({ sub: account.sub, username: account.username, kind: 'signedOutAt', at: epochSeconds(clock()) - 1 });

    await flows.login(credentials);

    assert.equal(cognito.count('passwordLogin'), 1);
  });
});

describe('refresh', () => {
  for (const [issuer, originJti] of ISSUERS) {
    it(`renews the tokens of a live session, keeping the refresh token, and ties the new token to the login (${issuer})`, async () => {
      const { flows, credentials } = setup({ originJti });
      const login = await flows.login(credentials);

      const renewed = await flows.refresh({ refreshToken: login.refreshToken! });

      assert.deepEqual(Object.keys(renewed).sort(), ['accessToken', 'expiresIn', 'idToken', 'tokenType']);
      assert.notEqual(renewed.accessToken, login.accessToken);
      assert.equal(await refusal(renewed.accessToken), undefined);
      // Logging out with the new token ends the login too.
      await flows.logout(callerOf(renewed.accessToken), {});
      assert.equal(await refusal(login.accessToken), 'session_revoked');
    });

    it(`refuses a refresh after logout, without asking Cognito, also when the logout came from a refreshed token (${issuer})`, async () => {
      // Prepare
      const { flows, credentials, cognito, lines } = setup({ originJti });
      const login = await flows.login(credentials);
      const renewed = await flows.refresh({ refreshToken: login.refreshToken! });
      await flows.logout(callerOf(renewed.accessToken), {});
      // Act / Assess
      await assert.rejects(flows.refresh({ refreshToken: login.refreshToken! }), invalidRefreshToken);
      assert.equal(cognito.count('refresh'), 1, 'only the refresh before the logout reached Cognito');
      assert.deepEqual(refusedFor(lines), ['session_revoked']);
    });

    it(`refuses a refresh whose session is logged out while Cognito issues the tokens (${issuer})`, async () => {
      // Prepare: the logout lands between the gateway's check and the link of the new token
      const { flows, credentials, cognito } = setup({ originJti });
      const login = await flows.login(credentials);
      const caller = callerOf(login.accessToken);
      cognito.meanwhile.refresh = () => table.store.revokeSession({ sessionId: caller.sessionId, sub: caller.sub, expiresAt: epochSeconds() + 3600 });
      // Act
      const refused = await flows.refresh({ refreshToken: login.refreshToken! }).catch((error: unknown) => error);
      // Assess
      assert.ok(invalidRefreshToken(refused));
      assert.ok((refused as Error).cause instanceof SessionRevokedError);
    });
  }

  it('refuses a refresh of a gateway login made at or before a sign-out everywhere, before asking Cognito; a later login refreshes', async () => {
    // Prepare: two logins, then a sign-out everywhere from the second
    const { flows, credentials, cognito, clock, lines } = setup();
    const first = await flows.login(credentials);
    const second = await flows.login(credentials);
    await flows.logout(callerOf(second.accessToken), { everywhere: true });
    // Act / Assess
    await assert.rejects(flows.refresh({ refreshToken: first.refreshToken! }), invalidRefreshToken);
    assert.equal(cognito.count('refresh'), 0);
    assert.deepEqual(refusedFor(lines), ['user_signed_out']);

    clock.advance(1000);
    const later = await flows.login(credentials);
    await flows.refresh({ refreshToken: later.refreshToken! });
  });

  it('refuses a refresh token from a login made at Cognito directly, by that login\'s auth_time, after a sign-out everywhere', async () => {
    // Prepare: a login the gateway never saw, then a sign-out everywhere through the gateway
    const { flows, credentials, cognito, lines } = setup({ originJti: true });
    const direct = (await cognito.passwordLogin(credentials.username, credentials.password)) as { refreshToken?: string };
    const gateway = await flows.login(credentials);
    await flows.logout(callerOf(gateway.accessToken), { everywhere: true });
    // Act
    await assert.rejects(flows.refresh({ refreshToken: direct.refreshToken! }), invalidRefreshToken);
    // Assess: Cognito issued (the fake, like cognito-local, has no global sign-out), the gateway refused
    assert.equal(cognito.count('refresh'), 1);
    assert.deepEqual(refusedFor(lines), ['user_signed_out']);
  });

  it('renews after a role change, with the new groups, and the authorizer lets the new token through', async () => {
    // Prepare
    const { flows, credentials, account, clock } = setup();
    const login = await flows.login(credentials);
    clock.advance(1000);
    await table.store.raiseCutOff({ sub: account.sub, username: account.username, kind: 'rolesChangedAt', at: epochSeconds(clock()) });
    account.groups = ['branch-manager'];
    clock.advance(1000);
    // Act
    const renewed = await flows.refresh({ refreshToken: login.refreshToken! });
    // Assess
    assert.deepEqual(claimsOf(renewed.accessToken)['cognito:groups'], ['branch-manager']);
    assert.equal(await refusal(renewed.accessToken), undefined);
    assert.equal(await refusal(login.accessToken), 'roles_changed', 'the token with the old groups is refused');
  });

  it('refreshes again once the second is over when the roles changed in the same second, so the new token is not born refused', async () => {
    // Prepare: a role change in this second, 200 ms before its end
    const { flows, credentials, account, cognito, clock } = setup();
    const login = await flows.login(credentials);
    clock.advance(1000);
    clock.toEndOfSecond(200);
    const second = epochSeconds(clock());
    await table.store.raiseCutOff({ sub: account.sub, username: account.username, kind: 'rolesChangedAt', at: second });
    // Act
    const renewed = await flows.refresh({ refreshToken: login.refreshToken! });
    // Assess
    assert.equal(cognito.count('refresh'), 2, 'refreshed at Cognito a second time');
    assert.ok(claimsOf(renewed.accessToken).iat > second);
    assert.equal(await refusal(renewed.accessToken), undefined);
  });
});

describe('logout', () => {
  it('answers 400 invalid_refresh_token to a refresh token of another session, and ends nothing', async () => {
    // Prepare
    const { flows, credentials, cognito } = setup();
    const [mine, other] = [await flows.login(credentials), await flows.login(credentials)];
    // Act
    const refused = await flows.logout(callerOf(mine.accessToken), { refreshToken: other.refreshToken! }).catch((error: unknown) => error);
    // Assess
    assert.ok(refused instanceof BadRequestError);
    assert.ok(isCode('invalid_refresh_token', 400)(refused));
    assert.equal(await refusal(mine.accessToken), undefined);
    assert.equal(await refusal(other.accessToken), undefined);
    assert.equal(cognito.count('revokeRefreshToken'), 0);
  });

  it('ends the session in the gateway and revokes its refresh token at Cognito, from a token refreshed from it', async () => {
    const { flows, credentials, cognito } = setup();
    const login = await flows.login(credentials);
    const renewed = await flows.refresh({ refreshToken: login.refreshToken! });

    await flows.logout(callerOf(renewed.accessToken), { refreshToken: login.refreshToken! });

    assert.equal(await refusal(renewed.accessToken), 'session_revoked');
    assert.equal(await refusal(login.accessToken), 'session_revoked');
    assert.equal(cognito.count('revokeRefreshToken'), 1);
    assert.equal(cognito.count('globalSignOut'), 0, 'one session only');
  });

  it('everywhere: raises signedOutAt to now and succeeds when Cognito\'s global sign-out fails, logging global_sign_out_failed', async () => {
    // Prepare
    const { flows, credentials, account, cognito, clock, lines } = setup();
    const login = await flows.login(credentials);
    cognito.fail.globalSignOut = () => Object.assign(new Error('Unsupported'), { name: 'UnsupportedOperationException' });
    const before = epochSeconds(clock());
    // Act
    await flows.logout(callerOf(login.accessToken), { everywhere: true, refreshToken: login.refreshToken! });
    // Assess
    const signedOutAt = (await table.store.getUser(account.sub))?.signedOutAt ?? 0;
    assert.ok(signedOutAt >= before && signedOutAt <= epochSeconds(clock()), 'signedOutAt is now');
    const failure = lines.find((line) => line.level === 'error');
    assert.equal(failure?.message, 'global sign-out in Cognito failed');
    assert.deepEqual(
      (({ code, errorName, sub }) => ({ code, errorName, sub }))(failure?.extra[0] as Record<string, unknown>),
      { code: 'global_sign_out_failed', errorName: 'UnsupportedOperationException', sub: account.sub },
    );
    assert.equal(cognito.count('globalSignOut'), 1, 'a refusal that is not transient is not retried');
    assert.equal(cognito.count('revokeRefreshToken'), 1, 'the refresh token is still revoked');
    assert.deepEqual(lines.at(-1)?.extra[0], { sub: account.sub, sessionId: callerOf(login.accessToken).sessionId, everywhere: true });
    const logged = JSON.stringify(lines);
    for (const secret of [login.accessToken, login.refreshToken!, login.idToken]) assert.ok(!logged.includes(secret), 'no token material in the logs');
  });

  it('everywhere: retries a transient failure of Cognito\'s global sign-out and logs no error once it succeeds', async () => {
    const { flows, credentials, cognito, lines } = setup();
    const login = await flows.login(credentials);
    let failures = 1;
    cognito.fail.globalSignOut = () => (failures-- > 0 ? Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }) : undefined);

    await flows.logout(callerOf(login.accessToken), { everywhere: true });

    assert.equal(cognito.count('globalSignOut'), 2);
    assert.equal(lines.filter((line) => line.level === 'error').length, 0);
  });
});

describe('first login with a temporary password', () => {
  it('answers the challenge without tokens, then tokens for the new password that logout ends, and takes the challenge once', async () => {
    const { all, cognito } = setupAll();
    const account = cognito.add(['customer'], { temporary: true });
    const challenge = await all.login({ username: account.username, password: account.password });
    assert.ok('challenge' in challenge && challenge.challenge === 'NEW_PASSWORD_REQUIRED');
    assert.ok(!('accessToken' in challenge));

    const tokens = await all.newPassword({ username: account.username, session: challenge.session, newPassword: 'New-Passw0rd!-1' });
    assert.equal(tokens.tokenType, 'Bearer');
    const caller = callerOf(tokens.accessToken);
    assert.ok(await table.store.sessionForRefreshToken(tokens.refreshToken!), 'recorded as a session, as at login');
    await assert.rejects(all.newPassword({ username: account.username, session: challenge.session, newPassword: 'New-Passw0rd!-2' }), (error: unknown) => error instanceof UnauthorizedError && error.code === 'invalid_session');
    await all.logout(caller, {});
    assert.equal(revocationReason(await table.store.snapshot(caller.sub, caller.sessionId), { issuedAt: 0, authTime: 0 }), 'session_revoked');
  });

  it('refuses a session it did not hand out, or one handed out for another user, before asking Cognito', async () => {
    const { all, cognito } = setupAll();
    const [first, second] = [cognito.add(['customer'], { temporary: true }), cognito.add(['customer'], { temporary: true })];
    const challenge = await all.login({ username: first.username, password: first.password });
    assert.ok('challenge' in challenge);
    await assert.rejects(all.newPassword({ username: second.username, session: challenge.session, newPassword: 'New-Passw0rd!-1' }), UnauthorizedError);
    await assert.rejects(all.newPassword({ username: first.username, session: 'made-up', newPassword: 'New-Passw0rd!-1' }), UnauthorizedError);
    assert.equal(cognito.count('respondToNewPassword'), 0);
  });
});

describe('password reset and sign-up', () => {
  it('a reset raises signedOutAt to now and signs the user out at Cognito', async () => {
    const { all, cognito, clock } = setupAll();
    const account = cognito.add(['customer']);
    await all.forgotPassword({ username: account.username });
    const before = epochSeconds(clock());
    await all.resetPassword({ username: account.username, code: account.code!, newPassword: 'New-Passw0rd!-1' });
    // The second the reset ran in (the call may cross a second boundary).
    const signedOutAt = (await table.store.getUser(account.sub))?.signedOutAt ?? 0;
    assert.ok(signedOutAt >= before && signedOutAt <= epochSeconds(clock()), `signedOutAt ${signedOutAt} is now`);
    assert.equal(cognito.count('globalSignOut'), 1);
  });

  it('a wrong code changes nothing', async () => {
    const { all, cognito } = setupAll();
    const account = cognito.add(['customer']);
    await all.forgotPassword({ username: account.username });
    await assert.rejects(all.resetPassword({ username: account.username, code: 'nope', newPassword: 'New-Passw0rd!-1' }), BadRequestError);
    assert.equal((await table.store.getUser(account.sub))?.signedOutAt, undefined);
  });

  it('a confirmed sign-up is a customer; with sign-up off both routes answer 404 signup_disabled without calling Cognito', async () => {
    const { all, cognito } = setupAll();
    await all.signUp({ email: 'new-customer@example.com', password: 'New-Passw0rd!-1' });
    const account = cognito.accounts.get('new-customer@example.com')!;
    await all.confirmSignUp({ email: account.username, code: account.code! });
    assert.deepEqual(account.groups, ['customer']);

    const off = setupAll({ signUp: false });
    for (const attempt of [off.all.signUp({ email: 'x@example.com', password: 'New-Passw0rd!-1' }), off.all.confirmSignUp({ email: 'x@example.com', code: '123456' })]) {
      await assert.rejects(attempt, (error: unknown) => error instanceof GatewayError && error.statusCode === 404 && error.code === 'signup_disabled');
    }
    assert.equal(off.cognito.calls.length, 0);
  });
});

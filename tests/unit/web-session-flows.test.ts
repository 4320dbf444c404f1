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
import { createWebSessionFlows } from '../../functions/auth/web-sessions';
import { UnauthorizedError } from '../../lib/errors';
import type { SessionRoleContext } from '../../lib/policy/role-context';
import { createTokenVault, localKeyWrapper } from '../../lib/sessions/token-vault';
import { hashSessionId, SESSION_COOKIE } from '../../lib/sessions/web-session';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';
import { FakeIdentity, movableClock, TOKEN_LIFETIME_SECONDS } from '../support/fake-identity';
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
  const login = createAuthFlows({ identity: cognito, accessStore: table.store, config: { refreshTokenValidityDays: 30 }, logger, clock });
  const flows = createWebSessionFlows({
    identity: cognito,
    accessStore: table.store,
    vault: createTokenVault(localKeyWrapper(randomBytes(32))),
    config: CONFIG,
    logger,
    clock,
    login,
  });
  const account = cognito.add(['branch-manager']);
  return { clock, cognito, flows, account };
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

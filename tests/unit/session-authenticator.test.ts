import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createSessionAuthenticator, TOUCH_INTERVAL_SECONDS } from '../../authorizers/authenticators/session';
import type { Denial } from '../../authorizers/authenticators/types';
import { webSessionRefusal, type ReadCost, type UserRecord, type WebSessionRecord, type WebSessionSnapshot } from '../../lib/access/records';
import type { RoleContext } from '../../lib/policy/role-context';
import { csrfTokenFor, hashSessionId, newSessionId } from '../../lib/sessions/web-session';
import { recordingJsonLogger } from './fixtures';

const NOW = 1_800_000_000;
const IDLE = 1800;
const ID = newSessionId();
const HASH = hashSessionId(ID);

const session = (overrides: Partial<WebSessionRecord> = {}): WebSessionRecord => ({
  hash: HASH,
  sub: 'sub-1',
  username: 'manager@example.com',
  roles: ['branch-manager'],
  authTime: NOW - 600,
  rolesTakenAt: NOW - 600,
  createdAt: NOW - 600,
  lastSeenAt: NOW - 30,
  expiresAt: NOW + 3600,
  ...overrides,
});
const owner = (overrides: Partial<UserRecord> = {}): UserRecord => ({ sub: 'sub-1', username: 'manager@example.com', branches: ['1'], ...overrides });

const event = (routeKey: string, headers: Record<string, string>, cookies?: string[]): APIGatewayRequestAuthorizerEventV2 =>
  ({ routeKey, headers, ...(cookies ? { cookies } : {}), requestContext: { http: { method: routeKey.split(' ')[0] } } }) as unknown as APIGatewayRequestAuthorizerEventV2;

const setup = (snapshot: WebSessionSnapshot | Error = { session: session(), user: owner() }, clock = () => NOW * 1000, mfaRequiredRoles: string[] = []) => {
  const reads: string[] = [];
  const touches: [string, number, number][] = [];
  const authenticator = createSessionAuthenticator({
    accessStore: {
      webSession: async (hash) => {
        reads.push(hash);
        if (snapshot instanceof Error) throw snapshot;
        return snapshot;
      },
    },
    lastSeen: {
      touch: async (hash, now, notAfter) => {
        touches.push([hash, now, notAfter]);
        return true;
      },
    },
    idleSeconds: IDLE,
    logger: recordingJsonLogger('authorizer').logger,
    clock,
    mfaRequiredRoles,
  });
  const run = (request: { routeKey?: string; headers?: Record<string, string>; cookies?: string[]; credential?: string }) => {
    const cost: ReadCost = { reads: 0, polls: 0 };
    return authenticator.authenticate({
      event: event(request.routeKey ?? 'GET /users/me', request.headers ?? {}, request.cookies),
      cost,
      ...(request.credential === undefined ? {} : { credential: request.credential }),
    });
  };
  return { run, reads, touches };
};

const reasonOf = (outcome: RoleContext | Denial | undefined) => (outcome && 'allowed' in outcome ? `${outcome.status} ${outcome.reason}` : outcome ? 'allowed' : 'not mine');
const COOKIE = { cookie: `__Host-session=${ID}` };

describe('the session authenticator', () => {
  it('answers the session as the signed-in user: its roles, its user\'s branches, no scopes, the hash as sessionId', async () => {
    const { run, reads } = setup();
    const context = await run({ headers: COOKIE });
    assert.deepEqual(context, {
      authType: 'session',
      sub: 'sub-1',
      username: 'manager@example.com',
      roles: ['branch-manager'],
      branches: ['1'],
      scopes: [],
      sessionId: HASH,
      expiresAt: NOW - 30 + IDLE,
    });
    assert.deepEqual(reads, [HASH]);
  });

  it('reads the cookie from payload 2.0 `cookies` too', async () => {
    assert.equal(reasonOf(await setup().run({ cookies: [`__Host-session=${ID}`] })), 'allowed');
  });

  it('is not responsible without a session cookie (the next authenticator tries)', async () => {
    assert.equal(await setup().run({ headers: { cookie: 'other=1' } }), undefined);
    assert.equal(await setup().run({ credential: 'eyJ.a.b', headers: { authorization: 'Bearer eyJ.a.b' } }), undefined);
  });

  it('refuses a session id sent as a bearer token, a malformed cookie, and a cookie with an Authorization header, before any read', async () => {
    const { run, reads } = setup();
    assert.equal(reasonOf(await run({ credential: ID, headers: { authorization: `Bearer ${ID}` } })), '401 session_id_as_bearer');
    assert.equal(reasonOf(await run({ headers: { cookie: '__Host-session=forged' } })), '401 malformed_session_cookie');
    assert.equal(reasonOf(await run({ credential: 'eyJ.a.b', headers: { ...COOKIE, authorization: 'Bearer eyJ.a.b' } })), '401 cookie_and_bearer');
    assert.equal(reasonOf(await run({ headers: { ...COOKIE, Authorization: 'Basic abc' } })), '401 cookie_and_bearer');
    assert.deepEqual(reads, []);
  });

  it('asks for the CSRF token on POST, PUT, PATCH and DELETE, not on GET; a missing or wrong one costs no read', async () => {
    const { run, reads } = setup();
    const good = csrfTokenFor(HASH);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const routeKey = `${method} /branches/{branchId}/products/{productId}`;
      assert.equal(reasonOf(await run({ routeKey, headers: COOKIE })), '403 csrf_token_missing', method);
      assert.equal(reasonOf(await run({ routeKey, headers: { ...COOKIE, 'X-CSRF-Token': 'A'.repeat(43) } })), '403 csrf_token_mismatch', method);
      assert.equal(reasonOf(await run({ routeKey, headers: { ...COOKIE, 'x-csrf-token': csrfTokenFor(hashSessionId(newSessionId())) } })), '403 csrf_token_mismatch', method);
    }
    assert.deepEqual(reads, []);
    assert.equal(reasonOf(await run({ routeKey: 'DELETE /auth/session', headers: { ...COOKIE, 'X-CSRF-Token': good } })), 'allowed');
    assert.equal(reasonOf(await run({ routeKey: 'GET /users/me', headers: COOKIE })), 'allowed');
  });

  it('refuses an unknown, expired, idle or revoked session, and one its user is cut off from', async () => {
    const cases: [WebSessionSnapshot, string][] = [
      [{}, '401 unknown_session'],
      [{ session: session({ expiresAt: NOW }) }, '401 session_expired'],
      [{ session: session({ lastSeenAt: NOW - IDLE }) }, '401 session_idle'],
      [{ session: session({ revokedAt: NOW - 1 }) }, '401 session_revoked'],
      [{ session: session(), user: owner({ signedOutAt: NOW - 600 }) }, '401 user_signed_out'],
      [{ session: session(), user: owner({ disabled: true }) }, '401 user_disabled'],
      [{ session: session(), user: owner({ disabledAt: NOW - 300 }) }, '401 user_disabled'],
      [{ session: session(), user: owner({ deletedAt: NOW - 1 }) }, '401 user_deleted'],
      [{ session: session(), user: owner({ rolesChangedAt: NOW - 600 }) }, '401 roles_changed'],
    ];
    for (const [snapshot, expected] of cases) assert.equal(reasonOf(await setup(snapshot).run({ headers: COOKIE })), expected, JSON.stringify(snapshot));
  });

  it('keeps a session whose cut-offs came before its login, or whose roles changed before they were taken', async () => {
    const snapshot = { session: session(), user: owner({ signedOutAt: NOW - 601, rolesChangedAt: NOW - 601 }) };
    assert.equal(reasonOf(await setup(snapshot).run({ headers: COOKIE })), 'allowed');
  });

  it('marks a session of a user whose role requires MFA, until their record says it is on, with no read of its own', async () => {
    const pending = setup({ session: session(), user: owner() }, () => NOW * 1000, ['branch-manager']);
    const context = await pending.run({ headers: COOKIE });
    assert.equal(context && !('allowed' in context) ? context.mfaRequired : 'denied', true);
    assert.equal(pending.reads.length, 1);
    const on = setup({ session: session(), user: owner({ mfaEnabled: true }) }, () => NOW * 1000, ['branch-manager']);
    const done = await on.run({ headers: COOKIE });
    assert.equal(done && !('allowed' in done) ? 'mfaRequired' in done : 'denied', false);
    const other = setup({ session: session(), user: owner() }, () => NOW * 1000, ['admin']);
    const notRequired = await other.run({ headers: COOKIE });
    assert.equal(notRequired && !('allowed' in notRequired) ? 'mfaRequired' in notRequired : 'denied', false);
  });

  it('denies when the access records cannot be read', async () => {
    assert.equal(reasonOf(await setup(new Error('down')).run({ headers: COOKIE })), '401 access_store_unavailable');
  });

  it('writes "last seen" at most once a minute, and counts its own write for the idle timeout', async () => {
    let now = NOW;
    const { run, touches } = setup({ session: session({ lastSeenAt: NOW - TOUCH_INTERVAL_SECONDS }), user: owner() }, () => now * 1000);
    await run({ headers: COOKIE });
    assert.deepEqual(touches, [[HASH, NOW, NOW - TOUCH_INTERVAL_SECONDS]]);
    now += 30;
    await run({ headers: COOKIE });
    assert.equal(touches.length, 1, 'not again within the minute');
    // The kept record still says NOW - 60; this container wrote NOW: not idle at NOW + IDLE - 1.
    now = NOW + IDLE - 1;
    assert.equal(reasonOf(await run({ headers: COOKIE })), 'allowed');
    assert.equal(touches.length, 2);
  });
});

describe('webSessionRefusal (the one revocation rule of logins)', () => {
  it('is the token rule on the session\'s login time and roles time, after its own ends', () => {
    assert.equal(webSessionRefusal({ session: session() }, NOW, IDLE), undefined);
    assert.equal(webSessionRefusal({ session: session(), user: owner({ signedOutAt: NOW - 600 }) }, NOW, IDLE), 'user_signed_out');
    assert.equal(webSessionRefusal({ session: session({ revokedAt: NOW }), user: owner({ deletedAt: NOW }) }, NOW, IDLE), 'user_deleted');
    assert.equal(webSessionRefusal({ session: session({ expiresAt: NOW - 1, revokedAt: NOW }) }, NOW, IDLE), 'session_expired');
  });
});

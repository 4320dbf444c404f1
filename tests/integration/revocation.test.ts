/**
 * Revocation that takes effect within the revocation bound (REVOCATION_MAX_STALENESS_MS, one
 * second by default; tests/support/client.ts): sign out everywhere, an admin disabling a user, an
 * admin changing a user's roles. Each test works on a user of its own.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  REVOCATION_BOUND_MS,
  REVOCATION_MARGIN_MS,
  afterRevocationBound,
  call,
  eventually,
  gatewayLog,
  login,
  loginAs,
  refusedWithinBound,
  type Session,
  freshUser,
  statusOf,
  tokensOf,
} from '../support/client';
import type { SeedUser } from '../../scripts/local/settings';

const fresh = (roles: SeedUser['roles'], branches: string[] = []) => freshUser('user', roles, branches);

const tokens = tokensOf;
const status = statusOf;

const decisionsFor = async (reason: string) =>
  (await gatewayLog()).filter((line) => line.message === 'authorizer decision' && line.reason === reason);

describe('revocation', () => {
  let admin: Session;

  beforeAll(async () => {
    admin = await login('admin');
  });

  describe('sign out everywhere', () => {
    it('refuses every session of the caller within the revocation bound, and only theirs', async () => {
      const user = await fresh(['customer']);
      const other = await fresh(['customer']);
      const [phone, laptop, bystander] = [await tokens(user), await tokens(user), await tokens(other)];
      assert.equal(await status('GET', '/users/me', phone.accessToken), 200);
      assert.equal(await status('GET', '/users/me', laptop.accessToken), 200);

      const out = await call('POST', '/auth/logout', { token: phone.accessToken, body: { everywhere: true } });
      assert.equal(out.status, 204);

      await refusedWithinBound('GET', '/users/me', phone.accessToken, 401);
      await refusedWithinBound('GET', '/users/me', laptop.accessToken, 401);
      assert.equal((await call('POST', '/auth/refresh', { body: { refreshToken: laptop.refreshToken } })).status, 401);
      // Past the bound, so no authorizer's older view can be what lets the other user pass.
      await afterRevocationBound();
      assert.equal(await status('GET', '/users/me', phone.accessToken), 401);
      assert.equal(await status('GET', '/users/me', laptop.accessToken), 401);
      assert.equal(await status('GET', '/users/me', bystander.accessToken), 200);
      assert.ok(await eventually(async () => (await decisionsFor('user_signed_out')).length >= 1), 'audit log records user_signed_out');
    });

    it('lets the user sign in again right away, with a working session', async () => {
      const user = await fresh(['customer']);
      const first = await tokens(user);
      assert.equal((await call('POST', '/auth/logout', { token: first.accessToken, body: { everywhere: true } })).status, 204);
      const again = await tokens(user);
      assert.equal(await status('GET', '/users/me', again.accessToken), 200);
    });

    it('answers 400 to an everywhere flag that is not a boolean', async () => {
      const user = await fresh(['customer']);
      const session = await tokens(user);
      const answer = await call('POST', '/auth/logout', { token: session.accessToken, body: { everywhere: 'yes' } });
      assert.equal(answer.status, 400);
      // Past the bound: had the session been ended, every authorizer would refuse it by now.
      await afterRevocationBound();
      assert.equal(await status('GET', '/users/me', session.accessToken), 200);
    });
  });

  describe('disable and enable', () => {
    it('refuses every token of a disabled user within the revocation bound and refuses their login like a wrong password', async () => {
      const user = await fresh(['customer']);
      const [a, b] = [await tokens(user), await tokens(user)];
      const disable = await call('POST', `/users/${encodeURIComponent(user.username)}/disable`, { token: admin.accessToken });
      assert.equal(disable.status, 204, disable.text);

      await refusedWithinBound('GET', '/users/me', a.accessToken, 401);
      await refusedWithinBound('GET', '/users/me', b.accessToken, 401);
      assert.equal(await status('GET', '/users/me', a.accessToken), 401);
      assert.equal((await call('POST', '/auth/refresh', { body: { refreshToken: a.refreshToken } })).status, 401);
      const refused = await loginAs(user);
      const wrongPassword = await loginAs({ username: user.username, password: 'Not-The-Passw0rd!' });
      assert.equal(refused.status, 401);
      assert.equal(refused.text, wrongPassword.text);
      assert.ok(await eventually(async () => (await decisionsFor('user_disabled')).length >= 1), 'audit log records user_disabled');
    });

    it('restores login on enable while the old tokens stay refused', async () => {
      const user = await fresh(['customer']);
      const old = await tokens(user);
      const path = `/users/${encodeURIComponent(user.username)}`;
      assert.equal((await call('POST', `${path}/disable`, { token: admin.accessToken })).status, 204);
      assert.equal((await call('POST', `${path}/enable`, { token: admin.accessToken })).status, 204);
      const renewed = await tokens(user);
      await refusedWithinBound('GET', '/users/me', old.accessToken, 401);
      // Past the bound: the old tokens stay refused and the new login works on every authorizer.
      await afterRevocationBound();
      assert.equal(await status('GET', '/users/me', renewed.accessToken), 200);
      assert.equal(await status('GET', '/users/me', old.accessToken), 401);
    });

    it('cuts off a user in the middle of a sequence of requests within the revocation bound of the admin acting', async () => {
      const user = await fresh(['customer']);
      const session = await tokens(user);
      const results: { sentAt: number; status: number }[] = [];
      let disabledAt = Number.POSITIVE_INFINITY;
      // Every request sent this long after the admin's call answered must be refused.
      const bound = REVOCATION_BOUND_MS + REVOCATION_MARGIN_MS;
      // The user keeps calling until five requests went out past the bound (bounded).
      const deadline = Date.now() + 20_000;
      const client = (async () => {
        while (Date.now() < deadline && results.filter((r) => r.sentAt > disabledAt + bound).length < 5) {
          const sentAt = Date.now();
          results.push({ sentAt, status: await status('GET', '/users/me', session.accessToken) });
        }
      })();
      while (results.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      const disable = await call('POST', `/users/${encodeURIComponent(user.username)}/disable`, { token: admin.accessToken });
      disabledAt = Date.now();
      assert.equal(disable.status, 204);
      await client;
      const after = results.filter((r) => r.sentAt > disabledAt + bound);
      assert.ok(after.length >= 5, 'requests were sent past the bound after the disable');
      assert.ok(after.every((r) => r.status === 401), JSON.stringify(after));
      assert.ok(results.every((r) => r.status === 200 || r.status === 401), 'nothing but 200 and 401');
      assert.ok(results.some((r) => r.status === 200), 'requests before the disable were served');
    });

    it('answers 409 to an admin disabling their own account', async () => {
      const me = await call('GET', '/users/me', { token: admin.accessToken });
      const answer = await call('POST', `/users/${encodeURIComponent(me.body.username)}/disable`, { token: admin.accessToken });
      assert.equal(answer.status, 409);
      assert.equal(answer.body.error, 'cannot_disable_self');
    });

    it('answers 404 for an unknown user and 403 to a non-admin', async () => {
      const customer = await login('customer');
      assert.equal((await call('POST', '/users/nobody-here@example.com/disable', { token: admin.accessToken })).status, 404);
      assert.equal((await call('POST', '/users/nobody-here@example.com/disable', { token: customer.accessToken })).status, 403);
      assert.equal((await call('POST', '/users/nobody-here@example.com/enable', { token: customer.accessToken })).status, 403);
    });
  });

  describe('role changes', () => {
    it('refuses tokens issued before a role change; the next login carries the new roles', async () => {
      const user = await fresh(['branch-manager'], ['1']);
      const old = await tokens(user);
      assert.equal(await status('GET', '/branches/1/products', old.accessToken), 200);

      const change = await call('PUT', `/users/${encodeURIComponent(user.username)}/roles`, { token: admin.accessToken, body: { roles: ['customer'] } });
      assert.equal(change.status, 200, change.text);
      assert.deepEqual(change.body.roles, ['customer']);

      await refusedWithinBound('GET', '/branches/1/products', old.accessToken, 401);
      assert.equal(await status('GET', '/branches/1/products', old.accessToken), 401);
      const renewed = await tokens(user);
      assert.equal(await status('GET', '/branches/1/products', renewed.accessToken), 403);
      const me = await call('GET', '/users/me', { token: renewed.accessToken });
      assert.deepEqual(me.body.roles, ['customer']);
      assert.ok(await eventually(async () => (await decisionsFor('roles_changed')).length >= 1), 'audit log records roles_changed');
    });

    const badBodies: [string, unknown][] = [
      ['an unknown role', { roles: ['superuser'] }],
      ['roles that are not a list', { roles: 'admin' }],
      ['a repeated role', { roles: ['customer', 'customer'] }],
      ['no roles field', {}],
      ['an extra field', { roles: ['customer'], branches: ['2'] }],
    ];
    for (const [what, body] of badBodies) {
      it(`answers 400 to ${what}`, async () => {
        const answer = await call('PUT', '/users/customer@example.com/roles', { token: admin.accessToken, body });
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.body.error, 'invalid_body');
      });
    }

    it('answers 409 to an admin removing their own admin role, and 403 to a manager', async () => {
      const me = await call('GET', '/users/me', { token: admin.accessToken });
      const own = await call('PUT', `/users/${encodeURIComponent(me.body.username)}/roles`, { token: admin.accessToken, body: { roles: ['customer'] } });
      assert.equal(own.status, 409);
      const manager = await login('manager');
      const denied = await call('PUT', '/users/customer@example.com/roles', { token: manager.accessToken, body: { roles: ['admin'] } });
      assert.equal(denied.status, 403);
    });
  });

  it('records session_revoked in the audit log for a token used after logout, with no token material', async () => {
    const user = await fresh(['customer']);
    const session = await tokens(user);
    const sub = (await call('GET', '/users/me', { token: session.accessToken })).body.sub;
    assert.equal((await call('POST', '/auth/logout', { token: session.accessToken })).status, 204);
    await refusedWithinBound('GET', '/users/me', session.accessToken, 401);
    const mine = async () => (await decisionsFor('session_revoked')).filter((line) => line.principal?.sub === sub);
    assert.ok(await eventually(async () => (await mine()).length >= 1), 'audit log records session_revoked for this user');
    const [line] = await mine();
    assert.equal(line!.status, 401);
    assert.equal(line!.route, 'GET /users/me');
    assert.equal(typeof line!.latencyMs, 'number');
    const everything = JSON.stringify(await gatewayLog());
    for (const part of session.accessToken.split('.')) assert.ok(!everything.includes(part), 'no part of the token in any log line');
  });
});

/**
 * Every route of DESIGN.md × every kind of caller, over HTTP against the local stack:
 * no token, customer, branch manager (own branch 1 and other branch 2), admin.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { ROUTE_POLICY } from '../../lib/policy/route-policy';
import { assertNoInternals, call, login, type Session } from '../support/client';

type Caller = 'anonymous' | 'customer' | 'manager' | 'admin';
const CALLERS: Caller[] = ['anonymous', 'customer', 'manager', 'admin'];

interface Case {
  route: keyof typeof ROUTE_POLICY;
  method: string;
  path: string;
  body?: unknown;
  expect: Record<Caller, number>;
}

const stock = { quantity: 7 };

/** Status every caller gets; locally, missing or invalid credentials answer 401. */
const CASES: Case[] = [
  { route: 'GET /health', method: 'GET', path: '/health', expect: { anonymous: 200, customer: 200, manager: 200, admin: 200 } },
  { route: 'GET /openapi.json', method: 'GET', path: '/openapi.json', expect: { anonymous: 200, customer: 200, manager: 200, admin: 200 } },
  { route: 'GET /docs', method: 'GET', path: '/docs', expect: { anonymous: 200, customer: 200, manager: 200, admin: 200 } },
  { route: 'GET /docs/{asset}', method: 'GET', path: '/docs/explorer.js', expect: { anonymous: 200, customer: 200, manager: 200, admin: 200 } },
  { route: 'GET /docs/{asset}', method: 'GET', path: '/docs/no-such-file.js', expect: { anonymous: 404, customer: 404, manager: 404, admin: 404 } },
  { route: 'GET /login', method: 'GET', path: '/login', expect: { anonymous: 200, customer: 200, manager: 200, admin: 200 } },
  { route: 'GET /products', method: 'GET', path: '/products', expect: { anonymous: 200, customer: 200, manager: 200, admin: 200 } },
  { route: 'GET /products/{productId}', method: 'GET', path: '/products/espresso-beans', expect: { anonymous: 200, customer: 200, manager: 200, admin: 200 } },
  { route: 'GET /products/{productId}', method: 'GET', path: '/products/no-such-product', expect: { anonymous: 404, customer: 404, manager: 404, admin: 404 } },
  {
    route: 'POST /products',
    method: 'POST',
    path: '/products',
    body: { name: 'Tamper', priceCents: 1999 },
    expect: { anonymous: 401, customer: 403, manager: 403, admin: 201 },
  },
  { route: 'GET /users/me', method: 'GET', path: '/users/me', expect: { anonymous: 401, customer: 200, manager: 200, admin: 200 } },
  { route: 'GET /users', method: 'GET', path: '/users', expect: { anonymous: 401, customer: 403, manager: 403, admin: 200 } },
  // User administration, on a user that does not exist so the matrix changes nothing:
  // everyone but an admin is stopped by the authorizer; the admin reaches the service (404).
  {
    route: 'POST /users/{username}/disable',
    method: 'POST',
    path: '/users/nobody@example.com/disable',
    expect: { anonymous: 401, customer: 403, manager: 403, admin: 404 },
  },
  {
    route: 'POST /users/{username}/enable',
    method: 'POST',
    path: '/users/nobody@example.com/enable',
    expect: { anonymous: 401, customer: 403, manager: 403, admin: 404 },
  },
  {
    route: 'PUT /users/{username}/roles',
    method: 'PUT',
    path: '/users/nobody@example.com/roles',
    body: { roles: ['customer'] },
    expect: { anonymous: 401, customer: 403, manager: 403, admin: 404 },
  },
  {
    route: 'POST /users',
    method: 'POST',
    path: '/users',
    body: { email: 'nobody@example.com', roles: ['root'] },
    expect: { anonymous: 401, customer: 403, manager: 403, admin: 400 },
  },
  { route: 'GET /users/{username}', method: 'GET', path: '/users/nobody@example.com', expect: { anonymous: 401, customer: 403, manager: 403, admin: 404 } },
  {
    route: 'PUT /users/{username}/branches',
    method: 'PUT',
    path: '/users/nobody@example.com/branches',
    body: { branches: [] },
    expect: { anonymous: 401, customer: 403, manager: 403, admin: 404 },
  },
  { route: 'DELETE /users/{username}', method: 'DELETE', path: '/users/nobody@example.com', expect: { anonymous: 401, customer: 403, manager: 403, admin: 404 } },
  { route: 'POST /users/{username}/mfa/reset', method: 'POST', path: '/users/nobody@example.com/mfa/reset', expect: { anonymous: 401, customer: 403, manager: 403, admin: 404 } },
  // Branches (branches.test.ts has the rest): an existing id, so only the admin's 409 reaches the table.
  { route: 'POST /branches', method: 'POST', path: '/branches', body: { branchId: '1', name: 'Again' }, expect: { anonymous: 401, customer: 403, manager: 403, admin: 409 } },
  { route: 'GET /branches', method: 'GET', path: '/branches', expect: { anonymous: 401, customer: 403, manager: 200, admin: 200 } },
  { route: 'GET /branches/{branchId}', method: 'GET', path: '/branches/1', expect: { anonymous: 401, customer: 403, manager: 200, admin: 200 } },
  { route: 'GET /branches/{branchId}', method: 'GET', path: '/branches/2', expect: { anonymous: 401, customer: 403, manager: 403, admin: 200 } },
  {
    route: 'GET /branches/{branchId}/products',
    method: 'GET',
    path: '/branches/1/products',
    expect: { anonymous: 401, customer: 403, manager: 200, admin: 200 },
  },
  {
    route: 'GET /branches/{branchId}/products',
    method: 'GET',
    path: '/branches/2/products',
    expect: { anonymous: 401, customer: 403, manager: 403, admin: 200 },
  },
  {
    route: 'PUT /branches/{branchId}/products/{productId}',
    method: 'PUT',
    path: '/branches/1/products/filter-papers',
    body: stock,
    expect: { anonymous: 401, customer: 403, manager: 200, admin: 200 },
  },
  {
    route: 'PUT /branches/{branchId}/products/{productId}',
    method: 'PUT',
    path: '/branches/2/products/filter-papers',
    body: stock,
    expect: { anonymous: 401, customer: 403, manager: 403, admin: 200 },
  },
  {
    route: 'POST /branches/{branchId}/products/{productId}/adjustments',
    method: 'POST',
    path: '/branches/1/products/espresso-beans/adjustments',
    body: { delta: 1, reason: 'delivery' },
    expect: { anonymous: 401, customer: 403, manager: 200, admin: 200 },
  },
  {
    route: 'POST /branches/{branchId}/products/{productId}/adjustments',
    method: 'POST',
    path: '/branches/2/products/espresso-beans/adjustments',
    body: { delta: 1, reason: 'delivery' },
    expect: { anonymous: 401, customer: 403, manager: 403, admin: 200 },
  },
  // Keys: every signed-in user manages their own (api-keys.test.ts has the rest).
  {
    route: 'POST /api-keys',
    method: 'POST',
    path: '/api-keys',
    body: { name: 'route matrix', scopes: ['profile:read'], expiresInDays: 1 },
    expect: { anonymous: 401, customer: 201, manager: 201, admin: 201 },
  },
  { route: 'GET /api-keys', method: 'GET', path: '/api-keys', expect: { anonymous: 401, customer: 200, manager: 200, admin: 200 } },
  {
    route: 'DELETE /api-keys/{keyId}',
    method: 'DELETE',
    path: '/api-keys/0123456789abcdef0123',
    expect: { anonymous: 401, customer: 404, manager: 404, admin: 404 },
  },
];

describe('route table', () => {
  const sessions = {} as Record<Exclude<Caller, 'anonymous'>, Session>;

  beforeAll(async () => {
    [sessions.customer, sessions.manager, sessions.admin] = await Promise.all([login('customer'), login('manager'), login('admin')]);
  });

  it('covers every route of the policy except the auth routes, which auth.test.ts covers', () => {
    const covered = new Set(CASES.map((c) => c.route));
    const missing = Object.keys(ROUTE_POLICY).filter((route) => !covered.has(route as Case['route']) && !route.includes('/auth/'));
    assert.deepEqual(missing, []);
  });

  for (const testCase of CASES) {
    for (const caller of CALLERS) {
      const expected = testCase.expect[caller];
      it(`answers ${expected} to ${caller} on ${testCase.method} ${testCase.path}`, async () => {
        const token = caller === 'anonymous' ? undefined : sessions[caller].accessToken;
        const answer = await call(testCase.method, testCase.path, { token, ...(testCase.body ? { body: testCase.body } : {}) });
        assert.equal(answer.status, expected, answer.text);
        if (expected >= 400) assertNoInternals(answer);
      });
    }
  }

  it('answers 401 to every protected route when the token is garbage', async () => {
    for (const [route, rule] of Object.entries(ROUTE_POLICY)) {
      if (rule.access.kind === 'public') continue;
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace('{branchId}', '1').replace('{productId}', 'espresso-beans').replace('{username}', 'customer@example.com');
      const answer = await call(method, path, { token: 'not.a.token', ...(method === 'GET' ? {} : { body: {} }) });
      assert.equal(answer.status, 401, `${route}: ${answer.text}`);
    }
  });

  it('lets a branch manager see exactly the stock of branch 1', async () => {
    const answer = await call('GET', '/branches/1/products', { token: sessions.manager.accessToken });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.branchId, '1');
    assert.ok(answer.body.items.some((item: { productId: string }) => item.productId === 'espresso-beans'));
  });

  it('tells each caller who they are in GET /users/me, from the verified token only', async () => {
    for (const who of ['customer', 'manager', 'admin'] as const) {
      const answer = await call('GET', '/users/me', { token: sessions[who].accessToken });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.email, sessions[who].user.email);
      assert.deepEqual(answer.body.roles, sessions[who].user.roles);
      assert.deepEqual(answer.body.branches, sessions[who].user.branches);
      assert.equal(answer.body.authType, 'user');
    }
  });

  it('lists users with their roles and branches for an admin', async () => {
    const answer = await call('GET', '/users?limit=10', { token: sessions.admin.accessToken });
    assert.equal(answer.status, 200);
    const manager = answer.body.items.find((u: { email?: string }) => u.email === sessions.manager.user.email);
    assert.deepEqual(manager.roles, ['branch-manager']);
    assert.deepEqual(manager.branches, ['1']);
  });

  it('creates a product an admin can then read publicly', async () => {
    const created = await call('POST', '/products', { token: sessions.admin.accessToken, body: { name: 'Grinder', priceCents: 8900, currency: 'EUR' } });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), `/products/${created.body.productId}`);
    const read = await call('GET', `/products/${created.body.productId}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.name, 'Grinder');
  });

  it('sets stock atomically and returns the new quantity with a higher version', async () => {
    const first = await call('PUT', '/branches/1/products/moka-pot', { token: sessions.manager.accessToken, body: { quantity: 3 } });
    const second = await call('PUT', '/branches/1/products/moka-pot', { token: sessions.manager.accessToken, body: { quantity: 4 } });
    assert.equal(first.status, 200);
    assert.equal(second.body.quantity, 4);
    assert.equal(second.body.version, first.body.version + 1);
    const list = await call('GET', '/branches/1/products', { token: sessions.manager.accessToken });
    assert.equal(list.body.items.find((i: { productId: string }) => i.productId === 'moka-pot').quantity, 4);
  });
});

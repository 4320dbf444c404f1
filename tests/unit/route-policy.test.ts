import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  ROLES,
  ROUTE_POLICY,
  SCOPES,
  decideAccess,
  grantableScopes,
  isRole,
  isRouteKey,
  ruleFor,
  type Principal,
  type RouteRule,
} from '../../lib/policy/route-policy';

const ANONYMOUS: Principal = { authType: 'user', roles: [], branches: [], scopes: [] };
const CUSTOMER: Principal = { authType: 'user', roles: ['customer'], branches: [], scopes: [] };
const MANAGER_OF_1: Principal = { authType: 'user', roles: ['branch-manager'], branches: ['1'], scopes: [] };
const ADMIN: Principal = { authType: 'user', roles: ['admin'], branches: [], scopes: [] };

const BRANCH_ROUTE = ruleFor('GET /branches/{branchId}/products');
const ADMIN_ROUTE = ruleFor('POST /products');

describe('route policy table', () => {
  const SERVICES = new Set(['health', 'auth', 'catalog', 'users', 'inventory', 'keys', 'docs']);
  const entries = Object.entries(ROUTE_POLICY) as [string, RouteRule][];

  it('names a known service for every route', () => {
    for (const [routeKey, rule] of entries) {
      assert.ok(SERVICES.has(rule.service), `${routeKey} has unknown service ${rule.service}`);
    }
  });

  it('uses API Gateway route keys: an upper-case method, one space, an absolute path', () => {
    for (const routeKey of Object.keys(ROUTE_POLICY)) {
      assert.match(routeKey, /^(GET|POST|PUT|PATCH|DELETE) \/[A-Za-z0-9/{}._-]*$/, routeKey);
    }
  });

  it('gives every role-based route at least one valid role', () => {
    for (const [routeKey, rule] of entries) {
      const access = rule.access;
      if (access.kind !== 'roles' && access.kind !== 'branch') continue;
      assert.ok(access.roles.length > 0, `${routeKey} has an empty role list`);
      for (const role of access.roles) assert.ok(isRole(role), `${routeKey} names unknown role ${role}`);
    }
  });

  it('names, for every branch route, a path parameter that is in the route key', () => {
    for (const [routeKey, rule] of entries) {
      if (rule.access.kind !== 'branch') continue;
      assert.ok(routeKey.includes(`{${rule.access.param}}`), `${routeKey} lacks {${rule.access.param}}`);
    }
  });

  it('gives each scope the routes the issue names, and no public route a scope', () => {
    const byScope = Object.fromEntries(SCOPES.map((scope) => [scope, entries.filter(([, rule]) => rule.scope === scope).map(([key]) => key).sort()]));
    assert.deepEqual(byScope, {
      'profile:read': ['GET /users/me'],
      'catalog:write': ['POST /products'],
      'inventory:read': ['GET /branches', 'GET /branches/{branchId}', 'GET /branches/{branchId}/products'],
      'inventory:write': ['POST /branches/{branchId}/products/{productId}/adjustments', 'PUT /branches/{branchId}/products/{productId}'],
      'users:read': ['GET /users', 'GET /users/{username}'],
    });
    for (const [routeKey, rule] of entries) if (rule.access.kind === 'public') assert.equal(rule.scope, undefined, routeKey);
  });

  it('leaves key management, logout and user changes without a scope (users only)', () => {
    for (const routeKey of ['POST /api-keys', 'GET /api-keys', 'DELETE /api-keys/{keyId}', 'POST /auth/logout', 'POST /users/{username}/disable', 'POST /users/{username}/enable', 'PUT /users/{username}/roles', 'POST /users', 'PUT /users/{username}/branches', 'DELETE /users/{username}', 'POST /branches']) {
      assert.equal(ruleFor(routeKey)?.scope, undefined, routeKey);
    }
  });

  it('uses only the four known access kinds', () => {
    for (const [routeKey, rule] of entries) {
      assert.ok(['public', 'signed-in', 'roles', 'branch'].includes(rule.access.kind), routeKey);
    }
  });
});

describe('isRole and isRouteKey', () => {
  it('accepts exactly the three roles', () => {
    for (const role of ROLES) assert.equal(isRole(role), true);
    for (const other of ['Admin', 'root', '', ' admin', undefined, null, 1]) assert.equal(isRole(other), false, String(other));
  });

  it('finds no rule for inherited object keys, other casing or stray spaces', () => {
    for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'get /health', 'GET /health ', 'GET  /health', 'GET /health/']) {
      assert.equal(isRouteKey(key), false, key);
      assert.equal(ruleFor(key), undefined, key);
    }
    assert.equal(ruleFor(undefined), undefined);
    assert.equal(ruleFor(42), undefined);
  });
});

describe('decideAccess', () => {
  describe('unknown routes', () => {
    it('denies an unknown route with no_policy, even for an admin', () => {
      // Prepare
      const rule = ruleFor('DELETE /products/{productId}');
      // Act
      const decision = decideAccess(rule, ADMIN, { productId: 'x' });
      // Assess
      assert.deepEqual(decision, { allowed: false, reason: 'no_policy' });
    });
  });

  describe('public routes', () => {
    it('allows an anonymous caller on a public route with reason public', () => {
      assert.deepEqual(decideAccess(ruleFor('GET /health'), ANONYMOUS, undefined), { allowed: true, reason: 'public' });
    });
  });

  describe('signed-in routes', () => {
    it('allows any caller with a valid token and no roles with reason signed_in', () => {
      assert.deepEqual(decideAccess(ruleFor('GET /users/me'), ANONYMOUS, null), { allowed: true, reason: 'signed_in' });
    });
  });

  describe('role routes', () => {
    it('allows an admin on an admin route with reason role_granted', () => {
      assert.deepEqual(decideAccess(ADMIN_ROUTE, ADMIN, {}), { allowed: true, reason: 'role_granted' });
    });

    it('denies a customer on an admin route with role_missing', () => {
      assert.deepEqual(decideAccess(ADMIN_ROUTE, CUSTOMER, {}), { allowed: false, reason: 'role_missing' });
    });

    it('denies a branch manager on an admin route with role_missing', () => {
      assert.deepEqual(decideAccess(ADMIN_ROUTE, MANAGER_OF_1, {}), { allowed: false, reason: 'role_missing' });
    });

    it('denies a caller without roles on an admin route with role_missing', () => {
      assert.deepEqual(decideAccess(ruleFor('GET /users'), ANONYMOUS, {}), { allowed: false, reason: 'role_missing' });
    });
  });

  describe('branch routes', () => {
    it('allows a branch manager reading their own branch with branch_managed', () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, MANAGER_OF_1, { branchId: '1' }), { allowed: true, reason: 'branch_managed' });
    });

    it('denies a branch manager reading another branch with branch_not_managed', () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, MANAGER_OF_1, { branchId: '2' }), { allowed: false, reason: 'branch_not_managed' });
    });

    for (const disguised of ['01', '1 ', ' 1', '%31', '1/', '1.0', '+1', '１']) {
      it(`denies a manager of branch "1" asking for branch ${JSON.stringify(disguised)} with branch_not_managed`, () => {
        assert.deepEqual(decideAccess(BRANCH_ROUTE, MANAGER_OF_1, { branchId: disguised }), {
          allowed: false,
          reason: 'branch_not_managed',
        });
      });
    }

    it('denies a manager of branch "1" when the branch parameter is empty with branch_missing', () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, MANAGER_OF_1, { branchId: '' }), { allowed: false, reason: 'branch_missing' });
    });

    it('denies a manager of branch "1" when the branch parameter is missing with branch_missing', () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, MANAGER_OF_1, { productId: '1' }), { allowed: false, reason: 'branch_missing' });
      assert.deepEqual(decideAccess(BRANCH_ROUTE, MANAGER_OF_1, {}), { allowed: false, reason: 'branch_missing' });
      assert.deepEqual(decideAccess(BRANCH_ROUTE, MANAGER_OF_1, null), { allowed: false, reason: 'branch_missing' });
      assert.deepEqual(decideAccess(BRANCH_ROUTE, MANAGER_OF_1, undefined), { allowed: false, reason: 'branch_missing' });
    });

    it('does not take the branch from another path parameter', () => {
      const decision = decideAccess(ruleFor('PUT /branches/{branchId}/products/{productId}'), MANAGER_OF_1, {
        branchId: '2',
        productId: '1',
      });
      assert.deepEqual(decision, { allowed: false, reason: 'branch_not_managed' });
    });

    it('denies a customer on a branch route with role_missing, whatever branches they list', () => {
      const customerListingBranch: Principal = { authType: 'user', roles: ['customer'], branches: ['1'], scopes: [] };
      assert.deepEqual(decideAccess(BRANCH_ROUTE, customerListingBranch, { branchId: '1' }), { allowed: false, reason: 'role_missing' });
    });

    it('denies a manager who manages no branch with branch_not_managed', () => {
      const manager: Principal = { authType: 'user', roles: ['branch-manager'], branches: [], scopes: [] };
      assert.deepEqual(decideAccess(BRANCH_ROUTE, manager, { branchId: '1' }), { allowed: false, reason: 'branch_not_managed' });
    });

    it('allows an admin on any branch with role_granted, even one they do not manage', () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, ADMIN, { branchId: '2' }), { allowed: true, reason: 'role_granted' });
    });
  });

  describe('admins', () => {
    it('allows an admin on every route of the policy but those of a browser session', () => {
      for (const [routeKey, rule] of Object.entries(ROUTE_POLICY) as [string, RouteRule][]) {
        if (rule.only === 'session') continue;
        const decision = decideAccess(ruleFor(routeKey), ADMIN, { branchId: '7', productId: 'p' });
        assert.equal(decision.allowed, true, `${routeKey}: ${decision.reason}`);
      }
    });
  });

  describe("API keys (the owner's rights, within the key's scopes)", () => {
    const key = (owner: Principal, scopes: Principal['scopes']): Principal => ({ ...owner, authType: 'api_key', scopes });

    it("allows a manager's inventory:read key on the manager's branch with branch_managed", () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, key(MANAGER_OF_1, ['inventory:read']), { branchId: '1' }), { allowed: true, reason: 'branch_managed' });
    });

    it("denies a manager's inventory:read key on another branch with branch_not_managed", () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, key(MANAGER_OF_1, ['inventory:read']), { branchId: '2' }), { allowed: false, reason: 'branch_not_managed' });
    });

    it("denies a key without the route's scope with scope_missing, even an admin's", () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, key(ADMIN, ['inventory:write']), { branchId: '1' }), { allowed: false, reason: 'scope_missing' });
    });

    it("denies a key beyond its owner's roles with role_missing", () => {
      assert.deepEqual(decideAccess(ruleFor('GET /users'), key(CUSTOMER, ['users:read']), {}), { allowed: false, reason: 'role_missing' });
    });

    it('denies every route without a scope with user_token_required, even with every scope', () => {
      for (const [routeKey, rule] of Object.entries(ROUTE_POLICY) as [string, RouteRule][]) {
        if (rule.access.kind === 'public' || rule.scope) continue;
        const reason = rule.only === 'session' ? 'session_required' : 'user_token_required';
        assert.deepEqual(decideAccess(rule, key(ADMIN, [...SCOPES]), {}), { allowed: false, reason }, routeKey);
      }
    });

    it('allows profile:read on /users/me with scope_granted', () => {
      assert.deepEqual(decideAccess(ruleFor('GET /users/me'), key(CUSTOMER, ['profile:read']), {}), { allowed: true, reason: 'scope_granted' });
    });
  });

  describe('browser sessions (the signed-in user, by cookie)', () => {
    const session = (user: Principal): Principal => ({ ...user, authType: 'session', scopes: [] });

    it('allows a session what its user may do, by roles and branches, with no scope needed', () => {
      assert.deepEqual(decideAccess(ruleFor('GET /users/me'), session(CUSTOMER), {}), { allowed: true, reason: 'signed_in' });
      assert.deepEqual(decideAccess(BRANCH_ROUTE, session(MANAGER_OF_1), { branchId: '1' }), { allowed: true, reason: 'branch_managed' });
      assert.deepEqual(decideAccess(BRANCH_ROUTE, session(MANAGER_OF_1), { branchId: '2' }), { allowed: false, reason: 'branch_not_managed' });
      assert.deepEqual(decideAccess(ruleFor('POST /users/{username}/disable'), session(ADMIN), {}), { allowed: true, reason: 'role_granted' });
      assert.deepEqual(decideAccess(ruleFor('POST /users/{username}/disable'), session(CUSTOMER), {}), { allowed: false, reason: 'role_missing' });
    });

    it('refuses a session the routes that act on a bearer token: logout, password change, API keys', () => {
      for (const routeKey of ['POST /auth/logout', 'POST /auth/password', 'POST /api-keys', 'GET /api-keys', 'DELETE /api-keys/{keyId}']) {
        assert.deepEqual(decideAccess(ruleFor(routeKey), session(ADMIN), { keyId: 'x' }), { allowed: false, reason: 'user_token_required' }, routeKey);
      }
    });

    it("refuses everyone but a session a session's own routes", () => {
      for (const routeKey of ['GET /auth/session', 'DELETE /auth/session']) {
        assert.deepEqual(decideAccess(ruleFor(routeKey), session(CUSTOMER), {}), { allowed: true, reason: 'signed_in' }, routeKey);
        for (const other of [ADMIN, { ...ADMIN, authType: 'api_key' as const, scopes: [...SCOPES] }, { ...ADMIN, authType: 'client' as const, scopes: [...SCOPES] }]) {
          assert.deepEqual(decideAccess(ruleFor(routeKey), other, {}), { allowed: false, reason: 'session_required' }, `${routeKey} ${other.authType}`);
        }
      }
    });
  });

  describe('machine clients (their scopes, and their configured branches)', () => {
    const client = (scopes: Principal['scopes'], branches: string[] = [], roles: Principal['roles'] = []): Principal => ({ authType: 'client', roles, branches, scopes });

    it('allows a role route on its scope alone with scope_granted', () => {
      assert.deepEqual(decideAccess(ADMIN_ROUTE, client(['catalog:write']), {}), { allowed: true, reason: 'scope_granted' });
    });

    it('denies a route whose scope it lacks with scope_missing', () => {
      assert.deepEqual(decideAccess(ruleFor('GET /users'), client(['catalog:write']), {}), { allowed: false, reason: 'scope_missing' });
    });

    it('reads only the branches it is configured for', () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, client(['inventory:read'], ['1']), { branchId: '1' }), { allowed: true, reason: 'branch_managed' });
      assert.deepEqual(decideAccess(BRANCH_ROUTE, client(['inventory:read'], ['1']), { branchId: '2' }), { allowed: false, reason: 'branch_not_managed' });
      assert.deepEqual(decideAccess(BRANCH_ROUTE, client(['inventory:read']), { branchId: '1' }), { allowed: false, reason: 'branch_not_managed' });
    });

    it('reaches every branch only when configured with the admin role', () => {
      assert.deepEqual(decideAccess(BRANCH_ROUTE, client(['inventory:read'], [], ['admin']), { branchId: '2' }), { allowed: true, reason: 'role_granted' });
    });

    it('never reaches a route without a scope', () => {
      assert.deepEqual(decideAccess(ruleFor('POST /api-keys'), client([...SCOPES], [], ['admin']), {}), { allowed: false, reason: 'user_token_required' });
    });
  });
});

describe('grantableScopes', () => {
  it('lets a customer grant only profile:read', () => {
    assert.deepEqual(grantableScopes(['customer']), ['profile:read']);
  });

  it('lets a manager grant profile and inventory scopes', () => {
    assert.deepEqual(grantableScopes(['branch-manager']), ['profile:read', 'inventory:read', 'inventory:write']);
  });

  it('lets an admin grant every scope', () => {
    assert.deepEqual(grantableScopes(['admin']), [...SCOPES]);
  });
});

describe('MFA required for a role (mfaRequired, the routes marked mfaSetup)', () => {
  const PENDING_ADMIN: Principal = { ...ADMIN, mfaRequired: true };
  const entries = Object.entries(ROUTE_POLICY) as [string, RouteRule][];

  it('marks exactly MFA setup, /users/me, logout and a browser session\'s own state and sign-out as open before MFA is on', () => {
    const marked = entries.filter(([, rule]) => rule.mfaSetup === true).map(([key]) => key).sort();
    assert.deepEqual(marked, [
      'DELETE /auth/mfa',
      'DELETE /auth/session',
      'GET /auth/session',
      'GET /users/me',
      'POST /auth/logout',
      'POST /auth/mfa/setup',
      'POST /auth/mfa/verify',
    ]);
  });

  it('refuses every other protected route with mfa_required, whatever the roles would open', () => {
    for (const [routeKey, rule] of entries) {
      if (rule.access.kind === 'public' || rule.mfaSetup) continue;
      assert.deepEqual(decideAccess(rule, PENDING_ADMIN, { branchId: '1' }), { allowed: false, reason: 'mfa_required' }, routeKey);
    }
  });

  it('allows the setup routes and public routes as before', () => {
    assert.deepEqual(decideAccess(ruleFor('POST /auth/mfa/setup'), PENDING_ADMIN, {}), { allowed: true, reason: 'signed_in' });
    assert.deepEqual(decideAccess(ruleFor('POST /auth/mfa'), PENDING_ADMIN, {}), { allowed: true, reason: 'public' });
    assert.deepEqual(decideAccess(ruleFor('GET /users'), ADMIN, {}), { allowed: true, reason: 'role_granted' });
  });

  it("refuses an API key of such an owner the same way, and still needs the key's scope on the routes it leaves open", () => {
    const key: Principal = { ...PENDING_ADMIN, authType: 'api_key', scopes: ['users:read', 'profile:read'] };
    assert.deepEqual(decideAccess(ruleFor('GET /users'), key, {}), { allowed: false, reason: 'mfa_required' });
    assert.deepEqual(decideAccess(ruleFor('GET /users/me'), key, {}), { allowed: true, reason: 'scope_granted' });
    assert.deepEqual(decideAccess(ruleFor('POST /auth/mfa/setup'), key, {}), { allowed: false, reason: 'user_token_required' });
  });

  it('refuses a browser session of such a user the same way, and leaves it its own state, sign-out and /users/me', () => {
    const session: Principal = { ...PENDING_ADMIN, authType: 'session' };
    assert.deepEqual(decideAccess(ruleFor('GET /users'), session, {}), { allowed: false, reason: 'mfa_required' });
    assert.deepEqual(decideAccess(ruleFor('GET /users/me'), session, {}), { allowed: true, reason: 'signed_in' });
    assert.deepEqual(decideAccess(ruleFor('GET /auth/session'), session, {}), { allowed: true, reason: 'signed_in' });
    assert.deepEqual(decideAccess(ruleFor('DELETE /auth/session'), session, {}), { allowed: true, reason: 'signed_in' });
    // Setting MFA up acts with an access token (Cognito's calls take it): a token login's route.
    assert.deepEqual(decideAccess(ruleFor('POST /auth/mfa/setup'), session, {}), { allowed: false, reason: 'user_token_required' });
  });
});

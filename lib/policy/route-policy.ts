/**
 * The route policy: every route of the gateway and who may call it, as data. The authorizer
 * decides from this table, every service re-checks its requests against it (defence in depth),
 * `serverless.yml` generates its `httpApi` events and the resource server's scopes from it
 * (serverless.routes.cjs), and the template test compares the packaged template with it. A route
 * that is not in this table does not exist, and the authorizer denies it.
 *
 * The other half of each route, what it takes and answers (summary, parameters, body, query and
 * response schemas), is in `lib/routes/table.ts`, keyed by the same route keys and checked
 * complete by the type checker. It is a separate module because the authorizer reads this one:
 * its bundle must stay small and carry no zod.
 */
export const ROLES = ['admin', 'branch-manager', 'customer'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/**
 * What a delegated caller may do: an API key holds the scopes its owner chose, a machine client
 * the scopes its app client was granted. On the wire (Cognito's `scope` claim) they carry the
 * resource server's prefix: `<resource server id>/inventory:read`.
 */
export const SCOPES = ['profile:read', 'catalog:write', 'inventory:read', 'inventory:write', 'users:read'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (value: unknown): value is Scope => typeof value === 'string' && (SCOPES as readonly string[]).includes(value);

/**
 * How a caller authenticated: a user's own access token, a personal API key (acting for its
 * owner), a machine client's client-credentials token, or a browser session (the
 * `__Host-session` cookie, resolved at the gateway: the user themselves, signed in).
 */
export const AUTH_TYPES = ['user', 'api_key', 'client', 'session'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

/** The Lambda function (key under `functions:` in serverless.yml) that serves a route. */
export type ServiceName = 'health' | 'auth' | 'catalog' | 'users' | 'inventory' | 'keys' | 'docs';

export type Access =
  /** Anyone, no credentials: the route has no authorizer. */
  | { kind: 'public' }
  /** Any caller with a valid token. */
  | { kind: 'signed-in' }
  /** Callers holding at least one of the roles. */
  | { kind: 'roles'; roles: readonly Role[] }
  /**
   * Callers holding one of `roles`, or branch managers whose managed branches include the
   * branch named by the path parameter `param`.
   */
  | { kind: 'branch'; roles: readonly Role[]; param: string };

export interface RouteRule {
  service: ServiceName;
  access: Access;
  /**
   * The scope that lets API keys and machine clients call the route. A protected route without
   * one is for users' own tokens only (managing keys, logging out, changing users).
   */
  scope?: Scope;
  /**
   * Open to a caller whose role requires MFA (`MFA_REQUIRED_ROLES`) before they have turned it
   * on: what sets it up (`/auth/mfa/*`), who they are (`/users/me`) and logging out. Every other
   * protected route refuses them with `mfa_required`.
   */
  mfaSetup?: true;
  /**
   * A route for one way of signing in only: `token`, a user's own access token (it acts on that
   * token: logging it out, changing the password with it, minting API keys, which are bearer
   * secrets a cookie session must not hand to a browser); `session`, a browser session (its own
   * state and sign-out).
   */
  only?: 'token' | 'session';
}

const PUBLIC: Access = { kind: 'public' };
const SIGNED_IN: Access = { kind: 'signed-in' };
const ADMIN: Access = { kind: 'roles', roles: ['admin'] };
const BRANCH_STAFF: Access = { kind: 'branch', roles: ['admin'], param: 'branchId' };
const BRANCH_LISTERS: Access = { kind: 'roles', roles: ['admin', 'branch-manager'] };

/** Keys are API Gateway route keys: `METHOD /path/{param}`, exactly as in serverless.yml. */
export const ROUTE_POLICY = {
  'GET /health': { service: 'health', access: PUBLIC },
  'POST /auth/login': { service: 'auth', access: PUBLIC },
  'POST /auth/refresh': { service: 'auth', access: PUBLIC },
  'POST /auth/logout': { service: 'auth', access: SIGNED_IN, only: 'token', mfaSetup: true },
  'POST /auth/new-password': { service: 'auth', access: PUBLIC },
  // The caller's own password: a user's own token only (no scope: no API key, no machine client).
  'POST /auth/password': { service: 'auth', access: SIGNED_IN, only: 'token' },
  'POST /auth/password/forgot': { service: 'auth', access: PUBLIC },
  'POST /auth/password/reset': { service: 'auth', access: PUBLIC },
  'POST /auth/signup': { service: 'auth', access: PUBLIC },
  'POST /auth/signup/confirm': { service: 'auth', access: PUBLIC },
  // Two-factor sign-in: the login's second step is public (the challenge session is the
  // credential); setting MFA up, and off, is the caller's own token only (no scope: no key, no
  // client; Cognito's calls take that very token, so not a browser session either).
  'POST /auth/mfa': { service: 'auth', access: PUBLIC },
  'POST /auth/mfa/setup': { service: 'auth', access: SIGNED_IN, only: 'token', mfaSetup: true },
  'POST /auth/mfa/verify': { service: 'auth', access: SIGNED_IN, only: 'token', mfaSetup: true },
  'DELETE /auth/mfa': { service: 'auth', access: SIGNED_IN, only: 'token', mfaSetup: true },
  // Browser sessions (lib/sessions/web-session.ts): sign in for a cookie, its state, sign out.
  'POST /auth/session': { service: 'auth', access: PUBLIC },
  'POST /auth/session/challenge': { service: 'auth', access: PUBLIC },
  'GET /auth/session': { service: 'auth', access: SIGNED_IN, only: 'session', mfaSetup: true },
  'DELETE /auth/session': { service: 'auth', access: SIGNED_IN, only: 'session', mfaSetup: true },
  'GET /products': { service: 'catalog', access: PUBLIC },
  'GET /products/{productId}': { service: 'catalog', access: PUBLIC },
  'POST /products': { service: 'catalog', access: ADMIN, scope: 'catalog:write' },
  'GET /users/me': { service: 'users', access: SIGNED_IN, scope: 'profile:read', mfaSetup: true },
  'GET /users': { service: 'users', access: ADMIN, scope: 'users:read' },
  'POST /users/{username}/disable': { service: 'users', access: ADMIN },
  'POST /users/{username}/enable': { service: 'users', access: ADMIN },
  'PUT /users/{username}/roles': { service: 'users', access: ADMIN },
  'POST /users': { service: 'users', access: ADMIN },
  'GET /users/{username}': { service: 'users', access: ADMIN, scope: 'users:read' },
  'PUT /users/{username}/branches': { service: 'users', access: ADMIN },
  'DELETE /users/{username}': { service: 'users', access: ADMIN },
  'POST /users/{username}/mfa/reset': { service: 'users', access: ADMIN },
  'POST /branches': { service: 'inventory', access: ADMIN },
  // Admins see every branch, a manager the branches they manage (the service filters).
  'GET /branches': { service: 'inventory', access: BRANCH_LISTERS, scope: 'inventory:read' },
  'GET /branches/{branchId}': { service: 'inventory', access: BRANCH_STAFF, scope: 'inventory:read' },
  'GET /branches/{branchId}/products': { service: 'inventory', access: BRANCH_STAFF, scope: 'inventory:read' },
  'PUT /branches/{branchId}/products/{productId}': { service: 'inventory', access: BRANCH_STAFF, scope: 'inventory:write' },
  'POST /branches/{branchId}/products/{productId}/adjustments': { service: 'inventory', access: BRANCH_STAFF, scope: 'inventory:write' },
  'POST /api-keys': { service: 'keys', access: SIGNED_IN, only: 'token' },
  'GET /api-keys': { service: 'keys', access: SIGNED_IN, only: 'token' },
  'DELETE /api-keys/{keyId}': { service: 'keys', access: SIGNED_IN, only: 'token' },
  'GET /openapi.json': { service: 'docs', access: PUBLIC },
  'GET /docs': { service: 'docs', access: PUBLIC },
  'GET /docs/{asset}': { service: 'docs', access: PUBLIC },
  // The browser sign-in page (functions/docs/login.ts).
  'GET /login': { service: 'docs', access: PUBLIC },
} as const satisfies Record<string, RouteRule>;

export type RouteKey = keyof typeof ROUTE_POLICY;

export const isRouteKey = (routeKey: unknown): routeKey is RouteKey =>
  typeof routeKey === 'string' && Object.prototype.hasOwnProperty.call(ROUTE_POLICY, routeKey);

export const ruleFor = (routeKey: unknown): RouteRule | undefined =>
  isRouteKey(routeKey) ? ROUTE_POLICY[routeKey] : undefined;

/**
 * Who is calling, as far as authorization is concerned. For an API key: its owner's current
 * roles and branches, and the key's scopes. For a machine client: the roles and branches its
 * configuration gives it (none by default) and its token's scopes.
 */
export interface Principal {
  authType: AuthType;
  roles: readonly Role[];
  branches: readonly string[];
  scopes: readonly Scope[];
  /**
   * The user (an API key's owner) holds a role that requires MFA and has not turned it on: only
   * the routes marked `mfaSetup` are open. The authorizer sets it from the user's record and
   * `MFA_REQUIRED_ROLES`; it reaches the services in the role context.
   */
  mfaRequired?: boolean;
}

export type AccessDecision =
  | { allowed: true; reason: 'public' | 'signed_in' | 'role_granted' | 'branch_managed' | 'scope_granted' }
  | {
      allowed: false;
      reason:
        | 'role_missing'
        | 'branch_not_managed'
        | 'branch_missing'
        | 'no_policy'
        | 'user_token_required'
        | 'scope_missing'
        | 'mfa_required'
        | 'session_required';
    };

/**
 * Decide whether `principal` may call a route with these path parameters. Pure and
 * synchronous: the authorizer and the services call the same function.
 *
 * - Users: the route's roles and branches.
 * - API keys: the route's scope, and then everything the owner would need: a key is its
 *   owner's rights intersected with its scopes, never more.
 * - Machine clients: the route's scope is their grant; a branch route also needs the branch
 *   (or a role covering every branch) in the client's configuration.
 * - Browser sessions: the signed-in user they are (roles and branches, no scopes), except on
 *   routes for a token only; routes for a session only refuse everyone else.
 * - Whoever acts for a user who must turn MFA on first (`mfaRequired`): only the routes that
 *   set it up, whatever else their roles would open.
 */
export const decideAccess = (
  rule: RouteRule | undefined,
  principal: Principal,
  pathParameters: Readonly<Record<string, string | undefined>> | null | undefined,
): AccessDecision => {
  if (!rule) return { allowed: false, reason: 'no_policy' };
  const access = rule.access;
  if (access.kind === 'public') return { allowed: true, reason: 'public' };
  if (rule.only === 'session' && principal.authType !== 'session') return { allowed: false, reason: 'session_required' };
  if (rule.only === 'token' && principal.authType === 'session') return { allowed: false, reason: 'user_token_required' };
  // A browser session is the user, signed in: not a delegate holding scopes.
  const delegated = principal.authType !== 'user' && principal.authType !== 'session';
  if (principal.mfaRequired === true && rule.mfaSetup !== true) return { allowed: false, reason: 'mfa_required' };
  if (delegated) {
    if (!rule.scope) return { allowed: false, reason: 'user_token_required' };
    if (!principal.scopes.includes(rule.scope)) return { allowed: false, reason: 'scope_missing' };
  }
  const hasRole = (roles: readonly Role[]) => roles.some((role) => principal.roles.includes(role));
  switch (access.kind) {
    case 'signed-in':
      return delegated ? { allowed: true, reason: 'scope_granted' } : { allowed: true, reason: 'signed_in' };
    case 'roles':
      if (hasRole(access.roles)) return { allowed: true, reason: 'role_granted' };
      return principal.authType === 'client' ? { allowed: true, reason: 'scope_granted' } : { allowed: false, reason: 'role_missing' };
    case 'branch': {
      if (hasRole(access.roles)) return { allowed: true, reason: 'role_granted' };
      // A user's (or key owner's) branches count while they hold the branch-manager role; a
      // machine client's configured branches are its branches.
      if (principal.authType !== 'client' && !principal.roles.includes('branch-manager')) return { allowed: false, reason: 'role_missing' };
      const branchId = pathParameters?.[access.param];
      if (typeof branchId !== 'string' || branchId === '') return { allowed: false, reason: 'branch_missing' };
      // Exact string comparison: "01", "1 " or "%31" are other branches, never branch "1".
      return principal.branches.includes(branchId)
        ? { allowed: true, reason: 'branch_managed' }
        : { allowed: false, reason: 'branch_not_managed' };
    }
  }
};

/**
 * The scopes a user with these roles could use at all: a key may only be given those (it could
 * never use the others, since a key never exceeds its owner). Branch scopes need a role that
 * reaches some branch.
 */
export const grantableScopes = (roles: readonly Role[]): Scope[] => {
  const grantable = new Set<Scope>();
  for (const rule of Object.values(ROUTE_POLICY) as RouteRule[]) {
    if (!rule.scope) continue;
    const access = rule.access;
    const reachable =
      access.kind === 'signed-in' ||
      (access.kind === 'roles' && access.roles.some((role) => roles.includes(role))) ||
      (access.kind === 'branch' && (access.roles.some((role) => roles.includes(role)) || roles.includes('branch-manager')));
    if (reachable) grantable.add(rule.scope);
  }
  return SCOPES.filter((scope) => grantable.has(scope));
};

/**
 * The route policy: every route of the gateway and who may call it, as data. The authorizer
 * decides from this table, every service re-checks its requests against it (defence in depth),
 * and the tests compare it with `serverless.yml` in both directions. A route that is not in
 * this table is denied.
 */
export const ROLES = ['admin', 'branch-manager', 'customer'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** The Lambda function (key under `functions:` in serverless.yml) that serves a route. */
export type ServiceName = 'health' | 'auth' | 'catalog' | 'users' | 'inventory';

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
}

const PUBLIC: Access = { kind: 'public' };
const SIGNED_IN: Access = { kind: 'signed-in' };
const ADMIN: Access = { kind: 'roles', roles: ['admin'] };
const BRANCH_STAFF: Access = { kind: 'branch', roles: ['admin'], param: 'branchId' };

/** Keys are API Gateway route keys: `METHOD /path/{param}`, exactly as in serverless.yml. */
export const ROUTE_POLICY = {
  'GET /health': { service: 'health', access: PUBLIC },
  'POST /auth/login': { service: 'auth', access: PUBLIC },
  'POST /auth/refresh': { service: 'auth', access: PUBLIC },
  'POST /auth/logout': { service: 'auth', access: SIGNED_IN },
  'GET /products': { service: 'catalog', access: PUBLIC },
  'GET /products/{productId}': { service: 'catalog', access: PUBLIC },
  'POST /products': { service: 'catalog', access: ADMIN },
  'GET /users/me': { service: 'users', access: SIGNED_IN },
  'GET /users': { service: 'users', access: ADMIN },
  'POST /users/{username}/disable': { service: 'users', access: ADMIN },
  'POST /users/{username}/enable': { service: 'users', access: ADMIN },
  'PUT /users/{username}/roles': { service: 'users', access: ADMIN },
  'GET /branches/{branchId}/products': { service: 'inventory', access: BRANCH_STAFF },
  'PUT /branches/{branchId}/products/{productId}': { service: 'inventory', access: BRANCH_STAFF },
  'POST /branches/{branchId}/products/{productId}/adjustments': { service: 'inventory', access: BRANCH_STAFF },
} as const satisfies Record<string, RouteRule>;

export type RouteKey = keyof typeof ROUTE_POLICY;

export const isRouteKey = (routeKey: unknown): routeKey is RouteKey =>
  typeof routeKey === 'string' && Object.prototype.hasOwnProperty.call(ROUTE_POLICY, routeKey);

export const ruleFor = (routeKey: unknown): RouteRule | undefined =>
  isRouteKey(routeKey) ? ROUTE_POLICY[routeKey] : undefined;

/** Who is calling, as far as authorization is concerned. */
export interface Principal {
  roles: readonly Role[];
  branches: readonly string[];
}

export type AccessDecision =
  | { allowed: true; reason: 'public' | 'signed_in' | 'role_granted' | 'branch_managed' }
  | { allowed: false; reason: 'role_missing' | 'branch_not_managed' | 'branch_missing' | 'no_policy' };

/**
 * Decide whether `principal` may call a route with these path parameters. Pure and
 * synchronous: the authorizer and the services call the same function.
 */
export const decideAccess = (
  rule: RouteRule | undefined,
  principal: Principal,
  pathParameters: Readonly<Record<string, string | undefined>> | null | undefined,
): AccessDecision => {
  if (!rule) return { allowed: false, reason: 'no_policy' };
  const access = rule.access;
  switch (access.kind) {
    case 'public':
      return { allowed: true, reason: 'public' };
    case 'signed-in':
      return { allowed: true, reason: 'signed_in' };
    case 'roles':
      return access.roles.some((role) => principal.roles.includes(role))
        ? { allowed: true, reason: 'role_granted' }
        : { allowed: false, reason: 'role_missing' };
    case 'branch': {
      if (access.roles.some((role) => principal.roles.includes(role))) return { allowed: true, reason: 'role_granted' };
      if (!principal.roles.includes('branch-manager')) return { allowed: false, reason: 'role_missing' };
      const branchId = pathParameters?.[access.param];
      if (typeof branchId !== 'string' || branchId === '') return { allowed: false, reason: 'branch_missing' };
      // Exact string comparison: "01", "1 " or "%31" are other branches, never branch "1".
      return principal.branches.includes(branchId)
        ? { allowed: true, reason: 'branch_managed' }
        : { allowed: false, reason: 'branch_not_managed' };
    }
  }
};

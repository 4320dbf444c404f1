/**
 * A mixed load through the local gateway: every route of the policy, called by every kind of
 * caller (no token, garbage, a tampered token, customer, manager, admin, each user's API key
 * with every scope they may grant, revoked keys, machine clients), for a fixed time.
 * The expected answer of each request comes from the route policy itself (`decideAccess`), so
 * a wrong decision is any protected request whose answer disagrees with the policy: an allowed
 * caller refused (401/403), or a refused caller served. Any 5xx is counted on its own.
 *
 * Logout is left out (it would end the sessions the load uses). User administration is
 * called on a user that does not exist, so an admin gets 404 and nothing changes.
 */
import { decideAccess, ROUTE_POLICY, type Principal } from '../lib/policy/route-policy';

export interface Caller {
  name: string;
  token?: string;
  /** Sent as is instead of a bearer token. */
  authorization?: string;
  /** Undefined for callers without valid credentials. */
  principal?: Principal;
}

export interface MixedResult {
  durationS: number;
  requests: number;
  wrongDecisions: number;
  serverErrors: number;
  transportErrors: number;
  byStatus: Record<string, number>;
  examples: string[];
}

const BODIES: Record<string, () => unknown> = {
  'POST /auth/refresh': () => ({ refreshToken: 'not-a-refresh-token' }),
  'POST /products': () => ({ name: 'Load test item', priceCents: 100 }),
  'PUT /branches/{branchId}/products/{productId}': () => ({ quantity: Math.floor(Math.random() * 50) }),
  'POST /branches/{branchId}/products/{productId}/adjustments': () => ({ delta: 1, reason: 'load' }),
  'PUT /users/{username}/roles': () => ({ roles: ['customer'] }),
  'POST /api-keys': () => ({ name: 'load test', scopes: ['profile:read'], expiresInDays: 1 }),
};

const SKIPPED = new Set(['POST /auth/logout', 'POST /auth/login']);

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

export const mixedLoad = async (options: {
  gatewayUrl: string;
  callers: Caller[];
  durationS: number;
  concurrency: number;
  log: (message: string) => void;
}): Promise<MixedResult> => {
  const routes = Object.entries(ROUTE_POLICY).filter(([route]) => !SKIPPED.has(route));
  const result: MixedResult = {
    durationS: options.durationS,
    requests: 0,
    wrongDecisions: 0,
    serverErrors: 0,
    transportErrors: 0,
    byStatus: {},
    examples: [],
  };
  const deadline = Date.now() + options.durationS * 1000;

  const one = async () => {
    const [route, rule] = pick(routes);
    const caller = pick(options.callers);
    const params = { branchId: pick(['1', '2']), productId: 'espresso-beans', username: 'nobody@example.com', keyId: '0123456789abcdef0123', asset: pick(['swagger-ui.css', 'explorer.js']) };
    const [method, template] = route.split(' ') as [string, string];
    const path = template.replace(/\{(\w+)\}/g, (_, name: keyof typeof params) => params[name]);
    const body = BODIES[route]?.();
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const authorization = caller.authorization ?? (caller.token ? `Bearer ${caller.token}` : undefined);
    if (authorization) headers.authorization = authorization;

    let status: number;
    try {
      const response = await fetch(`${options.gatewayUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      result.transportErrors += 1;
      return;
    }
    result.requests += 1;
    result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
    if (status >= 500) result.serverErrors += 1;
    if (rule.access.kind === 'public') return;

    let wrong: boolean;
    if (!caller.principal) {
      wrong = status !== 401;
    } else {
      const decision = decideAccess(rule, caller.principal, params);
      wrong = decision.allowed ? status === 401 || status === 403 : status !== 403;
    }
    if (wrong) {
      result.wrongDecisions += 1;
      if (result.examples.length < 10) result.examples.push(`${caller.name} ${method} ${path} -> ${status}`);
    }
  };

  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  options.log(`${result.requests} requests, ${result.wrongDecisions} wrong decisions, ${result.serverErrors} 5xx`);
  return result;
};

/**
 * What serverless.yml takes from the route table (through serverless.routes.cjs): each
 * function's `httpApi` events, and the resource server's scopes. Nothing here is written twice:
 * a route added to the table appears in the template at the next package or `npm start`.
 */
import { ROUTE_POLICY, SCOPES, type RouteRule, type ServiceName } from '../policy/route-policy';
import { SCOPE_DESCRIPTIONS } from './table';
import { webSessionConfig } from '../config';
import { CSRF_HEADER } from '../sessions/web-session';

/** The HTTP API authorizer (provider.httpApi.authorizers) every protected route passes. */
export const AUTHORIZER_NAME = 'gatewayAuthorizer';

export interface HttpApiEvent {
  httpApi: { method: string; path: string; authorizer?: { name: string } };
}

/** The `events` of one function: its routes, each protected one behind the authorizer. */
export const httpApiEvents = (service: ServiceName): HttpApiEvent[] =>
  (Object.entries(ROUTE_POLICY) as [string, RouteRule][])
    .filter(([, rule]) => rule.service === service)
    .map(([routeKey, rule]) => {
      const [method, path] = routeKey.split(' ') as [string, string];
      return { httpApi: { method, path, ...(rule.access.kind === 'public' ? {} : { authorizer: { name: AUTHORIZER_NAME } }) } };
    });

/** Every function's events, by function (= service) name. */
export const httpApiEventsByService = (): Record<ServiceName, HttpApiEvent[]> => {
  const services = [...new Set((Object.values(ROUTE_POLICY) as RouteRule[]).map((rule) => rule.service))];
  return Object.fromEntries(services.map((service) => [service, httpApiEvents(service)])) as Record<ServiceName, HttpApiEvent[]>;
};

/** The resource server's `Scopes`: every scope of the policy, described. */
export const resourceServerScopes = (): { ScopeName: string; ScopeDescription: string }[] =>
  SCOPES.map((scope) => ({ ScopeName: scope, ScopeDescription: SCOPE_DESCRIPTIONS[scope] }));

/** The HTTP API's `cors` block: off unless origins are configured (serverless.yml `corsAllowedOrigins`). */
export type HttpApiCors =
  | false
  | { allowedOrigins: string[]; allowedHeaders: string[]; allowedMethods: string[]; allowCredentials: true; maxAge: number };

/**
 * CORS for the configured origins only, checked as the functions check `CORS_ALLOWED_ORIGINS`
 * (lib/config.ts: exact origins, https outside stage `local`). None configured: no CORS at all,
 * so no other origin's page can read an answer or send a preflighted request. Credentials
 * (cookies) are allowed, which is why `*` is never an origin here.
 */
export const httpApiCors = (origins: string, stage: string): HttpApiCors => {
  const { allowedOrigins } = webSessionConfig({ CORS_ALLOWED_ORIGINS: origins, GATEWAY_LOCAL_STACK: stage === 'local' ? 'true' : 'false' });
  if (allowedOrigins.length === 0) return false;
  return {
    allowedOrigins,
    allowedHeaders: ['Content-Type', 'Authorization', CSRF_HEADER],
    allowedMethods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowCredentials: true,
    maxAge: 600,
  };
};

/**
 * How every service handler is built: a table of routes, each a thin function that gets a
 * parsed, validated request and returns a plain result. This module does the rest, once:
 *
 *   route lookup → role context re-check (defence in depth) → body and query validation
 *   → the route's function → JSON response
 *
 * and maps every thrown error to an HTTP answer (`{"error", "message"}`), keeping details in
 * the logs. Anything unexpected is a 500 with no internals. It is a middy handler: Powertools'
 * Lambda context, the official `@middy/http-security-headers` (HSTS, nosniff, frame and
 * referrer policy, and CSP on HTML), and `gatewayErrors` below. The JSON body is parsed here, not
 * with `@middy/http-json-body-parser`: that one answers 415 without a JSON content type and 422
 * for bad JSON, where the contract says 400 with the reason, and it has no size bound.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import httpSecurityHeaders from '@middy/http-security-headers';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ZodMiniType } from 'zod/mini';
import { BadRequestError, ForbiddenError, GatewayError, NotFoundError, ServiceUnavailableError, UnauthorizedError, awsErrorName, isTransientError } from '../errors';
import { decideAccess, ruleFor, type RouteKey, type ServiceName } from '../policy/route-policy';
import { carriesOfflineOverride, readRoleContext, type RoleContext } from '../policy/role-context';
import { validate } from './validation';

/** Bodies larger than this are refused before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface Reply {
  statusCode?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** `Set-Cookie` values (HTTP API payload 2.0 `cookies`: one header each). */
  cookies?: string[];
}

interface Request<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  event: APIGatewayProxyEventV2;
}

export interface PublicRoute<B = undefined, Q = undefined> {
  public: true;
  body?: ZodMiniType<B>;
  query?: ZodMiniType<Q>;
  handle(request: Request<B, Q>): Promise<Reply>;
}

export interface ProtectedRoute<B = undefined, Q = undefined> {
  public?: false;
  body?: ZodMiniType<B>;
  query?: ZodMiniType<Q>;
  handle(request: Request<B, Q> & { caller: RoleContext }): Promise<Reply>;
}

/** Any route of the table: `handle` is a method, so a route typed for its own body and query fits. */
type AnyRoute = PublicRoute<unknown, unknown> | ProtectedRoute<unknown, unknown>;

export const publicRoute = <B = undefined, Q = undefined>(route: Omit<PublicRoute<B, Q>, 'public'>): PublicRoute<B, Q> => ({
  ...route,
  public: true,
});

export const protectedRoute = <B = undefined, Q = undefined>(route: Omit<ProtectedRoute<B, Q>, 'public'>): ProtectedRoute<B, Q> => ({
  ...route,
  public: false,
});

const parseJsonBody = (event: APIGatewayProxyEventV2): unknown => {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new BadRequestError('body_too_large', `The request body must not exceed ${MAX_BODY_BYTES} bytes`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError('invalid_json', 'The request body is not valid JSON');
  }
};

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

/** A dependency (DynamoDB, Cognito) being down or overloaded: the client may retry later. */
export const isDependencyUnavailable = isTransientError;

/** Map any error to an HTTP answer. Public bodies never carry causes, stacks or tokens. */
export const toErrorResponse = (error: unknown, logger: Logger): APIGatewayProxyStructuredResultV2 => {
  if (error instanceof GatewayError) {
    logger.info('request refused', {
      status: error.statusCode,
      error: error.code,
      causeName: (error.cause as Error | undefined)?.name,
    });
    const headers: Record<string, string> = error.statusCode === 401 ? { 'www-authenticate': 'Bearer' } : {};
    return json(error.statusCode, error.toJSON(), headers);
  }
  if (isDependencyUnavailable(error)) {
    logger.error('dependency unavailable', { errorName: awsErrorName(error) });
    return json(503, new ServiceUnavailableError().toJSON(), { 'retry-after': '1' });
  }
  logger.error('unhandled error', error as Error);
  return json(500, { error: 'internal_error', message: 'Internal server error' });
};

/**
 * The one place errors become HTTP answers, as a middy middleware. The official
 * `@middy/http-error-handler` does not fit the contract: it answers with the message as a text
 * body (not `{"error", "message"}`) and has no 503 for a dependency that is down. Its `onError`
 * runs before the security headers' (middy runs `onError` in reverse order of `use`), so error
 * answers carry them too.
 */
export const gatewayErrors = (logger: Logger): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context> => ({
  onError: (request) => {
    request.response = toErrorResponse(request.error, logger);
  },
});

export const createHttpService = (
  service: ServiceName,
  logger: Logger,
  routes: Partial<Record<RouteKey, AnyRoute>>,
) => {
  const dispatch = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const rule = ruleFor(event.routeKey);
    const route = routes[event.routeKey as RouteKey];
    if (!rule || !route || rule.service !== service || (rule.access.kind === 'public') !== (route.public === true)) {
      // Not this service's route, or the table and the code disagree: refuse, never guess.
      throw new NotFoundError('route_not_found', 'No such route');
    }
    if (carriesOfflineOverride(event.headers)) {
      throw new UnauthorizedError('forbidden_header', 'Missing or invalid credentials');
    }
    const params = Object.fromEntries(
      Object.entries(event.pathParameters ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    let caller: RoleContext | undefined;
    if (route.public !== true) {
      caller = readRoleContext(event);
      const decision = decideAccess(rule, caller, params);
      if (!decision.allowed) {
        throw new ForbiddenError(
          decision.reason,
          decision.reason === 'mfa_required' ? 'Turn on two-factor sign-in first (POST /auth/mfa/setup)' : 'You are not allowed to do this',
        );
      }
    }
    let body: unknown;
    if (route.body) {
      const raw = parseJsonBody(event);
      if (raw === undefined && !route.body.safeParse(undefined).success) {
        throw new BadRequestError('invalid_body', 'A JSON request body is required');
      }
      body = validate(route.body, raw, 'invalid_body', 'request body');
    }
    const query = route.query ? validate(route.query, event.queryStringParameters ?? {}, 'invalid_query', 'query string') : undefined;
    const request = { body, query, params, event };
    const reply = route.public === true ? await route.handle(request) : await route.handle({ ...request, caller: caller! });
    const statusCode = reply.statusCode ?? 200;
    const response = json(statusCode, statusCode === 204 ? undefined : reply.body, reply.headers);
    return reply.cookies ? { ...response, cookies: reply.cookies } : response;
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>(dispatch)
    .use(injectLambdaContext(logger))
    .use(httpSecurityHeaders())
    .use(gatewayErrors(logger));
};

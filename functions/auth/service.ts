/**
 * Auth service: login, refresh, logout, the new-password challenge, password change and reset,
 * and customer sign-up. The routes validate their input and call the flows (flows.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import { ForbiddenError, UnauthorizedError } from '../../lib/errors';
import { createHttpService, protectedRoute, publicRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { headerValues, requireSessionContext, requireUserContext, type UserRoleContext } from '../../lib/policy/role-context';
import type { WebSessionConfig } from '../../lib/config';
import type { SecretVault } from '../../lib/secrets/vault';
import { createAuthFlows, type AuthDeps } from './flows';
import { createMfaFlows } from './mfa-flows';
import { createWebSessionFlows } from './web-sessions';
import { ROUTE_TABLE } from '../../lib/routes/table';

export type { AuthDeps } from './flows';

/**
 * The access token the caller's request carries, which Cognito's ChangePassword needs. The
 * authorizer verified the request's bearer token and built the role context from it; the token
 * is taken from the same header only if it is that very token (its `jti` and `sub` are the
 * context's), so a request can never act with a token other than the one that was verified.
 */
const callersOwnToken = (event: APIGatewayProxyEventV2, caller: UserRoleContext): string => {
  const refuse = () => new UnauthorizedError('invalid_token', 'Missing or invalid credentials');
  const headers = headerValues(event.headers, 'authorization');
  const match = headers.length === 1 ? /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(headers[0]!) : null;
  if (!match) throw refuse();
  const token = match[1]!;
  let payload: Record<string, unknown>;
  try {
    payload = decomposeUnverifiedJwt(token).payload;
  } catch {
    throw refuse();
  }
  if (payload.jti !== caller.tokenId || payload.sub !== caller.sub) throw refuse();
  return token;
};

/**
 * A browser sign-in must come from the gateway's own pages or an allowed origin: a page of
 * another site must not sign the browser in as someone else (a login CSRF). Browsers send
 * `Origin` with every POST (and `Sec-Fetch-Site`); a client that sends neither is not a browser
 * page and has no cookie to ride on. Same origin: `Origin`'s host is the request's `Host`.
 */
export const signInOriginAllowed = (event: APIGatewayProxyEventV2, allowedOrigins: readonly string[]): boolean => {
  const origins = headerValues(event.headers, 'origin');
  const site = headerValues(event.headers, 'sec-fetch-site');
  if (origins.length === 0) return site.length === 0 || site.every((value) => value === 'same-origin' || value === 'none');
  const [origin] = origins;
  if (origins.length > 1 || origin === undefined) return false;
  if (allowedOrigins.includes(origin)) return true;
  const hosts = headerValues(event.headers, 'host');
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  return hosts.length === 1 && hosts[0] === originHost;
};

const requireAllowedOrigin = (event: APIGatewayProxyEventV2, allowedOrigins: readonly string[]) => {
  if (!signInOriginAllowed(event, allowedOrigins)) {
    throw new ForbiddenError('origin_not_allowed', 'Sign-in from this origin is not allowed');
  }
};

/** What browser sessions need beyond the token flows: where their tokens are sealed, and their settings. */
export interface WebSessionParts {
  vault: SecretVault;
  config: WebSessionConfig;
}

export const createAuthService = (deps: Omit<AuthDeps, 'logger'> & { webSessions: WebSessionParts }, logger: Logger = createLogger('auth')) => {
  const flows = createAuthFlows({ ...deps, logger });
  const mfa = createMfaFlows({ ...deps, issuer: deps.config.mfaIssuer ?? 'API Gateway', logger });
  const sessions = createWebSessionFlows({
    identity: deps.identity,
    accessStore: deps.accessStore,
    vault: deps.webSessions.vault,
    config: deps.webSessions.config,
    logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
    login: flows,
  });
  const allowedOrigins = deps.webSessions.config.allowedOrigins;
  return createHttpService('auth', logger, {
    'POST /auth/session': publicRoute({
      body: ROUTE_TABLE['POST /auth/session'].body,
      handle: async ({ body, event }) => {
        requireAllowedOrigin(event, allowedOrigins);
        const result = await sessions.signIn(body);
        return 'cookies' in result ? { statusCode: 204, cookies: result.cookies } : { body: result };
      },
    }),
    'POST /auth/session/challenge': publicRoute({
      body: ROUTE_TABLE['POST /auth/session/challenge'].body,
      handle: async ({ body, event }) => {
        requireAllowedOrigin(event, allowedOrigins);
        return { statusCode: 204, cookies: (await sessions.answerChallenge(body)).cookies };
      },
    }),
    'GET /auth/session': protectedRoute({
      handle: async ({ caller }) => ({ body: await sessions.state(requireSessionContext(caller)) }),
    }),
    'DELETE /auth/session': protectedRoute({
      handle: async ({ caller }) => ({ statusCode: 204, cookies: (await sessions.signOut(requireSessionContext(caller))).cookies }),
    }),
    'POST /auth/login': publicRoute({
      body: ROUTE_TABLE['POST /auth/login'].body,
      handle: async ({ body }) => ({ body: await flows.login(body) }),
    }),
    'POST /auth/refresh': publicRoute({
      body: ROUTE_TABLE['POST /auth/refresh'].body,
      handle: async ({ body }) => ({ body: await flows.refresh(body) }),
    }),
    'POST /auth/logout': protectedRoute({
      body: ROUTE_TABLE['POST /auth/logout'].body,
      handle: async ({ body, caller }) => {
        await flows.logout(requireUserContext(caller), body ?? {});
        return { statusCode: 204 };
      },
    }),
    'POST /auth/new-password': publicRoute({
      body: ROUTE_TABLE['POST /auth/new-password'].body,
      handle: async ({ body }) => ({ body: await flows.newPassword(body) }),
    }),
    'POST /auth/password': protectedRoute({
      body: ROUTE_TABLE['POST /auth/password'].body,
      handle: async ({ body, caller, event }) => {
        const user = requireUserContext(caller);
        await flows.changePassword(user, callersOwnToken(event, user), body);
        return { statusCode: 204 };
      },
    }),
    'POST /auth/password/forgot': publicRoute({
      body: ROUTE_TABLE['POST /auth/password/forgot'].body,
      handle: async ({ body }) => {
        await flows.forgotPassword(body);
        return { statusCode: 202 };
      },
    }),
    'POST /auth/password/reset': publicRoute({
      body: ROUTE_TABLE['POST /auth/password/reset'].body,
      handle: async ({ body }) => {
        await flows.resetPassword(body);
        return { statusCode: 204 };
      },
    }),
    'POST /auth/signup': publicRoute({
      body: ROUTE_TABLE['POST /auth/signup'].body,
      handle: async ({ body }) => {
        await flows.signUp(body);
        return { statusCode: 202 };
      },
    }),
    'POST /auth/mfa': publicRoute({
      body: ROUTE_TABLE['POST /auth/mfa'].body,
      handle: async ({ body }) => ({ body: await flows.mfaLogin(body) }),
    }),
    'POST /auth/mfa/setup': protectedRoute({
      handle: async ({ caller, event }) => {
        const user = requireUserContext(caller);
        return { body: await mfa.setup(user, callersOwnToken(event, user)) };
      },
    }),
    'POST /auth/mfa/verify': protectedRoute({
      body: ROUTE_TABLE['POST /auth/mfa/verify'].body,
      handle: async ({ body, caller, event }) => {
        const user = requireUserContext(caller);
        await mfa.verify(user, callersOwnToken(event, user), body);
        return { statusCode: 204 };
      },
    }),
    'DELETE /auth/mfa': protectedRoute({
      body: ROUTE_TABLE['DELETE /auth/mfa'].body,
      handle: async ({ body, caller, event }) => {
        const user = requireUserContext(caller);
        await mfa.disable(user, callersOwnToken(event, user), body);
        return { statusCode: 204 };
      },
    }),
    'POST /auth/signup/confirm': publicRoute({
      body: ROUTE_TABLE['POST /auth/signup/confirm'].body,
      handle: async ({ body }) => {
        await flows.confirmSignUp(body);
        return { statusCode: 204 };
      },
    }),
  });
};

/**
 * Auth service: login, refresh, logout, the new-password challenge, password change and reset,
 * and customer sign-up. The routes validate their input and call the flows (flows.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import { UnauthorizedError } from '../../lib/errors';
import { createHttpService, protectedRoute, publicRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { headerValues, requireUserContext, type UserRoleContext } from '../../lib/policy/role-context';
import { createAuthFlows, type AuthDeps } from './flows';
import { createMfaFlows } from './mfa-flows';
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

export const createAuthService = (deps: Omit<AuthDeps, 'logger'>, logger: Logger = createLogger('auth')) => {
  const flows = createAuthFlows({ ...deps, logger });
  const mfa = createMfaFlows({ ...deps, issuer: deps.config.mfaIssuer ?? 'API Gateway', logger });
  return createHttpService('auth', logger, {
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

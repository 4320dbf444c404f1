/**
 * Users service: `GET /users/me` (any signed-in caller), `GET /users` and the user
 * administration (admin: the route policy, which the HTTP adapter applies again before any
 * route runs). The routes validate their input and call the flows (flows.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { BadRequestError } from '../../lib/errors';
import { ROUTE_TABLE, USERNAME_PATTERN } from '../../lib/routes/table';
import { createUsersFlows, type UsersDeps } from './flows';

/** Cognito usernames: 1-128 characters, no whitespace or control characters. */
const pathUsername = (params: Record<string, string>): string => {
  const username = params.username ?? '';
  if (!USERNAME_PATTERN.test(username)) {
    throw new BadRequestError('invalid_path', 'The path parameter username is invalid', ['username: must be 1-128 characters without spaces']);
  }
  return username;
};

export type { UsersDeps } from './flows';

export const createUsersService = (deps: Omit<UsersDeps, 'logger'>, logger: Logger = createLogger('users')) => {
  const flows = createUsersFlows({ ...deps, logger });
  return createHttpService('users', logger, {
    'GET /users/me': protectedRoute({
      handle: async ({ caller }) => ({ body: await flows.me(caller) }),
    }),
    'GET /users': protectedRoute({
      query: ROUTE_TABLE['GET /users'].query,
      handle: async ({ query }) => ({ body: await flows.list(query) }),
    }),
    'POST /users': protectedRoute({
      body: ROUTE_TABLE['POST /users'].body,
      handle: async ({ body, caller }) => {
        const user = await flows.create(caller, body);
        return { statusCode: 201, body: user, headers: { location: `/users/${encodeURIComponent(user.username)}` } };
      },
    }),
    'GET /users/{username}': protectedRoute({
      handle: async ({ params }) => ({ body: await flows.get(pathUsername(params)) }),
    }),
    'PUT /users/{username}/branches': protectedRoute({
      body: ROUTE_TABLE['PUT /users/{username}/branches'].body,
      handle: async ({ params, body, caller }) => ({ body: await flows.setBranches(caller, pathUsername(params), body.branches) }),
    }),
    'DELETE /users/{username}': protectedRoute({
      handle: async ({ params, caller }) => {
        await flows.remove(caller, pathUsername(params));
        return { statusCode: 204 };
      },
    }),
    'POST /users/{username}/mfa/reset': protectedRoute({
      handle: async ({ params, caller }) => {
        await flows.resetMfa(caller, pathUsername(params));
        return { statusCode: 204 };
      },
    }),
    'POST /users/{username}/disable': protectedRoute({
      handle: async ({ params, caller }) => {
        await flows.disable(caller, pathUsername(params));
        return { statusCode: 204 };
      },
    }),
    'POST /users/{username}/enable': protectedRoute({
      handle: async ({ params, caller }) => {
        await flows.enable(caller, pathUsername(params));
        return { statusCode: 204 };
      },
    }),
    'PUT /users/{username}/roles': protectedRoute({
      body: ROUTE_TABLE['PUT /users/{username}/roles'].body,
      handle: async ({ params, body, caller }) => ({ body: await flows.changeRoles(caller, pathUsername(params), body.roles) }),
    }),
  });
};

/**
 * Users service: `GET /users/me` (any signed-in caller) and `GET /users` (admin). Identity
 * comes from the role context only; the directory (Cognito) and the gateway's user records
 * add the profile and the managed branches.
 */
import { z } from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute } from '../../lib/http';
import { createLogger } from '../../lib/observability';
import { ForbiddenError, UnauthorizedError } from '../../lib/errors';
import { limitSchema } from '../../lib/validation';
import type { AccessStore } from '../../lib/access-store';
import type { DirectoryUser, IdentityProvider } from '../../lib/identity-provider';

const listQuery = z.object({
  limit: limitSchema(60, 20),
  nextToken: z.string().min(1).max(2048).optional(),
});

/** At most this many directory look-ups at once (Cognito rate-limits per pool). */
const LOOKUP_CONCURRENCY = 5;

const mapLimited = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};

export interface UsersDeps {
  identity: IdentityProvider;
  accessStore: AccessStore;
}

export const createUsersService = (deps: UsersDeps, logger: Logger = createLogger('users')) =>
  createHttpService('users', logger, {
    'GET /users/me': protectedRoute({
      handle: async ({ caller }) => {
        const user = await deps.identity.getUser(caller.username);
        if (!user || user.sub !== caller.sub) throw new UnauthorizedError('user_not_found', 'Missing or invalid credentials');
        return {
          body: {
            sub: caller.sub,
            username: caller.username,
            ...(user.email ? { email: user.email } : {}),
            roles: caller.roles,
            branches: caller.branches,
            authType: caller.authType,
          },
        };
      },
    }),

    'GET /users': protectedRoute({
      query: listQuery,
      handle: async ({ query, caller }) => {
        if (!caller.roles.includes('admin')) throw new ForbiddenError('role_missing', 'Only admins can list users');
        const page = await deps.identity.listUsers(query.limit, query.nextToken);
        const [roles, records] = await Promise.all([
          mapLimited(page.users, LOOKUP_CONCURRENCY, (user: DirectoryUser) => deps.identity.rolesOf(user.username)),
          deps.accessStore.getUsers(page.users.map((user) => user.sub)),
        ]);
        return {
          body: {
            items: page.users.map((user, i) => ({
              ...user,
              roles: roles[i] ?? [],
              branches: records.get(user.sub)?.branches ?? [],
            })),
            ...(page.nextToken ? { nextToken: page.nextToken } : {}),
          },
        };
      },
    }),
  });

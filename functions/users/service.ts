/**
 * Users service: `GET /users/me` (any signed-in caller) and `GET /users` (admin). Identity
 * comes from the role context only; the directory (Cognito) and the gateway's user records
 * add the profile and the managed branches.
 */
import { z } from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../../lib/errors';
import { ROLES } from '../../lib/policy/route-policy';
import type { RoleContext } from '../../lib/policy/role-context';
import { limitSchema } from '../../lib/http/validation';
import type { AccessStore } from '../../lib/access/store';
import { signOutEverywhereInCognito } from '../../lib/identity/global-sign-out';
import type { DirectoryUser, IdentityProvider } from '../../lib/identity/cognito';

const listQuery = z.object({
  limit: limitSchema(60, 20),
  nextToken: z.string().min(1).max(2048).optional(),
});

const rolesBody = z.strictObject({
  roles: z
    .array(z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }))
    .max(ROLES.length)
    .refine((roles) => new Set(roles).size === roles.length, 'must not repeat a role'),
});

/** Cognito usernames: 1-128 characters, no whitespace or control characters. */
const pathUsername = (params: Record<string, string>): string => {
  const username = params.username ?? '';
  if (!/^[^\s\p{Cc}]{1,128}$/u.test(username)) {
    throw new BadRequestError('invalid_path', 'The path parameter username is invalid', ['username: must be 1-128 characters without spaces']);
  }
  return username;
};

const requireAdmin = (caller: RoleContext) => {
  // Defence in depth: the authorizer already required admin.
  if (!caller.roles.includes('admin')) throw new ForbiddenError('role_missing', 'Only admins can manage users');
};

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
  /** Epoch milliseconds. */
  now?: () => number;
}

export const createUsersService = (deps: UsersDeps, logger: Logger = createLogger('users')) => {
  const existing = async (username: string) => {
    const user = await deps.identity.getUser(username);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    return user;
  };

  const now = deps.now ?? Date.now;
  const nowSeconds = () => Math.floor(now() / 1000);

  return createHttpService('users', logger, {
    'GET /users/me': protectedRoute({
      handle: async ({ caller }) => {
        if (caller.authType === 'client') {
          // A machine client is no user: "me" is the client, as the gateway knows it.
          return {
            body: {
              authType: caller.authType,
              clientId: caller.clientId,
              name: caller.username,
              roles: caller.roles,
              branches: caller.branches,
              scopes: caller.scopes,
            },
          };
        }
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
            ...(caller.keyId ? { keyId: caller.keyId, scopes: caller.scopes } : {}),
          },
        };
      },
    }),

    'GET /users': protectedRoute({
      query: listQuery,
      handle: async ({ query }) => {
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

    'POST /users/{username}/disable': protectedRoute({
      handle: async ({ params, caller }) => {
        requireAdmin(caller);
        const user = await existing(pathUsername(params));
        if (user.sub === caller.sub) throw new ConflictError('cannot_disable_self', 'Admins cannot disable their own account');
        // The gateway's record first: from this write on, every login up to now and every key
        // made before it is refused, for good (an enable does not bring them back).
        const at = now();
        await deps.accessStore.raiseCutOff({ sub: user.sub, username: user.username, kind: 'disabledAt', at: Math.floor(at / 1000) });
        await deps.accessStore.setDisabled({ sub: user.sub, username: user.username, disabled: true, versionMs: at });
        await deps.identity.disableUser(user.username);
        await signOutEverywhereInCognito(deps.identity, logger, user);
        logger.info('user disabled', { sub: user.sub, by: caller.sub });
        return { statusCode: 204 };
      },
    }),

    'POST /users/{username}/enable': protectedRoute({
      handle: async ({ params, caller }) => {
        requireAdmin(caller);
        const user = await existing(pathUsername(params));
        await deps.identity.enableUser(user.username);
        // Only the flag: `disabledAt` stays, so what the disable cut off stays cut off.
        await deps.accessStore.setDisabled({ sub: user.sub, username: user.username, disabled: false, versionMs: now() });
        logger.info('user enabled', { sub: user.sub, by: caller.sub });
        return { statusCode: 204 };
      },
    }),

    'PUT /users/{username}/roles': protectedRoute({
      body: rolesBody,
      handle: async ({ params, body, caller }) => {
        requireAdmin(caller);
        const user = await existing(pathUsername(params));
        if (user.sub === caller.sub && !body.roles.includes('admin')) {
          throw new ConflictError('cannot_remove_own_admin', 'Admins cannot remove their own admin role');
        }
        // Tokens carry the groups they were issued with, so the old ones are refused, before and
        // after Cognito changes: a token issued in between (with the old groups) falls under
        // the second cut-off. API keys act with the recorded roles: only the roles kept are
        // recorded before Cognito changes, the new ones after, each reading versioned so that
        // a slower, older one (a login's trigger) never writes back over them.
        const identity = { sub: user.sub, username: user.username };
        const before = await deps.identity.rolesOf(user.username);
        const kept = body.roles.filter((role) => before.includes(role));
        await deps.accessStore.raiseCutOff({ ...identity, kind: 'rolesChangedAt', at: nowSeconds() });
        await deps.accessStore.syncRoles({ ...identity, roles: kept, versionMs: now() });
        await deps.identity.setRoles(user.username, body.roles);
        const changedAt = now();
        await deps.accessStore.raiseCutOff({ ...identity, kind: 'rolesChangedAt', at: Math.floor(changedAt / 1000) });
        await deps.accessStore.syncRoles({ ...identity, roles: body.roles, versionMs: changedAt });
        logger.info('roles changed', { sub: user.sub, roles: body.roles, by: caller.sub });
        return { body: { username: user.username, sub: user.sub, roles: body.roles } };
      },
    }),
  });
};

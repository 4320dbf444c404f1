/**
 * The users service's flows as plain functions. Identity comes from the role context only; the
 * directory (Cognito) and the gateway's user records add the profile and the managed branches.
 * Every change to a user writes the gateway's records so that what it cuts off stays cut off
 * (lib/access/records.ts), then tells Cognito.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ConflictError, NotFoundError, UnauthorizedError } from '../../lib/errors';
import { epochSeconds, systemClock, type Clock } from '../../lib/clock';
import type { Role } from '../../lib/policy/route-policy';
import type { RoleContext } from '../../lib/policy/role-context';
import type { UserRecords } from '../../lib/access/store';
import { signOutEverywhereInCognito } from '../../lib/identity/global-sign-out';
import type { DirectoryUser, IdentityProvider } from '../../lib/identity/cognito';

/** At most this many directory look-ups at once (Cognito rate-limits per pool). */
const LOOKUP_CONCURRENCY = 5;

const mapLimited = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array<R>(items.length);
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
  accessStore: Pick<UserRecords, 'getUsers' | 'raiseCutOff' | 'setDisabled' | 'syncRoles'>;
  logger: Logger;
  clock?: Clock;
}

export const createUsersFlows = (deps: UsersDeps) => {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;

  const existing = async (username: string) => {
    const user = await deps.identity.getUser(username);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    return user;
  };

  /** The caller as the gateway knows them (a machine client: as configured). */
  const me = async (caller: RoleContext) => {
    if (caller.authType === 'client') {
      // A machine client is no user: "me" is the client, as the gateway knows it.
      return { authType: caller.authType, clientId: caller.clientId, name: caller.username, roles: caller.roles, branches: caller.branches, scopes: caller.scopes };
    }
    const user = await deps.identity.getUser(caller.username);
    if (!user || user.sub !== caller.sub) throw new UnauthorizedError('user_not_found', 'Missing or invalid credentials');
    return {
      sub: caller.sub,
      username: caller.username,
      ...(user.email ? { email: user.email } : {}),
      roles: caller.roles,
      branches: caller.branches,
      authType: caller.authType,
      ...(caller.keyId ? { keyId: caller.keyId, scopes: caller.scopes } : {}),
    };
  };

  /** A page of the directory, each user with their roles and managed branches. */
  const list = async (query: { limit: number; nextToken?: string | undefined }) => {
    const page = await deps.identity.listUsers(query.limit, query.nextToken);
    const [roles, records] = await Promise.all([
      mapLimited(page.users, LOOKUP_CONCURRENCY, (user: DirectoryUser) => deps.identity.rolesOf(user.username)),
      deps.accessStore.getUsers(page.users.map((user) => user.sub)),
    ]);
    return {
      items: page.users.map((user, i) => ({ ...user, roles: roles[i] ?? [], branches: records.get(user.sub)?.branches ?? [] })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  };

  const disable = async (caller: RoleContext, username: string): Promise<void> => {
    const user = await existing(username);
    if (user.sub === caller.sub) throw new ConflictError('cannot_disable_self', 'Admins cannot disable their own account');
    // The gateway's record first: from this write on, every login up to now and every key
    // made before it is refused, for good (an enable does not bring them back).
    const at = clock();
    await deps.accessStore.raiseCutOff({ sub: user.sub, username: user.username, kind: 'disabledAt', at: epochSeconds(at) });
    await deps.accessStore.setDisabled({ sub: user.sub, username: user.username, disabled: true, versionMs: at });
    await deps.identity.disableUser(user.username);
    await signOutEverywhereInCognito(deps.identity, logger, user);
    logger.info('user disabled', { sub: user.sub, by: caller.sub });
  };

  const enable = async (caller: RoleContext, username: string): Promise<void> => {
    const user = await existing(username);
    await deps.identity.enableUser(user.username);
    // Only the flag: `disabledAt` stays, so what the disable cut off stays cut off.
    await deps.accessStore.setDisabled({ sub: user.sub, username: user.username, disabled: false, versionMs: clock() });
    logger.info('user enabled', { sub: user.sub, by: caller.sub });
  };

  const changeRoles = async (caller: RoleContext, username: string, roles: readonly Role[]) => {
    const user = await existing(username);
    if (user.sub === caller.sub && !roles.includes('admin')) {
      throw new ConflictError('cannot_remove_own_admin', 'Admins cannot remove their own admin role');
    }
    // Tokens carry the groups they were issued with, so the old ones are refused, before and
    // after Cognito changes: a token issued in between (with the old groups) falls under the
    // second cut-off. API keys act with the recorded roles: only the roles kept are recorded
    // before Cognito changes, the new ones after, each reading versioned so that a slower,
    // older one (a login's trigger) never writes back over them.
    const identity = { sub: user.sub, username: user.username };
    const before = await deps.identity.rolesOf(user.username);
    const kept = roles.filter((role) => before.includes(role));
    const startedAt = clock();
    await deps.accessStore.raiseCutOff({ ...identity, kind: 'rolesChangedAt', at: epochSeconds(startedAt) });
    await deps.accessStore.syncRoles({ ...identity, roles: kept, versionMs: startedAt });
    await deps.identity.setRoles(user.username, roles);
    const changedAt = clock();
    await deps.accessStore.raiseCutOff({ ...identity, kind: 'rolesChangedAt', at: epochSeconds(changedAt) });
    await deps.accessStore.syncRoles({ ...identity, roles, versionMs: changedAt });
    logger.info('roles changed', { sub: user.sub, roles, by: caller.sub });
    return { username: user.username, sub: user.sub, roles: [...roles] };
  };

  return { me, list, disable, enable, changeRoles };
};

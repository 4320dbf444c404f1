/**
 * The users service's flows as plain functions. Identity comes from the role context only; the
 * directory (Cognito) and the gateway's user records add the profile and the managed branches.
 * Every change to a user writes the gateway's records so that what it cuts off stays cut off
 * (lib/access/records.ts), then tells Cognito.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { awsErrorName, BadRequestError, ConflictError, NotFoundError, UnauthorizedError } from '../../lib/errors';
import { epochSeconds, systemClock, type Clock } from '../../lib/clock';
import type { Role } from '../../lib/policy/route-policy';
import type { RoleContext } from '../../lib/policy/role-context';
import type { UserRecords } from '../../lib/access/store';
import { signOutEverywhereInCognito } from '../../lib/identity/global-sign-out';
import type { DirectoryUser, IdentityProvider } from '../../lib/identity/cognito';
import type { UserAdministration } from '../../lib/identity/user-admin';
import type { BranchStore } from '../../lib/branches/store';

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
  /** Creating and deleting users, and role members (Cognito). */
  admin: UserAdministration;
  /** The branches that exist (the inventory service owns them; read only here). */
  branches: Pick<BranchStore, 'getBranches'>;
  accessStore: Pick<UserRecords, 'getUsers' | 'putUser' | 'raiseCutOff' | 'setDisabled' | 'syncRoles' | 'setMfa'>;
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
      // Whether login asks this user for a code (Cognito's own list), and whether their role
      // keeps everything else closed until it does (the role context, from the authorizer).
      mfa: { enabled: user.mfaEnabled === true, setupRequired: caller.mfaRequired === true },
    };
  };

  /**
   * A page of the directory, each user with their roles and managed branches. `role` lists that
   * role's group instead; `branch` keeps the page's branch managers of that branch (a page may
   * then be short, even empty, and still have a next one).
   */
  const list = async (query: { limit: number; nextToken?: string | undefined; role?: Role | undefined; branch?: string | undefined }) => {
    let page: { users: DirectoryUser[]; nextToken?: string };
    try {
      page = query.role
        ? await deps.admin.listUsersInRole(query.role, query.limit, query.nextToken)
        : await deps.identity.listUsers(query.limit, query.nextToken);
    } catch (error) {
      // Cognito's answer to a pagination token it did not issue (or issued for another filter).
      if (query.nextToken !== undefined && awsErrorName(error) === 'InvalidParameterException') {
        throw new BadRequestError('invalid_query', 'The query string is invalid', ['nextToken: is not a token this API issued for these filters'], { cause: error });
      }
      throw error;
    }
    const records = await deps.accessStore.getUsers(page.users.map((user) => user.sub));
    const branchesOf = (user: DirectoryUser) => records.get(user.sub)?.branches ?? [];
    const candidates = query.branch === undefined ? page.users : page.users.filter((user) => branchesOf(user).includes(query.branch!));
    const roles = await mapLimited(candidates, LOOKUP_CONCURRENCY, (user: DirectoryUser) => deps.identity.rolesOf(user.username));
    const items = candidates
      // Cognito's user lists do not say whether MFA is on (AdminGetUser does): not listed.
      .map(({ mfaEnabled: _unlisted, ...user }, i) => ({ ...user, roles: roles[i] ?? [], branches: branchesOf(user) }))
      // A branch's users are its managers: branches recorded for a user without the role grant nothing.
      .filter((user) => query.branch === undefined || user.roles.includes('branch-manager'));
    return { items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  };

  /** 400 `unknown_branch` unless every id names a branch. */
  const knownBranches = async (ids: readonly string[]) => {
    if (ids.length === 0) return;
    const found = await deps.branches.getBranches(ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new BadRequestError('unknown_branch', 'No such branch', missing.map((id) => `branches: there is no branch "${id}"`));
    }
  };

  const notAManager = () =>
    new BadRequestError('not_a_branch_manager', 'Only a branch manager manages branches', ['branches: must be empty unless the user has the branch-manager role']);

  /**
   * A new user in Cognito with their roles, and their gateway record with their branches. A
   * user half made (Cognito refused the groups, the record could not be written) is deleted
   * from Cognito again, so that the call can simply be repeated.
   */
  const create = async (
    caller: RoleContext,
    input: { email: string; roles: readonly Role[]; branches?: readonly string[] | undefined; temporaryPassword?: string | undefined },
  ) => {
    const branches = [...(input.branches ?? [])];
    if (branches.length > 0 && !input.roles.includes('branch-manager')) throw notAManager();
    await knownBranches(branches);
    const user = await deps.admin.createUser({ email: input.email, ...(input.temporaryPassword === undefined ? {} : { temporaryPassword: input.temporaryPassword }) });
    const identity = { sub: user.sub, username: user.username };
    try {
      await deps.identity.setRoles(user.username, input.roles);
      await deps.accessStore.putUser({ ...identity, branches });
      await deps.accessStore.syncRoles({ ...identity, roles: input.roles, versionMs: clock() });
    } catch (error) {
      await deps.admin.deleteUser(user.username).catch((cleanup: unknown) => {
        logger.error('half-created user could not be deleted', { username: user.username, sub: user.sub, error: cleanup as Error });
      });
      throw error;
    }
    logger.info('user created', { sub: user.sub, roles: input.roles, branches, invited: input.temporaryPassword === undefined, by: caller.sub });
    return { username: user.username, sub: user.sub, email: user.email ?? input.email, roles: [...input.roles], branches, status: user.status };
  };

  /** One user: the directory's view, their roles, and the gateway's record. */
  const get = async (username: string) => {
    const user = await existing(username);
    // One BatchGetItem, the read the users service's role allows (as for the list).
    const [roles, records] = await Promise.all([deps.identity.rolesOf(user.username), deps.accessStore.getUsers([user.sub])]);
    const record = records.get(user.sub);
    return {
      username: user.username,
      sub: user.sub,
      ...(user.email ? { email: user.email } : {}),
      roles,
      branches: record?.branches ?? [],
      enabled: user.enabled && record?.disabled !== true,
      status: user.status,
      ...(user.createdAt ? { createdAt: user.createdAt } : {}),
      mfa: { enabled: user.mfaEnabled === true },
    };
  };

  /**
   * Replace the branches a manager manages. The record write is announced on the change log
   * (`putUser`), so every authorizer opens an added branch and closes a removed one within the
   * revocation bound, for the user's tokens and their API keys alike (both read the record).
   */
  const setBranches = async (caller: RoleContext, username: string, branches: readonly string[]) => {
    const user = await existing(username);
    if (branches.length > 0 && !(await deps.identity.rolesOf(user.username)).includes('branch-manager')) throw notAManager();
    await knownBranches(branches);
    await deps.accessStore.putUser({ sub: user.sub, username: user.username, branches: [...branches] });
    logger.info('branches changed', { sub: user.sub, branches, by: caller.sub });
    return { username: user.username, sub: user.sub, branches: [...branches] };
  };

  /** Whether an admin other than `sub` remains. */
  const anotherAdmin = async (sub: string): Promise<boolean> => {
    let nextToken: string | undefined;
    do {
      const page = await deps.admin.listUsersInRole('admin', 60, nextToken);
      if (page.users.some((user) => user.sub !== sub && user.enabled)) return true;
      nextToken = page.nextToken;
    } while (nextToken);
    return false;
  };

  /**
   * Delete a user: first the gateway's `deletedAt` cut-off (from this write on, every token and
   * key of the user is refused, within the revocation bound), then the user in Cognito (their
   * logins then fail as an unknown user's do). If Cognito fails, the call can be repeated.
   */
  const remove = async (caller: RoleContext, username: string): Promise<void> => {
    const user = await existing(username);
    if (user.sub === caller.sub) throw new ConflictError('cannot_delete_self', 'Admins cannot delete their own account');
    if ((await deps.identity.rolesOf(user.username)).includes('admin') && !(await anotherAdmin(user.sub))) {
      throw new ConflictError('last_admin', 'The last admin cannot be deleted');
    }
    await deps.accessStore.raiseCutOff({ sub: user.sub, username: user.username, kind: 'deletedAt', at: epochSeconds(clock()) });
    await deps.admin.deleteUser(user.username);
    logger.info('user deleted', { sub: user.sub, by: caller.sub });
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

  /**
   * Two-factor sign-in off for a user who lost their device: they log in with their password
   * alone again and set it up anew. Every session of theirs ends first (a `signedOutAt` cut-off,
   * API keys included): whoever holds the lost device, or a session opened with it, is out.
   * Not for the caller's own account: that takes a current code (`DELETE /auth/mfa`).
   */
  const resetMfa = async (caller: RoleContext, username: string): Promise<void> => {
    const user = await existing(username);
    if (user.sub === caller.sub) throw new ConflictError('cannot_reset_own_mfa', 'Turn your own two-factor sign-in off with a code (DELETE /auth/mfa)');
    const at = clock();
    await deps.accessStore.raiseCutOff({ sub: user.sub, username: user.username, kind: 'signedOutAt', at: epochSeconds(at) });
    await deps.identity.adminDisableSoftwareTokenMfa(user.username);
    await deps.accessStore.setMfa({ sub: user.sub, username: user.username, enabled: false, versionMs: at });
    await signOutEverywhereInCognito(deps.identity, logger, user);
    logger.info('mfa reset', { sub: user.sub, by: caller.sub });
  };

  return { me, list, create, get, setBranches, remove, disable, enable, changeRoles, resetMfa };
};

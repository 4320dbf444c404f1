/**
 * The keys service's flows as plain functions: create (the key is in that answer and nowhere
 * else, ever), list the caller's live keys without secrets, revoke one.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors';
import { epochSeconds, systemClock, type Clock } from '../../lib/clock';
import type { ApiKeyRing } from '../../lib/access/api-keys';
import { grantableScopes, type Scope } from '../../lib/policy/route-policy';
import type { UserRoleContext } from '../../lib/policy/role-context';
import { TooManyApiKeysError, type ApiKeyRecord, type ApiKeyRecords } from '../../lib/access/store';

/** Live keys one user may hold at a time. */
export const MAX_LIVE_KEYS = 20;
/** Days a key lives when its creator names none (the request schema's default, in the route table). */
export { DEFAULT_KEY_EXPIRY_DAYS as DEFAULT_EXPIRY_DAYS } from '../../lib/routes/table';

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** What a client may see of a key: never its secret or hash. */
const describe = (key: ApiKeyRecord) => ({
  id: key.id,
  name: key.name,
  scopes: key.scopes,
  createdAt: iso(key.createdAt),
  expiresAt: iso(key.expiresAt),
});

export interface KeysDeps {
  accessStore: ApiKeyRecords;
  /** Mints keys under the current MAC key (`API_KEY_MAC_KEYS`), so the authorizer can verify them. */
  apiKeys: Pick<ApiKeyRing, 'generate'>;
  logger: Logger;
  clock?: Clock;
}

export const createKeysFlows = (deps: KeysDeps) => {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;

  const create = async (caller: UserRoleContext, input: { name: string; scopes: Scope[]; expiresInDays: number }) => {
    const grantable = grantableScopes(caller.roles);
    const beyond = input.scopes.filter((scope) => !grantable.includes(scope));
    if (beyond.length > 0) {
      throw new ForbiddenError('scope_not_granted', `Your roles do not allow ${beyond.join(', ')}; a key never exceeds its owner`);
    }
    const { key, id, secretHash } = deps.apiKeys.generate();
    const createdAt = epochSeconds(clock());
    const record: ApiKeyRecord = {
      id,
      owner: caller.sub,
      ownerUsername: caller.username,
      name: input.name,
      scopes: input.scopes,
      secretHash,
      createdAt,
      expiresAt: createdAt + input.expiresInDays * 86_400,
    };
    try {
      await deps.accessStore.createApiKey({ key: record, ownerRoles: caller.roles, maxLive: MAX_LIVE_KEYS });
    } catch (error) {
      if (error instanceof TooManyApiKeysError) {
        throw new ConflictError('too_many_api_keys', `You already hold ${MAX_LIVE_KEYS} live API keys; delete one first`);
      }
      throw error;
    }
    logger.info('api key created', { keyId: id, owner: caller.sub, scopes: input.scopes, expiresAt: record.expiresAt });
    return { ...describe(record), key };
  };

  const list = async (caller: UserRoleContext) => ({ items: (await deps.accessStore.listApiKeys(caller.sub)).map(describe) });

  const revoke = async (caller: UserRoleContext, keyId: string): Promise<void> => {
    // Someone else's key, a revoked or expired one and an unknown id look the same.
    if (!(await deps.accessStore.revokeApiKey({ owner: caller.sub, keyId }))) {
      throw new NotFoundError('api_key_not_found', 'No such API key');
    }
    logger.info('api key revoked', { keyId, owner: caller.sub });
  };

  return { create, list, revoke };
};

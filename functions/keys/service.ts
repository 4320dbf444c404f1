/**
 * Keys service: personal API keys. `POST /api-keys` creates one (the key is in that answer and
 * nowhere else, ever), `GET /api-keys` lists the caller's live keys without secrets,
 * `DELETE /api-keys/{keyId}` revokes one. Only users' own tokens reach these routes: a key
 * cannot mint, list or revoke keys (the route policy gives them no scope).
 */
import { z } from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors';
import { API_KEY_ID, type ApiKeyRing } from '../../lib/access/api-keys';
import { grantableScopes, SCOPES } from '../../lib/policy/route-policy';
import { requireUserContext } from '../../lib/policy/role-context';
import { TooManyApiKeysError, type AccessStore, type ApiKeyRecord } from '../../lib/access/store';

/** Live keys one user may hold at a time. */
export const MAX_LIVE_KEYS = 20;
export const DEFAULT_EXPIRY_DAYS = 30;

const createBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
  scopes: z
    .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }))
    .min(1, 'must name at least one scope')
    .max(SCOPES.length)
    .refine((scopes) => new Set(scopes).size === scopes.length, 'must not repeat a scope'),
  expiresInDays: z
    .number({ error: 'must be a whole number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1')
    .max(365, 'must be at most 365')
    .default(DEFAULT_EXPIRY_DAYS),
});

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

/** What a client may see of a key: never its secret or hash. */
const describe = (key: ApiKeyRecord) => ({
  id: key.id,
  name: key.name,
  scopes: key.scopes,
  createdAt: iso(key.createdAt),
  expiresAt: iso(key.expiresAt),
});

export interface KeysDeps {
  accessStore: AccessStore;
  /** Mints keys under the current MAC key (`API_KEY_MAC_KEYS`), so the authorizer can verify them. */
  apiKeys: Pick<ApiKeyRing, 'generate'>;
  now?: () => number;
}

export const createKeysService = (deps: KeysDeps, logger: Logger = createLogger('keys')) => {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));

  return createHttpService('keys', logger, {
    'POST /api-keys': protectedRoute({
      body: createBody,
      handle: async ({ body, caller: anyCaller }) => {
        const caller = requireUserContext(anyCaller);
        const grantable = grantableScopes(caller.roles);
        const beyond = body.scopes.filter((scope) => !grantable.includes(scope));
        if (beyond.length > 0) {
          throw new ForbiddenError('scope_not_granted', `Your roles do not allow ${beyond.join(', ')}; a key never exceeds its owner`);
        }
        const { key, id, secretHash } = deps.apiKeys.generate();
        const createdAt = now();
        const record: ApiKeyRecord = {
          id,
          owner: caller.sub,
          ownerUsername: caller.username,
          name: body.name,
          scopes: body.scopes,
          secretHash,
          createdAt,
          expiresAt: createdAt + body.expiresInDays * 86_400,
        };
        try {
          await deps.accessStore.createApiKey({ key: record, ownerRoles: caller.roles, maxLive: MAX_LIVE_KEYS });
        } catch (error) {
          if (error instanceof TooManyApiKeysError) {
            throw new ConflictError('too_many_api_keys', `You already hold ${MAX_LIVE_KEYS} live API keys; delete one first`);
          }
          throw error;
        }
        logger.info('api key created', { keyId: id, owner: caller.sub, scopes: body.scopes, expiresAt: record.expiresAt });
        return { statusCode: 201, body: { ...describe(record), key } };
      },
    }),

    'GET /api-keys': protectedRoute({
      handle: async ({ caller: anyCaller }) => {
        const caller = requireUserContext(anyCaller);
        const keys = await deps.accessStore.listApiKeys(caller.sub);
        return { body: { items: keys.map(describe) } };
      },
    }),

    'DELETE /api-keys/{keyId}': protectedRoute({
      handle: async ({ params, caller: anyCaller }) => {
        const caller = requireUserContext(anyCaller);
        const keyId = params.keyId ?? '';
        if (!API_KEY_ID.test(keyId)) {
          throw new BadRequestError('invalid_path', 'The path parameter keyId is invalid', ['keyId: must be the 20-character id of a key']);
        }
        // Someone else's key, a revoked or expired one and an unknown id look the same.
        if (!(await deps.accessStore.revokeApiKey({ owner: caller.sub, keyId }))) {
          throw new NotFoundError('api_key_not_found', 'No such API key');
        }
        logger.info('api key revoked', { keyId, owner: caller.sub });
        return { statusCode: 204 };
      },
    }),
  });
};

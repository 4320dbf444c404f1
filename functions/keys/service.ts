/**
 * Keys service: personal API keys. `POST /api-keys` creates one (the key is in that answer and
 * nowhere else, ever), `GET /api-keys` lists the caller's live keys without secrets,
 * `DELETE /api-keys/{keyId}` revokes one. Only users' own tokens reach these routes: a key
 * cannot mint, list or revoke keys (the route policy gives them no scope).
 */
import * as z from 'zod/mini';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { BadRequestError } from '../../lib/errors';
import { API_KEY_ID } from '../../lib/access/api-keys';
import { SCOPES } from '../../lib/policy/route-policy';
import { requireUserContext } from '../../lib/policy/role-context';
import { createKeysFlows, DEFAULT_EXPIRY_DAYS, type KeysDeps } from './flows';

export { DEFAULT_EXPIRY_DAYS, MAX_LIVE_KEYS, type KeysDeps } from './flows';

const createBody = z.strictObject({
  name: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(64, 'must be at most 64 characters'),
      z.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
    ),
  scopes: z
    .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }))
    .check(
      z.minLength(1, 'must name at least one scope'),
      z.maxLength(SCOPES.length),
      z.refine((scopes) => new Set(scopes).size === scopes.length, 'must not repeat a scope'),
    ),
  expiresInDays: z._default(
    z
      .number({ error: 'must be a whole number of days' })
      .check(z.int('must be a whole number of days'), z.gte(1, 'must be at least 1'), z.lte(365, 'must be at most 365')),
    DEFAULT_EXPIRY_DAYS,
  ),
});

export const createKeysService = (deps: Omit<KeysDeps, 'logger'>, logger: Logger = createLogger('keys')) => {
  const flows = createKeysFlows({ ...deps, logger });
  return createHttpService('keys', logger, {
    'POST /api-keys': protectedRoute({
      body: createBody,
      handle: async ({ body, caller }) => ({ statusCode: 201, body: await flows.create(requireUserContext(caller), body) }),
    }),
    'GET /api-keys': protectedRoute({
      handle: async ({ caller }) => ({ body: await flows.list(requireUserContext(caller)) }),
    }),
    'DELETE /api-keys/{keyId}': protectedRoute({
      handle: async ({ params, caller }) => {
        const user = requireUserContext(caller);
        const keyId = params.keyId ?? '';
        if (!API_KEY_ID.test(keyId)) {
          throw new BadRequestError('invalid_path', 'The path parameter keyId is invalid', ['keyId: must be the 20-character id of a key']);
        }
        await flows.revoke(user, keyId);
        return { statusCode: 204 };
      },
    }),
  });
};

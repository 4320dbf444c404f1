/**
 * Keys service: personal API keys. `POST /api-keys` creates one (the key is in that answer and
 * nowhere else, ever), `GET /api-keys` lists the caller's live keys without secrets,
 * `DELETE /api-keys/{keyId}` revokes one. Only users' own tokens reach these routes: a key
 * cannot mint, list or revoke keys (the route policy gives them no scope).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { BadRequestError } from '../../lib/errors';
import { API_KEY_ID } from '../../lib/access/api-keys';
import { requireUserContext } from '../../lib/policy/role-context';
import { createKeysFlows, type KeysDeps } from './flows';
import { ROUTE_TABLE } from '../../lib/routes/table';

export { DEFAULT_EXPIRY_DAYS, MAX_LIVE_KEYS, type KeysDeps } from './flows';

export const createKeysService = (deps: Omit<KeysDeps, 'logger'>, logger: Logger = createLogger('keys')) => {
  const flows = createKeysFlows({ ...deps, logger });
  return createHttpService('keys', logger, {
    'POST /api-keys': protectedRoute({
      body: ROUTE_TABLE['POST /api-keys'].body,
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

/**
 * Auth service: `POST /auth/login`, `POST /auth/refresh` (public) and `POST /auth/logout`. The
 * routes validate their input and call the flows (flows.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute, publicRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { requireUserContext } from '../../lib/policy/role-context';
import { createAuthFlows, type AuthDeps } from './flows';
import { ROUTE_TABLE } from '../../lib/routes/table';

export type { AuthDeps } from './flows';

export const createAuthService = (deps: Omit<AuthDeps, 'logger'>, logger: Logger = createLogger('auth')) => {
  const flows = createAuthFlows({ ...deps, logger });
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
  });
};

/**
 * Auth service: `POST /auth/login`, `POST /auth/refresh` (public) and `POST /auth/logout`. The
 * routes validate their input and call the flows (flows.ts).
 */
import { z } from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute, publicRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { requireUserContext } from '../../lib/policy/role-context';
import { createAuthFlows, type AuthDeps } from './flows';

export type { AuthDeps } from './flows';

const loginBody = z.strictObject({
  username: z.string().trim().min(1).max(128),
  password: z.string().min(1).max(256),
});

const refreshToken = z.string().min(1).max(8192);

const refreshBody = z.strictObject({ refreshToken });

const logoutBody = z
  .strictObject({
    refreshToken: refreshToken.optional(),
    /** End every session of the caller, on every device. */
    everywhere: z.boolean().optional(),
  })
  .optional();

export const createAuthService = (deps: Omit<AuthDeps, 'logger'>, logger: Logger = createLogger('auth')) => {
  const flows = createAuthFlows({ ...deps, logger });
  return createHttpService('auth', logger, {
    'POST /auth/login': publicRoute({
      body: loginBody,
      handle: async ({ body }) => ({ body: await flows.login(body) }),
    }),
    'POST /auth/refresh': publicRoute({
      body: refreshBody,
      handle: async ({ body }) => ({ body: await flows.refresh(body) }),
    }),
    'POST /auth/logout': protectedRoute({
      body: logoutBody,
      handle: async ({ body, caller }) => {
        await flows.logout(requireUserContext(caller), body ?? {});
        return { statusCode: 204 };
      },
    }),
  });
};

/**
 * Auth service: `POST /auth/login`, `POST /auth/refresh` (public) and `POST /auth/logout`. The
 * routes validate their input and call the flows (flows.ts).
 */
import * as z from 'zod/mini';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute, publicRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { requireUserContext } from '../../lib/policy/role-context';
import { createAuthFlows, type AuthDeps } from './flows';

export type { AuthDeps } from './flows';

const loginBody = z.strictObject({
  username: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
  password: z.string().check(z.minLength(1), z.maxLength(256)),
});

const refreshToken = z.string().check(z.minLength(1), z.maxLength(8192));

const refreshBody = z.strictObject({ refreshToken });

const logoutBody = z.optional(
  z.strictObject({
    refreshToken: z.optional(refreshToken),
    /** End every session of the caller, on every device. */
    everywhere: z.optional(z.boolean()),
  }),
);

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

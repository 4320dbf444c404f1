/**
 * Auth service: `POST /auth/login`, `POST /auth/refresh` (public) and `POST /auth/logout`.
 *
 * Logout ends the session for the gateway at once: the session record the authorizer reads on
 * every request is marked revoked (by `origin_jti` on AWS, by `jti` where the issuer has none),
 * together with every access token refreshed from the same login. The refresh token, when the
 * client sends it, is revoked in Cognito too.
 */
import { z } from 'zod';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpService, protectedRoute, publicRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { BadRequestError } from '../../lib/errors';
import { loginCutOff, revocationReason, SessionRevokedError, type AccessStore } from '../../lib/access/store';
import { invalidCredentials, invalidRefreshToken, type IdentityProvider, type IssuedTokens } from '../../lib/identity/cognito';
import type { SessionConfig } from '../../lib/config';
import { requireUserContext } from '../../lib/policy/role-context';
import { signOutEverywhereInCognito } from '../../lib/identity/global-sign-out';
import { isRole, type Role } from '../../lib/policy/route-policy';

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

/** The facts of a token we were just handed by Cognito over TLS (no need to verify it again). */
const describe = (accessToken: string) => {
  const { payload } = decomposeUnverifiedJwt(accessToken);
  const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
  const sessionId = typeof payload.origin_jti === 'string' ? payload.origin_jti : jti;
  const { sub, exp, iat, auth_time: authTime } = payload;
  if (!sessionId || typeof sub !== 'string' || typeof exp !== 'number' || typeof iat !== 'number' || typeof authTime !== 'number') {
    throw new Error('Issued access token lacks sub, exp, iat, auth_time or jti');
  }
  const groups = payload['cognito:groups'];
  const roles: Role[] = Array.isArray(groups) ? groups.filter(isRole) : [];
  const username = typeof payload.username === 'string' ? payload.username : sub;
  return { sessionId, sub, username, roles, exp, iat, authTime };
};

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const tokenBody = (tokens: IssuedTokens, exp: number) => ({
  accessToken: tokens.accessToken,
  idToken: tokens.idToken,
  ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
  expiresIn: tokens.expiresIn ?? Math.max(0, exp - nowSeconds()),
  tokenType: 'Bearer',
});

export interface AuthDeps {
  identity: IdentityProvider;
  accessStore: AccessStore;
  config: SessionConfig;
}

export const createAuthService = (deps: AuthDeps, logger: Logger = createLogger('auth')) => {
  const sessionLifetime = () => nowSeconds() + deps.config.refreshTokenValidityDays * 86_400;

  return createHttpService('auth', logger, {
    'POST /auth/login': publicRoute({
      body: loginBody,
      handle: async ({ body }) => {
        let tokens = await deps.identity.passwordLogin(body.username, body.password);
        let token = describe(tokens.accessToken);
        const user = await deps.accessStore.getUser(token.sub);
        // A deleted or disabled account gets the same answer as a wrong password (the trigger
        // refuses both at Cognito already; this holds where it has not run).
        if (user?.deletedAt !== undefined || user?.disabled) throw invalidCredentials();
        if (revocationReason({ ...(user ? { user } : {}) }, { issuedAt: token.iat, authTime: token.authTime })) {
          // A cut-off in this very second (they refuse up to and including their second): sign
          // in again once that second is over, so the new session is not born revoked.
          const until = Math.max(user?.signedOutAt ?? 0, user?.disabledAt ?? 0, user?.rolesChangedAt ?? 0);
          await sleep((until + 1) * 1000 - Date.now() + 5);
          tokens = await deps.identity.passwordLogin(body.username, body.password);
          token = describe(tokens.accessToken);
        }
        await deps.accessStore.recordLogin({
          sessionId: token.sessionId,
          sub: token.sub,
          refreshToken: tokens.refreshToken!,
          issuedAt: token.authTime,
          expiresAt: sessionLifetime(),
        });
        logger.info('login', { sub: token.sub, sessionId: token.sessionId });
        return { body: tokenBody(tokens, token.exp) };
      },
    }),

    'POST /auth/refresh': publicRoute({
      body: refreshBody,
      handle: async ({ body }) => {
        const session = await deps.accessStore.sessionForRefreshToken(body.refreshToken);
        if (session) {
          // A login through the gateway: its session and its login's cut-offs, before Cognito.
          const user = session.sub ? await deps.accessStore.getUser(session.sub) : undefined;
          const refused = session.revokedAt !== undefined ? 'session_revoked' : loginCutOff(user, session.issuedAt ?? 0);
          if (refused) {
            logger.info('refresh refused', { reason: refused, sub: session.sub });
            throw invalidRefreshToken();
          }
        }
        const tokens = await deps.identity.refresh(body.refreshToken);
        const token = describe(tokens.accessToken);
        // Whoever issued the refresh token: the new token dates its login by auth_time, and a
        // login before a cut-off stays cut off (the authorizer would refuse the token anyway).
        const refused = loginCutOff(await deps.accessStore.getUser(token.sub), token.authTime);
        if (refused) {
          logger.info('refresh refused', { reason: refused, sub: token.sub });
          throw invalidRefreshToken();
        }
        if (session) {
          try {
            await deps.accessStore.linkRefreshedToken({
              rootSessionId: session.sessionId,
              sessionId: token.sessionId,
              sub: token.sub,
              tokenExpiresAt: token.exp,
            });
          } catch (error) {
            if (error instanceof SessionRevokedError) throw invalidRefreshToken(error);
            throw error;
          }
        }
        const { refreshToken: _unchanged, ...renewed } = tokens;
        return { body: tokenBody(renewed, token.exp) };
      },
    }),

    'POST /auth/logout': protectedRoute({
      body: logoutBody,
      handle: async ({ body, caller: anyCaller }) => {
        const caller = requireUserContext(anyCaller);
        const refresh = body?.refreshToken;
        if (refresh) {
          // A refresh token from a gateway login must belong to the caller's own session.
          const owner = await deps.accessStore.sessionForRefreshToken(refresh);
          if (owner && owner.sessionId !== caller.sessionId && !owner.children.includes(caller.sessionId)) {
            throw new BadRequestError('invalid_refresh_token', 'The refresh token does not belong to this session');
          }
        }
        // First the gateway's own records: from this write on, the tokens are refused.
        await deps.accessStore.revokeSession({ sessionId: caller.sessionId, sub: caller.sub, expiresAt: sessionLifetime() });
        if (body?.everywhere) {
          // Every login up to this second ends, whoever issued its tokens (auth_time).
          await deps.accessStore.raiseCutOff({ sub: caller.sub, username: caller.username, kind: 'signedOutAt', at: nowSeconds() });
          // Then Cognito's own refresh tokens, retried and reported: the cut-off above already
          // refuses what a refresh made directly at Cognito would bring.
          await signOutEverywhereInCognito(deps.identity, logger, { sub: caller.sub, username: caller.username });
        }
        if (refresh) {
          try {
            await deps.identity.revokeRefreshToken(refresh);
          } catch (error) {
            // The gateway already refuses the session; Cognito's own endpoints are the remaining gap.
            logger.error('refresh token revocation in Cognito failed', { errorName: (error as Error)?.name, sub: caller.sub });
          }
        }
        logger.info('logout', { sub: caller.sub, sessionId: caller.sessionId, everywhere: body?.everywhere === true });
        return { statusCode: 204 };
      },
    }),
  });
};

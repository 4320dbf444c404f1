/**
 * Browser sessions' flows (the phantom-token pattern): the browser holds an opaque cookie, the
 * gateway holds the Cognito tokens, sealed in the session's record (lib/secrets/vault.ts).
 *
 * - Sign-in: Cognito's password login, admitted as every login is (flows.ts `admit`); a new
 *   256-bit id whose SHA-256 keys the record; the cookies. A temporary password or MFA answers
 *   its challenge first (`answerChallenge`); every challenge's answer ends in the same `start`.
 * - The session's authority is the gateway's own record (the authorizer decides on it); the
 *   tokens are only needed to talk to Cognito for the user. They are refreshed here, lazily,
 *   when the service needs them and the access token has expired (`GET /auth/session`): Cognito
 *   refusing the refresh token (revoked, expired, the user disabled there) ends the session.
 * - Sign-out: the record is revoked first (from then on refused everywhere within the
 *   revocation bound), then Cognito's refresh token is revoked; the cookies are cleared.
 */
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import type { Logger } from '@aws-lambda-powertools/logger';
import { WEBSESSION } from '../../lib/access/records';
import type { AccessStore } from '../../lib/access/store';
import { epochSeconds, systemClock, type Clock } from '../../lib/clock';
import type { WebSessionConfig } from '../../lib/config';
import { UnauthorizedError } from '../../lib/errors';
import { invalidChallengeSession, isChallenge, type IdentityProvider, type IssuedTokens, type LoginChallenge } from '../../lib/identity/cognito';
import type { SessionRoleContext } from '../../lib/policy/role-context';
import type { Role } from '../../lib/policy/route-policy';
import { clearedSessionCookies, hashSessionId, newSessionId, sessionCookies } from '../../lib/sessions/web-session';
import { SealedSecretError, type SealedSecret, type SecretVault } from '../../lib/secrets/vault';
import type { describe } from './flows';

/** What the sealed tokens are bound to: their record and field, so they open nowhere else. */
export const tokensContext = (hash: string) => `${WEBSESSION}${hash}#tokens`;

/** Refresh the stored tokens when the access token has less than this left. */
const REFRESH_MARGIN_SECONDS = 60;

interface KeptTokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

/** A challenge's answer, by kind: the same union as the route's body. */
export type ChallengeAnswer =
  | { challenge: 'NEW_PASSWORD_REQUIRED'; username: string; session: string; newPassword: string }
  | { challenge: 'SOFTWARE_TOKEN_MFA'; username: string; session: string; code: string };

export interface SessionState {
  sub: string;
  username: string;
  email?: string;
  roles: Role[];
  branches: string[];
  expiresAt: string;
  idleExpiresAt: string;
}

export interface WebSessionDeps {
  identity: IdentityProvider;
  accessStore: Pick<AccessStore, 'createWebSession' | 'getWebSession' | 'replaceWebSessionTokens' | 'revokeWebSession'>;
  vault: SecretVault;
  config: WebSessionConfig;
  logger: Logger;
  clock?: Clock;
  /** The token login's steps (flows.ts). */
  login: {
    admit(
      issued: IssuedTokens,
      again: () => Promise<IssuedTokens>,
      options?: { passwordOnly?: boolean },
    ): Promise<{ tokens: IssuedTokens; token: ReturnType<typeof describe> }>;
    signIn(username: string, password: string): Promise<IssuedTokens>;
    rememberChallenge<C extends LoginChallenge>(challenge: C): Promise<C>;
    answerNewPassword(input: { username: string; session: string; newPassword: string }): Promise<IssuedTokens>;
    answerMfa(input: { username: string; session: string; code: string }): Promise<IssuedTokens>;
  };
}

const sessionEnded = (cause?: unknown) => new UnauthorizedError('session_ended', 'The session has ended; sign in again', { cause });

const iso = (epoch: number) => new Date(epoch * 1000).toISOString();

export const createWebSessionFlows = (deps: WebSessionDeps) => {
  const { logger, vault, config } = deps;
  const clock = deps.clock ?? systemClock;

  /** Admitted tokens become a browser session: sealed, recorded under the hash of a new id. */
  const start = async (
    issued: IssuedTokens,
    again: () => Promise<IssuedTokens>,
    options: { passwordOnly?: boolean } = {},
  ): Promise<{ cookies: string[] }> => {
    const { tokens, token } = await deps.login.admit(issued, again, options);
    if (!tokens.refreshToken) throw new Error('Cognito issued no refresh token at sign-in');
    const sessionId = newSessionId();
    const hash = hashSessionId(sessionId);
    const kept: KeptTokens = { accessToken: tokens.accessToken, idToken: tokens.idToken, refreshToken: tokens.refreshToken };
    const now = epochSeconds(clock());
    await deps.accessStore.createWebSession({
      hash,
      sub: token.sub,
      username: token.username,
      roles: token.roles,
      authTime: token.authTime,
      rolesTakenAt: token.iat,
      now,
      expiresAt: now + config.lifetimeSeconds,
      tokens: await vault.seal(JSON.stringify(kept), tokensContext(hash)),
      accessExpiresAt: token.exp,
    });
    logger.info('browser session started', { sub: token.sub, sessionHash: hash });
    return { cookies: sessionCookies(sessionId) };
  };

  /** Username and password for a session cookie, or a challenge to answer first. */
  const signIn = async (input: { username: string; password: string }): Promise<{ cookies: string[] } | LoginChallenge> => {
    const result = await deps.identity.passwordLogin(input.username, input.password);
    if (isChallenge(result)) return deps.login.rememberChallenge(result);
    // Password alone: refused for a user the gateway has MFA on for (flows.ts `admit`).
    return start(result, () => deps.login.signIn(input.username, input.password), { passwordOnly: true });
  };

  /** A sign-in's challenge answered: the session starts as at sign-in. */
  const answerChallenge = async (input: ChallengeAnswer): Promise<{ cookies: string[] }> => {
    switch (input.challenge) {
      case 'NEW_PASSWORD_REQUIRED': {
        const tokens = await deps.login.answerNewPassword(input);
        return start(tokens, () => deps.login.signIn(input.username, input.newPassword));
      }
      case 'SOFTWARE_TOKEN_MFA': {
        // One answer per challenge: a session born in a cut-off's own second signs in again.
        const tokens = await deps.login.answerMfa(input);
        return start(tokens, () => Promise.reject(invalidChallengeSession()));
      }
    }
  };

  const openTokens = async (sealed: unknown, hash: string): Promise<KeptTokens> => {
    const parsed = JSON.parse(await vault.open(sealed as SealedSecret, tokensContext(hash))) as Partial<KeptTokens>;
    if (typeof parsed.accessToken !== 'string' || typeof parsed.idToken !== 'string' || typeof parsed.refreshToken !== 'string') {
      throw new SealedSecretError();
    }
    return parsed as KeptTokens;
  };

  /** The session ends at the gateway: from this write on, refused everywhere within the bound. */
  const end = (hash: string) => deps.accessStore.revokeWebSession({ hash, now: epochSeconds(clock()) });

  /** Who is signed in; the stored tokens refreshed when their access token has expired. */
  const state = async (caller: SessionRoleContext): Promise<SessionState> => {
    const hash = caller.sessionId;
    const stored = await deps.accessStore.getWebSession(hash);
    if (!stored || stored.revokedAt !== undefined) throw sessionEnded();
    let tokens: KeptTokens;
    try {
      tokens = await openTokens(stored.tokens, hash);
    } catch (error) {
      if (!(error instanceof SealedSecretError || error instanceof SyntaxError)) throw error;
      // Tokens that do not open are of no use to anyone: the session ends rather than limps on.
      logger.error('browser session tokens do not open', { sessionHash: hash, errorName: error.name });
      await end(hash);
      throw sessionEnded(error);
    }
    const now = epochSeconds(clock());
    if (stored.accessExpiresAt - REFRESH_MARGIN_SECONDS <= now) {
      let refreshed: IssuedTokens;
      try {
        refreshed = await deps.identity.refresh(tokens.refreshToken);
      } catch (error) {
        if (!(error instanceof UnauthorizedError)) throw error;
        // Cognito refuses the refresh token (revoked, expired, the user cut off there).
        logger.info('browser session refresh refused', { sub: caller.sub, sessionHash: hash });
        await end(hash);
        throw sessionEnded(error);
      }
      tokens = { ...tokens, accessToken: refreshed.accessToken, idToken: refreshed.idToken };
      const exp = decomposeUnverifiedJwt(refreshed.accessToken).payload.exp;
      const replaced = await deps.accessStore.replaceWebSessionTokens({
        hash,
        tokens: await vault.seal(JSON.stringify(tokens), tokensContext(hash)),
        accessExpiresAt: typeof exp === 'number' ? exp : now,
      });
      if (!replaced) throw sessionEnded();
      logger.info('browser session tokens refreshed', { sub: caller.sub, sessionHash: hash });
    }
    const email = decomposeUnverifiedJwt(tokens.idToken).payload.email;
    return {
      sub: caller.sub,
      username: caller.username,
      ...(typeof email === 'string' ? { email } : {}),
      roles: caller.roles,
      branches: caller.branches,
      expiresAt: iso(stored.expiresAt),
      idleExpiresAt: iso(Math.min(stored.expiresAt, now + config.idleSeconds)),
    };
  };

  /** Sign out: the record first, then Cognito's refresh token; the cookies cleared. */
  const signOut = async (caller: SessionRoleContext): Promise<{ cookies: string[] }> => {
    const hash = caller.sessionId;
    const stored = await deps.accessStore.getWebSession(hash);
    await end(hash);
    if (stored) {
      try {
        await deps.identity.revokeRefreshToken((await openTokens(stored.tokens, hash)).refreshToken);
      } catch (error) {
        // The gateway already refuses the session; Cognito's own endpoints are the remaining gap.
        logger.error('refresh token revocation in Cognito failed', { errorName: (error as Error)?.name, sub: caller.sub });
      }
    }
    logger.info('browser session ended', { sub: caller.sub, sessionHash: hash });
    return { cookies: clearedSessionCookies() };
  };

  return { signIn, answerChallenge, state, signOut };
};

/**
 * The auth service's flows as plain functions: login, refresh, logout. The routes
 * (service.ts) validate input and call these; these talk to Cognito and the access records.
 *
 * Logout ends the session for the gateway at once: the session record the authorizer reads on
 * every request is marked revoked (by `origin_jti` on AWS, by `jti` where the issuer has none),
 * together with every access token refreshed from the same login. The refresh token, when the
 * client sends it, is revoked in Cognito too.
 */
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import type { Logger } from '@aws-lambda-powertools/logger';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../../lib/errors';
import { epochSeconds, systemClock, type Clock } from '../../lib/clock';
import {
  loginCutOff,
  revocationReason,
  SessionRevokedError,
  type ChallengeRecords,
  type MfaRecords,
  type SessionRecords,
  type UserRecords,
  type WebSessionRecords,
} from '../../lib/access/store';
import { CHALLENGE_TTL_SECONDS } from '../../lib/access/store/challenges';
import {
  invalidChallengeSession,
  invalidCredentials,
  invalidRefreshToken,
  isChallenge,
  tooManyAttempts,
  type IdentityProvider,
  type IssuedTokens,
  type LoginChallenge,
} from '../../lib/identity/cognito';
import { TOTP_VALIDITY_SECONDS } from '../../lib/identity/totp';
import { signOutEverywhereInCognito } from '../../lib/identity/global-sign-out';
import type { SessionConfig, SignUpConfig } from '../../lib/config';
import type { UserRoleContext } from '../../lib/policy/role-context';
import { isRole, type Role } from '../../lib/policy/route-policy';

/** The facts of a token we were just handed by Cognito over TLS (no need to verify it again). */
export const describe = (accessToken: string) => {
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The answer to a login or a refresh, in the contract's shape. */
export interface TokenAnswer {
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

const tokenAnswer = (tokens: IssuedTokens, exp: number, now: number): TokenAnswer => ({
  accessToken: tokens.accessToken,
  idToken: tokens.idToken,
  ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
  expiresIn: tokens.expiresIn ?? Math.max(0, exp - now),
  tokenType: 'Bearer',
});

export interface AuthDeps {
  identity: IdentityProvider;
  /** Browser sessions' records are used by web-sessions.ts. */
  accessStore: Pick<UserRecords, 'getUser' | 'raiseCutOff' | 'setMfa'> & SessionRecords & ChallengeRecords & WebSessionRecords;
  /** Two-factor sign-in's own records: codes used, wrong codes counted, the sealed secret. */
  mfa: MfaRecords;
  /** Sign-up is off unless `signUp.enabled`; `mfaIssuer` names the gateway in authenticator apps. */
  config: SessionConfig & { signUp?: SignUpConfig; mfaIssuer?: string };
  logger: Logger;
  clock?: Clock;
}

export const createAuthFlows = (deps: AuthDeps) => {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  const sessionLifetime = () => epochSeconds(clock()) + deps.config.refreshTokenValidityDays * 86_400;

  /**
   * Wait until the second after a cut-off is under way (cut-offs refuse up to and including
   * their second). At most 2 s: a cut-off further ahead is a clock skew, not this second, and
   * waiting it out would hold the request; the new token is then refused like any other.
   */
  const waitPast = (cutOff: number) => sleep(Math.min(2000, Math.max(0, (cutOff + 1) * 1000 - clock() + 5)));

  /** Tokens, or a new-password challenge (a challenge never is answered with more than `signIn` gives). */
  const signIn = async (username: string, password: string): Promise<IssuedTokens> => {
    const result = await deps.identity.passwordLogin(username, password);
    if (isChallenge(result)) throw invalidCredentials();
    return result;
  };

  /**
   * Tokens Cognito just issued, admitted as a login of the gateway: refused for a deleted or
   * disabled user, and issued again (with `again`) when a cut-off in this very second would
   * refuse them. A token login and a browser session both start here.
   */
  const admit = async (issued: IssuedTokens, again: () => Promise<IssuedTokens>, options: { passwordOnly?: boolean } = {}) => {
    let tokens = issued;
    let token = describe(tokens.accessToken);
    const user = await deps.accessStore.getUser(token.sub);
    // A deleted or disabled account gets the same answer as a wrong password (the trigger
    // refuses both at Cognito already; this holds where it has not run).
    if (user?.deletedAt !== undefined || user?.disabled) throw invalidCredentials();
    if (options.passwordOnly && user?.mfaEnabled === true) {
      // The gateway turned MFA on and nothing turned it off through the gateway, yet Cognito
      // asked for no code: someone turned it off at Cognito directly (SetUserMFAPreference
      // takes only an access token). No tokens here; an admin's reset puts it straight.
      logger.error('mfa off at Cognito but on at the gateway', { code: 'mfa_off_outside_gateway', sub: token.sub });
      throw invalidCredentials();
    }
    if (revocationReason({ ...(user ? { user } : {}) }, { issuedAt: token.iat, authTime: token.authTime })) {
      // A cut-off in this very second (they refuse up to and including their second): sign
      // in again once that second is over, so the new session is not born revoked.
      await waitPast(Math.max(user?.signedOutAt ?? 0, user?.disabledAt ?? 0, user?.rolesChangedAt ?? 0));
      tokens = await again();
      token = describe(tokens.accessToken);
    }
    return { tokens, token };
  };

  /**
   * Tokens Cognito just issued become a session of the gateway, as at every login: admitted,
   * and recorded so that logout and every revocation rule reach them.
   */
  const startSession = async (
    issued: IssuedTokens,
    again: () => Promise<IssuedTokens>,
    options: { passwordOnly?: boolean } = {},
  ): Promise<TokenAnswer> => {
    const { tokens, token } = await admit(issued, again, options);
    await deps.accessStore.recordLogin({
      sessionId: token.sessionId,
      sub: token.sub,
      refreshToken: tokens.refreshToken!,
      issuedAt: token.authTime,
      expiresAt: sessionLifetime(),
    });
    logger.info('login', { sub: token.sub, sessionId: token.sessionId });
    return tokenAnswer(tokens, token.exp, epochSeconds(clock()));
  };

  /**
   * A login's challenge (a temporary password, or MFA on), remembered so that only it, once, for
   * this user, and only at its own kind's answer, can be answered.
   */
  const rememberChallenge = async <C extends LoginChallenge>(challenge: C): Promise<C> => {
    await deps.accessStore.recordChallenge({
      session: challenge.session,
      username: challenge.username,
      expiresAt: epochSeconds(clock()) + CHALLENGE_TTL_SECONDS,
      challenge: challenge.challenge,
    });
    logger.info('login challenge', { challenge: challenge.challenge });
    return challenge;
  };

  /** The new-password challenge answered at Cognito, once, for the user it was issued to. */
  const answerNewPassword = async (input: { username: string; session: string; newPassword: string }): Promise<IssuedTokens> => {
    const taken = await deps.accessStore.takeChallenge({
      session: input.session,
      username: input.username,
      now: epochSeconds(clock()),
      challenge: 'NEW_PASSWORD_REQUIRED',
    });
    if (!taken) throw invalidChallengeSession();
    return deps.identity.respondToNewPassword(input.username, input.session, input.newPassword);
  };

  /** Username and password for tokens, through Cognito (and its trigger), recorded as a session. */
  const login = async (input: { username: string; password: string }): Promise<TokenAnswer | LoginChallenge> => {
    const result = await deps.identity.passwordLogin(input.username, input.password);
    // A temporary password, or MFA on: no tokens until the next step.
    if (isChallenge(result)) return rememberChallenge(result);
    return startSession(result, () => signIn(input.username, input.password), { passwordOnly: true });
  };

  /** The new-password challenge of a login answered: the password is set, and a session starts as at login. */
  const newPassword = async (input: { username: string; session: string; newPassword: string }): Promise<TokenAnswer> => {
    const tokens = await answerNewPassword(input);
    return startSession(tokens, () => signIn(input.username, input.newPassword));
  };

  /**
   * Login's MFA challenge answered with a code from the user's authenticator app. Each challenge
   * takes one answer: a wrong code spends it (log in again), and counts against the user's limit
   * of wrong codes (`MFA_MAX_FAILURES` per window; Cognito on AWS keeps its own as well). A code
   * the user already used is refused as a wrong one, before Cognito sees it: cognito-local would
   * take it again. A wrong code gets the same answer as a wrong password.
   */
  const answerMfa = async (input: { username: string; session: string; code: string }): Promise<IssuedTokens> => {
    const now = epochSeconds(clock());
    const taken = await deps.accessStore.takeChallenge({ session: input.session, username: input.username, now, challenge: 'SOFTWARE_TOKEN_MFA' });
    if (!taken) throw invalidChallengeSession();
    if (await deps.mfa.tooManyFailures({ username: input.username, now })) throw tooManyAttempts();
    const fresh = await deps.mfa.useCode({ username: input.username, code: input.code, now, expiresAt: now + TOTP_VALIDITY_SECONDS });
    let tokens: IssuedTokens;
    try {
      if (!fresh) throw invalidCredentials();
      tokens = await deps.identity.respondToSoftwareTokenMfa(input.username, input.session, input.code);
    } catch (error) {
      if (error instanceof UnauthorizedError && error.code === 'invalid_credentials') {
        await deps.mfa.recordFailure({ username: input.username, now });
        logger.info('mfa code refused', { replayed: !fresh });
      }
      throw error;
    }
    return tokens;
  };

  /**
   * The MFA challenge answered for tokens. The challenge cannot be answered twice: a session
   * born in a cut-off's own second (MFA was turned on in it; that flow waits its second out, so
   * only a concurrent one) logs in again.
   */
  const mfaLogin = async (input: { username: string; session: string; code: string }): Promise<TokenAnswer> =>
    startSession(await answerMfa(input), () => Promise.reject(invalidChallengeSession()));

  /**
   * The caller's own password, changed at Cognito with the access token they called with (the
   * authorizer verified it; the route checks it is the caller's, flows get it from there).
   */
  const changePassword = async (caller: UserRoleContext, accessToken: string, input: { currentPassword: string; newPassword: string }) => {
    await deps.identity.changePassword(accessToken, input.currentPassword, input.newPassword);
    logger.info('password changed', { sub: caller.sub });
  };

  /** A reset code to the user's email. Silent for unknown users: the same answer either way. */
  const forgotPassword = async (input: { username: string }) => {
    await deps.identity.forgotPassword(input.username);
  };

  /**
   * A new password with the emailed code. Every earlier login of the user ends, as with sign-out
   * everywhere: the gateway's cut-off first (the change log carries it within the revocation
   * bound), then Cognito's own refresh tokens where it can.
   */
  const resetPassword = async (input: { username: string; code: string; newPassword: string }) => {
    await deps.identity.confirmForgotPassword(input.username, input.code, input.newPassword);
    const user = await deps.identity.getUser(input.username);
    if (!user) return;
    await deps.accessStore.raiseCutOff({ sub: user.sub, username: user.username, kind: 'signedOutAt', at: epochSeconds(clock()) });
    await signOutEverywhereInCognito(deps.identity, logger, { sub: user.sub, username: user.username });
    logger.info('password reset', { sub: user.sub });
  };

  const requireSignUp = () => {
    if (deps.config.signUp?.enabled !== true) throw new NotFoundError('signup_disabled', 'Self-service sign-up is turned off on this gateway');
  };

  /** A customer account for an email: a confirmation code goes there. An existing email answers the same. */
  const signUp = async (input: { email: string; password: string }) => {
    requireSignUp();
    await deps.identity.signUp(input.email, input.password);
  };

  /** The emailed code confirms the account, which becomes a customer. */
  const confirmSignUp = async (input: { email: string; code: string }) => {
    requireSignUp();
    await deps.identity.confirmSignUp(input.email, input.code);
    await deps.identity.addRole(input.email, 'customer');
    logger.info('sign-up confirmed');
  };

  /**
   * New tokens for a refresh token: refused if its session was logged out, or its login is
   * older than a cut-off, whoever issued it.
   */
  const refresh = async (input: { refreshToken: string }): Promise<TokenAnswer> => {
    const session = await deps.accessStore.sessionForRefreshToken(input.refreshToken);
    if (session) {
      // A login through the gateway: its session and its login's cut-offs, before Cognito.
      const user = session.sub ? await deps.accessStore.getUser(session.sub) : undefined;
      const refused = session.revokedAt !== undefined ? 'session_revoked' : loginCutOff(user, session.issuedAt ?? 0);
      if (refused) {
        logger.info('refresh refused', { reason: refused, sub: session.sub });
        throw invalidRefreshToken();
      }
    }
    let tokens = await deps.identity.refresh(input.refreshToken);
    let token = describe(tokens.accessToken);
    // Whoever issued the refresh token: the new token dates its login by auth_time, and a
    // login before a cut-off stays cut off (the authorizer would refuse the token anyway).
    const user = await deps.accessStore.getUser(token.sub);
    const refused = loginCutOff(user, token.authTime);
    if (refused) {
      logger.info('refresh refused', { reason: refused, sub: token.sub });
      throw invalidRefreshToken();
    }
    if (user?.rolesChangedAt !== undefined && token.iat <= user.rolesChangedAt) {
      // A role change in this very second would refuse the new token: refresh again once it is over.
      await waitPast(user.rolesChangedAt);
      tokens = await deps.identity.refresh(input.refreshToken);
      token = describe(tokens.accessToken);
    }
    if (session) {
      try {
        await deps.accessStore.linkRefreshedToken({
          rootSessionId: session.sessionId,
          sessionId: token.sessionId,
          sub: token.sub,
          tokenExpiresAt: token.exp,
          sessionExpiresAt: sessionLifetime(),
        });
      } catch (error) {
        if (error instanceof SessionRevokedError) throw invalidRefreshToken(error);
        throw error;
      }
    }
    const { refreshToken: _unchanged, ...renewed } = tokens;
    return tokenAnswer(renewed, token.exp, epochSeconds(clock()));
  };

  /** End the caller's session (and with `everywhere`, every login of theirs up to now). */
  const logout = async (caller: UserRoleContext, input: { refreshToken?: string; everywhere?: boolean }): Promise<void> => {
    const refresh = input.refreshToken;
    if (refresh) {
      // A refresh token from a gateway login must belong to the caller's own session.
      const owner = await deps.accessStore.sessionForRefreshToken(refresh);
      if (owner && owner.sessionId !== caller.sessionId && !owner.children.includes(caller.sessionId)) {
        throw new BadRequestError('invalid_refresh_token', 'The refresh token does not belong to this session');
      }
    }
    // First the gateway's own records: from this write on, the tokens are refused.
    await deps.accessStore.revokeSession({ sessionId: caller.sessionId, sub: caller.sub, expiresAt: sessionLifetime() });
    if (input.everywhere) {
      // Every login up to this second ends, whoever issued its tokens (auth_time).
      await deps.accessStore.raiseCutOff({ sub: caller.sub, username: caller.username, kind: 'signedOutAt', at: epochSeconds(clock()) });
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
    logger.info('logout', { sub: caller.sub, sessionId: caller.sessionId, everywhere: input.everywhere === true });
  };

  return {
    login,
    newPassword,
    mfaLogin,
    changePassword,
    forgotPassword,
    resetPassword,
    signUp,
    confirmSignUp,
    refresh,
    logout,
    // The steps a browser session's sign-in shares with a token login (web-sessions.ts).
    admit,
    signIn,
    rememberChallenge,
    answerNewPassword,
    answerMfa,
  };
};

/**
 * Browser sessions: the opaque `__Host-session` cookie (lib/sessions/web-session.ts), resolved
 * at the gateway to the session's record and its user's, through the authorizer's warm view
 * (no read per request in steady state; every revocation within the bound). The Cognito tokens
 * the session stands for stay sealed in the record: this stage never opens them.
 *
 * In order, each able only to deny:
 *   1. a session id presented as a bearer token: refused by name (it is a cookie's, never a token);
 *   2. the cookie: one well-formed session id, or refused; none: not mine;
 *   3. a cookie together with an Authorization header: refused, never a guess which one counts;
 *   4. POST, PUT, PATCH, DELETE: the `X-CSRF-Token` header must be the session's CSRF token
 *      (constant time; checked before any read, so a forged request costs nothing);
 *   5. the record: unknown, past its lifetime, idle, and the one revocation rule of logins
 *      (lib/access/records.ts: cut-offs by the login's time, a role change by when the
 *      session's roles were taken, its own sign-out);
 *   6. "last seen", written down at most once a minute per session (not awaited by the decision).
 */
import type { StructuredLogger } from '../../lib/metrics';
import { webSessionRefusal, WEBSESSION, type SnapshotReader } from '../../lib/access/records';
import { epochSeconds, type Clock } from '../../lib/clock';
import { headerValues } from '../../lib/policy/role-context';
import { CSRF_HEADER, csrfMatches, hashSessionId, looksLikeSessionId, sessionCookieOf, UNSAFE_METHODS } from '../../lib/sessions/web-session';
import { createBoundedMap } from '../adapters/bounded-map';
import { deny, mustSetUpMfa, type AuditPrincipal, type Authenticator } from './types';

/** "Last seen" is written at most this often per session. */
export const TOUCH_INTERVAL_SECONDS = 60;

export interface LastSeenToucher {
  /** Move the session's `lastSeenAt` to `now` if it is at most `notAfter` (and the session is not revoked). */
  touch(hash: string, now: number, notAfter: number): Promise<unknown>;
}

export const createSessionAuthenticator = (deps: {
  accessStore: Pick<SnapshotReader, 'webSession'>;
  lastSeen: LastSeenToucher;
  idleSeconds: number;
  logger: StructuredLogger;
  clock: Clock;
  /** Sessions whose "last seen" this container remembers writing. */
  maxTouches?: number;
  /** Roles whose holders may call only MFA's setup routes until their record says MFA is on. */
  mfaRequiredRoles?: readonly string[];
}): Authenticator => {
  const { accessStore, logger } = deps;
  /** hash → when this container last wrote its "last seen" (the kept record may predate it). */
  const touched = createBoundedMap<string, number>({ maxEntries: deps.maxTouches ?? 10_000 });

  return {
    async authenticate({ credential, event, cost }) {
      if (credential !== undefined && looksLikeSessionId(credential)) return deny(401, 'session_id_as_bearer', { authType: 'session' });

      const cookie = sessionCookieOf(headerValues(event.headers, 'cookie'), event.cookies);
      if ('failure' in cookie) return deny(401, cookie.failure, { authType: 'session' });
      if (cookie.sessionId === undefined) return undefined;
      if (credential !== undefined || headerValues(event.headers, 'authorization').length > 0) {
        return deny(401, 'cookie_and_bearer', { authType: 'session' });
      }

      const hash = hashSessionId(cookie.sessionId);
      // The route key's method is the one the policy was chosen by.
      const method = String(event.routeKey).split(' ', 1)[0] ?? '';
      if (UNSAFE_METHODS.has(method)) {
        const presented = headerValues(event.headers, CSRF_HEADER);
        if (presented.length === 0) return deny(403, 'csrf_token_missing', { authType: 'session' });
        if (presented.length > 1 || !csrfMatches(hash, presented[0])) return deny(403, 'csrf_token_mismatch', { authType: 'session' });
      }

      let snapshot;
      try {
        snapshot = await accessStore.webSession(hash, cost);
      } catch (error) {
        logger.error('access records unavailable', { errorName: (error as Error)?.name });
        return deny(401, 'access_store_unavailable', { authType: 'session' });
      }
      const now = epochSeconds(deps.clock());
      const { session } = snapshot;
      const lastSeenAt = Math.max(session?.lastSeenAt ?? 0, touched.get(hash) ?? 0);
      const refused = webSessionRefusal(session ? { ...snapshot, session: { ...session, lastSeenAt } } : snapshot, now, deps.idleSeconds);
      if (refused || !session) {
        // An unknown id names nobody: the log says so and keeps nothing of it.
        const principal: AuditPrincipal = session
          ? { authType: 'session', sub: session.sub, username: session.username, sessionId: hash }
          : { authType: 'session' };
        return deny(401, refused ?? 'unknown_session', principal);
      }

      if (now - lastSeenAt >= TOUCH_INTERVAL_SECONDS) {
        touched.set(hash, now);
        // Not awaited: an extension of the session is never a reason to hold the request. A
        // write that fails leaves "last seen" earlier, which only ends the session sooner.
        deps.lastSeen.touch(hash, now, now - TOUCH_INTERVAL_SECONDS).catch((error: unknown) => {
          logger.warn('session last-seen not written', { errorName: (error as Error)?.name });
        });
      }

      return {
        authType: 'session',
        sub: session.sub,
        username: session.username,
        roles: [...session.roles],
        branches: snapshot.user?.branches ?? [],
        scopes: [],
        sessionId: hash,
        expiresAt: Math.min(session.expiresAt, lastSeenAt + deps.idleSeconds),
        ...(mustSetUpMfa(session.roles, snapshot.user, deps.mfaRequiredRoles ?? []) ? { mfaRequired: true as const } : {}),
      };
    },
  };
};

/** The view's key for a session's hash (what the toucher writes). */
export const webSessionKey = (hash: string): string => WEBSESSION + hash;

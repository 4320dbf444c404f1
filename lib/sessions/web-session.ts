/**
 * Browser sessions as the wire sees them: the opaque session id in the `__Host-session` cookie,
 * its hash (the only form the gateway stores), the CSRF token bound to it, and the cookies.
 * node:crypto only: the authorizer's bundle carries this module.
 *
 * - A session id is 32 random bytes (256 bits) in base64url behind a fixed prefix (`gws1.`), so
 *   that one sent somewhere else (as a bearer token) is recognised and refused by name.
 * - The record key is SHA-256 of the id: a read of the table (a backup, a log of keys) gives no
 *   cookie that works.
 * - The CSRF token is HMAC-SHA256 of a fixed label keyed by the id's hash: a page of another
 *   origin can neither read the cookie nor derive the token, and the authorizer checks it with
 *   no state of its own (double submit, signed by the session). Compared in constant time.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = '__Host-session';
/** Readable by the page's script (not HttpOnly): the CSRF token it echoes in `X-CSRF-Token`. */
export const CSRF_COOKIE = '__Host-csrf';
export const CSRF_HEADER = 'x-csrf-token';

const PREFIX = 'gws1.';
/** 32 bytes of base64url: 43 characters. */
const SESSION_ID = /^gws1\.[A-Za-z0-9_-]{43}$/;
const CSRF_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A new session id: 256 bits from the operating system's CSPRNG. */
export const newSessionId = (): string => PREFIX + randomBytes(32).toString('base64url');

/** Whether a value has the form of a session id (a cookie's, or one misused as a bearer token). */
export const looksLikeSessionId = (value: string): boolean => value.startsWith(PREFIX);

export const isSessionId = (value: string): boolean => SESSION_ID.test(value);

/** The stored form of a session id: SHA-256, hex. */
export const hashSessionId = (sessionId: string): string => createHash('sha256').update(sessionId, 'utf8').digest('hex');

/** The CSRF token of the session whose id hashes to `hash`. */
export const csrfTokenFor = (hash: string): string => createHmac('sha256', hash).update('gateway csrf v1', 'utf8').digest('base64url');

/** Whether `presented` is the session's CSRF token (constant time once the form is right). */
export const csrfMatches = (hash: string, presented: string | undefined): boolean => {
  if (presented === undefined || !CSRF_TOKEN.test(presented)) return false;
  return timingSafeEqual(Buffer.from(csrfTokenFor(hash), 'utf8'), Buffer.from(presented, 'utf8'));
};

/** A Cookie header longer than this is refused unread (browsers send at most a few KB per site). */
export const MAX_COOKIE_HEADER_LENGTH = 8192;

export type SessionCookie = { sessionId: string } | { sessionId?: undefined } | { failure: 'malformed_session_cookie' };

/**
 * The session id the request's cookies carry. HTTP API payload 2.0 moves the Cookie header into
 * `event.cookies` (one entry per cookie); serverless-offline leaves it in `headers`: both are
 * read. Refused (never guessed): two session cookies (a second one planted by another site of
 * the domain, or a second Cookie line), an oversized header, a value that is not a session id.
 * Other cookies, and pairs without `=`, are ignored, as browsers ignore them.
 */
export const sessionCookieOf = (
  headerValues: readonly string[],
  cookies: readonly string[] | null | undefined,
): SessionCookie => {
  const pairs: string[] = [];
  let length = 0;
  for (const header of headerValues) {
    length += header.length;
    pairs.push(...header.split(';'));
  }
  for (const cookie of cookies ?? []) {
    if (typeof cookie !== 'string') continue;
    length += cookie.length;
    pairs.push(...cookie.split(';'));
  }
  if (length > MAX_COOKIE_HEADER_LENGTH) return { failure: 'malformed_session_cookie' };
  const found = new Set<string>();
  let seen = 0;
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals < 0) continue;
    if (pair.slice(0, equals).trim() !== SESSION_COOKIE) continue;
    seen += 1;
    found.add(pair.slice(equals + 1).trim());
  }
  if (seen === 0) return {};
  // The same cookie in both places (a platform that fills both) counts once; two values never.
  const [sessionId] = [...found];
  if (found.size > 1 || sessionId === undefined || !isSessionId(sessionId)) return { failure: 'malformed_session_cookie' };
  return { sessionId };
};

/** Attributes of the session cookie: script cannot read it, other sites' requests do not carry it. */
const SESSION_ATTRIBUTES = 'HttpOnly; Secure; SameSite=Strict; Path=/';
const CSRF_ATTRIBUTES = 'Secure; SameSite=Strict; Path=/';

/** The `Set-Cookie` values that start a session (no Max-Age: the cookie ends with the browser, the session at its lifetime). */
export const sessionCookies = (sessionId: string): string[] => [
  `${SESSION_COOKIE}=${sessionId}; ${SESSION_ATTRIBUTES}`,
  `${CSRF_COOKIE}=${csrfTokenFor(hashSessionId(sessionId))}; ${CSRF_ATTRIBUTES}`,
];

/** The `Set-Cookie` values that clear both cookies. */
export const clearedSessionCookies = (): string[] => [
  `${SESSION_COOKIE}=; ${SESSION_ATTRIBUTES}; Max-Age=0`,
  `${CSRF_COOKIE}=; ${CSRF_ATTRIBUTES}; Max-Age=0`,
];

/** Methods that change state: a cookie-authenticated request with one of them must carry the CSRF header. */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

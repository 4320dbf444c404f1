/**
 * Browser sessions over HTTP against the local stack: the sign-in and its cookies, the session's
 * routes, and the attacks of issue 14 (a forged, expired or revoked session id, one of another
 * user, a missing or wrong CSRF token, a cookie with a bearer token, a session id as a bearer
 * token), and sequences: sign out, sign out everywhere, disable, role change, each refusing the
 * old cookie within the revocation bound and for good.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CSRF_COOKIE, SESSION_COOKIE, hashSessionId, newSessionId } from '../../lib/sessions/web-session';
import { alterSession, browserSession, setCookies, signIn, storedSession, withSession, type BrowserSession } from '../support/browser-session';
import {
  afterRevocationBound,
  assertNoInternals,
  call,
  freshUser,
  login,
  stack,
  TEST_CORS_ORIGIN,
  tokensOf,
  user,
  withinRevocationBound,
} from '../support/client';

const epoch = () => Math.floor(Date.now() / 1000);

/** A JWT (header and payload are base64url JSON objects): random base64 never looks like this. */
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\./;

/** A Set-Cookie line's attributes, sorted (serverless-offline writes them in its own order). */
const attributes = (line: string) =>
  line
    .split(';')
    .slice(1)
    .map((part) => part.trim())
    .sort();

/** The session's answer to `GET /users/me` (200 while it works). */
const meStatus = async (session: Pick<BrowserSession, 'cookie' | 'csrf'>) => (await withSession('GET', '/users/me', session)).status;

/** The session is refused (401) within the revocation bound, and only 200 before that. */
const refusedWithinBound = (session: BrowserSession, what: string) =>
  withinRevocationBound(async () => {
    const status = await meStatus(session);
    if (status !== 200 && status !== 401) throw new Error(`${what}: answered ${status}`);
    return status === 401;
  }, what);

describe('browser sessions', () => {
  let customer: BrowserSession;

  beforeAll(async () => {
    customer = await browserSession(user('customer'));
  });

  describe('sign-in', () => {
    it('answers 204 with an HttpOnly, Secure, SameSite=Strict __Host- cookie of 256 random bits, a readable CSRF cookie, and no token anywhere', async () => {
      const answer = await signIn(user('customer'));
      assert.equal(answer.status, 204);
      assert.equal(answer.text, '');
      const cookies = setCookies(answer);
      const session = cookies.get(SESSION_COOKIE)!;
      assert.match(session.value, /^gws1\.[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(attributes(session.line), ['HttpOnly', 'Path=/', 'SameSite=Strict', 'Secure']);
      const csrf = cookies.get(CSRF_COOKIE)!;
      assert.match(csrf.value, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(attributes(csrf.line), ['Path=/', 'SameSite=Strict', 'Secure']);
      assert.doesNotMatch(JSON.stringify([...answer.headers]), JWT);
    });

    it('stores only the hash of the id, and the tokens sealed', async () => {
      const stored = await storedSession(customer.sessionId);
      assert.ok(stored, 'the record is keyed by the hash');
      const text = JSON.stringify(stored);
      assert.ok(!text.includes(customer.sessionId), 'the id itself is not stored');
      assert.doesNotMatch(text, JWT, 'no token in the clear');
      assert.deepEqual(Object.keys(stored.tokens as object).sort(), ['data', 'iv', 'key', 'tag', 'v']);
      assert.equal(stored.pk, `websession#${hashSessionId(customer.sessionId)}`);
    });

    it('answers a wrong password as the token login does: 401 invalid_credentials, no cookie', async () => {
      const answer = await signIn({ username: user('customer').username, password: 'Wrong-Passw0rd!' });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'invalid_credentials');
      assert.equal(answer.headers.getSetCookie().length, 0);
    });

    it('refuses a sign-in posted by a page of another origin (login CSRF), 403 origin_not_allowed', async () => {
      const attempts: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      ];
      for (const headers of attempts) {
        const answer = await signIn(user('customer'), headers);
        assert.equal(answer.status, 403, JSON.stringify(headers));
        assert.equal(answer.body.error, 'origin_not_allowed');
        assert.equal(answer.headers.getSetCookie().length, 0);
      }
      const noOrigin = await call('POST', '/auth/session', { body: { username: 'x', password: 'y' }, headers: { 'sec-fetch-site': 'cross-site' } });
      assert.equal(noOrigin.status, 403);
    });

    it('answers a temporary password with the challenge, and its answer with the session cookie', async () => {
      const admin = await login('admin');
      const username = `session-first-${randomBytes(4).toString('hex')}@example.com`;
      const created = await call('POST', '/users', { token: admin.accessToken, body: { email: username, roles: ['customer'], temporaryPassword: 'Temp-Passw0rd!-1' } });
      assert.equal(created.status, 201, created.text);
      const first = await signIn({ username, password: 'Temp-Passw0rd!-1' });
      assert.equal(first.status, 200);
      assert.equal(first.body.challenge, 'NEW_PASSWORD_REQUIRED');
      assert.equal(first.headers.getSetCookie().length, 0);
      const answer = { challenge: 'NEW_PASSWORD_REQUIRED', username, session: first.body.session, newPassword: 'Chosen-Passw0rd!-2' };
      const answered = await call('POST', '/auth/session/challenge', { body: answer, headers: { origin: stack().gatewayUrl } });
      assert.equal(answered.status, 204, answered.text);
      const sessionId = setCookies(answered).get(SESSION_COOKIE)!.value;
      const csrf = setCookies(answered).get(CSRF_COOKIE)!.value;
      assert.equal(await meStatus({ cookie: `${SESSION_COOKIE}=${sessionId}`, csrf }), 200);
      // The challenge's session works once.
      const again = await call('POST', '/auth/session/challenge', { body: answer, headers: { origin: stack().gatewayUrl } });
      assert.equal(again.status, 401);
    });
  });

  describe('the session', () => {
    it('answers who is signed in at GET /auth/session, and the user at GET /users/me as authType session', async () => {
      const state = await withSession('GET', '/auth/session', customer);
      assert.equal(state.status, 200, state.text);
      assert.equal(state.body.username, user('customer').username);
      assert.deepEqual(state.body.roles, ['customer']);
      assertNoInternals(state);
      const me = await withSession('GET', '/users/me', customer);
      assert.equal(me.status, 200);
      assert.equal(me.body.authType, 'session');
      assert.equal(me.body.username, user('customer').username);
    });

    it("keeps a manager to their own branch, and writes to it only with the session's CSRF token", async () => {
      const manager = await browserSession(user('manager'));
      assert.equal((await withSession('GET', '/branches/1/products', manager)).status, 200);
      assert.equal((await withSession('GET', '/branches/2/products', manager)).status, 403);
      const put = (csrf?: string | false) => withSession('PUT', '/branches/1/products/p-1', manager, { body: { quantity: 5 }, ...(csrf === undefined ? {} : { csrf }) });
      assert.equal((await put(false)).status, 403, 'no CSRF token');
      assert.equal((await put('A'.repeat(43))).status, 403, 'a wrong CSRF token');
      assert.equal((await put(customer.csrf)).status, 403, "another session's CSRF token");
      assert.equal((await put('')).status, 403, 'an empty CSRF token');
      const done = await put();
      assert.ok([200, 404].includes(done.status), `with the token: ${done.status} ${done.text}`);
    });

    it('refuses the routes that act on a bearer token (403 user_token_required), and the session routes to a bearer token (403)', async () => {
      assert.equal((await withSession('GET', '/api-keys', customer)).status, 403);
      assert.equal((await withSession('POST', '/auth/logout', customer, { body: {} })).status, 403);
      const bearer = await login('customer');
      assert.equal((await call('GET', '/auth/session', { token: bearer.accessToken })).status, 403);
    });

    it('refreshes its Cognito tokens at the gateway when the access token has expired', async () => {
      const session = await browserSession(user('customer'));
      const before = await storedSession(session.sessionId);
      await alterSession(session.sessionId, { accessExpiresAt: epoch() - 10 });
      const state = await withSession('GET', '/auth/session', session);
      assert.equal(state.status, 200, state.text);
      const after = await storedSession(session.sessionId);
      assert.ok(after!.accessExpiresAt > epoch() + 60, 'a new access token is stored');
      assert.notDeepEqual(after!.tokens, before!.tokens);
      assert.doesNotMatch(state.text, JWT);
    });

    it("ends the session when its sealed tokens are another session's (bound to their session)", async () => {
      const mine = await browserSession(user('customer'));
      const other = await storedSession(customer.sessionId);
      await alterSession(mine.sessionId, { tokens: other!.tokens });
      const state = await withSession('GET', '/auth/session', mine);
      assert.equal(state.status, 401);
      assert.equal(state.body.error, 'session_ended');
      await refusedWithinBound(mine, 'a session whose tokens do not open');
    });
  });

  describe('attacks', () => {
    it('refuses a forged session id, well formed or not (401)', async () => {
      for (const value of [newSessionId(), 'gws1.short', 'not-a-session', `${customer.sessionId}x`, `${customer.sessionId.slice(0, -1)}${customer.sessionId.endsWith('A') ? 'Q' : 'A'}`]) {
        const answer = await call('GET', '/users/me', { headers: { cookie: `${SESSION_COOKIE}=${value}` } });
        assert.equal(answer.status, 401, value);
        assertNoInternals(answer);
      }
    });

    it('refuses two session cookies, and an oversized Cookie header (401)', async () => {
      const other = await browserSession(user('customer'));
      const two = await call('GET', '/users/me', { headers: { cookie: `${SESSION_COOKIE}=${customer.sessionId}; ${SESSION_COOKIE}=${other.sessionId}` } });
      assert.equal(two.status, 401);
      const big = await call('GET', '/users/me', { headers: { cookie: `${SESSION_COOKIE}=${customer.sessionId}; filler=${'x'.repeat(9000)}` } });
      assert.ok([400, 401, 431].includes(big.status), `oversized: ${big.status}`);
    });

    it('refuses a cookie sent together with a bearer token, even the same user’s valid one (401)', async () => {
      const bearer = await login('customer');
      const answer = await call('GET', '/users/me', { token: bearer.accessToken, headers: { cookie: customer.cookie } });
      assert.equal(answer.status, 401);
      assert.equal((await call('GET', '/users/me', { token: bearer.accessToken })).status, 200, 'the token alone works');
    });

    it('refuses a session id sent as a bearer token (401)', async () => {
      const answer = await call('GET', '/users/me', { token: customer.sessionId });
      assert.equal(answer.status, 401);
    });

    it("gives a session id only its own user's rights: a customer's session opens no admin route", async () => {
      assert.equal((await withSession('GET', '/users', customer)).status, 403);
      assert.equal((await withSession('POST', '/users/someone/disable', customer)).status, 403);
    });

    it('refuses a session idle longer than the idle timeout, and one past its absolute lifetime (401)', async () => {
      const idle = await browserSession(user('customer'));
      await alterSession(idle.sessionId, { lastSeenAt: epoch() - 31 * 60 });
      assert.equal(await meStatus(idle), 401, 'idle');
      const old = await browserSession(user('customer'));
      await alterSession(old.sessionId, { expiresAt: epoch() - 1 });
      assert.equal(await meStatus(old), 401, 'past its lifetime');
    });

    it('writes "last seen" down as the session is used, at most once a minute', async () => {
      const session = await browserSession(user('customer'));
      await alterSession(session.sessionId, { lastSeenAt: epoch() - 10 * 60 });
      assert.equal(await meStatus(session), 200);
      const seen = async () => Number((await storedSession(session.sessionId))!.lastSeenAt);
      await withinRevocationBound(async () => (await seen()) >= epoch() - 5, 'last seen written');
    });
  });

  describe('sequences: what ends a session stays ended', () => {
    it('sign-out: 204, both cookies cleared, the old cookie refused within the bound, for good', async () => {
      const session = await browserSession(user('customer'));
      assert.equal(await meStatus(session), 200);
      const noCsrf = await withSession('DELETE', '/auth/session', session, { csrf: false });
      assert.equal(noCsrf.status, 403, 'sign-out needs the CSRF token too');
      const out = await withSession('DELETE', '/auth/session', session);
      assert.equal(out.status, 204);
      const cleared = setCookies(out);
      for (const name of [SESSION_COOKIE, CSRF_COOKIE]) {
        assert.equal(cleared.get(name)!.value, '', name);
        assert.ok(attributes(cleared.get(name)!.line).includes('Max-Age=0'), name);
      }
      await refusedWithinBound(session, 'a signed-out session');
      await afterRevocationBound();
      assert.equal(await meStatus(session), 401);
      assert.equal((await withSession('GET', '/auth/session', session)).status, 401);
      assert.ok((await storedSession(session.sessionId))!.revokedAt, 'revoked in the record');
    });

    it('sign out everywhere (with a token of the same user) ends the cookie session too', async () => {
      const person = await freshUser('session-everywhere', ['customer']);
      const session = await browserSession(person);
      const bearer = await tokensOf(person);
      assert.equal(await meStatus(session), 200);
      assert.equal((await call('POST', '/auth/logout', { token: bearer.accessToken, body: { everywhere: true } })).status, 204);
      await refusedWithinBound(session, 'a session after sign-out everywhere');
    });

    it('disabling the user ends the session, and enabling them again does not bring it back', async () => {
      const person = await freshUser('session-disabled', ['customer']);
      const session = await browserSession(person);
      const admin = await login('admin');
      assert.equal((await call('POST', `/users/${encodeURIComponent(person.username)}/disable`, { token: admin.accessToken })).status, 204);
      await refusedWithinBound(session, 'a session of a disabled user');
      assert.equal((await call('POST', `/users/${encodeURIComponent(person.username)}/enable`, { token: admin.accessToken })).status, 204);
      await afterRevocationBound();
      assert.equal(await meStatus(session), 401);
    });

    it('deleting the user ends the session for good', async () => {
      const person = await freshUser('session-deleted', ['customer']);
      const session = await browserSession(person);
      const admin = await login('admin');
      assert.equal((await call('DELETE', `/users/${encodeURIComponent(person.username)}`, { token: admin.accessToken })).status, 204);
      await refusedWithinBound(session, 'a session of a deleted user');
    });

    it("a role change ends the session (its roles were taken at sign-in); a new sign-in has the new roles", async () => {
      const person = await freshUser('session-roles', ['branch-manager'], ['1']);
      const session = await browserSession(person);
      assert.equal((await withSession('GET', '/branches/1/products', session)).status, 200);
      const admin = await login('admin');
      const changed = await call('PUT', `/users/${encodeURIComponent(person.username)}/roles`, { token: admin.accessToken, body: { roles: ['customer'] } });
      assert.equal(changed.status, 200, changed.text);
      await refusedWithinBound(session, 'a session after a role change');
      await afterRevocationBound();
      const fresh = await browserSession(person);
      const state = await withSession('GET', '/auth/session', fresh);
      assert.deepEqual(state.body.roles, ['customer']);
      assert.equal((await withSession('GET', '/branches/1/products', fresh)).status, 403);
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string) =>
      fetch(`${stack().gatewayUrl}/branches/1/products/espresso-beans`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,x-csrf-token' },
      });

    it('allows the configured origin, with credentials and the CSRF header, and names it (never *)', async () => {
      const answer = await preflight(TEST_CORS_ORIGIN);
      assert.equal(answer.headers.get('access-control-allow-origin'), TEST_CORS_ORIGIN);
      assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
      assert.match(answer.headers.get('access-control-allow-headers') ?? '', /x-csrf-token/i);
      const read = await withSession('GET', '/users/me', customer, { headers: { origin: TEST_CORS_ORIGIN } });
      assert.equal(read.headers.get('access-control-allow-origin'), TEST_CORS_ORIGIN);
      assert.equal(read.headers.get('access-control-allow-credentials'), 'true');
      // A sign-in from its page is allowed too.
      assert.equal((await signIn(user('customer'), { origin: TEST_CORS_ORIGIN, 'sec-fetch-site': 'cross-site' })).status, 204);
    });

    it('allows no other origin: no CORS headers for it, on a preflight or an answer', async () => {
      for (const origin of ['https://evil.example', 'https://shop.example.com.evil.example', 'null', stack().gatewayUrl.replace('127.0.0.1', 'localhost')]) {
        const answer = await preflight(origin);
        assert.equal(answer.headers.get('access-control-allow-origin'), null, origin);
        assert.equal(answer.headers.get('access-control-allow-credentials'), null, origin);
        const read = await withSession('GET', '/users/me', customer, { headers: { origin } });
        assert.equal(read.headers.get('access-control-allow-origin'), null, origin);
        assert.equal(read.headers.get('access-control-allow-credentials'), null, origin);
      }
    });
  });
});

import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  MAX_COOKIE_HEADER_LENGTH,
  clearedSessionCookies,
  csrfMatches,
  csrfTokenFor,
  hashSessionId,
  isSessionId,
  looksLikeSessionId,
  newSessionId,
  sessionCookieOf,
  sessionCookies,
} from '../../lib/sessions/web-session';

const ID = newSessionId();

describe('session ids', () => {
  it('carry 256 random bits behind a fixed prefix, never repeating', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
    assert.equal(ids.size, 1000);
    for (const id of ids) {
      assert.ok(isSessionId(id), id);
      assert.equal(Buffer.from(id.slice('gws1.'.length), 'base64url').length, 32);
    }
  });

  it('are recognised by their prefix, so one sent as a bearer token is named', () => {
    assert.ok(looksLikeSessionId(ID));
    assert.ok(!looksLikeSessionId('eyJhbGciOiJSUzI1NiJ9.e30.sig'));
    assert.ok(!isSessionId('gws1.short'));
  });

  it('are stored as their SHA-256 only', () => {
    assert.match(hashSessionId(ID), /^[0-9a-f]{64}$/);
    assert.notEqual(hashSessionId(ID), hashSessionId(newSessionId()));
  });
});

describe('the CSRF token', () => {
  it("matches its own session's token only, in constant time once well formed", () => {
    const hash = hashSessionId(ID);
    assert.ok(csrfMatches(hash, csrfTokenFor(hash)));
    assert.ok(!csrfMatches(hash, csrfTokenFor(hashSessionId(newSessionId()))), "another session's token");
    assert.ok(!csrfMatches(hash, undefined), 'missing');
    assert.ok(!csrfMatches(hash, ''), 'empty');
    assert.ok(!csrfMatches(hash, `${csrfTokenFor(hash)}x`), 'longer');
    assert.ok(!csrfMatches(hash, csrfTokenFor(hash).slice(1)), 'shorter');
    assert.ok(!csrfMatches(hash, hash), 'the hash itself');
  });

  it('cannot be made from the hash without the key, nor from the id by a reader of the cookie name', () => {
    // It is keyed by the hash (only the cookie's owner and the gateway can compute it), not the id's plain SHA-256.
    assert.notEqual(csrfTokenFor(hashSessionId(ID)), Buffer.from(hashSessionId(ID), 'hex').toString('base64url'));
  });
});

describe('the session cookie in a request', () => {
  it('is found in a Cookie header among others, or in payload 2.0 `cookies`', () => {
    assert.deepEqual(sessionCookieOf([`a=1; __Host-session=${ID}; b=2`], undefined), { sessionId: ID });
    assert.deepEqual(sessionCookieOf([], ['a=1', `__Host-session=${ID}`]), { sessionId: ID });
  });

  it('counts the same value in both places once', () => {
    assert.deepEqual(sessionCookieOf([`__Host-session=${ID}`], [`__Host-session=${ID}`]), { sessionId: ID });
  });

  it('is absent when no cookie has its exact name (other names, prefixes and case do not count)', () => {
    for (const header of ['a=1', 'session=x', '__host-session=x', 'x__Host-session=y', '__Host-session', '']) {
      assert.deepEqual(sessionCookieOf([header], null), {}, header);
    }
  });

  it('refuses two session cookies, a malformed value and an oversized header', () => {
    const refused = { failure: 'malformed_session_cookie' };
    assert.deepEqual(sessionCookieOf([`__Host-session=${ID}; __Host-session=${newSessionId()}`], undefined), refused, 'two in one header');
    assert.deepEqual(sessionCookieOf([`__Host-session=${ID}`, `__Host-session=${newSessionId()}`], undefined), refused, 'two header lines');
    assert.deepEqual(sessionCookieOf([`__Host-session=${ID}`], [`__Host-session=${newSessionId()}`]), refused, 'header and cookies differ');
    for (const value of ['', 'abc', `${ID}x`, `"${ID}"`, 'gws1.' + 'A'.repeat(42) + '=']) {
      assert.deepEqual(sessionCookieOf([`__Host-session=${value}`], undefined), refused, value);
    }
    assert.deepEqual(sessionCookieOf([`__Host-session=${ID}; pad=${'x'.repeat(MAX_COOKIE_HEADER_LENGTH)}`], undefined), refused, 'oversized');
  });
});

describe('the cookies the gateway sets', () => {
  it('are __Host- cookies: Secure, Path=/, no Domain; the session one HttpOnly and SameSite=Strict', () => {
    const [session, csrf] = sessionCookies(ID);
    assert.equal(session, `__Host-session=${ID}; HttpOnly; Secure; SameSite=Strict; Path=/`);
    assert.equal(csrf, `__Host-csrf=${csrfTokenFor(hashSessionId(ID))}; Secure; SameSite=Strict; Path=/`);
    for (const cleared of clearedSessionCookies()) assert.match(cleared, /^__Host-(session|csrf)=; .*Secure; SameSite=Strict; Path=\/; Max-Age=0$/);
  });
});

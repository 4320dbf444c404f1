/**
 * Login, refresh and logout over HTTP, as a bearer-token client does them.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { afterRevocationBound, assertNoInternals, call, login, refusedWithinBound, user } from '../support/client';

describe('login', () => {
  it('returns access, ID and refresh tokens with their lifetime for a valid password', async () => {
    const manager = user('manager');
    const answer = await call('POST', '/auth/login', { body: { username: manager.username, password: manager.password } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.tokenType, 'Bearer');
    for (const field of ['accessToken', 'idToken', 'refreshToken']) assert.equal(typeof answer.body[field], 'string', field);
    assert.ok(answer.body.expiresIn > 0 && answer.body.expiresIn <= 3600, `expiresIn ${answer.body.expiresIn}`);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
  });

  it('answers a wrong password and an unknown user with the same 401', async () => {
    const manager = user('manager');
    const wrongPassword = await call('POST', '/auth/login', { body: { username: manager.username, password: 'Wrong-Passw0rd!' } });
    const unknownUser = await call('POST', '/auth/login', { body: { username: 'nobody@example.com', password: 'Wrong-Passw0rd!' } });
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknownUser.status, 401);
    assert.deepEqual(wrongPassword.body, { error: 'invalid_credentials', message: 'Invalid username or password' });
    assert.equal(unknownUser.text, wrongPassword.text);
  });

  const badBodies: [string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }][] = [
    ['no body', {}],
    ['invalid JSON', { rawBody: '{"username":', headers: { 'content-type': 'application/json' } }],
    ['a JSON array', { body: [] }],
    ['a missing password', { body: { username: 'admin@example.com' } }],
    ['a non-string username', { body: { username: 42, password: 'x' } }],
    ['an empty username', { body: { username: '', password: 'x' } }],
    ['an unknown field', { body: { username: 'a', password: 'b', admin: true } }],
    ['a 300-character password', { body: { username: 'a', password: 'x'.repeat(300) } }],
  ];
  for (const [what, request] of badBodies) {
    it(`answers 400 with a reason for ${what}`, async () => {
      const answer = await call('POST', '/auth/login', request);
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.body.error, /^invalid_(body|json)$/);
      assert.equal(typeof answer.body.message, 'string');
      assertNoInternals(answer);
    });
  }
});

describe('refresh', () => {
  it('issues a new access token that works, from the refresh token of a login', async () => {
    const session = await login('customer');
    const answer = await call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.tokenType, 'Bearer');
    assert.notEqual(answer.body.accessToken, session.accessToken);
    const me = await call('GET', '/users/me', { token: answer.body.accessToken });
    assert.equal(me.status, 200);
  });

  it('answers 401 to a refresh token that is not one', async () => {
    const answer = await call('POST', '/auth/refresh', { body: { refreshToken: 'not-a-refresh-token' } });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_refresh_token');
  });

  it('answers 400 to a refresh request without a refresh token', async () => {
    const answer = await call('POST', '/auth/refresh', { body: {} });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.details, ['refreshToken: Invalid input: expected string, received undefined']);
  });
});

describe('logout', () => {
  it('refuses the access token it was called with within the revocation bound', async () => {
    const session = await login('customer');
    assert.equal((await call('GET', '/users/me', { token: session.accessToken })).status, 200);
    const logout = await call('POST', '/auth/logout', { token: session.accessToken });
    assert.equal(logout.status, 204);
    assert.equal(logout.text, '');
    await refusedWithinBound('GET', '/users/me', session.accessToken, 401);
    assert.equal((await call('GET', '/users/me', { token: session.accessToken })).status, 401);
    assert.equal((await call('POST', '/auth/logout', { token: session.accessToken })).status, 401);
  });

  it('refuses its refresh token and every access token refreshed from the same login', async () => {
    const session = await login('manager');
    const refreshed = await call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } });
    assert.equal(refreshed.status, 200);
    const logout = await call('POST', '/auth/logout', { token: session.accessToken, body: { refreshToken: session.refreshToken } });
    assert.equal(logout.status, 204);
    await refusedWithinBound('GET', '/branches/1/products', refreshed.body.accessToken, 401);
    assert.equal((await call('GET', '/branches/1/products', { token: refreshed.body.accessToken })).status, 401);
    const again = await call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } });
    assert.equal(again.status, 401);
    assert.equal(again.body.error, 'invalid_refresh_token');
  });

  it('ends the whole login when called with a token obtained by refresh', async () => {
    const session = await login('manager');
    const refreshed = await call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } });
    assert.equal((await call('POST', '/auth/logout', { token: refreshed.body.accessToken })).status, 204);
    await refusedWithinBound('GET', '/users/me', session.accessToken, 401);
    assert.equal((await call('GET', '/users/me', { token: session.accessToken })).status, 401);
    assert.equal((await call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })).status, 401);
  });

  it('leaves the same user\'s other sessions working', async () => {
    const [first, second] = [await login('admin'), await login('admin')];
    assert.equal((await call('POST', '/auth/logout', { token: first.accessToken })).status, 204);
    await refusedWithinBound('GET', '/users/me', first.accessToken, 401);
    // Past the bound, so no authorizer's older view can be what lets the other session pass.
    await afterRevocationBound();
    assert.equal((await call('GET', '/users/me', { token: first.accessToken })).status, 401);
    assert.equal((await call('GET', '/users/me', { token: second.accessToken })).status, 200);
  });

  it('answers 400 and revokes nothing when the refresh token belongs to another session', async () => {
    const mine = await login('customer');
    const theirs = await login('manager');
    const answer = await call('POST', '/auth/logout', { token: mine.accessToken, body: { refreshToken: theirs.refreshToken } });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_refresh_token');
    // Past the bound: had anything been revoked, every authorizer would refuse it by now.
    await afterRevocationBound();
    assert.equal((await call('GET', '/users/me', { token: mine.accessToken })).status, 200);
    assert.equal((await call('POST', '/auth/refresh', { body: { refreshToken: theirs.refreshToken } })).status, 200);
  });

  it('answers 401 without a token', async () => {
    assert.equal((await call('POST', '/auth/logout')).status, 401);
  });
});

describe('credentials the authorizer refuses', () => {
  it('refuses an ID token used as a bearer token', async () => {
    const session = await login('admin');
    assert.equal((await call('GET', '/users/me', { token: session.idToken })).status, 401);
  });

  it('refuses a refresh token used as a bearer token', async () => {
    const session = await login('admin');
    assert.equal((await call('GET', '/users/me', { token: session.refreshToken })).status, 401);
  });

  it('refuses a token whose claims were changed under the old signature', async () => {
    const session = await login('customer');
    const [header, payload, signature] = session.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    claims['cognito:groups'] = ['admin'];
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    assert.equal((await call('GET', '/users', { token: forged })).status, 401);
  });

  it('refuses other schemes, a token in the query string and two tokens', async () => {
    const session = await login('customer');
    const basic = await call('GET', '/users/me', { headers: { authorization: `Basic ${session.accessToken}` } });
    const query = await call('GET', `/users/me?access_token=${session.accessToken}`);
    const two = await call('GET', '/users/me', { headers: { authorization: `Bearer ${session.accessToken} ${session.accessToken}` } });
    assert.deepEqual([basic.status, query.status, two.status], [401, 401, 401]);
  });

  it('accepts the bearer scheme in any letter case', async () => {
    const session = await login('customer');
    const answer = await call('GET', '/users/me', { headers: { authorization: `bEaReR ${session.accessToken}` } });
    assert.equal(answer.status, 200);
  });

  it('does not let serverless-offline\'s authorizer override header claim an identity', async () => {
    const session = await login('customer');
    const claimed = JSON.stringify({ lambda: { roles: ['admin'], sub: 'x', username: 'x', authType: 'user' } });
    const withToken = await call('GET', '/users', { token: session.accessToken, headers: { 'sls-offline-authorizer-override': claimed } });
    const withoutToken = await call('GET', '/users', { headers: { 'sls-offline-authorizer-override': claimed } });
    assert.equal(withToken.status, 401);
    assert.equal(withoutToken.status, 401);
  });
});

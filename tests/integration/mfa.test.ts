/**
 * Two-factor sign-in with an authenticator app (issue 15), over HTTP, the README's walkthrough:
 * setup → verify → login's SOFTWARE_TOKEN_MFA challenge → POST /auth/mfa → tokens; turning it
 * off with a code; an admin's reset for a lost device. Codes are computed by the tests' own
 * RFC 6238 authenticator from the secret setup returned (tests/support/totp.ts).
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { call, freshUser, login, loginAs, refusedWithinBound, tokensOf } from '../support/client';
import { answerChallenge, mfaChallenge, mfaLogin, userWithMfa } from '../support/mfa';
import { freshCode, totp } from '../support/totp';

describe('two-factor sign-in', () => {
  it('sets up, verifies, and from then on logs in with a code: the walkthrough', async () => {
    const user = await freshUser('mfa-walk', ['customer']);
    const first = await tokensOf(user);

    // Setup: a secret and the URI an app scans; MFA is not on yet.
    const setup = await call('POST', '/auth/mfa/setup', { token: first.accessToken });
    assert.equal(setup.status, 200, setup.text);
    assert.deepEqual(Object.keys(setup.body).sort(), ['otpauthUri', 'secret']);
    assert.match(setup.body.secret, /^[A-Z2-7]{16,}$/);
    const uri = new URL(setup.body.otpauthUri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), setup.body.secret);
    assert.ok(decodeURIComponent(uri.pathname).endsWith(`:${user.username}`));
    const me = await call('GET', '/users/me', { token: first.accessToken });
    assert.deepEqual(me.body.mfa, { enabled: false, setupRequired: false });

    // A wrong code: 400, and nothing changed (login still gives tokens).
    const secret: string = setup.body.secret;
    const used = new Set<string>();
    const wrong = await call('POST', '/auth/mfa/verify', { token: first.accessToken, body: { code: totp(secret, { steps: 10 }) } });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(wrong.body.error, 'invalid_code');
    const stillPassword = await loginAs(user);
    assert.equal(stillPassword.status, 200);
    assert.equal(typeof stillPassword.body.accessToken, 'string');

    // The right code: 204, MFA on, and the sessions from before are cut off.
    const verified = await call('POST', '/auth/mfa/verify', { token: first.accessToken, body: { code: await freshCode(secret, used) } });
    assert.equal(verified.status, 204, verified.text);
    await refusedWithinBound('GET', '/users/me', first.accessToken, 401);
    await refusedWithinBound('GET', '/users/me', stillPassword.body.accessToken, 401);

    // Login now answers the challenge, with no tokens.
    const challenge = await loginAs(user);
    assert.equal(challenge.status, 200, challenge.text);
    assert.deepEqual(Object.keys(challenge.body).sort(), ['challenge', 'session', 'username']);
    assert.equal(challenge.body.challenge, 'SOFTWARE_TOKEN_MFA');

    // The code answers it with tokens in the login's shape.
    const answer = await answerChallenge({ username: challenge.body.username, session: challenge.body.session, code: await freshCode(secret, used) });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.tokenType, 'Bearer');
    for (const field of ['accessToken', 'idToken', 'refreshToken']) assert.equal(typeof answer.body[field], 'string', field);
    assert.ok(answer.body.expiresIn > 0);

    // Those tokens work, and say MFA is on; an admin sees it too.
    const now = await call('GET', '/users/me', { token: answer.body.accessToken });
    assert.equal(now.status, 200, now.text);
    assert.deepEqual(now.body.mfa, { enabled: true, setupRequired: false });
    const admin = await login('admin');
    const detail = await call('GET', `/users/${encodeURIComponent(user.username)}`, { token: admin.accessToken });
    assert.deepEqual(detail.body.mfa, { enabled: true });

    // A refresh keeps working (the login had its code), and logout ends the session as always.
    assert.equal((await call('POST', '/auth/refresh', { body: { refreshToken: answer.body.refreshToken } })).status, 200);
    assert.equal((await call('POST', '/auth/logout', { token: answer.body.accessToken })).status, 204);
    await refusedWithinBound('GET', '/users/me', answer.body.accessToken, 401);
  });

  it('answers a wrong code with the same 401 as a wrong password, and setting up again while on with 409', async () => {
    const mfa = await userWithMfa('mfa-wrong');
    const wrongPassword = await loginAs({ username: mfa.user.username, password: 'Wrong-Passw0rd!-1' });
    const challenge = await mfaChallenge(mfa.user);
    const wrongCode = await answerChallenge({ username: challenge.username, session: challenge.session, code: totp(mfa.secret, { steps: 20 }) });
    assert.equal(wrongCode.status, 401);
    assert.equal(wrongPassword.status, 401);
    assert.deepEqual(wrongCode.body, wrongPassword.body);

    const tokens = await mfaLogin(mfa);
    const again = await call('POST', '/auth/mfa/setup', { token: tokens.accessToken });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error, 'mfa_already_enabled');
  });

  it('turns MFA off with a current code (a wrong one changes nothing); login gives tokens again', async () => {
    const mfa = await userWithMfa('mfa-off');
    const tokens = await mfaLogin(mfa);

    const wrong = await call('DELETE', '/auth/mfa', { token: tokens.accessToken, body: { code: totp(mfa.secret, { steps: -10 }) } });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(wrong.body.error, 'invalid_code');
    await mfaChallenge(mfa.user);

    const off = await call('DELETE', '/auth/mfa', { token: tokens.accessToken, body: { code: await mfa.code() } });
    assert.equal(off.status, 204, off.text);
    const plain = await loginAs(mfa.user);
    assert.equal(plain.status, 200, plain.text);
    assert.equal(typeof plain.body.accessToken, 'string');
    assert.deepEqual((await call('GET', '/users/me', { token: plain.body.accessToken })).body.mfa, { enabled: false, setupRequired: false });
    // Off already: 409.
    const twice = await call('DELETE', '/auth/mfa', { token: plain.body.accessToken, body: { code: await mfa.code() } });
    assert.equal(twice.status, 409, twice.text);
    assert.equal(twice.body.error, 'mfa_not_enabled');
  });

  it("lets an admin reset a user's lost authenticator: MFA off, their sessions cut off; not their own, and only admins", async () => {
    const mfa = await userWithMfa('mfa-lost');
    const tokens = await mfaLogin(mfa);
    const admin = await login('admin');
    const path = `/users/${encodeURIComponent(mfa.user.username)}/mfa/reset`;

    assert.equal((await call('POST', path, { token: tokens.accessToken })).status, 403, 'a customer may not');
    const reset = await call('POST', path, { token: admin.accessToken });
    assert.equal(reset.status, 204, reset.text);
    await refusedWithinBound('GET', '/users/me', tokens.accessToken, 401);
    assert.equal((await call('POST', '/auth/refresh', { body: { refreshToken: tokens.refreshToken } })).status, 401);

    const plain = await loginAs(mfa.user);
    assert.equal(plain.status, 200, plain.text);
    assert.equal(typeof plain.body.accessToken, 'string', 'no challenge: the password alone again');

    const own = await call('POST', `/users/${encodeURIComponent(admin.user.username)}/mfa/reset`, { token: admin.accessToken });
    assert.equal(own.status, 409);
    assert.equal(own.body.error, 'cannot_reset_own_mfa');
    assert.equal((await call('POST', '/users/nobody-here@example.com/mfa/reset', { token: admin.accessToken })).status, 404);
  });

  it('answers malformed MFA requests with 400 and the reason', async () => {
    const session = await tokensOf(await freshUser('mfa-bad', ['customer']));
    for (const body of [{}, { code: '12345' }, { code: '1234567' }, { code: 'abcdef' }, { code: '123456', extra: true }, { code: '123456', deviceName: '' }]) {
      const answer = await call('POST', '/auth/mfa/verify', { token: session.accessToken, body });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.ok(answer.body.details?.length > 0, JSON.stringify(body));
    }
    for (const body of [{}, { username: 'a', code: '123456' }, { username: 'a', session: 's', code: 'x' }, { username: '', session: 's', code: '123456' }]) {
      assert.equal((await call('POST', '/auth/mfa', { body })).status, 400, JSON.stringify(body));
    }
    assert.equal((await call('DELETE', '/auth/mfa', { token: session.accessToken, body: { code: '12' } })).status, 400);
    // Not on: nothing to turn off.
    const off = await call('DELETE', '/auth/mfa', { token: session.accessToken, body: { code: '123456' } });
    assert.equal(off.status, 409);
  });
});

/**
 * The attack suite of two-factor sign-in (issue 15), over HTTP against the local stack, where
 * cognito-local accepts a code twice and answers a challenge session twice: the gateway must
 * refuse both itself. Every case answers 401 (or 400/403/429 where named), never 2xx or 5xx.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { assertNoInternals, call, freshUser, refusedWithinBound, tokensOf, type Answer } from '../support/client';
import { answerChallenge, mfaChallenge, mfaLogin, userWithMfa } from '../support/mfa';
import { msLeftInStep, totp } from '../support/totp';

const assertRefused = (answer: Answer, status: number, what: string) => {
  assert.equal(answer.status, status, `${what}: answered ${answer.status} ${answer.text.slice(0, 200)}`);
  assertNoInternals(answer);
};

describe('two-factor sign-in under attack', () => {
  it('refuses codes from the wrong time window: two or more steps away, either way', async () => {
    const mfa = await userWithMfa('mfa-window');
    if (msLeftInStep() < 3000) await new Promise((resolve) => setTimeout(resolve, msLeftInStep() + 50));
    // Four: a fifth wrong code in the window would reach the limit of wrong codes (its own test).
    for (const steps of [-20, -2, 2, 20]) {
      const challenge = await mfaChallenge(mfa.user);
      const answer = await answerChallenge({ username: challenge.username, session: challenge.session, code: totp(mfa.secret, { steps }) });
      assertRefused(answer, 401, `a code ${steps} steps away`);
      assert.equal(answer.body.error, 'invalid_credentials');
    }
  });

  it('refuses a code replayed on a second login, though cognito-local would take it', async () => {
    const mfa = await userWithMfa('mfa-replay');
    const code = await mfa.code();
    const first = await mfaChallenge(mfa.user);
    assert.equal((await answerChallenge({ username: first.username, session: first.session, code })).status, 200);
    const second = await mfaChallenge(mfa.user);
    assertRefused(await answerChallenge({ username: second.username, session: second.session, code }), 401, 'the same code on a second login');
    // That session took its one answer; a new login with a fresh code works.
    const third = await mfaChallenge(mfa.user);
    assert.equal((await answerChallenge({ username: third.username, session: third.session, code: await mfa.code() })).status, 200);
  });

  it('refuses a challenge session used twice, or for another user', async () => {
    const alice = await userWithMfa('mfa-alice');
    const bob = await userWithMfa('mfa-bob');
    const challenge = await mfaChallenge(alice.user);
    assert.equal((await answerChallenge({ username: challenge.username, session: challenge.session, code: await alice.code() })).status, 200);
    const twice = await answerChallenge({ username: challenge.username, session: challenge.session, code: await alice.code() });
    assertRefused(twice, 401, 'the session answered twice');
    assert.equal(twice.body.error, 'invalid_session');

    const alices = await mfaChallenge(alice.user);
    const asBob = await answerChallenge({ username: bob.user.username, session: alices.session, code: await bob.code() });
    assertRefused(asBob, 401, "alice's session for bob");
    assert.equal(asBob.body.error, 'invalid_session');
  });

  it('refuses a challenge answered without the session, with a made-up one, or with a new-password step', async () => {
    const mfa = await userWithMfa('mfa-nosession');
    const code = totp(mfa.secret);
    assertRefused(await call('POST', '/auth/mfa', { body: { username: mfa.user.username, code } }), 400, 'no session');
    assertRefused(await answerChallenge({ username: mfa.user.username, session: 'made-up-session', code }), 401, 'a made-up session');
    // An MFA session is no new-password session: answering it there would skip the code.
    const challenge = await mfaChallenge(mfa.user);
    const skip = await call('POST', '/auth/new-password', { body: { username: challenge.username, session: challenge.session, newPassword: 'Other-Passw0rd!-9' } });
    assertRefused(skip, 401, 'the MFA session at /auth/new-password');
    assert.equal(skip.body.error, 'invalid_session');
  });

  it('refuses, within the revocation bound, a token and an API key from before MFA was turned on', async () => {
    const user = await freshUser('mfa-before', ['customer']);
    const before = await tokensOf(user);
    const key = await call('POST', '/api-keys', { token: before.accessToken, body: { name: 'old', scopes: ['profile:read'] } });
    assert.equal(key.status, 201, key.text);
    const setup = await call('POST', '/auth/mfa/setup', { token: before.accessToken });
    const verified = await call('POST', '/auth/mfa/verify', { token: before.accessToken, body: { code: totp(setup.body.secret) } });
    assert.equal(verified.status, 204, verified.text);
    await refusedWithinBound('GET', '/users/me', before.accessToken, 401);
    assertRefused(await call('GET', '/users/me', { token: key.body.key }), 401, 'the API key made with the password alone');
    assertRefused(await call('POST', '/auth/refresh', { body: { refreshToken: before.refreshToken } }), 401, 'the refresh token of that login');
  });

  it('limits repeated wrong codes: after 5 in the window even the right code answers 429', async () => {
    const mfa = await userWithMfa('mfa-guess');
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const challenge = await mfaChallenge(mfa.user);
      const guess = String((Number(totp(mfa.secret)) + 111_111 * attempt) % 1_000_000).padStart(6, '0');
      assertRefused(await answerChallenge({ username: challenge.username, session: challenge.session, code: guess }), 401, `guess ${attempt}`);
    }
    const challenge = await mfaChallenge(mfa.user);
    const right = await answerChallenge({ username: challenge.username, session: challenge.session, code: await mfa.code() });
    assert.equal(right.status, 429, right.text);
    assert.equal(right.body.error, 'too_many_attempts');
    assertNoInternals(right);
  });

  it('never lets an API key or someone else set MFA up or off', async () => {
    const mfa = await userWithMfa('mfa-keys');
    const tokens = await mfaLogin(mfa);
    const key = await call('POST', '/api-keys', { token: tokens.accessToken, body: { name: 'k', scopes: ['profile:read'] } });
    for (const [method, path, body] of [['POST', '/auth/mfa/setup', undefined], ['POST', '/auth/mfa/verify', { code: '123456' }], ['DELETE', '/auth/mfa', { code: '123456' }]] as const) {
      assertRefused(await call(method, path, { token: key.body.key, ...(body ? { body } : {}) }), 403, `${method} ${path} with an API key`);
      assertRefused(await call(method, path, body ? { body } : {}), 401, `${method} ${path} without credentials`);
    }
  });
});

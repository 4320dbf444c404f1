/**
 * First login with a temporary password, changing and resetting a password, and customer
 * sign-up, over HTTP. Codes are read from the local mailbox, where cognito-local delivers them.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AdminCreateUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { assertNoInternals, call, cognito, freshUser, login, loginAs, mailFor, refusedWithinBound, stack, tokensOf } from '../support/client';

const NEW_PASSWORD = 'New-Passw0rd!-xyz';

const withTemporaryPassword = async () => {
  const username = `first-${randomUUID().slice(0, 8)}@example.com`;
  const client = await cognito();
  await client.send(
    new AdminCreateUserCommand({
      UserPoolId: stack().userPoolId,
      Username: username,
      TemporaryPassword: 'Temp-Passw0rd!-1',
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: username },
        { Name: 'email_verified', Value: 'true' },
      ],
    }),
  );
  return { username, password: 'Temp-Passw0rd!-1' };
};

describe('first login with a temporary password', () => {
  it('answers the NEW_PASSWORD_REQUIRED challenge without tokens, then tokens for the new password, once', async () => {
    const user = await withTemporaryPassword();
    const challenge = await loginAs(user);
    assert.equal(challenge.status, 200);
    assert.deepEqual(Object.keys(challenge.body).sort(), ['challenge', 'session', 'username']);
    assert.equal(challenge.body.challenge, 'NEW_PASSWORD_REQUIRED');

    const weak = await call('POST', '/auth/new-password', { body: { username: user.username, session: challenge.body.session, newPassword: 'short' } });
    assert.equal(weak.status, 400);
    assert.ok(weak.body.details.length > 0);

    const answer = await call('POST', '/auth/new-password', { body: { username: user.username, session: challenge.body.session, newPassword: NEW_PASSWORD } });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.tokenType, 'Bearer');
    for (const field of ['accessToken', 'idToken', 'refreshToken']) assert.equal(typeof answer.body[field], 'string', field);
    assert.equal((await call('GET', '/users/me', { token: answer.body.accessToken })).status, 200);

    // The same session again (cognito-local would answer it): refused by the gateway.
    const again = await call('POST', '/auth/new-password', { body: { username: user.username, session: challenge.body.session, newPassword: NEW_PASSWORD } });
    assert.equal(again.status, 401);
    assert.equal(again.body.error, 'invalid_session');
    // A made-up session, for anyone's username: refused.
    const forged = await call('POST', '/auth/new-password', { body: { username: user.username, session: 'made-up', newPassword: NEW_PASSWORD } });
    assert.equal(forged.status, 401);

    // The tokens are a session like a login's: logout ends them.
    assert.equal((await call('POST', '/auth/logout', { token: answer.body.accessToken })).status, 204);
    await refusedWithinBound('GET', '/users/me', answer.body.accessToken, 401);
    assert.equal((await loginAs({ username: user.username, password: NEW_PASSWORD })).status, 200);
  });
});

describe('an invitation', () => {
  it('reaches the local mailbox with its temporary password, which logs in to the challenge', async () => {
    const admin = await login('admin');
    const address = `invited-${randomUUID().slice(0, 8)}@example.com`;
    const since = Date.now();
    const created = await call('POST', '/users', { token: admin.accessToken, body: { email: address, roles: ['customer'] } });
    assert.equal(created.status, 201, created.text);
    const invitation = await mailFor(address, since);
    assert.ok(invitation.code, 'the temporary password');
    const challenge = await loginAs({ username: address, password: invitation.code });
    assert.equal(challenge.body.challenge, 'NEW_PASSWORD_REQUIRED', challenge.text);
    const tokens = await call('POST', '/auth/new-password', { body: { username: address, session: challenge.body.session, newPassword: NEW_PASSWORD } });
    assert.equal(tokens.status, 200, tokens.text);
  });
});

describe('changing one\'s own password', () => {
  it('needs the current password and a strong new one, then only the new one logs in', async () => {
    const user = await freshUser('change', ['customer']);
    const { accessToken } = await tokensOf(user);
    const wrong = await call('POST', '/auth/password', { token: accessToken, body: { currentPassword: 'Wrong-Passw0rd!-1', newPassword: NEW_PASSWORD } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_current_password');
    const weak = await call('POST', '/auth/password', { token: accessToken, body: { currentPassword: user.password, newPassword: 'alllowercase' } });
    assert.equal(weak.status, 400);
    assert.ok(weak.body.details.some((d: string) => d.includes('upper-case')), weak.text);
    const changed = await call('POST', '/auth/password', { token: accessToken, body: { currentPassword: user.password, newPassword: NEW_PASSWORD } });
    assert.equal(changed.status, 204, changed.text);
    assert.equal((await loginAs(user)).status, 401);
    assert.equal((await loginAs({ username: user.username, password: NEW_PASSWORD })).status, 200);
    assert.equal((await call('POST', '/auth/password', { body: { currentPassword: 'x', newPassword: NEW_PASSWORD } })).status, 401);
  });
});

describe('forgotten password', () => {
  it('answers 202 for known and unknown users alike, and a reset with the emailed code ends every earlier session', async () => {
    const user = await freshUser('forgot', ['customer']);
    const { accessToken } = await tokensOf(user);
    const unknown = await call('POST', '/auth/password/forgot', { body: { username: `nobody-${randomUUID()}@example.com` } });
    const since = Date.now();
    const known = await call('POST', '/auth/password/forgot', { body: { username: user.username } });
    assert.equal(unknown.status, 202);
    assert.equal(known.status, 202);
    assert.equal(unknown.text, known.text);
    const mail = await mailFor(user.username, since);
    assert.match(mail.code ?? '', /^\d+$/);

    const wrongCode = mail.code === '000000' ? '111111' : '000000';
    const wrong = await call('POST', '/auth/password/reset', { body: { username: user.username, code: wrongCode, newPassword: NEW_PASSWORD } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_code');
    const unknownUser = await call('POST', '/auth/password/reset', { body: { username: `nobody-${randomUUID()}@example.com`, code: mail.code, newPassword: NEW_PASSWORD } });
    assert.equal(unknownUser.text, wrong.text);
    assertNoInternals(wrong);

    const reset = await call('POST', '/auth/password/reset', { body: { username: user.username, code: mail.code, newPassword: NEW_PASSWORD } });
    assert.equal(reset.status, 204, reset.text);
    await refusedWithinBound('GET', '/users/me', accessToken, 401);
    assert.equal((await loginAs(user)).status, 401);
    const fresh = await loginAs({ username: user.username, password: NEW_PASSWORD });
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal((await call('GET', '/users/me', { token: fresh.body.accessToken })).status, 200);
  });

  it('validates the bodies with the reasons', async () => {
    const answer = await call('POST', '/auth/password/reset', { body: { username: 'a@example.com', code: 'abc', newPassword: 'x' } });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_body');
    assert.ok(answer.body.details.length >= 2, answer.text);
    assert.equal((await call('POST', '/auth/password/forgot', { body: {} })).status, 400);
  });
});

describe('customer sign-up', () => {
  it('emails a code, and the confirmed account logs in as a customer', async () => {
    const email = `signup-${randomUUID().slice(0, 8)}@example.com`;
    const since = Date.now();
    const signUp = await call('POST', '/auth/signup', { body: { email, password: NEW_PASSWORD } });
    assert.equal(signUp.status, 202, signUp.text);
    const mail = await mailFor(email, since);
    assert.match(mail.code ?? '', /^\d+$/);
    assert.equal((await loginAs({ username: email, password: NEW_PASSWORD })).status, 401, 'not confirmed yet');

    const wrongCode = mail.code === '000000' ? '111111' : '000000';
    const wrong = await call('POST', '/auth/signup/confirm', { body: { email, code: wrongCode } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_code');
    const confirmed = await call('POST', '/auth/signup/confirm', { body: { email, code: mail.code } });
    assert.equal(confirmed.status, 204, confirmed.text);

    const session = await loginAs({ username: email, password: NEW_PASSWORD });
    assert.equal(session.status, 200, session.text);
    const me = await call('GET', '/users/me', { token: session.body.accessToken });
    assert.deepEqual(me.body.roles, ['customer']);
  });

  it('answers an existing email like a new one, and validates the body', async () => {
    const user = await freshUser('exists', ['customer']);
    const existing = await call('POST', '/auth/signup', { body: { email: user.username, password: NEW_PASSWORD } });
    const fresh = await call('POST', '/auth/signup', { body: { email: `new-${randomUUID().slice(0, 8)}@example.com`, password: NEW_PASSWORD } });
    assert.equal(existing.status, 202);
    assert.equal(existing.text, fresh.text);
    assert.equal((await loginAs(user)).status, 200, 'the existing account is untouched');
    const bad = await call('POST', '/auth/signup', { body: { email: 'not-an-email', password: 'weak' } });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.details.length >= 2, bad.text);
  });
});

/**
 * MFA_REQUIRED_ROLES on (as on AWS, where it defaults to `admin`): an admin without MFA may set
 * it up, see who they are and log out, and nothing else, until a code turns it on. The shared
 * integration stack runs with the setting off (its seeded admin signs in with a password), so
 * this file starts a stack of its own with it on: one stack, one walkthrough, to keep CI short.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { privateStackSettings, startLocalStack, type LocalStack } from '../../scripts/local/stack';
import { defaultUsers } from '../../scripts/local/settings';
import { REVOCATION_BOUND_MS } from '../support/client';
import { stackRequest } from '../support/stack-request';
import { freshCode } from '../support/totp';

let stack: LocalStack;
const users = defaultUsers({});
const admin = users.find((u) => u.roles.includes('admin'))!;
const customer = users.find((u) => u.roles.includes('customer'))!;

const request = stackRequest(() => stack.gatewayUrl);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MFA_REQUIRED_ROLES=admin', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(path.resolve(__dirname, '../../.local'), 'mfa-required-'));
    stack = await startLocalStack({ ...(await privateStackSettings(stateDir, false)), mfaRequiredRoles: 'admin' }, { output: 'files' });
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('opens only MFA setup, /users/me and logout to an admin without MFA (403), everything once a code turns it on; customers as before', async () => {
    const password = await request('POST', '/auth/login', { body: { username: admin.username, password: admin.password } });
    assert.equal(password.status, 200, password.text);
    const token: string = password.body.accessToken;

    // Everything else is refused: the authorizer decides, from the record it reads anyway.
    for (const [method, route, body] of [
      ['GET', '/users', undefined],
      ['POST', '/products', { name: 'x', priceCents: 1 }],
      ['GET', '/branches/1/products', undefined],
      ['POST', '/api-keys', { name: 'k', scopes: ['profile:read'] }],
    ] as const) {
      const answer = await request(method, route, { token, ...(body ? { body } : {}) });
      assert.equal(answer.status, 403, `${method} ${route}: ${answer.text}`);
    }
    const me = await request('GET', '/users/me', { token });
    assert.equal(me.status, 200, me.text);
    assert.deepEqual(me.body.mfa, { enabled: false, setupRequired: true });

    // A customer is not concerned.
    const customerLogin = await request('POST', '/auth/login', { body: { username: customer.username, password: customer.password } });
    assert.equal((await request('POST', '/api-keys', { token: customerLogin.body.accessToken, body: { name: 'k', scopes: ['profile:read'] } })).status, 201);

    // Setup and verify are open; the code turns MFA on and ends the password-only session.
    const setup = await request('POST', '/auth/mfa/setup', { token });
    assert.equal(setup.status, 200, setup.text);
    const used = new Set<string>();
    assert.equal((await request('POST', '/auth/mfa/verify', { token, body: { code: await freshCode(setup.body.secret, used) } })).status, 204);
    await sleep(REVOCATION_BOUND_MS + 500);
    assert.equal((await request('GET', '/users/me', { token })).status, 401);

    // The login with a code is an admin's login again, within the revocation bound of the change.
    const challenge = await request('POST', '/auth/login', { body: { username: admin.username, password: admin.password } });
    assert.equal(challenge.body.challenge, 'SOFTWARE_TOKEN_MFA', challenge.text);
    const answer = await request('POST', '/auth/mfa', {
      body: { username: challenge.body.username, session: challenge.body.session, code: await freshCode(setup.body.secret, used) },
    });
    assert.equal(answer.status, 200, answer.text);
    const users = await request('GET', '/users', { token: answer.body.accessToken });
    assert.equal(users.status, 200, users.text);
    const now = await request('GET', '/users/me', { token: answer.body.accessToken });
    assert.deepEqual(now.body.mfa, { enabled: true, setupRequired: false });

    // Turning it off again closes everything but the setup within the bound.
    assert.equal((await request('DELETE', '/auth/mfa', { token: answer.body.accessToken, body: { code: await freshCode(setup.body.secret, used) } })).status, 204);
    await sleep(REVOCATION_BOUND_MS + 500);
    assert.equal((await request('GET', '/users', { token: answer.body.accessToken })).status, 403);
    assert.equal((await request('GET', '/users/me', { token: answer.body.accessToken })).status, 200);
  });
});

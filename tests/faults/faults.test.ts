/**
 * Faults: the identity emulator or the database stops while the gateway runs, then comes back.
 * This file runs its own local stack (with DynamoDB persisted to disk, so data survives the
 * restart) because it stops and starts parts of it.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { privateStackSettings, startLocalStack, type LocalStack } from '../../scripts/local/stack';
import { defaultUsers } from '../../scripts/local/settings';
import { REVOCATION_BOUND_MS } from '../support/client';
import { stackRequest } from '../support/stack-request';

let stack: LocalStack;
const users = defaultUsers({});
const customer = users.find((u) => u.roles.includes('customer'))!;

const request = stackRequest(() => stack.gatewayUrl);

const login = async () => {
  const answer = await request('POST', '/auth/login', { body: { username: customer.username, password: customer.password } });
  assert.equal(answer.status, 200, answer.text);
  return JSON.parse(answer.text).accessToken as string;
};

/** A token for an unknown key id: the authorizer must look the key up, and cannot. */
const unknownKidToken = () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', kid: 'rotated-key' })}.${b64({ sub: 'x', username: 'x', token_use: 'access', client_id: stack.clientId, iss: stack.issuer, iat: now, exp: now + 600, jti: 'j' })}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`;
};

describe('faults', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(path.resolve(__dirname, '../../.local'), 'faults-'));
    stack = await startLocalStack(await privateStackSettings(stateDir, true), { output: 'files' });
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps verified sessions working while the identity provider is down, and recovers when it is back', async () => {
    const token = await login();
    assert.equal((await request('GET', '/branches/1/products', { token })).status, 403);
    assert.equal((await request('GET', '/products')).status, 200);

    await stack.stopPart('cognito');
    try {
      // The warm authorizer verifies with the key set it loaded; no call to the issuer needed.
      for (let i = 0; i < 5; i += 1) {
        const answer = await request('POST', '/products', { token, body: { name: 'x', priceCents: 1 } });
        assert.equal(answer.status, 403, `a verified customer is still recognised (and still not an admin): ${answer.text}`);
      }
      // A key id the authorizer has never seen cannot be fetched: denied, and quickly.
      const unknown = await request('GET', '/users/me', { token: unknownKidToken() });
      assert.equal(unknown.status, 401);
      assert.ok(unknown.ms < 5000, `denied in ${unknown.ms} ms`);
      // Logging in needs Cognito: a JSON 503, not a 500 and not a hang.
      const refused = await request('POST', '/auth/login', { body: { username: customer.username, password: customer.password } });
      assert.equal(refused.status, 503, refused.text);
      assert.equal(JSON.parse(refused.text).error, 'service_unavailable');
      assert.ok(refused.ms < 10_000, `answered in ${refused.ms} ms`);
    } finally {
      await stack.startPart('cognito');
    }

    const fresh = await login();
    assert.equal((await request('POST', '/products', { token: fresh, body: { name: 'x', priceCents: 1 } })).status, 403);
  });

  it('fails closed once the database has been down for the revocation bound, never hangs, and recovers when it is back', async () => {
    const token = await login();
    const created = await request('POST', '/api-keys', { token, body: { name: 'fault test', scopes: ['profile:read'], expiresInDays: 1 } });
    assert.equal(created.status, 201, created.text);
    const apiKey = (JSON.parse(created.text) as { key: string }).key;
    assert.equal((await request('GET', '/users/me', { token: apiKey })).status, 200);
    await stack.stopPart('dynamodb');
    try {
      // A warm authorizer may decide on what it read for as long as the bound allows (its last
      // good poll of the change log at most REVOCATION_MAX_STALENESS_MS ago: the state is that
      // fresh). Past it, it must read the records for each decision, and cannot: refused.
      await new Promise((resolve) => setTimeout(resolve, REVOCATION_BOUND_MS + 500));
      // An API key is only as good as its record and its owner's: unreadable means refused.
      const keyAnswer = await request('GET', '/users/me', { token: apiKey });
      assert.equal(keyAnswer.status, 401, keyAnswer.text);
      assert.ok(keyAnswer.ms < 10_000, `the key was refused in ${keyAnswer.ms} ms`);
      for (const [method, route] of [
        ['GET', '/users/me'],
        ['GET', '/branches/1/products'],
        ['POST', '/auth/logout'],
      ] as const) {
        const answer = await request(method, route, { token });
        assert.notEqual(answer.status, 200, `${route} must not be served without the revocation records`);
        assert.ok(answer.status === 401 || answer.status === 503, `${route}: ${answer.status}`);
        assert.ok(answer.ms < 10_000, `${route} answered in ${answer.ms} ms`);
      }
      const publicRoute = await request('GET', '/products');
      assert.equal(publicRoute.status, 503, publicRoute.text);
      assert.deepEqual(Object.keys(JSON.parse(publicRoute.text)).sort(), ['error', 'message']);
      assert.ok(publicRoute.ms < 10_000, `answered in ${publicRoute.ms} ms`);
    } finally {
      await stack.startPart('dynamodb');
    }

    assert.equal((await request('GET', '/products')).status, 200);
    assert.equal((await request('GET', '/users/me', { token })).status, 200);
    assert.equal((await request('GET', '/users/me', { token: apiKey })).status, 200);
  });
});

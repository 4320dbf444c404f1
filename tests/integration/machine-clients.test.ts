/**
 * Machine clients over HTTP: a client-credentials token from the local token endpoint (the
 * stand-in for Cognito's /oauth2/token), then the gateway with that token as a bearer. The
 * seeded machine client "partner" holds catalog:write and inventory:read, and branch 1.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { assertNoInternals, call, eventually, gatewayLog, stack } from '../support/client';

const partner = () => {
  const found = stack().machineClients.find((client) => client.name === 'partner');
  if (!found) throw new Error('No seeded machine client "partner"');
  return found;
};

const requestToken = async (form: Record<string, string>, credentials = `${partner().clientId}:${partner().clientSecret}`) => {
  const response = await fetch(stack().tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const machineToken = async (scope?: string): Promise<string> => {
  const answer = await requestToken({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.access_token as string;
};

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('machine clients', () => {
  let token: string;

  beforeAll(async () => {
    token = await machineToken();
  });

  describe('the token endpoint', () => {
    it("issues an access token with exactly the claims of Cognito's client-credentials tokens", () => {
      const claims = claimsOf(token);
      assert.deepEqual(Object.keys(claims).sort(), ['auth_time', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub', 'token_use', 'version']);
      assert.equal(claims.sub, partner().clientId);
      assert.equal(claims.client_id, partner().clientId);
      assert.equal(claims.token_use, 'access');
      assert.equal(claims.iss, stack().issuer);
      assert.deepEqual(String(claims.scope).split(' ').sort(), ['gateway/catalog:write', 'gateway/inventory:read']);
    });

    it('answers invalid_client for a wrong secret and issues nothing', async () => {
      const answer = await requestToken({ grant_type: 'client_credentials' }, `${partner().clientId}:not-the-secret`);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_client');
      assert.equal(answer.body.access_token, undefined);
    });

    it("answers invalid_scope for a scope the client is not allowed", async () => {
      const answer = await requestToken({ grant_type: 'client_credentials', scope: 'gateway/users:read' });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_scope');
    });
  });

  describe('the gateway', () => {
    it('lets the client read the branch it is configured for with inventory:read', async () => {
      const answer = await call('GET', '/branches/1/products', { token });
      assert.equal(answer.status, 200, answer.text);
    });

    it('returns 403 when the client reads a branch it is not configured for', async () => {
      const answer = await call('GET', '/branches/2/products', { token });
      assert.equal(answer.status, 403);
      assertNoInternals(answer);
    });

    it('lets the client add a product with catalog:write, though it has no admin role', async () => {
      const productId = `m2m-${randomUUID().slice(0, 8)}`;
      const answer = await call('POST', '/products', { token, body: { name: `Machine-made ${productId}`, priceCents: 100, currency: 'EUR' } });
      assert.equal(answer.status, 201, answer.text);
    });

    it('returns 403 for routes whose scope the client lacks', async () => {
      assert.equal((await call('GET', '/users', { token })).status, 403);
      assert.equal((await call('GET', '/users/me', { token })).status, 403);
      assert.equal((await call('PUT', '/branches/1/products/moka-pot', { token, body: { quantity: 3 } })).status, 403);
    });

    it('returns 403 for routes only users may call', async () => {
      assert.equal((await call('POST', '/api-keys', { token, body: { name: 'k', scopes: ['inventory:read'] } })).status, 403);
      assert.equal((await call('POST', '/auth/logout', { token })).status, 403);
    });

    it('gets only the scopes it asked for when it asks for fewer', async () => {
      const narrow = await machineToken('gateway/inventory:read');
      assert.equal((await call('GET', '/branches/1/products', { token: narrow })).status, 200);
      const answer = await call('POST', '/products', { token: narrow, body: { name: 'x', priceCents: 1, currency: 'EUR' } });
      assert.equal(answer.status, 403);
    });

    it('returns 401 for a client token whose signature was tampered with', async () => {
      const [header, payload, signature] = token.split('.');
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claimsOf(token), scope: 'gateway/users:read' })).toString('base64url')}.${signature}`;
      assert.ok(payload);
      assert.equal((await call('GET', '/users', { token: forged })).status, 401);
    });

    it('records its decisions with authType client and the client id', async () => {
      await call('GET', '/branches/2/products', { token });
      const found = await eventually(async () =>
        (await gatewayLog()).some(
          (l) => l.message === 'authorizer decision' && l.principal?.authType === 'client' && l.principal?.clientId === partner().clientId && l.reason === 'branch_not_managed',
        ),
      );
      assert.ok(found, 'the audit log names the machine client');
    });
  });
});

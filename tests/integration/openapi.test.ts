/**
 * The OpenAPI document and the explorer page as the running gateway serves them, and the
 * document held against the gateway: for a sample of calls across every service, the answer's
 * status must be one the document lists for that operation, and its body must match the
 * documented schema (JSON Schema 2020-12, checked with ajv).
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import { openApiDocument } from '../../lib/openapi/document';
import { ROUTE_POLICY, type RouteKey } from '../../lib/policy/route-policy';
import { RESOURCE_SERVER_ID } from '../../scripts/local/settings';
import { call, freshUser, login, mailFor, stack, user, type Answer, type Session } from '../support/client';
import { freshCode } from '../support/totp';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the served document is JSON of any shape, read by the assertions
let document: any;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();
/** The routes whose answers were checked. */
const checked = new Set<string>();

/** The document's `#/components/schemas/X` references replaced by the schemas they name. */
const inlineRefs = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(inlineRefs);
  if (typeof schema !== 'object' || schema === null) return schema;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    const name = /^#\/components\/schemas\/(\w+)$/.exec(ref)?.[1];
    assert.ok(name && document.components.schemas[name], `unresolvable ${ref}`);
    return inlineRefs(document.components.schemas[name]);
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, inlineRefs(value)]));
};

/** The answer is one the document promises for this route: a listed status, the documented media type and body. */
const assertDocumented = (routeKey: RouteKey, answer: Answer) => {
  checked.add(routeKey);
  const [method, path] = routeKey.split(' ') as [string, string];
  const operation = document.paths[path]?.[method.toLowerCase()];
  assert.ok(operation, `${routeKey} is not in the document`);
  const response = operation.responses[String(answer.status)];
  assert.ok(response, `${routeKey} answered ${answer.status}, which the document does not list (${Object.keys(operation.responses).join(', ')}): ${answer.text.slice(0, 300)}`);
  const content = (response.content ?? {}) as Record<string, { schema?: unknown }>;
  const types = Object.keys(content);
  if (types.length === 0) {
    assert.equal(answer.text, '', `${routeKey} ${answer.status} should have no body`);
    return;
  }
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
  assert.ok(types.includes(type), `${routeKey} ${answer.status} came as ${type}, documented ${types.join(', ')}`);
  const schema = content[type]?.schema;
  if (!schema) return;
  const key = `${routeKey} ${answer.status}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(inlineRefs(schema) as object);
    validators.set(key, validate);
  }
  assert.ok(validate(answer.body), `${key}: the body does not match the document: ${ajv.errorsText(validate.errors)}\n${answer.text.slice(0, 500)}`);
};

describe('GET /openapi.json', () => {
  beforeAll(async () => {
    const answer = await call('GET', '/openapi.json');
    assert.equal(answer.status, 200);
    document = answer.body;
  });

  it('serves the document generated from the route table, with the local token endpoint', () => {
    assert.equal(document.components.securitySchemes.machineClient.flows.clientCredentials.tokenUrl, stack().tokenUrl);
    assert.deepEqual(document, openApiDocument({ tokenUrl: stack().tokenUrl, resourceServerId: RESOURCE_SERVER_ID }));
  });

  describe('holds against what the gateway answers', () => {
    let manager: Session;
    let admin: Session;
    let customer: Session;

    beforeAll(async () => {
      [manager, admin, customer] = await Promise.all([login('manager'), login('admin'), login('customer')]);
    });

    it('for the public routes: health, the catalog, the document and the explorer', async () => {
      assertDocumented('GET /health', await call('GET', '/health'));
      assertDocumented('GET /products', await call('GET', '/products?limit=2'));
      assertDocumented('GET /products', await call('GET', '/products?limit=0'));
      assertDocumented('GET /products/{productId}', await call('GET', '/products/espresso-beans'));
      assertDocumented('GET /products/{productId}', await call('GET', '/products/no-such-product'));
      assertDocumented('GET /products/{productId}', await call('GET', `/products/${'x'.repeat(65)}`));
      assertDocumented('GET /openapi.json', await call('GET', '/openapi.json'));
      assertDocumented('GET /docs', await call('GET', '/docs'));
      assertDocumented('GET /docs/{asset}', await call('GET', '/docs/swagger-ui.css'));
      assertDocumented('GET /docs/{asset}', await call('GET', '/docs/no-such-file.js'));
    });

    it('for logging in, refreshing and logging out, refused or not', async () => {
      const seeded = user('customer');
      const login200 = await call('POST', '/auth/login', { body: { username: seeded.username, password: seeded.password } });
      assertDocumented('POST /auth/login', login200);
      assertDocumented('POST /auth/login', await call('POST', '/auth/login', { body: { username: seeded.username, password: 'Wrong-Passw0rd!' } }));
      assertDocumented('POST /auth/login', await call('POST', '/auth/login', { body: { username: seeded.username } }));
      assertDocumented('POST /auth/refresh', await call('POST', '/auth/refresh', { body: { refreshToken: login200.body.refreshToken } }));
      assertDocumented('POST /auth/refresh', await call('POST', '/auth/refresh', { body: {} }));
      assertDocumented('POST /auth/logout', await call('POST', '/auth/logout', { token: login200.body.accessToken }));
      assertDocumented('POST /auth/logout', await call('POST', '/auth/logout', { token: login200.body.accessToken }));
    });

    it('for first login, passwords and sign-up: accepted, done and refused', async () => {
      const token = admin.accessToken;
      const address = `openapi-first-${Date.now()}@example.com`;
      const newPassword = 'Documented-Passw0rd!';
      await call('POST', '/users', { token, body: { email: address, roles: ['customer'], temporaryPassword: 'Temporary-Passw0rd!' } });
      const challenge = await call('POST', '/auth/login', { body: { username: address, password: 'Temporary-Passw0rd!' } });
      assertDocumented('POST /auth/login', challenge);
      assertDocumented('POST /auth/new-password', await call('POST', '/auth/new-password', { body: { username: address, session: challenge.body.session, newPassword: 'weak' } }));
      const tokens = await call('POST', '/auth/new-password', { body: { username: address, session: challenge.body.session, newPassword } });
      assertDocumented('POST /auth/new-password', tokens);
      assertDocumented('POST /auth/new-password', await call('POST', '/auth/new-password', { body: { username: address, session: challenge.body.session, newPassword } }));
      const own = { token: tokens.body.accessToken };
      assertDocumented('POST /auth/password', await call('POST', '/auth/password', { ...own, body: { currentPassword: 'Wrong-Passw0rd!-1', newPassword } }));
      assertDocumented('POST /auth/password', await call('POST', '/auth/password', { ...own, body: { currentPassword: newPassword, newPassword: `${newPassword}2` } }));
      const since = Date.now();
      assertDocumented('POST /auth/password/forgot', await call('POST', '/auth/password/forgot', { body: { username: address } }));
      assertDocumented('POST /auth/password/forgot', await call('POST', '/auth/password/forgot', { body: {} }));
      const { code } = await mailFor(address, since);
      assertDocumented('POST /auth/password/reset', await call('POST', '/auth/password/reset', { body: { username: address, code: code === '000000' ? '111111' : '000000', newPassword } }));
      assertDocumented('POST /auth/password/reset', await call('POST', '/auth/password/reset', { body: { username: address, code, newPassword } }));
      const email = `openapi-signup-${Date.now()}@example.com`;
      const signedUp = Date.now();
      assertDocumented('POST /auth/signup', await call('POST', '/auth/signup', { body: { email, password: newPassword } }));
      assertDocumented('POST /auth/signup', await call('POST', '/auth/signup', { body: { email: 'x', password: 'y' } }));
      const signUpCode = (await mailFor(email, signedUp)).code;
      assertDocumented('POST /auth/signup/confirm', await call('POST', '/auth/signup/confirm', { body: { email, code: signUpCode === '000000' ? '111111' : '000000' } }));
      assertDocumented('POST /auth/signup/confirm', await call('POST', '/auth/signup/confirm', { body: { email, code: signUpCode } }));
    });

    it('for users: who am I, the directory and role changes, by role', async () => {
      assertDocumented('GET /users/me', await call('GET', '/users/me', { token: manager.accessToken }));
      assertDocumented('GET /users/me', await call('GET', '/users/me'));
      assertDocumented('GET /users', await call('GET', '/users?limit=5', { token: admin.accessToken }));
      assertDocumented('GET /users', await call('GET', '/users', { token: customer.accessToken }));
      assertDocumented('PUT /users/{username}/roles', await call('PUT', '/users/nobody@example.com/roles', { token: admin.accessToken, body: { roles: ['customer'] } }));
      assertDocumented('PUT /users/{username}/roles', await call('PUT', '/users/nobody@example.com/roles', { token: admin.accessToken, body: { roles: ['root'] } }));
      assertDocumented('POST /users/{username}/disable', await call('POST', '/users/nobody@example.com/disable', { token: admin.accessToken }));
      assertDocumented('POST /users/{username}/enable', await call('POST', '/users/nobody@example.com/enable', { token: manager.accessToken }));
    });

    it('for the inventory: own branch, other branch, writes that pass and writes refused', async () => {
      assertDocumented('GET /branches/{branchId}/products', await call('GET', '/branches/1/products', { token: manager.accessToken }));
      assertDocumented('GET /branches/{branchId}/products', await call('GET', '/branches/2/products', { token: manager.accessToken }));
      assertDocumented('GET /branches/{branchId}/products', await call('GET', '/branches/no-such-branch/products', { token: admin.accessToken }));
      const adjust = (delta: number) =>
        call('POST', '/branches/1/products/espresso-beans/adjustments', { token: manager.accessToken, body: { delta, reason: 'openapi check' } });
      assertDocumented('POST /branches/{branchId}/products/{productId}/adjustments', await adjust(1));
      assertDocumented('POST /branches/{branchId}/products/{productId}/adjustments', await adjust(-1));
      assertDocumented('POST /branches/{branchId}/products/{productId}/adjustments', await adjust(-999_999_999));
      assertDocumented('PUT /branches/{branchId}/products/{productId}', await call('PUT', '/branches/1/products/espresso-beans', { token: manager.accessToken, body: { quantity: -1 } }));
      assertDocumented('PUT /branches/{branchId}/products/{productId}', await call('PUT', '/branches/1/products/no-such-product', { token: manager.accessToken, body: { quantity: 1 } }));
    });

    it('for the catalog write and personal API keys: create, list, use, revoke', async () => {
      assertDocumented('POST /products', await call('POST', '/products', { token: admin.accessToken, body: { name: 'Documented tamper', priceCents: 2500 } }));
      assertDocumented('POST /products', await call('POST', '/products', { token: manager.accessToken, body: { name: 'Tamper', priceCents: 1 } }));
      const created = await call('POST', '/api-keys', { token: manager.accessToken, body: { name: 'openapi check', scopes: ['inventory:read'], expiresInDays: 1 } });
      assertDocumented('POST /api-keys', created);
      assertDocumented('POST /api-keys', await call('POST', '/api-keys', { token: manager.accessToken, body: { name: 'x', scopes: [] } }));
      assertDocumented('GET /api-keys', await call('GET', '/api-keys', { token: manager.accessToken }));
      assertDocumented('GET /branches/{branchId}/products', await call('GET', '/branches/1/products', { token: created.body.key }));
      assertDocumented('DELETE /api-keys/{keyId}', await call('DELETE', `/api-keys/${created.body.id}`, { token: manager.accessToken }));
      assertDocumented('DELETE /api-keys/{keyId}', await call('DELETE', `/api-keys/${created.body.id}`, { token: manager.accessToken }));
      assertDocumented('DELETE /api-keys/{keyId}', await call('DELETE', '/api-keys/not-a-key-id', { token: manager.accessToken }));
    });

    it('for user administration and branches: created, read, changed, deleted, refused', async () => {
      const token = admin.accessToken;
      const address = `openapi-${Date.now()}@example.com`;
      const created = await call('POST', '/users', { token, body: { email: address, roles: ['branch-manager'], branches: ['1'], temporaryPassword: 'Temporary-Passw0rd!' } });
      assertDocumented('POST /users', created);
      assertDocumented('POST /users', await call('POST', '/users', { token, body: { email: address, roles: ['customer'] } }));
      assertDocumented('POST /users', await call('POST', '/users', { token, body: { email: address, roles: ['customer'], branches: ['1'] } }));
      assertDocumented('GET /users/{username}', await call('GET', `/users/${address}`, { token }));
      assertDocumented('GET /users/{username}', await call('GET', '/users/nobody@example.com', { token }));
      assertDocumented('PUT /users/{username}/branches', await call('PUT', `/users/${address}/branches`, { token, body: { branches: ['2'] } }));
      assertDocumented('PUT /users/{username}/branches', await call('PUT', `/users/${address}/branches`, { token, body: { branches: ['nowhere'] } }));
      assertDocumented('GET /users', await call('GET', '/users?role=branch-manager&branch=2', { token }));
      assertDocumented('DELETE /users/{username}', await call('DELETE', `/users/${address}`, { token }));
      assertDocumented('DELETE /users/{username}', await call('DELETE', `/users/${admin.user.username}`, { token }));
      const branchId = `openapi-${Date.now()}`;
      assertDocumented('POST /branches', await call('POST', '/branches', { token, body: { branchId, name: 'Documented' } }));
      assertDocumented('POST /branches', await call('POST', '/branches', { token, body: { branchId, name: 'Documented' } }));
      assertDocumented('POST /branches', await call('POST', '/branches', { token, body: { branchId } }));
      assertDocumented('GET /branches', await call('GET', '/branches?limit=1', { token }));
      assertDocumented('GET /branches', await call('GET', '/branches', { token: manager.accessToken }));
      assertDocumented('GET /branches/{branchId}', await call('GET', `/branches/${branchId}`, { token }));
      assertDocumented('GET /branches/{branchId}', await call('GET', '/branches/2', { token: manager.accessToken }));
      assertDocumented('GET /branches/{branchId}', await call('GET', '/branches/no-such-branch', { token }));
    });

    it('for two-factor sign-in: set up, verified, the login challenge answered, turned off, reset; and refused', async () => {
      const mfaUser = await freshUser('openapi-mfa', ['customer']);
      const first = await call('POST', '/auth/login', { body: { username: mfaUser.username, password: mfaUser.password } });
      const own = { token: first.body.accessToken as string };
      assertDocumented('DELETE /auth/mfa', await call('DELETE', '/auth/mfa', { ...own, body: { code: '123456' } }));
      const setup = await call('POST', '/auth/mfa/setup', own);
      assertDocumented('POST /auth/mfa/setup', setup);
      const used = new Set<string>();
      assertDocumented('POST /auth/mfa/verify', await call('POST', '/auth/mfa/verify', { ...own, body: { code: 'nope' } }));
      assertDocumented('POST /auth/mfa/verify', await call('POST', '/auth/mfa/verify', { ...own, body: { code: await freshCode(setup.body.secret, used) } }));
      const challenge = await call('POST', '/auth/login', { body: { username: mfaUser.username, password: mfaUser.password } });
      assertDocumented('POST /auth/login', challenge);
      assertDocumented('POST /auth/mfa', await call('POST', '/auth/mfa', { body: { username: mfaUser.username, session: 'made-up', code: '123456' } }));
      const tokens = await call('POST', '/auth/mfa', { body: { username: mfaUser.username, session: challenge.body.session, code: await freshCode(setup.body.secret, used) } });
      assertDocumented('POST /auth/mfa', tokens);
      assertDocumented('POST /auth/mfa/setup', await call('POST', '/auth/mfa/setup', { token: tokens.body.accessToken }));
      assertDocumented('GET /users/me', await call('GET', '/users/me', { token: tokens.body.accessToken }));
      assertDocumented('DELETE /auth/mfa', await call('DELETE', '/auth/mfa', { token: tokens.body.accessToken, body: { code: await freshCode(setup.body.secret, used) } }));
      const path = `/users/${encodeURIComponent(mfaUser.username)}/mfa/reset`;
      assertDocumented('POST /users/{username}/mfa/reset', await call('POST', path, { token: admin.accessToken }));
      assertDocumented('POST /users/{username}/mfa/reset', await call('POST', path, { token: customer.accessToken }));
      assertDocumented('POST /users/{username}/mfa/reset', await call('POST', '/users/nobody@example.com/mfa/reset', { token: admin.accessToken }));
    });

    it('for browser sessions: the sign-in page, signing in, a challenge, the session and signing out, refused or not', async () => {
      assertDocumented('GET /login', await call('GET', '/login'));
      const seeded = user('customer');
      const origin = { origin: stack().gatewayUrl };
      assertDocumented('POST /auth/session', await call('POST', '/auth/session', { body: { username: seeded.username, password: 'Wrong-Passw0rd!' }, headers: origin }));
      assertDocumented('POST /auth/session', await call('POST', '/auth/session', { body: { username: seeded.username }, headers: origin }));
      assertDocumented('POST /auth/session', await call('POST', '/auth/session', { body: { username: seeded.username, password: seeded.password }, headers: { origin: 'https://evil.example' } }));
      const signedIn = await call('POST', '/auth/session', { body: { username: seeded.username, password: seeded.password }, headers: origin });
      assertDocumented('POST /auth/session', signedIn);
      const cookies = new Map(signedIn.headers.getSetCookie().map((line) => line.split(';')[0]!.split('=') as [string, string]));
      const cookie = `__Host-session=${cookies.get('__Host-session')}`;
      assertDocumented('GET /auth/session', await call('GET', '/auth/session', { headers: { cookie } }));
      assertDocumented('GET /auth/session', await call('GET', '/auth/session'));
      const answer = { challenge: 'NEW_PASSWORD_REQUIRED', username: seeded.username, session: 'made-up', newPassword: 'Chosen-Passw0rd!-2' };
      assertDocumented('POST /auth/session/challenge', await call('POST', '/auth/session/challenge', { body: answer, headers: origin }));
      assertDocumented('POST /auth/session/challenge', await call('POST', '/auth/session/challenge', { body: { ...answer, challenge: 'OTHER' }, headers: origin }));
      assertDocumented('DELETE /auth/session', await call('DELETE', '/auth/session', { headers: { cookie } }));
      assertDocumented('DELETE /auth/session', await call('DELETE', '/auth/session', { headers: { cookie, 'x-csrf-token': cookies.get('__Host-csrf')! } }));
    });

    it('has checked a call to every route of the table', () => {
      assert.deepEqual(Object.keys(ROUTE_POLICY).filter((route) => !checked.has(route)), []);
    });
  });
});

describe('GET /docs', () => {
  it('serves the explorer page with a content security policy that allows only the gateway, and no framing', async () => {
    const answer = await call('GET', '/docs');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
    const csp = answer.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert.ok(csp.includes(directive), `CSP lacks ${directive}: ${csp}`);
    }
    assert.doesNotMatch(csp, /script-src[^;]*(unsafe-inline|unsafe-eval|\*)/);
    assert.equal(answer.headers.get('x-frame-options'), 'DENY');
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
    // Nothing from elsewhere: every script and style is the gateway's own.
    for (const [, url] of answer.text.matchAll(/(?:src|href)="([^"]+)"/g)) assert.match(url!, /^(docs\/[\w.-]+|data:,)$/);
    assert.doesNotMatch(answer.text, /<script>(?!<)/);
  });

  it("serves swagger-ui's script from the package, gzipped for clients that accept it", async () => {
    const plain = await fetch(`${stack().gatewayUrl}/docs/swagger-ui-bundle.js`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.status, 200);
    assert.match(plain.headers.get('content-type') ?? '', /^text\/javascript/);
    const text = await plain.text();
    assert.ok(text.length > 1_000_000 && text.includes('SwaggerUIBundle'), `${text.length} characters`);
    // fetch decompresses: the same script arrives, and the header says it came gzipped.
    const gzipped = await fetch(`${stack().gatewayUrl}/docs/swagger-ui-bundle.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzipped.headers.get('content-encoding'), 'gzip');
    assert.equal(await gzipped.text(), text);
  });
});

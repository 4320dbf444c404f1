/**
 * The OpenAPI document generated from the route table: it lints clean with @redocly/cli (the
 * strict recommended rules of redocly.yaml), and it says what the table says: every route, the
 * authorizer's 401/403 on exactly the protected ones, each route's scope, the roles in words,
 * and request schemas that accept and refuse what the services accept and refuse.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020';
import { openApiDocument } from '../../lib/openapi/document';
import { ROUTE_POLICY, SCOPES, type RouteKey, type RouteRule } from '../../lib/policy/route-policy';
import { ROUTE_TABLE } from '../../lib/routes/table';

const ROOT = path.resolve(__dirname, '..', '..');
const OPTIONS = { tokenUrl: 'https://example.auth.eu-west-1.amazoncognito.com/oauth2/token', resourceServerId: 'gateway' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is JSON of any shape, read by the assertions
const document = openApiDocument(OPTIONS) as any;
const operationOf = (routeKey: string) => {
  const [method, route] = routeKey.split(' ') as [string, string];
  return document.paths[route]?.[method.toLowerCase()];
};

describe('the OpenAPI document', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lints clean with @redocly/cli's strict recommended rules", async () => {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document, null, 2));
    try {
      await promisify(execFile)(process.execPath, [require.resolve('@redocly/cli/bin/cli.js'), 'lint', '--config', path.join(ROOT, 'redocly.yaml'), file], {
        cwd: ROOT,
        timeout: 60_000,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      assert.fail(`redocly lint failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
    }
  }, 60_000);

  it('is OpenAPI 3.1 with one operation per route of the table, and nothing else', () => {
    assert.equal(document.openapi, '3.1.0');
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([route, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`),
    );
    assert.deepEqual(operations.sort(), Object.keys(ROUTE_POLICY).sort());
  });

  it('puts the bearer scheme on every protected route, the scope as a client-credentials scope, the session cookie where a browser session may call, and nothing on public routes', () => {
    for (const [routeKey, rule] of Object.entries(ROUTE_POLICY) as [string, RouteRule][]) {
      const operation = operationOf(routeKey);
      if (rule.access.kind === 'public') {
        assert.deepEqual(operation.security, [], routeKey);
        // No authorizer answers there: a 403 is only the route's own (a browser sign-in from another origin).
        const own = (ROUTE_TABLE[routeKey as RouteKey].responses as Record<number, unknown>)[403];
        assert.equal(operation.responses['403'] === undefined, own === undefined, routeKey);
        continue;
      }
      const expected =
        rule.only === 'session'
          ? [{ session: [] }]
          : [{ bearer: [] }, ...(rule.scope ? [{ machineClient: [`gateway/${rule.scope}`] }] : []), ...(rule.only === 'token' ? [] : [{ session: [] }])];
      assert.deepEqual(operation.security, expected, routeKey);
      for (const status of ['401', '403']) assert.ok(operation.responses[status], `${routeKey} documents ${status}`);
    }
  });

  it('lists every scope in the client-credentials flow, with the token URL', () => {
    const flow = document.components.securitySchemes.machineClient.flows.clientCredentials;
    assert.equal(flow.tokenUrl, OPTIONS.tokenUrl);
    assert.deepEqual(Object.keys(flow.scopes).sort(), SCOPES.map((scope) => `gateway/${scope}`).sort());
  });

  it('names the roles each operation needs, and says which routes keys and machine clients cannot use', () => {
    assert.match(operationOf('GET /branches/{branchId}/products').description, /`admin`.*`branch-manager`.*`inventory:read`/s);
    assert.match(operationOf('POST /products').description, /Roles: `admin`\..*`catalog:write`/s);
    assert.match(operationOf('POST /api-keys').description, /Any signed-in user\. Users' own tokens only/);
    assert.match(operationOf('GET /products').description, /Public: no credentials/);
  });

  it('documents the error body {error, message, details?} for the services\' errors', () => {
    assert.deepEqual(document.components.schemas.Error.required.sort(), ['error', 'message']);
    assert.deepEqual(Object.keys(document.components.schemas.Error.properties).sort(), ['details', 'error', 'message']);
    assert.deepEqual(operationOf('PUT /branches/{branchId}/products/{productId}').responses['400'].content['application/json'].schema, {
      $ref: '#/components/schemas/Error',
    });
  });

  it("describes each request body with the schema its service validates: accepted and refused alike", () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const samples: Record<string, { ok: unknown[]; bad: unknown[] }> = {
      'POST /auth/login': { ok: [{ username: 'a', password: 'b' }], bad: [{ username: 'a' }, { username: 'a', password: 'b', extra: 1 }] },
      'POST /products': { ok: [{ name: 'Tamper', priceCents: 1999 }], bad: [{ name: 'Tamper', priceCents: 1.5 }, { name: 'T', priceCents: 1, currency: 'eur' }] },
      'PUT /branches/{branchId}/products/{productId}': { ok: [{ quantity: 0 }], bad: [{ quantity: -1 }, { quantity: '7' }, {}] },
      'POST /api-keys': { ok: [{ name: 'k', scopes: ['inventory:read'] }], bad: [{ name: 'k', scopes: ['nope'] }, { name: 'k', scopes: [] }] },
      'PUT /users/{username}/roles': { ok: [{ roles: ['customer'] }], bad: [{ roles: ['root'] }] },
    };
    for (const [routeKey, { ok, bad }] of Object.entries(samples)) {
      const validate = ajv.compile(operationOf(routeKey).requestBody.content['application/json'].schema);
      const schema = ROUTE_TABLE[routeKey as keyof typeof ROUTE_TABLE] as { body: { safeParse(input: unknown): { success: boolean } } };
      for (const input of ok) {
        assert.ok(validate(input), `${routeKey} document refuses ${JSON.stringify(input)}`);
        assert.ok(schema.body.safeParse(input).success, `${routeKey} service refuses ${JSON.stringify(input)}`);
      }
      for (const input of bad) {
        assert.ok(!validate(input), `${routeKey} document accepts ${JSON.stringify(input)}`);
        assert.ok(!schema.body.safeParse(input).success, `${routeKey} service accepts ${JSON.stringify(input)}`);
      }
    }
    // POST /auth/logout's body may be left out; the others are required.
    assert.equal(operationOf('POST /auth/logout').requestBody.required, false);
    assert.equal(operationOf('POST /auth/login').requestBody.required, true);
  });

  it('documents each path parameter and query parameter', () => {
    const names = (routeKey: string, where: string) =>
      (operationOf(routeKey).parameters ?? []).filter((p: { in: string }) => p.in === where).map((p: { name: string }) => p.name);
    assert.deepEqual(names('POST /branches/{branchId}/products/{productId}/adjustments', 'path'), ['branchId', 'productId']);
    assert.deepEqual(names('GET /users', 'query'), ['limit', 'nextToken', 'role', 'branch']);
    for (const routeKey of Object.keys(ROUTE_POLICY)) {
      const inPath = [...routeKey.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      assert.deepEqual(names(routeKey, 'path'), inPath, routeKey);
    }
  });
});

/**
 * createHttpService, through the middy handler a Lambda would call: route lookup, the role
 * context re-check, body and query validation, and the mapping of every error to an answer.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import * as z from 'zod/mini';
import { ForbiddenError, NotFoundError } from '../../lib/errors';
import { MAX_BODY_BYTES, createHttpService, isDependencyUnavailable, protectedRoute, publicRoute, toErrorResponse } from '../../lib/http/service';
import { limitSchema } from '../../lib/http/validation';
import { ADMIN, CUSTOMER, bodyOf, httpEvent, lambdaContext, recordingLogger, roleContext } from './fixtures';

const SECRET = 'postgres://admin:hunter2@db.internal:5432';

/** What GET /products/{productId} throws, by product id. */
const FAILURES: Record<string, () => unknown> = {
  boom: () => new Error(`query failed on ${SECRET}`),
  'type-error': () => new TypeError("Cannot read properties of undefined (reading 'x')"),
  timeout: () => Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }),
  refused: () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }),
  throttled: () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
  'not-found': () => new NotFoundError('product_not_found', 'No such product', { cause: new Error(SECRET) }),
  'forbidden-with-cause': () => new ForbiddenError('nope', 'Not for you', { cause: new Error(SECRET) }),
  string: () => 'a thrown string',
  null: () => null,
};

const createdBody = z.strictObject({ name: z.string().check(z.minLength(1)), priceCents: z.number().check(z.int(), z.gte(0)) });

/** A catalog-shaped service whose routes echo or fail on demand. */
const service = () => {
  const { logger, lines } = recordingLogger('http-test');
  const handler = createHttpService('catalog', logger, {
    'GET /products': publicRoute({
      query: z.object({ limit: limitSchema(10, 5) }),
      handle: async ({ query }) => ({ body: { limit: query.limit } }),
    }),
    'GET /products/{productId}': publicRoute({
      handle: async ({ params }) => {
        const id = params.productId ?? '';
        if (id === 'empty') return { statusCode: 204, body: { ignored: true } };
        const failure = FAILURES[id];
        if (failure) throw failure();
        return { body: { productId: id } };
      },
    }),
    'POST /products': protectedRoute({
      body: createdBody,
      handle: async ({ body, caller }) => ({ statusCode: 201, body: { ...body, by: caller.sub }, headers: { location: '/products/p-1' } }),
    }),
  });
  const call = (...args: Parameters<typeof httpEvent>) => handler(httpEvent(...args), lambdaContext);
  return { call, lines };
};

const postProduct = (body: string | undefined, init: Omit<Parameters<typeof httpEvent>[1] & object, 'body'> = {}) =>
  service().call('POST /products', { authorizer: ADMIN, ...init, ...(body === undefined ? {} : { body }) });

describe('createHttpService', () => {
  describe('success', () => {
    it('answers 200 with the JSON body and the security headers', async () => {
      const response = await service().call('GET /products/{productId}', { pathParameters: { productId: 'p-1' } });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(bodyOf(response), { productId: 'p-1' });
      assert.equal(response.headers?.['content-type'], 'application/json; charset=utf-8');
      assert.equal(response.headers?.['cache-control'], 'no-store');
      const header = (name: string) => Object.entries(response.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
      assert.equal(header('x-content-type-options'), 'nosniff');
      assert.match(String(header('strict-transport-security')), /max-age=\d+/);
      assert.equal(header('referrer-policy'), 'no-referrer');
    });

    it('answers a protected route with the caller from the role context, its status and headers', async () => {
      const response = await postProduct(JSON.stringify({ name: 'Tamper', priceCents: 1999 }));
      assert.equal(response.statusCode, 201);
      assert.deepEqual(bodyOf(response), { name: 'Tamper', priceCents: 1999, by: ADMIN.sub });
      assert.equal(response.headers?.location, '/products/p-1');
    });

    it('decodes a base64-encoded body', async () => {
      const body = Buffer.from(JSON.stringify({ name: 'Tamper', priceCents: 1 })).toString('base64');
      const response = await postProduct(body, { isBase64Encoded: true });
      assert.equal(response.statusCode, 201);
    });

    it('sends no body with a 204', async () => {
      const response = await service().call('GET /products/{productId}', { pathParameters: { productId: 'empty' } });
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, undefined);
    });

    it('validates the query string and applies its defaults', async () => {
      const { call } = service();
      assert.deepEqual(bodyOf(await call('GET /products')), { limit: 5 });
      assert.deepEqual(bodyOf(await call('GET /products', { queryStringParameters: { limit: '7' } })), { limit: 7 });
    });
  });

  describe('bad requests (400)', () => {
    it('refuses a body that is not JSON with invalid_json', async () => {
      const response = await postProduct('{"name": "Tamper",');
      assert.equal(response.statusCode, 400);
      assert.deepEqual(bodyOf(response), { error: 'invalid_json', message: 'The request body is not valid JSON' });
    });

    it('refuses a body that fails the schema with invalid_body and details naming the fields', async () => {
      // Act
      const response = await postProduct(JSON.stringify({ name: '', priceCents: -1 }));
      // Assess
      const body = bodyOf(response);
      assert.equal(response.statusCode, 400);
      assert.equal(body.error, 'invalid_body');
      assert.ok(Array.isArray(body.details));
      assert.ok(body.details.some((detail: string) => detail.startsWith('name: ')), body.details.join());
      assert.ok(body.details.some((detail: string) => detail.startsWith('priceCents: ')), body.details.join());
    });

    it("words the details in zod's English messages (zod/mini has none of its own; validation.ts sets the locale)", async () => {
      const response = await postProduct(JSON.stringify({ name: '', priceCents: 1.5, admin: true }));
      assert.deepEqual(bodyOf(response), {
        error: 'invalid_body',
        message: 'The request body is invalid',
        details: ['name: Too small: expected string to have >=1 characters', 'priceCents: Invalid input: expected int, received number', 'Unrecognized key: "admin"'],
      });
    });

    it('refuses unknown fields with invalid_body', async () => {
      const response = await postProduct(JSON.stringify({ name: 'Tamper', priceCents: 1, admin: true }));
      assert.equal(response.statusCode, 400);
      assert.equal(bodyOf(response).error, 'invalid_body');
    });

    for (const [name, body] of Object.entries({ 'a missing body': undefined, 'an empty body': '' })) {
      it(`refuses ${name} on a route that requires one with invalid_body`, async () => {
        const response = await postProduct(body);
        assert.equal(response.statusCode, 400);
        assert.deepEqual(bodyOf(response), { error: 'invalid_body', message: 'A JSON request body is required' });
      });
    }

    for (const json of ['null', '[]', '"text"', '42']) {
      it(`refuses the JSON body ${json} with invalid_body`, async () => {
        const response = await postProduct(json);
        assert.equal(response.statusCode, 400);
        assert.equal(bodyOf(response).error, 'invalid_body');
      });
    }

    it('refuses a body over the size limit with body_too_large', async () => {
      const response = await postProduct(JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES), priceCents: 1 }));
      assert.equal(response.statusCode, 400);
      assert.equal(bodyOf(response).error, 'body_too_large');
    });

    it('counts the size limit in UTF-8 bytes, not characters', async () => {
      // Prepare: fewer characters than the limit, but two bytes each.
      const name = 'é'.repeat(MAX_BODY_BYTES / 2 + 10);
      assert.ok(name.length < MAX_BODY_BYTES);
      // Act
      const response = await postProduct(JSON.stringify({ name, priceCents: 1 }));
      // Assess
      assert.equal(bodyOf(response).error, 'body_too_large');
    });

    it('refuses an oversized base64 body once decoded with body_too_large', async () => {
      const body = Buffer.from(JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES), priceCents: 1 })).toString('base64');
      const response = await postProduct(body, { isBase64Encoded: true });
      assert.equal(bodyOf(response).error, 'body_too_large');
    });

    for (const limit of ['abc', '0', '11', '-1', '1.5']) {
      it(`refuses ?limit=${limit} with invalid_query`, async () => {
        const response = await service().call('GET /products', { queryStringParameters: { limit } });
        assert.equal(response.statusCode, 400);
        assert.equal(bodyOf(response).error, 'invalid_query');
      });
    }
  });

  describe('credentials (401) and rights (403)', () => {
    it('answers 401 missing_role_context on a protected route reached without the authorizer', async () => {
      const response = await service().call('POST /products', { body: JSON.stringify({ name: 'Tamper', priceCents: 1 }) });
      assert.equal(response.statusCode, 401);
      assert.deepEqual(bodyOf(response), { error: 'missing_role_context', message: 'Missing or invalid credentials' });
      assert.equal(response.headers?.['www-authenticate'], 'Bearer');
    });

    it('answers 401 missing_role_context when the role context is malformed', async () => {
      const response = await postProduct(JSON.stringify({ name: 'Tamper', priceCents: 1 }), {
        authorizer: { ...ADMIN, roles: ['root'] },
      });
      assert.equal(response.statusCode, 401);
      assert.equal(bodyOf(response).error, 'missing_role_context');
    });

    it('answers 403 when the role context lacks the right, before reading the body', async () => {
      const response = await postProduct('not even json', { authorizer: CUSTOMER });
      assert.equal(response.statusCode, 403);
      assert.deepEqual(bodyOf(response), { error: 'role_missing', message: 'You are not allowed to do this' });
    });

    it('answers 403 for a caller without any role', async () => {
      const response = await postProduct(JSON.stringify({ name: 'Tamper', priceCents: 1 }), { authorizer: roleContext() });
      assert.equal(response.statusCode, 403);
    });

    for (const route of ['GET /products', 'POST /products']) {
      it(`answers 401 forbidden_header when the offline override header is sent to ${route}`, async () => {
        const response = await service().call(route, {
          authorizer: ADMIN,
          headers: { 'sls-offline-authorizer-override': JSON.stringify({ roles: ['admin'] }) },
          body: JSON.stringify({ name: 'Tamper', priceCents: 1 }),
        });
        assert.equal(response.statusCode, 401);
        assert.equal(bodyOf(response).error, 'forbidden_header');
      });
    }
  });

  describe('routes (404)', () => {
    for (const routeKey of ['GET /users/me', 'GET /branches/{branchId}/products', 'GET /health']) {
      it(`answers 404 route_not_found for ${routeKey}, a route of another service`, async () => {
        const response = await service().call(routeKey, { authorizer: ADMIN });
        assert.equal(response.statusCode, 404);
        assert.deepEqual(bodyOf(response), { error: 'route_not_found', message: 'No such route' });
      });
    }

    it('answers 404 for a route key that is in no policy', async () => {
      const response = await service().call('DELETE /products/{productId}', { authorizer: ADMIN });
      assert.equal(response.statusCode, 404);
    });

    it('answers 404 for a policy route of this service that the service does not implement', async () => {
      const { logger } = recordingLogger();
      const handler = createHttpService('catalog', logger, {});
      const response = await handler(httpEvent('GET /products'), lambdaContext);
      assert.equal(response.statusCode, 404);
    });

    it('answers 404 when the code registers as public a route the policy protects', async () => {
      // Prepare: the table says POST /products is admin-only; the code says public.
      const { logger } = recordingLogger();
      const handler = createHttpService('catalog', logger, {
        'POST /products': publicRoute({ handle: async () => ({ body: { created: true } }) }),
      });
      // Act
      const response = await handler(httpEvent('POST /products'), lambdaContext);
      // Assess
      assert.equal(response.statusCode, 404);
    });

    it('answers 404 when the code protects a route the policy makes public', async () => {
      const { logger } = recordingLogger();
      const handler = createHttpService('catalog', logger, {
        'GET /products': protectedRoute({ handle: async () => ({ body: [] }) }),
      });
      const response = await handler(httpEvent('GET /products', { authorizer: ADMIN }), lambdaContext);
      assert.equal(response.statusCode, 404);
    });
  });

  describe('errors', () => {
    for (const id of ['boom', 'type-error', 'string', 'null']) {
      it(`answers an unexpected failure (${id}) with exactly 500 internal_error and no internals`, async () => {
        // Act
        const response = await service().call('GET /products/{productId}', { pathParameters: { productId: id } });
        // Assess
        assert.equal(response.statusCode, 500);
        assert.equal(response.body, JSON.stringify({ error: 'internal_error', message: 'Internal server error' }));
        assert.deepEqual(bodyOf(response), { error: 'internal_error', message: 'Internal server error' });
        assert.doesNotMatch(response.body ?? '', /stack|hunter2|at |Error/);
      });
    }

    it('logs an unexpected failure as an error on the server side', async () => {
      const { call, lines } = service();
      await call('GET /products/{productId}', { pathParameters: { productId: 'boom' } });
      assert.ok(lines.some((line) => line.level === 'error' && line.message === 'unhandled error'));
    });

    for (const id of ['timeout', 'refused', 'throttled']) {
      it(`answers a dependency failure (${id}) with 503 service_unavailable and retry-after`, async () => {
        const response = await service().call('GET /products/{productId}', { pathParameters: { productId: id } });
        assert.equal(response.statusCode, 503);
        assert.equal(bodyOf(response).error, 'service_unavailable');
        assert.equal(response.headers?.['retry-after'], '1');
        assert.doesNotMatch(response.body ?? '', /ECONNREFUSED|127\.0\.0\.1|timed out/);
      });
    }

    it('answers a GatewayError with its status and code, never its cause', async () => {
      const { call } = service();
      const notFound = await call('GET /products/{productId}', { pathParameters: { productId: 'not-found' } });
      assert.equal(notFound.statusCode, 404);
      assert.deepEqual(bodyOf(notFound), { error: 'product_not_found', message: 'No such product' });
      const forbidden = await call('GET /products/{productId}', { pathParameters: { productId: 'forbidden-with-cause' } });
      assert.equal(forbidden.statusCode, 403);
      assert.deepEqual(bodyOf(forbidden), { error: 'nope', message: 'Not for you' });
      assert.doesNotMatch(`${notFound.body}${forbidden.body}`, /hunter2/);
    });
  });
});

describe('isDependencyUnavailable', () => {
  it('recognises timeouts, throttling and connection errors', () => {
    for (const name of ['TimeoutError', 'AbortError', 'ThrottlingException', 'ProvisionedThroughputExceededException', 'ServiceUnavailable']) {
      assert.equal(isDependencyUnavailable(Object.assign(new Error('x'), { name })), true, name);
    }
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT']) {
      assert.equal(isDependencyUnavailable(Object.assign(new Error('x'), { code })), true, code);
    }
  });

  it('does not treat bugs, client errors or non-errors as unavailability', () => {
    assert.equal(isDependencyUnavailable(new TypeError('x')), false);
    assert.equal(isDependencyUnavailable(Object.assign(new Error('x'), { name: 'ValidationException' })), false);
    assert.equal(isDependencyUnavailable(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' })), false);
    assert.equal(isDependencyUnavailable(null), false);
    assert.equal(isDependencyUnavailable(undefined), false);
    assert.equal(isDependencyUnavailable('ECONNREFUSED'), false);
  });
});

describe('toErrorResponse', () => {
  it('adds www-authenticate only to 401 answers', () => {
    const { logger } = recordingLogger();
    assert.equal(toErrorResponse(new ForbiddenError(), logger).headers?.['www-authenticate'], undefined);
    assert.equal(toErrorResponse(new NotFoundError(), logger).headers?.['www-authenticate'], undefined);
  });
});

/**
 * The catalog service over an in-memory ProductStore: public listing and reading with paging,
 * and product creation for admins only.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createCatalogService } from '../../functions/catalog/service';
import type { Product, ProductStore } from '../../functions/catalog/store';
import { ConflictError } from '../../lib/errors';
import { encodePageToken } from '../../lib/http/validation';
import { ADMIN, CUSTOMER, MANAGER_OF_1, bodyOf, httpEvent, lambdaContext, recordingLogger } from './fixtures';
import type { RoleContext } from '../../lib/policy/role-context';

const BEANS: Product = {
  productId: 'espresso-beans',
  name: 'Espresso beans',
  description: '1 kg',
  priceCents: 2490,
  currency: 'EUR',
  createdAt: '2030-01-01T00:00:00.000Z',
};

const fakeProducts = (options: { lastKey?: Record<string, unknown>; createFails?: Error } = {}) => {
  const products = new Map([[BEANS.productId, BEANS]]);
  const listCalls: [number, Record<string, unknown> | undefined][] = [];
  const store: ProductStore = {
    list: async (limit, start) => {
      listCalls.push([limit, start]);
      return { items: [...products.values()], ...(options.lastKey ? { lastKey: options.lastKey } : {}) };
    },
    get: async (productId) => products.get(productId),
    create: async (product) => {
      if (options.createFails) throw options.createFails;
      products.set(product.productId, product);
    },
  };
  return { store, products, listCalls };
};

const setup = (options: Parameters<typeof fakeProducts>[0] = {}) => {
  const products = fakeProducts(options);
  const { logger } = recordingLogger('catalog');
  const handler = createCatalogService({ products: products.store }, logger);
  const list = (query?: Record<string, string>) =>
    handler(httpEvent('GET /products', query ? { queryStringParameters: query } : {}), lambdaContext);
  const get = (productId: string) => handler(httpEvent('GET /products/{productId}', { pathParameters: { productId } }), lambdaContext);
  const create = (caller: RoleContext | undefined, body: unknown) =>
    handler(httpEvent('POST /products', { body: JSON.stringify(body), ...(caller ? { authorizer: caller } : {}) }), lambdaContext);
  return { ...products, list, get, create };
};

describe('catalog service', () => {
  describe('GET /products', () => {
    it('lists products with the default page size of 50 and no token on the last page', async () => {
      const { list, listCalls } = setup();
      const response = await list();
      assert.equal(response.statusCode, 200);
      assert.deepEqual(bodyOf(response), { items: [BEANS] });
      assert.deepEqual(listCalls, [[50, undefined]]);
    });

    it('hands out the store key as an opaque nextToken and reads it back', async () => {
      // Prepare
      const { list, listCalls } = setup({ lastKey: { productId: 'espresso-beans' } });
      // Act
      const first = bodyOf(await list({ limit: '1' }));
      await list({ limit: '1', nextToken: first.nextToken });
      // Assess
      assert.equal(first.nextToken, encodePageToken({ productId: 'espresso-beans' }));
      assert.deepEqual(listCalls, [
        [1, undefined],
        [1, { productId: 'espresso-beans' }],
      ]);
    });

    const BAD_QUERIES: Record<string, Record<string, string>> = {
      'a limit of 0': { limit: '0' },
      'a limit of 101': { limit: '101' },
      'a limit that is not a number': { limit: 'ten' },
      'a nextToken this API did not issue': { nextToken: 'garbage' },
      'a nextToken with another key': { nextToken: encodePageToken({ pk: 'user#admin' }) },
      'a nextToken longer than 512 characters': { nextToken: 'a'.repeat(513) },
    };
    for (const [name, query] of Object.entries(BAD_QUERIES)) {
      it(`answers 400 invalid_query for ${name}`, async () => {
        const { list, listCalls } = setup();
        const response = await list(query);
        assert.equal(response.statusCode, 400);
        assert.equal(bodyOf(response).error, 'invalid_query');
        assert.deepEqual(listCalls, []);
      });
    }
  });

  describe('GET /products/{productId}', () => {
    it('answers 200 with the product, without credentials', async () => {
      const response = await setup().get('espresso-beans');
      assert.equal(response.statusCode, 200);
      assert.deepEqual(bodyOf(response), BEANS);
    });

    it('answers 404 product_not_found for an unknown product', async () => {
      const response = await setup().get('no-such-product');
      assert.equal(response.statusCode, 404);
      assert.equal(bodyOf(response).error, 'product_not_found');
    });

    it('answers 400 invalid_path for an id that is not an identifier', async () => {
      const response = await setup().get('a b');
      assert.equal(response.statusCode, 400);
      assert.equal(bodyOf(response).error, 'invalid_path');
    });
  });

  describe('POST /products', () => {
    it('creates a product for an admin: 201, a location, a fresh id and the defaults', async () => {
      // Act
      const { create, products } = setup();
      const response = await create(ADMIN, { name: '  Tamper  ', priceCents: 1999 });
      // Assess
      const body = bodyOf(response);
      assert.equal(response.statusCode, 201);
      assert.match(body.productId, /^[0-9a-f-]{36}$/);
      assert.equal(response.headers?.location, `/products/${body.productId}`);
      assert.deepEqual({ ...body, productId: undefined, createdAt: undefined }, {
        productId: undefined,
        name: 'Tamper',
        description: '',
        priceCents: 1999,
        currency: 'EUR',
        createdAt: undefined,
      });
      assert.deepEqual(products.get(body.productId), body);
    });

    for (const [name, caller] of Object.entries({ customer: CUSTOMER, 'branch manager': MANAGER_OF_1 })) {
      it(`answers 403 to a ${name} and stores nothing`, async () => {
        const { create, products } = setup();
        const response = await create(caller, { name: 'Tamper', priceCents: 1999 });
        assert.equal(response.statusCode, 403);
        assert.equal(products.size, 1);
      });
    }

    it('answers 401 without a role context', async () => {
      const response = await setup().create(undefined, { name: 'Tamper', priceCents: 1999 });
      assert.equal(response.statusCode, 401);
    });

    for (const [name, body] of Object.entries({
      'a blank name': { name: '   ', priceCents: 1 },
      'a negative price': { name: 'Tamper', priceCents: -1 },
      'a fractional price': { name: 'Tamper', priceCents: 19.99 },
      'a lower-case currency': { name: 'Tamper', priceCents: 1, currency: 'eur' },
      'a caller-chosen productId': { name: 'Tamper', priceCents: 1, productId: 'espresso-beans' },
    })) {
      it(`answers 400 invalid_body for ${name}`, async () => {
        const { create, products } = setup();
        const response = await create(ADMIN, body);
        assert.equal(response.statusCode, 400);
        assert.equal(bodyOf(response).error, 'invalid_body');
        assert.equal(products.size, 1);
      });
    }

    it('answers 409 when the store reports the product exists', async () => {
      const { create } = setup({ createFails: new ConflictError('product_exists', 'A product with this id already exists') });
      const response = await create(ADMIN, { name: 'Tamper', priceCents: 1 });
      assert.equal(response.statusCode, 409);
      assert.equal(bodyOf(response).error, 'product_exists');
    });
  });
});

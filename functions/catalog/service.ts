/**
 * Catalog service: `GET /products`, `GET /products/{productId}` (public) and
 * `POST /products` (admin).
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { createHttpService, protectedRoute, publicRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { NotFoundError } from '../../lib/errors';
import { decodePageToken, encodePageToken, limitSchema, pathId } from '../../lib/http/validation';
import type { Product, ProductStore } from './store';

const listQuery = z.object({
  limit: limitSchema(100, 50),
  nextToken: z.optional(z.string().check(z.maxLength(512))),
});

const newProduct = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  description: z._default(z.string().check(z.trim(), z.maxLength(2000)), ''),
  priceCents: z.number().check(z.int(), z.gte(0), z.lte(100_000_000)),
  currency: z._default(z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"')), 'EUR'),
});

export const createCatalogService = (deps: { products: ProductStore }, logger = createLogger('catalog')) =>
  createHttpService('catalog', logger, {
    'GET /products': publicRoute({
      query: listQuery,
      handle: async ({ query }) => {
        const start = query.nextToken ? decodePageToken(query.nextToken, ['productId']) : undefined;
        const page = await deps.products.list(query.limit, start);
        return { body: { items: page.items, ...(page.lastKey ? { nextToken: encodePageToken(page.lastKey) } : {}) } };
      },
    }),

    'GET /products/{productId}': publicRoute({
      handle: async ({ params }) => {
        const product = await deps.products.get(pathId(params, 'productId'));
        if (!product) throw new NotFoundError('product_not_found', 'No such product');
        return { body: product };
      },
    }),

    'POST /products': protectedRoute({
      body: newProduct,
      handle: async ({ body, caller }) => {
        const product: Product = { productId: randomUUID(), ...body, createdAt: new Date().toISOString() };
        await deps.products.create(product);
        logger.info('product created', { productId: product.productId, by: caller.sub });
        return { statusCode: 201, body: product, headers: { location: `/products/${product.productId}` } };
      },
    }),
  });

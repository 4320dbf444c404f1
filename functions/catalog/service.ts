/**
 * Catalog service: `GET /products`, `GET /products/{productId}` (public) and
 * `POST /products` (admin).
 */
import { randomUUID } from 'node:crypto';
import { createHttpService, protectedRoute, publicRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { NotFoundError } from '../../lib/errors';
import { decodePageToken, encodePageToken, pathId } from '../../lib/http/validation';
import { ROUTE_TABLE } from '../../lib/routes/table';
import type { Product, ProductStore } from './store';

export const createCatalogService = (deps: { products: ProductStore }, logger = createLogger('catalog')) =>
  createHttpService('catalog', logger, {
    'GET /products': publicRoute({
      query: ROUTE_TABLE['GET /products'].query,
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
      body: ROUTE_TABLE['POST /products'].body,
      handle: async ({ body, caller }) => {
        const product: Product = { productId: randomUUID(), ...body, createdAt: new Date().toISOString() };
        await deps.products.create(product);
        logger.info('product created', { productId: product.productId, by: caller.sub });
        return { statusCode: 201, body: product, headers: { location: `/products/${product.productId}` } };
      },
    }),
  });

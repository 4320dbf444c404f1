/**
 * Inventory service: stock per branch. Admins see and change every branch; a branch manager
 * only the branches their gateway record lists. The authorizer checked this already; the
 * service checks it again against the role context (defence in depth), before it reveals
 * whether the branch even exists.
 */
import { createHttpService, protectedRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { NotFoundError } from '../../lib/errors';
import { pathId } from '../../lib/http/validation';
import type { InventoryStore } from './store';
import { ROUTE_TABLE } from '../../lib/routes/table';

export { MAX_QUANTITY } from '../../lib/routes/table';

export const createInventoryService = (deps: { inventory: InventoryStore }, logger = createLogger('inventory')) => {
  const knownBranch = async (branchId: string) => {
    if (!(await deps.inventory.branchExists(branchId))) throw new NotFoundError('branch_not_found', 'No such branch');
  };

  /** The stock item a write addresses: access first, then whether branch and product exist. */
  const writableStock = async (params: Record<string, string>) => {
    const branchId = pathId(params, 'branchId');
    const productId = pathId(params, 'productId');
    await knownBranch(branchId);
    if (!(await deps.inventory.productExists(productId))) throw new NotFoundError('product_not_found', 'No such product');
    return { branchId, productId };
  };

  return createHttpService('inventory', logger, {
    'GET /branches/{branchId}/products': protectedRoute({
      handle: async ({ params }) => {
        const branchId = pathId(params, 'branchId');
        await knownBranch(branchId);
        const items = await deps.inventory.listStock(branchId);
        return { body: { branchId, items: items.map(({ productId, quantity, updatedAt }) => ({ productId, quantity, updatedAt })) } };
      },
    }),

    'PUT /branches/{branchId}/products/{productId}': protectedRoute({
      body: ROUTE_TABLE['PUT /branches/{branchId}/products/{productId}'].body,
      handle: async ({ params, body, caller }) => {
        const { branchId, productId } = await writableStock(params);
        const stock = await deps.inventory.setStock({ branchId, productId, quantity: body.quantity, updatedBy: caller.sub });
        logger.info('stock set', { branchId, productId, quantity: stock.quantity, version: stock.version, by: caller.sub });
        return { body: stock };
      },
    }),

    'POST /branches/{branchId}/products/{productId}/adjustments': protectedRoute({
      body: ROUTE_TABLE['POST /branches/{branchId}/products/{productId}/adjustments'].body,
      handle: async ({ params, body, caller }) => {
        const { branchId, productId } = await writableStock(params);
        const stock = await deps.inventory.adjustStock({ branchId, productId, delta: body.delta, reason: body.reason, updatedBy: caller.sub });
        logger.info('stock adjusted', { branchId, productId, delta: body.delta, quantity: stock.quantity, version: stock.version, by: caller.sub });
        return { body: stock };
      },
    }),
  });
};

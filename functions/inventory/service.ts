/**
 * Inventory service: branches and their stock. It owns the branches (`POST /branches`, `GET
 * /branches`, `GET /branches/{branchId}`): a branch and its stock are one thing, every stock
 * route already reads the branch, and the stock routes live under `/branches/{branchId}`. Admins see and change every branch; a branch manager
 * only the branches their gateway record lists. The authorizer checked this already; the
 * service checks it again against the role context (defence in depth), before it reveals
 * whether the branch even exists.
 */
import { createHttpService, protectedRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';
import { NotFoundError } from '../../lib/errors';
import { decodePageToken, encodePageToken, pathId } from '../../lib/http/validation';
import type { BranchStore } from '../../lib/branches/store';
import type { RoleContext } from '../../lib/policy/role-context';
import type { InventoryStore } from './store';
import { ROUTE_TABLE } from '../../lib/routes/table';

export { MAX_QUANTITY } from '../../lib/routes/table';

export const createInventoryService = (deps: { inventory: InventoryStore; branches: BranchStore }, logger = createLogger('inventory')) => {
  /**
   * A page of the branches the caller may see: an admin (or a machine client configured as one)
   * every branch; anyone else the branches of their role context, in id order.
   */
  const visibleBranches = async (caller: RoleContext, query: { limit: number; nextToken?: string | undefined }) => {
    if (caller.roles.includes('admin')) return deps.branches.listBranches(query.limit, query.nextToken);
    const after = query.nextToken === undefined ? undefined : decodePageToken(query.nextToken, ['branchId']).branchId!;
    const own = [...new Set(caller.branches)].sort().filter((id) => after === undefined || id > after);
    const ids = own.slice(0, query.limit);
    const found = await deps.branches.getBranches(ids);
    return {
      items: ids.flatMap((id) => found.get(id) ?? []),
      ...(own.length > ids.length ? { nextToken: encodePageToken({ branchId: ids[ids.length - 1] }) } : {}),
    };
  };

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
    'POST /branches': protectedRoute({
      body: ROUTE_TABLE['POST /branches'].body,
      handle: async ({ body, caller }) => {
        const branch = await deps.branches.createBranch(body);
        logger.info('branch created', { branchId: branch.branchId, by: caller.sub });
        return { statusCode: 201, body: branch, headers: { location: `/branches/${branch.branchId}` } };
      },
    }),

    'GET /branches': protectedRoute({
      query: ROUTE_TABLE['GET /branches'].query,
      handle: async ({ query, caller }) => ({ body: await visibleBranches(caller, query) }),
    }),

    'GET /branches/{branchId}': protectedRoute({
      handle: async ({ params }) => {
        const branch = await deps.branches.getBranch(pathId(params, 'branchId'));
        if (!branch) throw new NotFoundError('branch_not_found', 'No such branch');
        return { body: branch };
      },
    }),

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

/**
 * The inventory service over an in-memory InventoryStore: who may read and set stock in which
 * branch (checked again here, whatever the authorizer said), and what a valid quantity is.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { MAX_QUANTITY, createInventoryService } from '../../functions/inventory/service';
import type { InventoryStore, StockLevel } from '../../functions/inventory/store';
import { ADMIN, CUSTOMER, MANAGER_OF_1, bodyOf, httpEvent, lambdaContext, recordingLogger, roleContext } from './fixtures';
import type { RoleContext } from '../../lib/policy/role-context';

const UPDATED_AT = '2030-01-01T00:00:00.000Z';
const PUT = 'PUT /branches/{branchId}/products/{productId}';
const GET = 'GET /branches/{branchId}/products';

/** Branches "1" and "2", products "filter-papers" and "milk"; records every call. */
const fakeInventory = (initial: StockLevel[] = []) => {
  const branches = new Set(['1', '2']);
  const products = new Set(['filter-papers', 'milk']);
  const stock = new Map(initial.map((level) => [`${level.branchId}/${level.productId}`, level]));
  const calls: string[] = [];
  const writes: Parameters<InventoryStore['setStock']>[0][] = [];
  const methods = {
    branchExists: async (branchId: string) => {
      calls.push(`branchExists ${branchId}`);
      return branches.has(branchId);
    },
    productExists: async (productId: string) => {
      calls.push(`productExists ${productId}`);
      return products.has(productId);
    },
    listStock: async (branchId: string) => {
      calls.push(`listStock ${branchId}`);
      return [...stock.values()].filter((level) => level.branchId === branchId);
    },
    setStock: async (input: Parameters<InventoryStore['setStock']>[0]) => {
      calls.push(`setStock ${input.branchId}/${input.productId}`);
      writes.push(input);
      const previous = stock.get(`${input.branchId}/${input.productId}`);
      const level: StockLevel = {
        branchId: input.branchId,
        productId: input.productId,
        quantity: input.quantity,
        updatedAt: UPDATED_AT,
        version: (previous?.version ?? 0) + 1,
      };
      stock.set(`${input.branchId}/${input.productId}`, level);
      return level;
    },
    // Not exercised here; present so the fake satisfies the whole port.
    adjustStock: async (): Promise<StockLevel> => {
      throw new Error('adjustStock is not used by these tests');
    },
  };
  const store: InventoryStore = methods;
  return { store, calls, writes };
};

/** The branch routes are tested over HTTP (tests/integration/branches.test.ts): unused here. */
const unused = () => Promise.reject(new Error('the branch routes are not used by these tests'));
const NO_BRANCH_ROUTES = { getBranch: unused, getBranches: unused, listBranches: unused, createBranch: unused };

const setup = (initial: StockLevel[] = []) => {
  const inventory = fakeInventory(initial);
  const { logger } = recordingLogger('inventory');
  const handler = createInventoryService({ inventory: inventory.store, branches: NO_BRANCH_ROUTES }, logger);
  const setStock = (caller: RoleContext | undefined, branchId: string, productId: string, body: unknown) =>
    handler(
      httpEvent(PUT, {
        pathParameters: { branchId, productId },
        ...(caller ? { authorizer: caller } : {}),
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
      lambdaContext,
    );
  const listStock = (caller: RoleContext, branchId: string) =>
    handler(httpEvent(GET, { pathParameters: { branchId }, authorizer: caller }), lambdaContext);
  return { ...inventory, setStock, listStock };
};

describe('inventory service', () => {
  describe('PUT /branches/{branchId}/products/{productId}', () => {
    it('sets the stock for an admin and answers 200 with the stored value', async () => {
      // Prepare
      const { setStock, writes } = setup([{ branchId: '2', productId: 'milk', quantity: 3, updatedAt: 'earlier', version: 4 }]);
      // Act
      const response = await setStock(ADMIN, '2', 'milk', { quantity: 12 });
      // Assess
      assert.equal(response.statusCode, 200);
      assert.deepEqual(bodyOf(response), { branchId: '2', productId: 'milk', quantity: 12, updatedAt: UPDATED_AT, version: 5 });
      assert.deepEqual(writes, [{ branchId: '2', productId: 'milk', quantity: 12, updatedBy: ADMIN.sub }]);
    });

    it('sets the stock of their own branch for a branch manager', async () => {
      const { setStock, writes } = setup();
      const response = await setStock(MANAGER_OF_1, '1', 'filter-papers', { quantity: 7 });
      assert.equal(response.statusCode, 200);
      assert.equal(bodyOf(response).quantity, 7);
      assert.deepEqual(writes, [{ branchId: '1', productId: 'filter-papers', quantity: 7, updatedBy: MANAGER_OF_1.sub }]);
    });

    it('accepts the bounds 0 and MAX_QUANTITY', async () => {
      const { setStock } = setup();
      assert.equal((await setStock(ADMIN, '1', 'milk', { quantity: 0 })).statusCode, 200);
      assert.equal((await setStock(ADMIN, '1', 'milk', { quantity: MAX_QUANTITY })).statusCode, 200);
    });

    it('answers 403 branch_not_managed to a manager of branch 1 setting stock in branch 2, and touches nothing', async () => {
      // Prepare: a role context that came through although its branches do not include the path branch.
      const { setStock, calls } = setup();
      const caller = roleContext({ roles: ['branch-manager'], branches: ['1'] });
      // Act
      const response = await setStock(caller, '2', 'filter-papers', { quantity: 7 });
      // Assess
      assert.equal(response.statusCode, 403);
      assert.equal(bodyOf(response).error, 'branch_not_managed');
      assert.deepEqual(calls, []);
    });

    it('answers 403, not 404, to a manager asking about a branch that does not exist', async () => {
      const { setStock, calls } = setup();
      const response = await setStock(MANAGER_OF_1, '99', 'filter-papers', { quantity: 7 });
      assert.equal(response.statusCode, 403);
      assert.deepEqual(calls, [], 'the existence of the branch must not be revealed');
    });

    it('answers 403 role_missing to a customer', async () => {
      const { setStock, calls } = setup();
      const response = await setStock(CUSTOMER, '1', 'filter-papers', { quantity: 7 });
      assert.equal(response.statusCode, 403);
      assert.equal(bodyOf(response).error, 'role_missing');
      assert.deepEqual(calls, []);
    });

    it('answers 401 without a role context', async () => {
      const { setStock, calls } = setup();
      const response = await setStock(undefined, '1', 'filter-papers', { quantity: 7 });
      assert.equal(response.statusCode, 401);
      assert.deepEqual(calls, []);
    });

    it('answers 404 branch_not_found for an unknown branch', async () => {
      const { setStock, writes } = setup();
      const response = await setStock(ADMIN, '99', 'filter-papers', { quantity: 7 });
      assert.equal(response.statusCode, 404);
      assert.equal(bodyOf(response).error, 'branch_not_found');
      assert.deepEqual(writes, []);
    });

    it('answers 404 product_not_found for an unknown product', async () => {
      const { setStock, writes } = setup();
      const response = await setStock(ADMIN, '1', 'no-such-product', { quantity: 7 });
      assert.equal(response.statusCode, 404);
      assert.equal(bodyOf(response).error, 'product_not_found');
      assert.deepEqual(writes, []);
    });

    const BAD_BODIES: Record<string, unknown> = {
      'quantity -1': { quantity: -1 },
      'quantity 1.5': { quantity: 1.5 },
      'quantity "3"': { quantity: '3' },
      'quantity missing': {},
      'quantity null': { quantity: null },
      'quantity over MAX_QUANTITY': { quantity: MAX_QUANTITY + 1 },
      'an extra field': { quantity: 3, updatedBy: 'someone-else' },
      'a JSON array': [3],
    };
    for (const [name, body] of Object.entries(BAD_BODIES)) {
      it(`answers 400 invalid_body for ${name}, and writes nothing`, async () => {
        const { setStock, writes } = setup();
        const response = await setStock(ADMIN, '1', 'milk', body);
        assert.equal(response.statusCode, 400);
        assert.equal(bodyOf(response).error, 'invalid_body');
        assert.deepEqual(writes, []);
      });
    }

    it('answers 400 invalid_body for a missing body', async () => {
      const { setStock, writes } = setup();
      const response = await setStock(ADMIN, '1', 'milk', undefined);
      assert.equal(response.statusCode, 400);
      assert.equal(bodyOf(response).error, 'invalid_body');
      assert.deepEqual(writes, []);
    });

    it('answers 400 invalid_path for a product id that is not an identifier', async () => {
      const { setStock, writes } = setup();
      const response = await setStock(ADMIN, '1', '../milk', { quantity: 1 });
      assert.equal(response.statusCode, 400);
      assert.equal(bodyOf(response).error, 'invalid_path');
      assert.deepEqual(writes, []);
    });

    it('answers 503 when the store is throttled', async () => {
      const { store } = fakeInventory();
      const { logger } = recordingLogger();
      const handler = createInventoryService(
        {
          branches: NO_BRANCH_ROUTES,
          inventory: {
            ...store,
            setStock: async () => {
              throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
            },
          },
        },
        logger,
      );
      const event = httpEvent(PUT, { pathParameters: { branchId: '1', productId: 'milk' }, authorizer: ADMIN, body: '{"quantity":1}' });
      const response = await handler(event, lambdaContext);
      assert.equal(response.statusCode, 503);
    });
  });

  describe('GET /branches/{branchId}/products', () => {
    const LEVELS: StockLevel[] = [
      { branchId: '1', productId: 'milk', quantity: 4, updatedAt: UPDATED_AT, version: 2 },
      { branchId: '2', productId: 'milk', quantity: 9, updatedAt: UPDATED_AT, version: 1 },
    ];

    it("lists a manager's own branch with productId, quantity and updatedAt only", async () => {
      const { listStock } = setup(LEVELS);
      const response = await listStock(MANAGER_OF_1, '1');
      assert.equal(response.statusCode, 200);
      assert.deepEqual(bodyOf(response), { branchId: '1', items: [{ productId: 'milk', quantity: 4, updatedAt: UPDATED_AT }] });
    });

    it('answers 403 branch_not_managed to a manager listing another branch', async () => {
      const { listStock, calls } = setup(LEVELS);
      const response = await listStock(MANAGER_OF_1, '2');
      assert.equal(response.statusCode, 403);
      assert.equal(bodyOf(response).error, 'branch_not_managed');
      assert.deepEqual(calls, []);
    });

    it('answers 404 branch_not_found to an admin listing an unknown branch', async () => {
      const { listStock } = setup(LEVELS);
      const response = await listStock(ADMIN, '99');
      assert.equal(response.statusCode, 404);
      assert.equal(bodyOf(response).error, 'branch_not_found');
    });
  });
});


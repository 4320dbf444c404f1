/**
 * The inventory's port to its data: branches (`BRANCHES_TABLE`, key `branchId`), stock per
 * branch and product (`INVENTORY_TABLE`, keys `branchId` + `productId`), and the catalog's
 * products (read only, to refuse stock for products that do not exist).
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface StockLevel {
  branchId: string;
  productId: string;
  quantity: number;
  updatedAt: string;
  version: number;
}

export interface InventoryStore {
  branchExists(branchId: string): Promise<boolean>;
  productExists(productId: string): Promise<boolean>;
  listStock(branchId: string): Promise<StockLevel[]>;
  /** One atomic write: the quantity, when and by whom, and a version that counts writes. */
  setStock(input: { branchId: string; productId: string; quantity: number; updatedBy: string }): Promise<StockLevel>;
}

const toStock = (item: Record<string, unknown>): StockLevel => ({
  branchId: String(item.branchId),
  productId: String(item.productId),
  quantity: Number(item.quantity ?? 0),
  updatedAt: String(item.updatedAt ?? ''),
  version: Number(item.version ?? 0),
});

export const createDynamoInventoryStore = (
  client: DynamoDBDocumentClient,
  tables: { branches: string; inventory: string; products: string },
): InventoryStore => ({
  async branchExists(branchId) {
    const result = await client.send(
      new GetCommand({ TableName: tables.branches, Key: { branchId }, ProjectionExpression: 'branchId' }),
    );
    return result.Item !== undefined;
  },

  async productExists(productId) {
    const result = await client.send(
      new GetCommand({ TableName: tables.products, Key: { productId }, ProjectionExpression: 'productId' }),
    );
    return result.Item !== undefined;
  },

  async listStock(branchId) {
    const items: StockLevel[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tables.inventory,
          KeyConditionExpression: 'branchId = :b',
          ExpressionAttributeValues: { ':b': branchId },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(page.Items ?? []).map(toStock));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  },

  async setStock({ branchId, productId, quantity, updatedBy }) {
    const result = await client.send(
      new UpdateCommand({
        TableName: tables.inventory,
        Key: { branchId, productId },
        UpdateExpression: 'SET quantity = :q, updatedAt = :now, updatedBy = :by ADD version :one',
        ExpressionAttributeValues: { ':q': quantity, ':now': new Date().toISOString(), ':by': updatedBy, ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toStock(result.Attributes ?? {});
  },
});

/**
 * The inventory's port to its data: branches (`BRANCHES_TABLE`, key `branchId`), stock per
 * branch and product (`INVENTORY_TABLE`, keys `branchId` + `productId`), and the catalog's
 * products (read only, to refuse stock for products that do not exist).
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsErrorName, ConflictError } from '../../lib/errors';

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
  /**
   * Add `delta` (negative to take stock out) in one conditional write: it applies in full or
   * not at all, and never takes the quantity below zero (`insufficient_stock`, 409).
   */
  adjustStock(input: { branchId: string; productId: string; delta: number; reason: string; updatedBy: string }): Promise<StockLevel>;
}

const toStock = (item: Record<string, unknown>): StockLevel => ({
  branchId: String(item.branchId),
  productId: String(item.productId),
  quantity: Number(item.quantity ?? 0),
  updatedAt: typeof item.updatedAt === 'string' ? item.updatedAt : '',
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

  async adjustStock({ branchId, productId, delta, reason, updatedBy }) {
    const now = new Date().toISOString();
    try {
      const result = await client.send(
        new UpdateCommand({
          TableName: tables.inventory,
          Key: { branchId, productId },
          UpdateExpression: 'ADD quantity :delta, version :one SET updatedAt = :now, updatedBy = :by, lastAdjustment = :adjustment',
          // Taking stock out needs that much stock; a missing item counts as zero.
          ...(delta < 0 ? { ConditionExpression: 'quantity >= :needed' } : {}),
          ExpressionAttributeValues: {
            ':delta': delta,
            ':one': 1,
            ':now': now,
            ':by': updatedBy,
            ':adjustment': { delta, reason, by: updatedBy, at: now },
            ...(delta < 0 ? { ':needed': -delta } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toStock(result.Attributes ?? {});
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') {
        throw new ConflictError('insufficient_stock', 'Not enough stock for this adjustment');
      }
      throw error;
    }
  },
});

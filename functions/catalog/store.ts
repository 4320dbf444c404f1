/** The catalog's port to its data: products in DynamoDB (`PRODUCTS_TABLE`, key `productId`). */
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsErrorName, ConflictError } from '../../lib/errors';

export interface Product {
  productId: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  createdAt: string;
}

export interface ProductPage {
  items: Product[];
  nextToken?: string;
}

export interface ProductStore {
  list(limit: number, nextToken?: Record<string, unknown>): Promise<{ items: Product[]; lastKey?: Record<string, unknown> }>;
  get(productId: string): Promise<Product | undefined>;
  create(product: Product): Promise<void>;
}

export const createDynamoProductStore = (client: DynamoDBDocumentClient, tableName: string): ProductStore => ({
  async list(limit, startKey) {
    const result = await client.send(
      new ScanCommand({ TableName: tableName, Limit: limit, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
    );
    return {
      items: (result.Items ?? []) as Product[],
      ...(result.LastEvaluatedKey ? { lastKey: result.LastEvaluatedKey } : {}),
    };
  },
  async get(productId) {
    const result = await client.send(new GetCommand({ TableName: tableName, Key: { productId } }));
    return result.Item as Product | undefined;
  },
  async create(product) {
    try {
      await client.send(
        new PutCommand({ TableName: tableName, Item: product, ConditionExpression: 'attribute_not_exists(productId)' }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') {
        throw new ConflictError('product_exists', 'A product with this id already exists');
      }
      throw error;
    }
  },
});

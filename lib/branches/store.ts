/**
 * Branches (`BRANCHES_TABLE`, key `branchId`): `{branchId, name, createdAt}`. The inventory
 * service owns them (it creates and lists them and keeps their stock); the users service only
 * reads them, to refuse a manager's branch that does not exist.
 */
import { BatchGetCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsErrorName, ConflictError } from '../errors';
import { decodePageToken, encodePageToken } from '../http/validation';

export interface Branch {
  branchId: string;
  name: string;
  /** ISO time; absent for branches made before it was recorded. */
  createdAt?: string;
}

export interface BranchPage {
  items: Branch[];
  nextToken?: string;
}

export interface BranchStore {
  getBranch(branchId: string): Promise<Branch | undefined>;
  /** The branches that exist among `ids`, by id. */
  getBranches(ids: readonly string[]): Promise<Map<string, Branch>>;
  /** A page of every branch (a scan: in no particular order). */
  listBranches(limit: number, nextToken?: string): Promise<BranchPage>;
  /** 409 `branch_exists` if the id is taken. */
  createBranch(branch: { branchId: string; name: string }): Promise<Branch>;
}

const toBranch = (item: Record<string, unknown>): Branch => ({
  branchId: String(item.branchId),
  name: typeof item.name === 'string' ? item.name : String(item.branchId),
  ...(typeof item.createdAt === 'string' ? { createdAt: item.createdAt } : {}),
});

/** How many unprocessed-key retries a BatchGetItem gets before the read fails. */
const BATCH_ATTEMPTS = 3;

export const createDynamoBranchStore = (client: DynamoDBDocumentClient, table: string): BranchStore => ({
  async getBranch(branchId) {
    const result = await client.send(new GetCommand({ TableName: table, Key: { branchId } }));
    return result.Item ? toBranch(result.Item) : undefined;
  },

  async getBranches(ids) {
    const found = new Map<string, Branch>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] = unique.slice(i, i + 100).map((branchId) => ({ branchId }));
      for (let attempt = 1; keys.length > 0; attempt += 1) {
        if (attempt > BATCH_ATTEMPTS) throw new Error('Branches could not be read completely');
        const result = await client.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
        for (const item of result.Responses?.[table] ?? []) found.set(String(item.branchId), toBranch(item));
        keys = result.UnprocessedKeys?.[table]?.Keys ?? [];
      }
    }
    return found;
  },

  async listBranches(limit, nextToken) {
    const result = await client.send(
      new ScanCommand({
        TableName: table,
        Limit: limit,
        ...(nextToken ? { ExclusiveStartKey: decodePageToken(nextToken, ['branchId']) } : {}),
      }),
    );
    return {
      items: (result.Items ?? []).map(toBranch),
      ...(result.LastEvaluatedKey ? { nextToken: encodePageToken(result.LastEvaluatedKey) } : {}),
    };
  },

  async createBranch({ branchId, name }) {
    const branch = { branchId, name, createdAt: new Date().toISOString() };
    try {
      await client.send(new PutCommand({ TableName: table, Item: branch, ConditionExpression: 'attribute_not_exists(branchId)' }));
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') throw new ConflictError('branch_exists', 'A branch with this id already exists', { cause: error });
      throw error;
    }
    return branch;
  },
});

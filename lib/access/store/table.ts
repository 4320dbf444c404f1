/**
 * The access table as the services reach it (AWS SDK document client): the few operations every
 * record kind needs, with one read rule (strongly consistent, expired records ignored) and one
 * BatchGet loop (lib/access/batch-get.ts).
 */
import { BatchGetCommand, GetCommand, type DynamoDBDocumentClient, type UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsErrorName } from '../../errors';
import { batchGetAll } from '../batch-get';
import { live, type Item } from '../records';
import type { ChangeLogWriter } from './change-log';

export interface AccessTable {
  readonly name: string;
  readonly client: DynamoDBDocumentClient;
  /** One record, strongly consistent; undefined when absent or expired. */
  get(pk: string): Promise<Item | undefined>;
  /** Records by `pk`, strongly consistent (any number of keys, in pages of 100). */
  batchGet(pks: readonly string[]): Promise<Map<string, Item>>;
  /** Send a conditional write; false when its condition did not hold. */
  conditionally(command: UpdateCommand): Promise<boolean>;
  /**
   * Tell warm authorizers that these records changed (lib/access/change-log.ts). Every write
   * to a record the authorizer decides on is followed by this, once the write has returned.
   */
  changed(pks: readonly string[]): Promise<void>;
}

export const createAccessTable = (client: DynamoDBDocumentClient, name: string, changes: ChangeLogWriter): AccessTable => ({
  name,
  client,
  changed: (pks) => changes.changed(pks),
  async get(pk) {
    return live((await client.send(new GetCommand({ TableName: name, Key: { pk }, ConsistentRead: true }))).Item);
  },
  async batchGet(pks) {
    const found = new Map<string, Item>();
    const unique = [...new Set(pks)];
    for (let i = 0; i < unique.length; i += 100) {
      const page = await batchGetAll(unique.slice(i, i + 100), async (keys) => {
        const result = await client.send(
          new BatchGetCommand({ RequestItems: { [name]: { Keys: keys.map((pk) => ({ pk })), ConsistentRead: true } } }),
        );
        return {
          items: (result.Responses?.[name] ?? []) as Item[],
          unprocessed: ((result.UnprocessedKeys?.[name]?.Keys ?? []) as Item[]).map((key) => String(key.pk)),
        };
      });
      for (const [pk, item] of page) found.set(pk, item);
    }
    return found;
  },
  async conditionally(command) {
    try {
      await client.send(command);
      return true;
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  },
});

/**
 * The start of every update of a `user#` record: it exists afterwards, with its sub, and keeps
 * the username and branches it had (values `:sub`, `:username`, `:none`; name `#sub`).
 */
export const ENSURE_USER = 'SET #sub = :sub, username = if_not_exists(username, :username), branches = if_not_exists(branches, :none)';

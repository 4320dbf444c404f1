/**
 * The access table on an in-process dynalite, for unit tests that run the real access store
 * (`createDynamoAccessStore`: real conditional writes, real BatchGetItem) without a stack. One
 * server per test file, on a free port of 127.0.0.1; `stop()` in `afterAll`.
 *
 *   let table: LocalAccessTable;
 *   beforeAll(async () => { table = await startAccessTable(); });
 *   afterAll(() => table.stop());
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoAccessStore, createDynamoMfaRecords, type AccessStore, type Item, type MfaRecords } from '../../lib/access/store';
import { createSecretVault, localKeyWrapper } from '../../lib/secrets/vault';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface LocalAccessTable {
  /** The real access store over the table. */
  store: AccessStore;
  /** Two-factor sign-in's records over the same table, sealing with a key of the test's own. */
  mfa: MfaRecords;
  /** The document client the store uses, for tests that read or write records as they are stored. */
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** The access change log's table (lib/access/change-log.ts), next to it. */
  changesTableName: string;
  /** Where the in-process dynalite listens (http://127.0.0.1:<port>). */
  endpoint: string;
  /** Every change-log entry written so far, every shard's copy. */
  changes(): Promise<Item[]>;
  /** The names of the commands the store's client sent (DynamoDB's own: `GetItemCommand`, `BatchGetItemCommand`, ...), oldest first. */
  sent: string[];
  /** A record exactly as stored: expired ones included, nothing parsed. */
  raw(pk: string): Promise<Item | undefined>;
  /** Write a record as is (records the store would never write: a half-made key, an old expiry). */
  put(item: Item): Promise<void>;
  /** Set attributes of a stored record as they are (`{ expiresAt: 1 }`), creating it if absent. */
  set(pk: string, attributes: Item): Promise<void>;
  stop(): Promise<void>;
}

export const startAccessTable = async (tableName = 'access', changeLog: { shards: number } = { shards: 2 }): Promise<LocalAccessTable> => {
  const changesTableName = `${tableName}-changes`;
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await client.send(
    new CreateTableCommand({
      TableName: changesTableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  const documents = DynamoDBDocumentClient.from(client);
  const sent: string[] = [];
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordSentCommands' },
  );
  // The test's own reads and writes go through a client of their own, so `sent` is the store's alone.
  const direct = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  return {
    store: createDynamoAccessStore(documents, { tables: { access: tableName }, changeLog: { table: changesTableName, shards: changeLog.shards } }),
    mfa: createDynamoMfaRecords(
      documents,
      { tables: { access: tableName }, changeLog: { table: changesTableName, shards: changeLog.shards } },
      createSecretVault(localKeyWrapper(Buffer.alloc(32, 7))),
    ),
    changesTableName,
    endpoint,
    changes: async () => (await direct.send(new ScanCommand({ TableName: changesTableName, ConsistentRead: true }))).Items ?? [],
    documents,
    tableName,
    sent,
    raw: async (pk) => (await direct.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }))).Item,
    put: async (item) => {
      await direct.send(new PutCommand({ TableName: tableName, Item: item }));
    },
    set: async (pk, attributes) => {
      const names = Object.keys(attributes);
      await direct.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk },
          UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
          ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, attributes[name]])),
        }),
      );
    },
    stop: async () => {
      client.destroy();
      direct.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

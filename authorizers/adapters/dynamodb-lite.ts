/**
 * The authorizer's own DynamoDB reader: strongly consistent BatchGetItem (the access records) and
 * Query (the change log) over node:http(s) with keep-alive, signed with Signature Version 4 using
 * node:crypto.
 *
 * Why not the AWS SDK here: the benchmark (README, Performance) showed the SDK spends about
 * 0.7 ms of our own CPU per call (rebuilding its middleware stack, signing, marshalling) on a
 * read the network serves in about 0.3 ms, and makes up about 530 KB of the authorizer's
 * 600 KB bundle. Every other function keeps the SDK. The signer is checked against the SDK's
 * own (`@smithy/signature-v4`) in tests/unit/dynamodb-lite.test.ts.
 *
 * Fail closed: a missing credential, a timeout, an unexpected answer or keys still unprocessed
 * after the last attempt is an error, which the authorizer turns into a denial.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { DataConfig } from '../../lib/config';
import { SESSION, USER, readApiKey, readWebSession, snapshotFromItems, type Item, type ReadCost, type SnapshotReader } from '../../lib/access/records';
import { batchGetAll } from '../../lib/access/batch-get';
import { isTransientError } from '../../lib/errors';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Lambda puts the function role's credentials in these variables. */
export const credentialsFromEnv = (env: Record<string, string | undefined> = process.env): Credentials | undefined => {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
};

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

export interface SignInput {
  method: string;
  host: string;
  path: string;
  /** Lower-case names; `host`, `x-amz-content-sha256`, `x-amz-date` (and the session token) are added. */
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  credentials: Credentials;
  date: Date;
}

const signingKeys = new Map<string, Buffer>();

/** The headers to send, `authorization` included (AWS Signature Version 4, header form). */
export const signV4 = (input: SignInput): Record<string, string> => {
  const amzDate = input.date.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(input.body);
  // The same header set the AWS SDK's signer sends to DynamoDB (x-amz-content-sha256 included).
  const headers: Record<string, string> = {
    ...input.headers,
    host: input.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
    ...(input.credentials.sessionToken ? { 'x-amz-security-token': input.credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [input.method, input.path, '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');

  const cacheKey = `${input.credentials.secretAccessKey}\u0000${scope}`;
  let signingKey = signingKeys.get(cacheKey);
  if (!signingKey) {
    signingKey = hmac(hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, day), input.region), input.service), 'aws4_request');
    signingKeys.clear(); // one key per day and region is all a container needs
    signingKeys.set(cacheKey, signingKey);
  }
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
};

type AttributeValue = Record<string, unknown>;

/** DynamoDB's typed JSON to plain values, for the types the access records use. */
export const unmarshall = (value: AttributeValue): unknown => {
  if ('S' in value) return value.S;
  if ('N' in value) return Number(value.N);
  if ('BOOL' in value) return value.BOOL;
  if ('NULL' in value) return null;
  if ('SS' in value) return new Set(value.SS as string[]);
  if ('NS' in value) return new Set((value.NS as string[]).map(Number));
  if ('L' in value) return (value.L as AttributeValue[]).map(unmarshall);
  if ('M' in value) return unmarshallItem(value.M as Record<string, AttributeValue>);
  return undefined;
};

export const unmarshallItem = (item: Record<string, AttributeValue>): Item =>
  Object.fromEntries(Object.entries(item).map(([name, value]) => [name, unmarshall(value)]));


export class DynamoLiteError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DynamoLiteError';
  }
}

export interface BatchGetReader {
  /** Items by `pk`, read with ConsistentRead. */
  batchGet(table: string, pks: readonly string[]): Promise<Map<string, Item>>;
}

export interface AfterQueryReader {
  /** The items of partition `pk` whose `sk` sorts after `afterSk`, read with ConsistentRead, every page. */
  queryAfter(table: string, pk: string, afterSk: string): Promise<Item[]>;
}

/**
 * The authorizer's one write: a browser session's "last seen" (idle timeout), moved forward at
 * most once a minute per session, never on a revoked record. Its IAM grant allows UpdateItem on
 * `websession#` keys and the `lastSeenAt` attribute only (serverless.yml AuthorizerRole).
 */
export interface LastSeenWriter {
  /** `lastSeenAt = now` on `pk` if it is at most `notAfter` and the record is not revoked; false if the condition did not hold. */
  touch(table: string, pk: string, now: number, notAfter: number): Promise<boolean>;
}

export const createBatchGetReader = (
  config: Pick<DataConfig, 'region' | 'endpoint' | 'requestTimeoutMs' | 'maxAttempts'>,
  options?: { credentials?: () => Credentials | undefined },
): BatchGetReader & AfterQueryReader & LastSeenWriter => {
  const url = new URL(config.endpoint ?? `https://dynamodb.${config.region}.amazonaws.com`);
  const client = url.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: 50 });
  const credentials = options?.credentials ?? (() => credentialsFromEnv());

  const post = (target: string, body: string): Promise<{ status: number; text: string }> => {
    const creds = credentials();
    if (!creds) return Promise.reject(new DynamoLiteError('No AWS credentials in the environment', false));
    const headers = signV4({
      method: 'POST',
      host: url.host,
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${target}` },
      body,
      region: config.region,
      service: 'dynamodb',
      credentials: creds,
      date: new Date(),
    });
    return new Promise((resolve, reject) => {
      const request = client.request(
        { protocol: url.protocol, hostname: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      const timer = setTimeout(() => request.destroy(new DynamoLiteError(`DynamoDB did not answer within ${config.requestTimeoutMs} ms`, true)), config.requestTimeoutMs);
      request.on('close', () => clearTimeout(timer));
      request.on('error', (error) => reject(error instanceof DynamoLiteError ? error : new DynamoLiteError(error.message, true)));
      request.end(body);
    });
  };

  type BatchGetAnswer = { Responses?: Record<string, Record<string, AttributeValue>[]>; UnprocessedKeys?: Record<string, { Keys?: unknown[] }>; __type?: string };
  type QueryAnswer = { Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue>; __type?: string };

  /** One call: its answer, or a DynamoLiteError that says whether to try again. */
  const call = async <T extends { __type?: string }>(target: string, body: string): Promise<T> => {
    const answer = await post(target, body);
    let parsed: T;
    try {
      parsed = JSON.parse(answer.text) as T;
    } catch {
      throw new DynamoLiteError(`DynamoDB answered ${answer.status} with a body that is not JSON`, false);
    }
    if (answer.status !== 200) {
      const type = (parsed.__type ?? '').split('#').pop() ?? '';
      throw new DynamoLiteError(`DynamoDB answered ${answer.status} ${type}`, answer.status >= 500 || isTransientError(type));
    }
    return parsed;
  };

  /** A transient failure (timeout, throttling, 5xx) is tried again, up to maxAttempts calls. */
  const withRetries = async <T extends { __type?: string }>(target: string, body: string): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call<T>(target, body);
      } catch (error) {
        if (!(error instanceof DynamoLiteError && error.retryable) || attempt >= config.maxAttempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
      }
    }
  };

  return {
    async touch(table, pk, now, notAfter) {
      const body = JSON.stringify({
        TableName: table,
        Key: { pk: { S: pk } },
        UpdateExpression: 'SET lastSeenAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND lastSeenAt <= :notAfter AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':now': { N: String(now) }, ':notAfter': { N: String(notAfter) } },
        ReturnValues: 'NONE',
      });
      try {
        await withRetries<{ __type?: string }>('UpdateItem', body);
        return true;
      } catch (error) {
        if (error instanceof DynamoLiteError && /ConditionalCheckFailed/.test(error.message)) return false;
        throw error;
      }
    },

    batchGet: (table, pks) =>
      batchGetAll(pks, async (keys) => {
        const body = JSON.stringify({ RequestItems: { [table]: { Keys: keys.map((pk) => ({ pk: { S: pk } })), ConsistentRead: true } } });
        const parsed = await withRetries<BatchGetAnswer>('BatchGetItem', body);
        return {
          items: (parsed.Responses?.[table] ?? []).map(unmarshallItem),
          unprocessed: (parsed.UnprocessedKeys?.[table]?.Keys ?? []).map((key) => String((key as { pk?: { S?: string } }).pk?.S)),
        };
      }),

    async queryAfter(table, pk, afterSk) {
      const items: Item[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const body = JSON.stringify({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND sk > :after',
          ExpressionAttributeValues: { ':pk': { S: pk }, ':after': { S: afterSk } },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        });
        const parsed = await withRetries<QueryAnswer>('Query', body);
        for (const item of parsed.Items ?? []) items.push(unmarshallItem(item));
        start = parsed.LastEvaluatedKey;
      } while (start);
      return items;
    },
  };
};

/** The authorizer's strict read (`REVOCATION_MAX_STALENESS_MS=0`): the records, every decision. */
export const createLiteSnapshotReader = (reader: BatchGetReader, table: string): SnapshotReader => {
  const read = async (pks: readonly string[], cost?: ReadCost) => {
    if (cost) cost.reads += 1;
    return reader.batchGet(table, pks);
  };
  return {
    snapshot: async (sub, sessionId, cost) => snapshotFromItems(await read([USER + sub, SESSION + sessionId], cost), sub, sessionId),
    apiKey: (keyId, cost) => readApiKey(async (pk) => (await read([pk], cost)).get(pk), keyId),
    webSession: (hash, cost) => readWebSession(async (pk) => (await read([pk], cost)).get(pk), hash),
  };
};

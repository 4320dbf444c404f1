/**
 * The authorizer's small DynamoDB reader: its Signature Version 4 must equal the AWS SDK's own
 * signer byte for byte, and its BatchGetItem must retry, finish unprocessed keys and fail
 * closed, against a real HTTP server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { createBatchGetReader, credentialsFromEnv, signV4, unmarshallItem, type Credentials } from '../../authorizers/adapters/dynamodb-lite';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';

/** node:crypto behind the SDK signer's hash interface. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

const sdkSign = async (credentials: Credentials, date: Date, body: string, host: string, region: string) => {
  const signer = new SignatureV4({ credentials, region, service: 'dynamodb', sha256: NodeSha256 as never });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: {},
      headers: { host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.BatchGetItem' },
      body,
    } as never,
    { signingDate: date },
  );
  return (signed as unknown as { headers: Record<string, string> }).headers;
};

describe('signV4', () => {
  const cases: [string, Credentials, string][] = [
    ['long-term keys', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, 'us-east-1'],
    [
      'a Lambda role session',
      { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'c2VjcmV0L2tleS93aXRoK3NsYXNoZXM=', sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes==' },
      'eu-west-1',
    ],
  ];
  for (const [what, credentials, region] of cases) {
    it(`signs exactly as the AWS SDK does, with ${what}`, async () => {
      const host = `dynamodb.${region}.amazonaws.com`;
      for (const date of [new Date('2026-11-23T09:15:02.123Z'), new Date('2027-01-01T00:00:00.000Z')]) {
        const body = JSON.stringify({ RequestItems: { t: { Keys: [{ pk: { S: 'user#1' } }], ConsistentRead: true } } });
        const ours = signV4({
          method: 'POST',
          host,
          path: '/',
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.BatchGetItem' },
          body,
          region,
          service: 'dynamodb',
          credentials,
          date,
        });
        const sdk = await sdkSign(credentials, date, body, host, region);
        assert.equal(ours.authorization, sdk.authorization);
        assert.equal(ours['x-amz-date'], sdk['x-amz-date']);
        assert.equal(ours['x-amz-security-token'], sdk['x-amz-security-token']);
      }
    });
  }

  it('reads Lambda\'s credentials from the environment, and nothing when they are missing', () => {
    assert.deepEqual(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' }), {
      accessKeyId: 'a',
      secretAccessKey: 'b',
      sessionToken: 'c',
    });
    assert.equal(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a' }), undefined);
  });
});

describe('unmarshallItem', () => {
  it('turns the access records\' attribute types into plain values', () => {
    assert.deepEqual(
      unmarshallItem({
        pk: { S: 'user#1' },
        notBefore: { N: '1795420000' },
        disabled: { BOOL: true },
        branches: { L: [{ S: '1' }, { S: '2' }] },
        children: { SS: ['a', 'b'] },
        nothing: { NULL: true },
        nested: { M: { delta: { N: '-3' } } },
      }),
      {
        pk: 'user#1',
        notBefore: 1795420000,
        disabled: true,
        branches: ['1', '2'],
        children: new Set(['a', 'b']),
        nothing: null,
        nested: { delta: -3 },
      },
    );
  });
});

describe('createBatchGetReader', () => {
  let server: http.Server;
  let endpoint: string;
  /** What the fake DynamoDB answers next, one entry per request. */
  type Scripted = { status: number; body?: unknown; delayMs?: number };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the request's DynamoDB JSON, as the scripts and assertions read it
  let script: ((body: any) => Scripted)[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  let requests: { headers: http.IncomingHttpHeaders; body: any }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        const body = JSON.parse(text);
        requests.push({ headers: req.headers, body });
        const next = script.shift() ?? ((): Scripted => ({ status: 500, body: { __type: 'InternalServerError' } }));
        const answer: Scripted = next(body);
        setTimeout(() => res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(answer.body ?? {})), answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const reader = (maxAttempts = 2, requestTimeoutMs = 500) =>
    createBatchGetReader(
      { region: 'us-east-1', endpoint, requestTimeoutMs, maxAttempts },
      { credentials: () => ({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 't' }) },
    );

  const item = (pk: string) => ({ pk: { S: pk }, sub: { S: 's' }, username: { S: 'u' }, branches: { L: [{ S: '1' }] } });

  it('sends one signed, strongly consistent BatchGetItem and returns the items by pk', async () => {
    requests = [];
    script = [() => ({ status: 200, body: { Responses: { access: [item('user#s')] }, UnprocessedKeys: {} } })];
    const found = await reader().batchGet('access', ['user#s', 'session#x']);
    assert.deepEqual(found.get('user#s'), { pk: 'user#s', sub: 's', username: 'u', branches: ['1'] });
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.headers['x-amz-target'], 'DynamoDB_20120810.BatchGetItem');
    assert.match(String(requests[0]!.headers.authorization), /^AWS4-HMAC-SHA256 Credential=a\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/);
    assert.equal(requests[0]!.body.RequestItems.access.ConsistentRead, true);
  });

  it('asks again for unprocessed keys', async () => {
    requests = [];
    script = [
      () => ({ status: 200, body: { Responses: { access: [item('user#s')] }, UnprocessedKeys: { access: { Keys: [{ pk: { S: 'session#x' } }] } } } }),
      () => ({ status: 200, body: { Responses: { access: [item('session#x')] } } }),
    ];
    const found = await reader().batchGet('access', ['user#s', 'session#x']);
    assert.deepEqual([...found.keys()].sort(), ['session#x', 'user#s']);
    assert.deepEqual(requests[1]!.body.RequestItems.access.Keys, [{ pk: { S: 'session#x' } }]);
  });

  it('retries a throttled or failed call, then succeeds', async () => {
    script = [
      () => ({ status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException' } }),
      () => ({ status: 200, body: { Responses: { access: [] } } }),
    ];
    assert.equal((await reader().batchGet('access', ['user#s'])).size, 0);
  });

  it('fails, without retrying, on an error that retrying cannot fix', async () => {
    requests = [];
    script = [() => ({ status: 400, body: { __type: 'com.amazon.coral.validate#ValidationException' } })];
    await assert.rejects(reader().batchGet('access', ['user#s']), /400 ValidationException/);
    assert.equal(requests.length, 1);
  });

  it('fails when every attempt is refused or too slow', async () => {
    script = [() => ({ status: 503, body: {} }), () => ({ status: 503, body: {} })];
    await assert.rejects(reader().batchGet('access', ['user#s']), /503/);
    script = [() => ({ status: 200, body: {}, delayMs: 400 }), () => ({ status: 200, body: {}, delayMs: 400 })];
    const started = Date.now();
    await assert.rejects(reader(2, 100).batchGet('access', ['user#s']), /did not answer/);
    assert.ok(Date.now() - started < 1000);
  });

  it('fails when keys stay unprocessed', async () => {
    const unprocessed = () => ({ status: 200, body: { Responses: { access: [] }, UnprocessedKeys: { access: { Keys: [{ pk: { S: 'user#s' } }] } } } });
    script = [unprocessed, unprocessed, unprocessed, unprocessed];
    await assert.rejects(reader().batchGet('access', ['user#s']), /could not be read completely/);
  });

  it('fails when there are no credentials, without calling DynamoDB', async () => {
    requests = [];
    const noCredentials = createBatchGetReader({ region: 'us-east-1', endpoint, requestTimeoutMs: 500, maxAttempts: 2 }, { credentials: () => undefined });
    await assert.rejects(noCredentials.batchGet('access', ['user#s']), /No AWS credentials/);
    assert.equal(requests.length, 0);
  });
});

describe('the authorizer\'s one write: a browser session\'s last seen (against dynalite)', () => {
  let table: LocalAccessTable;
  beforeAll(async () => {
    table = await startAccessTable('access-touch', { shards: 1 });
  });
  afterAll(() => table.stop());

  const lite = () =>
    createBatchGetReader({ region: 'us-east-1', endpoint: table.endpoint, requestTimeoutMs: 2000, maxAttempts: 1 }, { credentials: () => ({ accessKeyId: 'x', secretAccessKey: 'x' }) });
  const put = (pk: string, extra: Record<string, unknown> = {}) => table.put({ pk, sub: 's', lastSeenAt: 100, ...extra });
  const lastSeen = async (pk: string) => (await table.raw(pk))?.lastSeenAt;

  it('moves lastSeenAt forward only when it is old enough, never on a revoked or absent record', async () => {
    await put('websession#a');
    assert.equal(await lite().touch(table.tableName, 'websession#a', 200, 140), true);
    assert.equal(await lastSeen('websession#a'), 200);
    assert.equal(await lite().touch(table.tableName, 'websession#a', 230, 170), false, 'written within the minute');
    assert.equal(await lastSeen('websession#a'), 200);
    await put('websession#revoked', { revokedAt: 150 });
    assert.equal(await lite().touch(table.tableName, 'websession#revoked', 300, 240), false);
    assert.equal(await lastSeen('websession#revoked'), 100);
    assert.equal(await lite().touch(table.tableName, 'websession#none', 300, 240), false);
    assert.equal(await lastSeen('websession#none'), undefined, 'no record made');
  });
});

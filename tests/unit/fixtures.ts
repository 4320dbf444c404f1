/**
 * Small builders shared by the unit tests: Lambda events and contexts, role contexts, and a
 * Powertools logger whose calls are recorded. No module mocking: everything here is passed to
 * the code under test through its factories' parameters.
 */
import { createJsonLogger, type JsonLogger } from '../../authorizers/adapters/json-logger';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createApiKeyRing, type ApiKeyMacKey, type ApiKeyRing } from '../../lib/access/api-keys';
import { createLogger } from '../../lib/observability';
import type { RoleContext } from '../../lib/policy/role-context';

/** A Lambda context with just what middy and Powertools read (no timers: no getRemainingTimeInMillis). */
export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 't',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:t',
  memoryLimitInMB: '128',
  awsRequestId: 'r',
  logGroupName: '/aws/lambda/t',
  logStreamName: 's',
} as unknown as Context;

export interface HttpEventInit {
  pathParameters?: Record<string, string>;
  headers?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  /** What the authorizer put in `requestContext.authorizer.lambda`; omitted when undefined. */
  authorizer?: unknown;
}

/** An HTTP API (payload 2.0) event as API Gateway hands it to a service. */
export const httpEvent = (routeKey: string, init: HttpEventInit = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1] ?? '/',
    rawQueryString: '',
    headers: init.headers ?? {},
    ...(init.queryStringParameters ? { queryStringParameters: init.queryStringParameters } : {}),
    ...(init.pathParameters ? { pathParameters: init.pathParameters } : {}),
    ...(init.body !== undefined ? { body: init.body } : {}),
    isBase64Encoded: init.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: routeKey.split(' ')[0] ?? 'GET', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'unit' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '01/Jan/2030:00:00:00 +0000',
      timeEpoch: 1_893_456_000_000,
      ...(init.authorizer !== undefined ? { authorizer: { lambda: init.authorizer } } : {}),
    },
  });

/** A valid role context; override what the test is about. */
export const roleContext = (overrides: Partial<RoleContext> = {}): RoleContext => ({
  authType: 'user',
  sub: 'sub-1',
  username: 'user-1',
  roles: [],
  branches: [],
  scopes: [],
  clientId: 'client-1',
  sessionId: 'session-1',
  tokenId: 'token-1',
  expiresAt: 1_893_456_000,
  ...overrides,
});

export const ADMIN = roleContext({ sub: 'admin-sub', username: 'admin', roles: ['admin'] });
export const MANAGER_OF_1 = roleContext({ sub: 'manager-sub', username: 'manager', roles: ['branch-manager'], branches: ['1'] });
export const CUSTOMER = roleContext({ sub: 'customer-sub', username: 'customer', roles: ['customer'] });

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: unknown;
  extra: unknown[];
}

/**
 * A real Powertools logger (quiet when POWERTOOLS_LOG_LEVEL=SILENT) whose info/warn/error calls
 * are also recorded, so tests can read exactly what would have been logged.
 */
export const recordingLogger = (serviceName = 'unit'): { logger: Logger; lines: LogLine[] } => {
  const logger = createLogger(serviceName);
  const lines: LogLine[] = [];
  for (const level of ['info', 'warn', 'error'] as const) {
    const original = logger[level].bind(logger);
    logger[level] = (message, ...extra) => {
      lines.push({ level, message, extra });
      original(message, ...extra);
    };
  }
  return { logger, lines };
};

/**
 * The authorizer's own JSON logger (quiet when POWERTOOLS_LOG_LEVEL=SILENT) whose calls are also
 * recorded, as `recordingLogger` does for Powertools.
 */
export const recordingJsonLogger = (serviceName = 'unit'): { logger: JsonLogger; lines: LogLine[] } => {
  const json = createJsonLogger(serviceName);
  const lines: LogLine[] = [];
  const recorded =
    (level: LogLine['level']) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, extra: fields === undefined ? [] : [fields] });
      json[level](message, fields);
    };
  return { logger: { ...json, info: recorded('info'), warn: recorded('warn'), error: recorded('error') }, lines };
};

/** The parsed JSON body of a service response. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON body of any shape, read by the tests' assertions
export const bodyOf = (response: APIGatewayProxyStructuredResultV2): any =>
  response.body === undefined ? undefined : JSON.parse(response.body);

/** What `run` printed to stdout (where Powertools writes), line by line. */
export const printedBy = async (run: () => Promise<unknown>): Promise<string[]> => {
  const printed: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved and restored as is, never called detached
  const write = process.stdout.write;
  process.stdout.write = (chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  };
  try {
    await run();
  } finally {
    process.stdout.write = write;
  }
  return printed.join('').split('\n').filter(Boolean);
};

/**
 * A fixed API-key MAC ring for tests (`API_KEY_MAC_KEYS`, lib/access/api-keys.ts): `v2` current, `v1`
 * still verifying. Secrets are 32 fixed bytes each, so failures reproduce.
 */
export const TEST_MAC_KEYS: ApiKeyMacKey[] = [
  { version: 'v2', secret: Buffer.alloc(32, 2) },
  { version: 'v1', secret: Buffer.alloc(32, 1) },
];

/** The same ring as `API_KEY_MAC_KEYS` spells it, for configuration tests and env-based wiring. */
export const macKeysEnv = (macKeys: readonly ApiKeyMacKey[] = TEST_MAC_KEYS): string =>
  macKeys.map(({ version, secret }) => `${version}:${secret.toString('base64url')}`).join(',');

/** A ring over `macKeys` (default `TEST_MAC_KEYS`): mints under the first, verifies all. */
export const testKeyRing = (macKeys: readonly ApiKeyMacKey[] = TEST_MAC_KEYS): ApiKeyRing => createApiKeyRing(macKeys);

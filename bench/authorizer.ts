/**
 * The authorizer's decision, in process and warm, next to what verifying the same token costs
 * with less and less around it:
 *
 *   authorizer            the real handler (authorizers/handler.ts), every decision reads the
 *                         access records in dynalite over loopback (REVOCATION_CACHE_SECONDS unset)
 *   authorizer_cached_store  the same pipeline and middlewares, with the access-record read
 *                         behind withSnapshotCache(ttl 5 s): how much of the cost is that read
 *   access_store_read     the access-record read alone (one BatchGetItem of two keys)
 *   ajv_verify            aws-jwt-verify's JwtVerifier.verify alone, key set cached (lib/jwt.ts)
 *   jsonwebtoken          the common template: jwks-rsa getSigningKey(kid) + jsonwebtoken.verify
 *   raw_verify            node:crypto RSA-SHA256 verify of the token's signature: the floor
 *
 * Calls are made one after the other, as one Lambda container serves its events.
 */
import { createPublicKey, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import jwt from 'jsonwebtoken';
import jwksClient from 'jwks-rsa';
import { tableNames, LOCAL_STAGE, REGION } from '../scripts/local/settings';
import type { LocalStack } from '../scripts/local/stack';
import { interleave, withTimeout, type InterleavedResult, type Variant } from './measure';

export const ROUTE_KEY = 'GET /branches/{branchId}/products';
export const BRANCH_ID = '1';

/**
 * The environment the deployed functions get (serverless.yml `provider.environment`), pointed at
 * the private stack: stack.gatewayEnv's LOCAL_* values under the functions' own names.
 */
export const functionEnv = (stack: Pick<LocalStack, 'gatewayEnv'>): Record<string, string> => {
  const local = (name: string): string => {
    const found = stack.gatewayEnv[name];
    if (!found) throw new Error(`The local stack did not report ${name}`);
    return found;
  };
  const tables = tableNames(LOCAL_STAGE);
  return {
    COGNITO_USER_POOL_ID: local('LOCAL_COGNITO_USER_POOL_ID'),
    COGNITO_CLIENT_ID: local('LOCAL_COGNITO_CLIENT_ID'),
    COGNITO_ISSUER: local('LOCAL_COGNITO_ISSUER'),
    COGNITO_ENDPOINT: local('LOCAL_COGNITO_ENDPOINT'),
    DYNAMODB_ENDPOINT: local('LOCAL_DYNAMODB_ENDPOINT'),
    PRODUCTS_TABLE: tables.products,
    BRANCHES_TABLE: tables.branches,
    INVENTORY_TABLE: tables.inventory,
    ACCESS_TABLE: tables.access,
    AUTHORIZER_UNAUTHENTICATED_RESPONSE: 'deny',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: REGION,
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
  };
};

/** Variables that would change what is measured if the caller's shell happened to set them. */
export const UNSET_ENV = ['REVOCATION_CACHE_SECONDS', 'COGNITO_JWKS_URI', 'JWKS_TIMEOUT_MS', 'DYNAMODB_TIMEOUT_MS', 'DYNAMODB_MAX_ATTEMPTS', 'AWS_PROFILE', 'AWS_SESSION_TOKEN'];

/**
 * An HTTP API (payload 2.0) REQUEST authorizer event for `GET /branches/1/products`, as API
 * Gateway sends it: lowercase headers, the identity source, the request context.
 */
export const authorizerEvent = (token: string, requestId = 'bench-request-0001'): APIGatewayRequestAuthorizerEventV2 => {
  const apiId = 'b3nch0api1';
  const domainName = `${apiId}.execute-api.${REGION}.amazonaws.com`;
  const path = `/branches/${BRANCH_ID}/products`;
  const timeEpoch = Date.now();
  const event: Omit<APIGatewayRequestAuthorizerEventV2, 'cookies'> = {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${REGION}:123456789012:${apiId}/$default/GET${path}`,
    identitySource: [`Bearer ${token}`],
    routeKey: ROUTE_KEY,
    rawPath: path,
    rawQueryString: '',
    headers: {
      accept: 'application/json',
      'accept-encoding': 'gzip, deflate, br',
      authorization: `Bearer ${token}`,
      'content-length': '0',
      host: domainName,
      'user-agent': 'bench/1.0',
      'x-amzn-trace-id': 'Root=1-67417f2c-0a1b2c3d4e5f60718293a4b5',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId,
      domainName,
      domainPrefix: apiId,
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench/1.0' },
      requestId,
      routeKey: ROUTE_KEY,
      stage: '$default',
      time: new Date(timeEpoch).toUTCString(),
      timeEpoch,
    },
    pathParameters: { branchId: BRANCH_ID },
  };
  // No cookies in the request: API Gateway then leaves the field out.
  return event as APIGatewayRequestAuthorizerEventV2;
};

/** A Lambda context as the runtime passes it (the authorizer's timeout is 5 s). */
export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'serverless-api-gateway-local-authorizer',
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${REGION}:123456789012:function:serverless-api-gateway-local-authorizer`,
  memoryLimitInMB: '512',
  awsRequestId: 'bench-invocation-0001',
  logGroupName: '/aws/lambda/serverless-api-gateway-local-authorizer',
  logStreamName: '2025/01/01/[$LATEST]bench',
  getRemainingTimeInMillis: () => 5000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

const base64url = (part: string): Buffer => Buffer.from(part, 'base64url');

interface TokenParts {
  kid: string;
  signingInput: Buffer;
  signature: Buffer;
  sub: string;
  sessionId: string;
}

const splitToken = (token: string): TokenParts => {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) throw new Error('The access token is not a JWS');
  const parsedHeader = JSON.parse(base64url(header).toString('utf8')) as { kid?: string; alg?: string };
  const parsedPayload = JSON.parse(base64url(payload).toString('utf8')) as { sub?: string; jti?: string; origin_jti?: string };
  if (parsedHeader.alg !== 'RS256' || !parsedHeader.kid) throw new Error(`Unexpected token header ${JSON.stringify(parsedHeader)}`);
  if (!parsedPayload.sub || !(parsedPayload.origin_jti ?? parsedPayload.jti)) throw new Error('The access token has no sub or jti');
  return {
    kid: parsedHeader.kid,
    signingInput: Buffer.from(`${header}.${payload}`, 'ascii'),
    signature: base64url(signature),
    sub: parsedPayload.sub,
    sessionId: (parsedPayload.origin_jti ?? parsedPayload.jti)!,
  };
};

/** The pool's public key for `kid`, from its JWKS, as a KeyObject. */
const publicKeyFromJwks = async (issuer: string, kid: string): Promise<KeyObject> => {
  const response = await fetch(`${issuer}/.well-known/jwks.json`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
  const jwks = (await response.json()) as { keys?: { kid?: string }[] };
  const jwk = jwks.keys?.find((key) => key.kid === kid);
  if (!jwk) throw new Error(`kid ${kid} is not in the pool's JWKS`);
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
};

const expectAllowed = (what: string, result: unknown): void => {
  if (!result || (result as { isAuthorized?: unknown }).isAuthorized !== true) {
    throw new Error(`${what} did not allow the manager's token for ${ROUTE_KEY}: ${JSON.stringify(result)}`);
  }
};

export interface AuthorizerBenchOptions {
  issuer: string;
  token: string;
  rounds: number;
  roundMs: number;
  warmupRounds: number;
  warmupMs: number;
  log: (message: string) => void;
}

export interface AuthorizerBenchResult extends InterleavedResult {
  iterationsCap: number;
}

/**
 * Runs every variant side by side. `process.env` must already hold `functionEnv(...)`: the real
 * handler reads its configuration when its module loads, which happens here.
 */
export const benchAuthorizer = async (options: AuthorizerBenchOptions): Promise<AuthorizerBenchResult> => {
  const { token, issuer } = options;
  if (process.env.REVOCATION_CACHE_SECONDS !== undefined) throw new Error('REVOCATION_CACHE_SECONDS must be unset for authorizer_ops');

  // Loaded only now, after the environment is in place.
  const { handler } = await import('../authorizers/handler');
  const { createAuthorizer } = await import('../authorizers/authorizer');
  const { createAccessTokenVerifier } = await import('../lib/jwt');
  const { authorizerConfig, dataConfig, identityConfig } = await import('../lib/config');
  const { createDocumentClient } = await import('../lib/aws');
  const { createDynamoAccessStore, withSnapshotCache } = await import('../lib/access-store');
  const { createLogger, createMetrics } = await import('../lib/observability');
  const { default: middy } = await import('@middy/core');
  const { injectLambdaContext } = await import('@aws-lambda-powertools/logger/middleware');
  const { logMetrics } = await import('@aws-lambda-powertools/metrics/middleware');

  const event = authorizerEvent(token);
  const context = lambdaContext();
  const parts = splitToken(token);

  // (a) the real handler, as deployed.
  const realHandler = () => handler(event, context);
  expectAllowed('authorizers/handler.ts', await withTimeout(realHandler(), 15_000, 'first authorizer call'));

  // (e) the same wiring as authorizers/handler.ts, the access-record read cached for 5 s.
  const data = dataConfig();
  const config = authorizerConfig();
  const cachedLogger = createLogger('authorizer');
  const cachedMetrics = createMetrics('authorizer');
  const cachedVerifier = createAccessTokenVerifier(identityConfig());
  const cachedHandler = middy(
    createAuthorizer({
      verifier: cachedVerifier,
      accessStore: withSnapshotCache(createDynamoAccessStore(createDocumentClient(data), data.tables.access), { ttlSeconds: 5 }),
      logger: cachedLogger,
      metrics: cachedMetrics,
      config,
      ready: cachedVerifier.hydrate(),
    }),
  )
    .use(injectLambdaContext(cachedLogger))
    .use(logMetrics(cachedMetrics));
  const cachedStoreHandler = () => cachedHandler(event, context);
  expectAllowed('authorizer with cached store', await withTimeout(cachedStoreHandler(), 15_000, 'first cached-store call'));

  // The access-record read alone: what (a) does and (e) mostly skips.
  const store = createDynamoAccessStore(createDocumentClient(data), data.tables.access);
  const storeRead = () => store.snapshot(parts.sub, parts.sessionId);
  const snapshot = await withTimeout(storeRead(), 15_000, 'first access-record read');
  if (!snapshot.user?.branches.includes(BRANCH_ID)) throw new Error(`The manager's access record does not list branch ${BRANCH_ID}`);

  // (c) aws-jwt-verify alone, key set loaded.
  const verifier = createAccessTokenVerifier(identityConfig());
  await withTimeout(verifier.hydrate(), 15_000, 'key set hydration');
  const ajvVerify = () => verifier.verify(token);
  const verified = await ajvVerify();
  if (verified.claims.sub !== parts.sub) throw new Error('aws-jwt-verify answered other claims');

  // (d) the common template: jwks-rsa (cached) + jsonwebtoken, per call.
  const jwks = jwksClient({ jwksUri: `${issuer}/.well-known/jwks.json`, cache: true, timeout: 5000 });
  const jsonwebtokenVerify = async () => {
    const decoded = jwt.decode(token, { complete: true });
    const key = await jwks.getSigningKey(decoded?.header.kid);
    return jwt.verify(token, key.getPublicKey(), { algorithms: ['RS256'], issuer }) as jwt.JwtPayload;
  };
  if ((await withTimeout(jsonwebtokenVerify(), 15_000, 'first jsonwebtoken verify')).sub !== parts.sub) {
    throw new Error('jsonwebtoken answered other claims');
  }

  // (b) the floor: one RSA-SHA256 signature check, nothing else.
  const publicKey = await publicKeyFromJwks(issuer, parts.kid);
  const rawVerify = () => cryptoVerify('RSA-SHA256', parts.signingInput, publicKey, parts.signature);
  if (!rawVerify()) throw new Error('node:crypto does not verify the token signature');

  const variants: Variant[] = [
    { name: 'authorizer', fn: realHandler },
    { name: 'raw_verify', fn: rawVerify },
    { name: 'ajv_verify', fn: ajvVerify },
    { name: 'jsonwebtoken', fn: jsonwebtokenVerify },
    { name: 'authorizer_cached_store', fn: cachedStoreHandler },
    { name: 'access_store_read', fn: storeRead },
  ];
  const iterationsCap = 1_000_000;
  const result = await interleave(variants, {
    rounds: options.rounds,
    roundMs: options.roundMs,
    warmupRounds: options.warmupRounds,
    warmupMs: options.warmupMs,
    maxIterations: iterationsCap,
    log: options.log,
  });

  // Still the same decision after all the calls.
  expectAllowed('authorizers/handler.ts (after the rounds)', await realHandler());
  expectAllowed('authorizer with cached store (after the rounds)', await cachedStoreHandler());
  return { ...result, iterationsCap };
};

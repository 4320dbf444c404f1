/**
 * The authorizer's decision, in process and warm, next to what verifying a token costs with
 * less and less around it:
 *
 *   authorizer            the real handler (authorizers/handler.ts) as deployed, defaults: the
 *                         access records kept in the warm view, the change log polled at most
 *                         once a second (REVOCATION_MAX_STALENESS_MS unset); a FRESH token every
 *                         call (bench/tokens.ts: more of them than the verification cache holds,
 *                         so every call checks a signature), all of one login, as refreshes are
 *   strict                the same wiring with REVOCATION_MAX_STALENESS_MS=0: the access records
 *                         read for every decision (one BatchGetItem to dynalite over loopback);
 *                         the same fresh tokens
 *   cached                the deployed wiring, the same token repeated (the verification cache
 *                         answers); unlike the others, its audit line with its metrics (EMF)
 *                         really formatted and written, one write per decision, to /dev/null
 *   access_store_read     the strict read alone (one BatchGetItem of two keys)
 *   ajv_verify            aws-jwt-verify alone (authorizers/adapters/jwt-verifier.ts), key set
 *                         cached, the same fresh tokens
 *   jsonwebtoken          the common template: jwks-rsa getSigningKey(kid) + jsonwebtoken.verify
 *   raw_verify            node:crypto RSA-SHA256 verify of one token's signature, its parts
 *                         decoded beforehand: the floor
 *
 * Calls are made one after the other, as one Lambda container serves its events. The variants
 * other than `cached` run with POWERTOOLS_LOG_LEVEL=SILENT and metrics off, as they always have:
 * their numbers stay comparable with earlier runs. `cachedBreakdown` then times the stages of a
 * cached decision one by one.
 */
import { createPublicKey, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import jwt from 'jsonwebtoken';
import jwksClient from 'jwks-rsa';
import { tableNames, LOCAL_STAGE, REGION, RESOURCE_SERVER_ID } from '../scripts/local/settings';
import type { LocalStack } from '../scripts/local/stack';
// Types only: the modules themselves load after the environment is in place (benchAuthorizer).
import type { extractBearerCredential as ExtractBearerCredential } from '../authorizers/bearer';
import type { SnapshotReader } from '../lib/access/records';
import { freshTokens } from './tokens';
import type { AccessTokenVerifier } from '../authorizers/adapters/jwt-verifier';
import type { EmbeddedMetrics } from '../lib/observability';
import type { JsonLogger } from '../authorizers/adapters/json-logger';
import { interleave, measureOps, round, withTimeout, type InterleavedResult, type Variant } from './measure';

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
    // As serverless.yml sets it on stage `local`: the emulators' http endpoints are allowed.
    GATEWAY_LOCAL_STACK: 'true',
    COGNITO_USER_POOL_ID: local('LOCAL_COGNITO_USER_POOL_ID'),
    COGNITO_CLIENT_ID: local('LOCAL_COGNITO_CLIENT_ID'),
    COGNITO_ISSUER: local('LOCAL_COGNITO_ISSUER'),
    COGNITO_ENDPOINT: local('LOCAL_COGNITO_ENDPOINT'),
    DYNAMODB_ENDPOINT: local('LOCAL_DYNAMODB_ENDPOINT'),
    PRODUCTS_TABLE: tables.products,
    BRANCHES_TABLE: tables.branches,
    INVENTORY_TABLE: tables.inventory,
    ACCESS_TABLE: tables.access,
    ACCESS_CHANGES_TABLE: tables.accessChanges,
    // The docs function's (serverless.yml sets it on that function only).
    TOKEN_URL: local('LOCAL_TOKEN_URL'),
    RESOURCE_SERVER_ID,
    API_KEY_MAC_KEYS: local('LOCAL_API_KEY_MAC_KEYS'),
    // As on stage `local`: no role must use MFA; the auth function's vault key (no KMS locally).
    MFA_REQUIRED_ROLES: 'none',
    SECRETS_LOCAL_KEY: local('LOCAL_SECRETS_KEY'),
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
export const UNSET_ENV = ['REVOCATION_MAX_STALENESS_MS', 'ACCESS_CHANGES_SHARDS', 'VERIFICATION_CACHE_ENTRIES', 'COGNITO_JWKS_URI', 'JWKS_TIMEOUT_MS', 'DYNAMODB_TIMEOUT_MS', 'DYNAMODB_MAX_ATTEMPTS', 'AWS_PROFILE', 'AWS_SESSION_TOKEN'];

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

/**
 * The authorizer's JSON logger exactly as deployed, but at INFO whatever the environment says,
 * and printing to /dev/null: every line is formatted and written (one write(2) per line, as to
 * a Lambda's stdout), then discarded. `lines` counts the writes.
 */
const devNullLogger = async (serviceName: string) => {
  const { createJsonLogger } = await import('../authorizers/adapters/json-logger');
  const fd = openSync('/dev/null', 'w');
  const state: { lines: number; last: string } = { lines: 0, last: '' };
  const logger = createJsonLogger(serviceName, {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' },
    // The string itself, as process.stdout.write takes it: encoded once, by the write.
    write: (line) => {
      writeSync(fd, line);
      state.lines += 1;
      state.last = line;
    },
  });
  return { logger, state, close: () => closeSync(fd) };
};

export interface AuthorizerBenchResult extends InterleavedResult {
  iterationsCap: number;
  /** Microseconds per call of each stage of a cached decision, timed alone (cachedBreakdown). */
  cachedBreakdownUs: Record<string, number>;
  /** One audit line per cached decision, checked after the rounds. */
  cachedAuditLines: { decisions: number; lines: number; sample: Record<string, unknown> };
}

/**
 * Runs every variant side by side. `process.env` must already hold `functionEnv(...)`: the real
 * handler reads its configuration when its module loads, which happens here.
 */
export const benchAuthorizer = async (options: AuthorizerBenchOptions): Promise<AuthorizerBenchResult> => {
  const { token, issuer } = options;
  if (process.env.REVOCATION_MAX_STALENESS_MS !== undefined) throw new Error('REVOCATION_MAX_STALENESS_MS must be unset for authorizer_ops (the default)');

  // Loaded only now, after the environment is in place.
  const { handler, wireAuthorizer } = await import('../authorizers/handler');
  const { extractBearerCredential } = await import('../authorizers/bearer');
  const { createAccessTokenVerifier } = await import('../authorizers/adapters/jwt-verifier');
  const { accessRecords, createAccessView } = await import('../authorizers/adapters/access-view');
  const { authorizerConfig, dataConfig, identityConfig, verificationCacheConfig, VERIFICATION_CACHE_DEFAULTS } = await import('../lib/config');
  const { createBatchGetReader, createLiteSnapshotReader } = await import('../authorizers/adapters/dynamodb-lite');
  const { createEmbeddedMetrics } = await import('../lib/observability');
  const { createJsonLogger } = await import('../authorizers/adapters/json-logger');
  const { withVerificationCache } = await import('../authorizers/adapters/verification-cache');

  const context = lambdaContext();
  const parts = splitToken(token);
  const data = dataConfig();
  const silentLogger = () => createJsonLogger('authorizer', { env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });

  // More fresh tokens than the verification cache holds: going round them, every call misses it.
  const poolSize = VERIFICATION_CACHE_DEFAULTS.maxEntries + 2_000;
  const minted = Date.now();
  const fresh = freshTokens(token, poolSize).map((t, i) => authorizerEvent(t, `bench-fresh-${i}`));
  options.log(`${poolSize} fresh tokens minted in ${((Date.now() - minted) / 1000).toFixed(1)} s`);
  let next = 0;
  const freshEvent = () => {
    next = next + 1 === fresh.length ? 0 : next + 1;
    return fresh[next]!;
  };
  const event = authorizerEvent(token);

  // (a) the real handler, as deployed; a fresh token every call.
  const realHandler = () => handler(freshEvent(), context);
  expectAllowed('authorizers/handler.ts', await withTimeout(realHandler(), 15_000, 'first authorizer call'));

  // (b) strict mode: the same wiring, the access records read for every decision.
  const strictConfig = { ...authorizerConfig(), maxStalenessMs: 0 };
  const strictWired = wireAuthorizer({
    verifier: createAccessTokenVerifier(identityConfig()),
    accessStore: accessRecords(createBatchGetReader(data), data, strictConfig, silentLogger()),
    logger: silentLogger(),
    metrics: createEmbeddedMetrics(),
    config: strictConfig,
    verificationCache: verificationCacheConfig(),
  });
  const strictHandler = () => strictWired(freshEvent(), context);
  expectAllowed('authorizer, strict', await withTimeout(strictHandler(), 15_000, 'first strict call'));

  // (c) the deployed wiring, the same token repeated, its audit line (and metrics) written.
  const audit = await devNullLogger('authorizer');
  const cachedWired = wireAuthorizer({
    verifier: createAccessTokenVerifier(identityConfig()),
    accessStore: accessRecords(createBatchGetReader(data), data, authorizerConfig(), audit.logger),
    logger: audit.logger,
    metrics: createEmbeddedMetrics({}), // on, as deployed: they ride on the audit line
    config: authorizerConfig(),
    verificationCache: verificationCacheConfig(),
  });
  let cachedDecisions = 0;
  const cachedHandler = () => {
    cachedDecisions += 1;
    return cachedWired(event, context);
  };
  expectAllowed('authorizer, repeated token', await withTimeout(cachedHandler(), 15_000, 'first cached call'));

  // The strict read alone: what (b) does per decision and (a) only on first sight.
  const strictStore = createLiteSnapshotReader(createBatchGetReader(data), data.tables.access);
  const storeRead = () => strictStore.snapshot(parts.sub, parts.sessionId);
  const snapshot = await withTimeout(storeRead(), 15_000, 'first access-record read');
  if (!snapshot.user?.branches.includes(BRANCH_ID)) throw new Error(`The manager's access record does not list branch ${BRANCH_ID}`);

  // aws-jwt-verify alone, key set loaded, the same fresh tokens.
  const verifier = createAccessTokenVerifier(identityConfig());
  await withTimeout(verifier.hydrate(), 15_000, 'key set hydration');
  const ajvVerify = () => verifier.verify(freshEvent().headers!.authorization!.slice('Bearer '.length));
  const verified = await ajvVerify();
  if (verified.claims.sub !== parts.sub) throw new Error('aws-jwt-verify answered other claims');

  // The common template: jwks-rsa (cached) + jsonwebtoken, per call.
  const jwks = jwksClient({ jwksUri: `${issuer}/.well-known/jwks.json`, cache: true, timeout: 5000 });
  const jsonwebtokenVerify = async () => {
    const decoded = jwt.decode(token, { complete: true });
    const key = await jwks.getSigningKey(decoded?.header.kid);
    return jwt.verify(token, key.getPublicKey(), { algorithms: ['RS256'], issuer }) as jwt.JwtPayload;
  };
  if ((await withTimeout(jsonwebtokenVerify(), 15_000, 'first jsonwebtoken verify')).sub !== parts.sub) {
    throw new Error('jsonwebtoken answered other claims');
  }

  // The floor: one RSA-SHA256 signature check, nothing else.
  const publicKey = await publicKeyFromJwks(issuer, parts.kid);
  const rawVerify = () => cryptoVerify('RSA-SHA256', parts.signingInput, publicKey, parts.signature);
  if (!rawVerify()) throw new Error('node:crypto does not verify the token signature');

  const variants: Variant[] = [
    { name: 'authorizer', fn: realHandler },
    { name: 'raw_verify', fn: rawVerify },
    { name: 'ajv_verify', fn: ajvVerify },
    { name: 'jsonwebtoken', fn: jsonwebtokenVerify },
    { name: 'strict', fn: strictHandler },
    { name: 'cached', fn: cachedHandler },
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

  // Still the same decision after all the calls, and one audit line for every cached decision.
  expectAllowed('authorizers/handler.ts (after the rounds)', await realHandler());
  expectAllowed('authorizer, strict (after the rounds)', await strictHandler());
  expectAllowed('authorizer, repeated token (after the rounds)', await cachedHandler());
  const lastLine = audit.state.last;
  const cachedAuditLines = { decisions: cachedDecisions, lines: audit.state.lines, sample: JSON.parse(lastLine) as Record<string, unknown> };
  if (cachedAuditLines.lines !== cachedAuditLines.decisions) {
    throw new Error(`cached: ${cachedAuditLines.decisions} decisions wrote ${cachedAuditLines.lines} log lines`);
  }
  if (cachedAuditLines.sample.message !== 'authorizer decision' || !('_aws' in cachedAuditLines.sample)) {
    throw new Error(`cached: the last line is not a decision with its metrics: ${lastLine.slice(0, 300)}`);
  }
  audit.close();

  const view = createAccessView({ reader: createBatchGetReader(data), table: data.tables.access, changeLog: data.changeLog, maxStalenessMs: 60_000, logger: silentLogger() });
  const cachedBreakdownUs = await cachedBreakdown({
    event,
    context,
    token,
    rawVerify,
    wire: (logger, entries) =>
      wireAuthorizer({
        verifier: createAccessTokenVerifier(identityConfig()),
        accessStore: accessRecords(createBatchGetReader(data), data, authorizerConfig(), logger),
        logger,
        metrics: createEmbeddedMetrics({}),
        config: authorizerConfig(),
        verificationCache: { maxEntries: entries },
      }),
    parts: {
      extractBearerCredential,
      verificationCacheHit: withVerificationCache(verifier),
      snapshotCacheHit: view,
      metrics: createEmbeddedMetrics({}),
    },
    sub: parts.sub,
    sessionId: parts.sessionId,
    log: options.log,
  });
  return { ...result, iterationsCap, cachedBreakdownUs, cachedAuditLines };
};

type Wired = (event: APIGatewayRequestAuthorizerEventV2, context: Context) => Promise<unknown>;

/**
 * Where the microseconds of a cached decision go: the whole decision with and without its log
 * line, then each stage alone on the same inputs. The stages do not add up exactly (the
 * pipeline's own glue, promises and the route decision are not timed alone), but they show
 * what is left to gain and where.
 */
const cachedBreakdown = async (input: {
  event: APIGatewayRequestAuthorizerEventV2;
  context: Context;
  token: string;
  rawVerify: () => boolean;
  wire: (logger: JsonLogger, verificationCacheEntries: number) => Wired;
  parts: {
    extractBearerCredential: typeof ExtractBearerCredential;
    verificationCacheHit: AccessTokenVerifier;
    snapshotCacheHit: SnapshotReader;
    metrics: EmbeddedMetrics;
  };
  sub: string;
  sessionId: string;
  log: (message: string) => void;
}): Promise<Record<string, number>> => {
  const { event, context, parts } = input;
  const { createJsonLogger } = await import('../authorizers/adapters/json-logger');
  const audit = await devNullLogger('authorizer');
  const withLine = input.wire(audit.logger, 10_000);
  const silentLogger = createJsonLogger('authorizer', { env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  const silent = input.wire(silentLogger, 10_000);
  const header = event.headers?.authorization ?? '';
  // A fresh string each call, as the bearer regex hands the cache: its hash is not yet computed.
  const freshToken = () => header.slice('Bearer '.length);
  await parts.verificationCacheHit.verify(input.token);
  await parts.snapshotCacheHit.snapshot(input.sub, input.sessionId);
  const contextOnly = audit.logger.withLambdaContext(() => Promise.resolve(undefined));
  const metricValues = [
    ['AuthorizerAllow', 'Count', 1],
    ['AuthorizerLatency', 'Milliseconds', 0.05],
    ['AccessReads', 'Count', 0],
    ['ChangeLogPolls', 'Count', 0],
  ] as const;
  const decisionLine = {
    decision: 'allow',
    reason: 'branch_managed',
    status: 200,
    route: event.routeKey,
    requestId: event.requestContext?.requestId,
    principal: { authType: 'user', sub: input.sub, username: 'manager', clientId: 'client', sessionId: input.sessionId },
    latencyMs: 0.05,
    accessReads: 0,
    changeLogPolls: 0,
  };
  const stages: [string, () => unknown][] = [
    ['decision', () => withLine(event, context)],
    ['decision_without_log_line', () => silent(event, context)],
    ['bearer_extraction', () => parts.extractBearerCredential(event.headers, event.identitySource)],
    ['verification_cache_hit', () => parts.verificationCacheHit.verify(freshToken())],
    ['access_view_hit', () => parts.snapshotCacheHit.snapshot(input.sub, input.sessionId)],
    ['lambda_context', () => contextOnly(event, context)],
    // As the authorizer writes it: a fresh fields object, the metrics set on it (addTo).
    ['audit_line_with_metrics', () => audit.logger.info('authorizer decision', parts.metrics.addTo({ ...decisionLine }, metricValues))],
    ['audit_line_without_metrics', () => audit.logger.info('authorizer decision', { ...decisionLine })],
    ['audit_line_silenced', () => silentLogger.info('authorizer decision', decisionLine)],
    ['emf_fields', () => parts.metrics.fields(metricValues)],
    ['raw_verify', input.rawVerify],
  ];
  const us: Record<string, number> = {};
  for (const [name, fn] of stages) {
    await measureOps(fn, { durationMs: 300, maxIterations: 1_000_000 });
    const sample = await measureOps(fn, { durationMs: 700, maxIterations: 1_000_000 });
    us[name] = round(1e6 / sample.ops, 2);
  }
  audit.close();
  input.log(`cached decision, stage by stage (us per call): ${Object.entries(us).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return us;
};

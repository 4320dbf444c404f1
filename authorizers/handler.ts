/**
 * The deployed authorizer: configuration read and clients built once per container, the key
 * set loaded at cold start (as aws-jwt-verify's own sample authorizer does).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { authorizerConfig, dataConfig, identityConfig } from '../lib/config';
import { withSnapshotCache } from '../lib/access-records';
import { createBatchGetReader, createLiteSnapshotReader } from '../lib/dynamodb-lite';
import { createAccessTokenVerifier } from '../lib/jwt';
import { createLogger, createMetrics } from '../lib/observability';
import { createAuthorizer } from './authorizer';

const logger = createLogger('authorizer');
const metrics = createMetrics('authorizer');
const data = dataConfig();
const config = authorizerConfig();
const verifier = createAccessTokenVerifier(identityConfig());
const ready = verifier.hydrate().catch((error: unknown) => {
  // Not fatal: the key set is fetched again at the first token; until then requests are denied.
  logger.warn('key set not loaded at cold start', { errorName: (error as Error)?.name });
});

export const handler = middy(
  createAuthorizer({
    verifier,
    accessStore: withSnapshotCache(createLiteSnapshotReader(createBatchGetReader(data), data.tables.access), {
      ttlSeconds: config.revocationCacheSeconds,
    }),
    logger,
    metrics,
    config,
    ready,
  }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));

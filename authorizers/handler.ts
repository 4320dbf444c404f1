/**
 * The deployed authorizer: configuration read and clients built once per container, the key
 * set loaded at cold start (as aws-jwt-verify's own sample authorizer does), verified tokens
 * remembered (authorizers/adapters/verification-cache.ts), the access records read per decision or cached for
 * REVOCATION_CACHE_SECONDS. No middy and no Powertools in this bundle (60 KB budget): its own
 * JSON logger writes the Powertools line shape with the Lambda context, and the decision's
 * metrics ride on its log line (`createEmbeddedMetrics`, CloudWatch EMF).
 */
import { withSnapshotCache, type SnapshotReader } from '../lib/access/records';
import { authorizerConfig, dataConfig, identityConfig, verificationCacheConfig, type AuthorizerConfig, type VerificationCacheConfig } from '../lib/config';
import { createBatchGetReader, createLiteSnapshotReader } from './adapters/dynamodb-lite';
import { createAccessTokenVerifier, type AccessTokenVerifier } from './adapters/jwt-verifier';
import { createEmbeddedMetrics, type EmbeddedMetrics } from '../lib/metrics';
import { createJsonLogger, type JsonLogger } from './adapters/json-logger';
import { withVerificationCache } from './adapters/verification-cache';
import { createAuthorizer } from './authorizer';

export interface AuthorizerParts {
  /** The bare verifier and access records; the caches below are put in front of them here. */
  verifier: AccessTokenVerifier;
  accessStore: SnapshotReader;
  logger: JsonLogger;
  metrics: EmbeddedMetrics;
  config: AuthorizerConfig;
  verificationCache: VerificationCacheConfig;
}

/** The authorizer as deployed, around its parts. The bench builds its variants with it too. */
export const wireAuthorizer = ({ verifier, accessStore, logger, metrics, config, verificationCache }: AuthorizerParts) => {
  const ready = verifier.hydrate().catch((error: unknown) => {
    // Not fatal: the key set is fetched again at the first token; until then requests are denied.
    logger.warn('key set not loaded at cold start', { errorName: (error as Error)?.name });
  });
  return logger.withLambdaContext(
    createAuthorizer({
      verifier: withVerificationCache(verifier, { maxEntries: verificationCache.maxEntries }),
      accessStore: withSnapshotCache(accessStore, { ttlSeconds: config.revocationCacheSeconds }),
      logger,
      metrics,
      config,
      ready,
    }),
  );
};

const data = dataConfig();

export const handler = wireAuthorizer({
  verifier: createAccessTokenVerifier(identityConfig()),
  accessStore: createLiteSnapshotReader(createBatchGetReader(data), data.tables.access),
  logger: createJsonLogger('authorizer'),
  metrics: createEmbeddedMetrics(),
  config: authorizerConfig(),
  verificationCache: verificationCacheConfig(),
});

/**
 * The deployed authorizer: configuration read and clients built once per container, the key
 * set loaded at cold start (as aws-jwt-verify's own sample authorizer does), verified tokens
 * remembered (authorizers/adapters/verification-cache.ts), and the access records kept in the
 * container's view, which asks the change log what changed at most REVOCATION_MAX_STALENESS_MS
 * ago (authorizers/adapters/access-view.ts); 0 reads them for every decision. No middy and no
 * Powertools in this bundle (60 KB budget): its own JSON logger writes the Powertools line shape
 * with the Lambda context, and the decision's metrics ride on its log line
 * (`createEmbeddedMetrics`, CloudWatch EMF).
 */
import type { SnapshotReader } from '../lib/access/records';
import { authorizerConfig, dataConfig, identityConfig, verificationCacheConfig, type AuthorizerConfig, type VerificationCacheConfig } from '../lib/config';
import { accessRecords } from './adapters/access-view';
import { createBatchGetReader } from './adapters/dynamodb-lite';
import { createAccessTokenVerifier, type AccessTokenVerifier } from './adapters/jwt-verifier';
import { createEmbeddedMetrics, type EmbeddedMetrics } from '../lib/metrics';
import { createJsonLogger, type JsonLogger } from './adapters/json-logger';
import { withVerificationCache } from './adapters/verification-cache';
import { createAuthorizer } from './authorizer';
import type { LastSeenToucher } from './authenticators/session';
import { WEBSESSION } from '../lib/access/records';

export interface AuthorizerParts {
  /** The bare verifier (the verification cache is put in front of it here) and the access records. */
  verifier: AccessTokenVerifier;
  accessStore: SnapshotReader;
  logger: JsonLogger;
  metrics: EmbeddedMetrics;
  config: AuthorizerConfig;
  verificationCache: VerificationCacheConfig;
  lastSeen?: LastSeenToucher;
}

/** The authorizer as deployed, around its parts. The bench builds its variants with it too. */
export const wireAuthorizer = ({ verifier, accessStore, logger, metrics, config, verificationCache, lastSeen }: AuthorizerParts) => {
  const ready = verifier.hydrate().catch((error: unknown) => {
    // Not fatal: the key set is fetched again at the first token; until then requests are denied.
    logger.warn('key set not loaded at cold start', { errorName: (error as Error)?.name });
  });
  return logger.withLambdaContext(
    createAuthorizer({
      verifier: withVerificationCache(verifier, { maxEntries: verificationCache.maxEntries }),
      accessStore,
      logger,
      metrics,
      config,
      ready,
      ...(lastSeen ? { lastSeen } : {}),
    }),
  );
};

const data = dataConfig();
const config = authorizerConfig();
const logger = createJsonLogger('authorizer');
const dynamo = createBatchGetReader(data);

export const handler = wireAuthorizer({
  verifier: createAccessTokenVerifier(identityConfig()),
  accessStore: accessRecords(dynamo, data, config, logger),
  lastSeen: { touch: (hash, now, notAfter) => dynamo.touch(data.tables.access, WEBSESSION + hash, now, notAfter) },
  logger,
  metrics: createEmbeddedMetrics(),
  config,
  verificationCache: verificationCacheConfig(),
});

/**
 * The services' logs: Powertools Logger, created once per function at module level; level and
 * sampling from Powertools' own environment variables (`POWERTOOLS_LOG_LEVEL`), set in
 * serverless.yml. Metrics and the logger shape the authorizer needs live in lib/metrics.ts,
 * which keeps Powertools out of the authorizer's bundle.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const createLogger = (serviceName: string): Logger => new Logger({ serviceName });

export * from './metrics';

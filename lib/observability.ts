/**
 * Logs and metrics, created once per function at module level (Powertools for AWS Lambda).
 * Level, sampling and metric switches come from Powertools' own environment variables
 * (`POWERTOOLS_LOG_LEVEL`, `POWERTOOLS_METRICS_DISABLED`), set in serverless.yml.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'ServerlessGateway';

export const createLogger = (serviceName: string): Logger => new Logger({ serviceName });

export const createMetrics = (serviceName: string): Metrics =>
  new Metrics({ namespace: METRICS_NAMESPACE, serviceName });

/**
 * The bench's stand-in authorizer: allows every request with one fixed role context (the
 * manager's, `BENCH_NOOP_CONTEXT`), reading nothing. Only the bench's second gateway uses it
 * (bench/noop-gateway.ts), to time the same route and service behind an authorizer that costs
 * nothing next to ours. Never part of serverless.yml.
 *
 * With the request header `x-bench-audit-line: 1` it also writes one audit line as ours does
 * (the same logger, fields and metrics), so that a run with it isolates our decision from the
 * emulator's cost of carrying a line per request from the function's stdout to its log.
 */
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createJsonLogger } from '../authorizers/adapters/json-logger';
import { createEmbeddedMetrics } from '../lib/metrics';

const context = JSON.parse(process.env.BENCH_NOOP_CONTEXT ?? '{}') as Record<string, unknown>;
const logger = createJsonLogger('authorizer');
const metrics = createEmbeddedMetrics();

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => {
  if (event.headers?.['x-bench-audit-line'] === '1') {
    logger.info(
      'authorizer decision',
      metrics.addTo(
        {
          decision: 'allow',
          reason: 'branch_managed',
          status: 200,
          route: event.routeKey,
          requestId: event.requestContext?.requestId,
          principal: { authType: context.authType, sub: context.sub, username: context.username, clientId: context.clientId, sessionId: context.sessionId },
          latencyMs: 0,
          accessReads: 0,
          changeLogPolls: 0,
        },
        [
          ['AuthorizerAllow', 'Count', 1],
          ['AuthorizerLatency', 'Milliseconds', 0],
          ['AccessReads', 'Count', 0],
          ['ChangeLogPolls', 'Count', 0],
        ],
      ),
    );
  }
  return Promise.resolve({ isAuthorized: true, context });
};

/**
 * The authorizer's observability without middy: the embedded metrics' fields and switches, and
 * the Lambda context on a real Powertools logger's lines.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { Logger } from '@aws-lambda-powertools/logger';
import { createEmbeddedMetrics, withLogContext } from '../../lib/observability';
import { lambdaContext, printedBy } from './fixtures';

const VALUES = [
  ['AuthorizerAllow', 'Count', 1],
  ['AuthorizerLatency', 'Milliseconds', 0.42],
] as const;

describe('createEmbeddedMetrics', () => {
  it('gives the EMF directive and every value as root fields of the line', () => {
    const fields = createEmbeddedMetrics({}, () => 1_893_456_000_000).fields(VALUES);
    assert.deepEqual(fields, {
      _aws: {
        Timestamp: 1_893_456_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'ServerlessGateway',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'AuthorizerAllow', Unit: 'Count' },
              { Name: 'AuthorizerLatency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      AuthorizerAllow: 1,
      AuthorizerLatency: 0.42,
    });
  });

  it('gives no fields for no values', () => {
    assert.deepEqual(createEmbeddedMetrics({}).fields([]), {});
  });

  for (const value of ['true', 'TRUE', '1', 'yes', ' on ']) {
    it(`gives no fields when POWERTOOLS_METRICS_DISABLED=${JSON.stringify(value)}`, () => {
      assert.deepEqual(createEmbeddedMetrics({ POWERTOOLS_METRICS_DISABLED: value }).fields(VALUES), {});
    });
  }

  it('is off in POWERTOOLS_DEV mode unless POWERTOOLS_METRICS_DISABLED says otherwise, as Powertools Metrics', () => {
    assert.deepEqual(createEmbeddedMetrics({ POWERTOOLS_DEV: 'true' }).fields(VALUES), {});
    assert.ok('_aws' in createEmbeddedMetrics({ POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' }).fields(VALUES));
    assert.ok('_aws' in createEmbeddedMetrics({ POWERTOOLS_METRICS_DISABLED: 'false' }).fields(VALUES));
  });
});

describe('withLogContext', () => {
  it('adds the Lambda context to every line the handler logs', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'unit', logLevel: 'INFO' });
    const handler = withLogContext(logger, async (event: { n: number }) => {
      logger.info('handled', { n: event.n });
      return event.n + 1;
    });
    // Act
    let result: number | undefined;
    const lines = await printedBy(async () => (result = await handler({ n: 1 }, lambdaContext)));
    // Assess
    assert.equal(result, 2);
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!);
    assert.equal(line.message, 'handled');
    assert.equal(line.function_request_id, lambdaContext.awsRequestId);
    assert.equal(line.function_name, lambdaContext.functionName);
  });

  it('never logs the event, even with POWERTOOLS_LOGGER_LOG_EVENT=true (the authorizer event carries the token)', async () => {
    // Prepare
    const previous = process.env.POWERTOOLS_LOGGER_LOG_EVENT;
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
    let logger: Logger;
    try {
      logger = new Logger({ serviceName: 'unit', logLevel: 'INFO' });
    } finally {
      if (previous === undefined) delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
      else process.env.POWERTOOLS_LOGGER_LOG_EVENT = previous;
    }
    const handler = withLogContext(logger, async () => 'done');
    // Act
    const lines = await printedBy(() => handler({ headers: { authorization: 'Bearer secret.token.value' } }, lambdaContext));
    // Assess
    assert.deepEqual(lines, []);
  });
});

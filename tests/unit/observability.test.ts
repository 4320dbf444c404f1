/**
 * The authorizer's observability without middy or Powertools: the embedded metrics' fields and
 * switches, and its own JSON logger's lines.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createEmbeddedMetrics } from '../../lib/observability';
import { createJsonLogger } from '../../authorizers/adapters/json-logger';
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

describe("the authorizer's JSON logger", () => {
  it('adds the Lambda context to every line the handler logs, with cold_start only on the first invocation', async () => {
    // Prepare
    const logger = createJsonLogger('unit', { env: { POWERTOOLS_LOG_LEVEL: 'INFO' } });
    const handler = logger.withLambdaContext(async (event: { n: number }) => {
      logger.info('handled', { n: event.n });
      return event.n + 1;
    });
    // Act
    let result: number | undefined;
    const lines = await printedBy(async () => {
      result = await handler({ n: 1 }, lambdaContext);
      await handler({ n: 2 }, lambdaContext);
    });
    // Assess
    assert.equal(result, 2);
    assert.equal(lines.length, 2);
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(first!.message, 'handled');
    assert.equal(first!.level, 'INFO');
    assert.equal(first!.service, 'unit');
    assert.equal(first!.n, 1);
    assert.equal(first!.function_request_id, lambdaContext.awsRequestId);
    assert.equal(first!.function_name, lambdaContext.functionName);
    assert.deepEqual([first!.cold_start, second!.cold_start], [true, false]);
  });

  it('never logs the event, even with POWERTOOLS_LOGGER_LOG_EVENT=true (the authorizer event carries the token)', async () => {
    const logger = createJsonLogger('unit', { env: { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_LOGGER_LOG_EVENT: 'true' } });
    const handler = logger.withLambdaContext(async () => 'done');
    const lines = await printedBy(() => handler({ headers: { authorization: 'Bearer secret.token.value' } }, lambdaContext));
    assert.deepEqual(lines, []);
  });

  it('writes the fields at the top level of the line, so CloudWatch reads EMF metrics from it', () => {
    const written: string[] = [];
    const logger = createJsonLogger('authorizer', { env: {}, write: (line) => written.push(line), now: () => 0 });
    logger.info('authorizer decision', createEmbeddedMetrics({}, () => 0).fields(VALUES));
    const line = JSON.parse(written[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(line).slice(0, 4), ['level', 'message', 'service', 'timestamp']);
    assert.ok('_aws' in line);
    assert.equal(line.AuthorizerLatency, 0.42);
    assert.equal(line.timestamp, '1970-01-01T00:00:00.000Z');
  });

  it('writes only lines at or above its level: POWERTOOLS_LOG_LEVEL, then AWS_LAMBDA_LOG_LEVEL, INFO by default, SILENT none', () => {
    const levelsWritten = (env: Record<string, string>) => {
      const written: string[] = [];
      const logger = createJsonLogger('unit', { env, write: (line) => written.push(line) });
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      return written.map((line) => (JSON.parse(line) as { level: string }).level);
    };
    assert.deepEqual(levelsWritten({}), ['INFO', 'WARN', 'ERROR']);
    assert.deepEqual(levelsWritten({ POWERTOOLS_LOG_LEVEL: 'warn' }), ['WARN', 'ERROR']);
    assert.deepEqual(levelsWritten({ AWS_LAMBDA_LOG_LEVEL: 'ERROR' }), ['ERROR']);
    assert.deepEqual(levelsWritten({ POWERTOOLS_LOG_LEVEL: 'SILENT' }), []);
  });

  it('carries the X-Ray trace id when Lambda sets one', () => {
    const written: string[] = [];
    const logger = createJsonLogger('unit', { env: { _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' }, write: (line) => written.push(line) });
    logger.info('traced');
    assert.equal((JSON.parse(written[0]!) as { xray_trace_id: string }).xray_trace_id, '1-5759e988-bd862e3fe1be46a994272793');
  });
});

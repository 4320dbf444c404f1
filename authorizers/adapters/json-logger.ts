/**
 * The authorizer's logger: one JSON line per call on stdout, in the shape Powertools Logger
 * writes for the services (`level`, `message`, `service`, `timestamp`, `xray_trace_id`, the
 * Lambda context as `function_*` and `cold_start`, then the call's own fields at the top level,
 * so CloudWatch reads the decision's EMF metrics from the same line). Powertools Logger stays in
 * the services; here it was a third of the bundle's 60 KB budget and most of a cached
 * decision's time. Levels as Powertools reads them: `POWERTOOLS_LOG_LEVEL`, else
 * `AWS_LAMBDA_LOG_LEVEL`, else INFO; `SILENT` writes nothing. It never logs the event (which
 * carries the bearer token), only what it is given.
 */
import type { Context } from 'aws-lambda';
import type { StructuredLogger } from '../../lib/metrics';

const LEVELS = { DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 } as const;
type Level = keyof typeof LEVELS;

const levelOf = (env: Record<string, string | undefined>): number => {
  const raw = (env.POWERTOOLS_LOG_LEVEL || env.AWS_LAMBDA_LOG_LEVEL || 'INFO').trim().toUpperCase();
  return LEVELS[raw as Level] ?? LEVELS.INFO;
};

export interface JsonLogger extends StructuredLogger {
  /** Wraps a handler: each invocation's lines carry its Lambda context. */
  withLambdaContext<E, R>(handler: (event: E) => Promise<R>): (event: E, context: Context) => Promise<R>;
}

export const createJsonLogger = (
  service: string,
  options: { env?: Record<string, string | undefined>; write?: (line: string) => void; now?: () => number } = {},
): JsonLogger => {
  const env = options.env ?? process.env;
  const threshold = levelOf(env);
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? Date.now;
  let lambda: Record<string, unknown> = {};
  let coldStart = true;

  const log = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    const trace = env._X_AMZN_TRACE_ID?.split(';')[0]?.replace('Root=', '');
    write(
      `${JSON.stringify({
        level,
        message,
        service,
        timestamp: new Date(now()).toISOString(),
        ...(trace ? { xray_trace_id: trace } : {}),
        ...lambda,
        ...fields,
      })}\n`,
    );
  };

  return {
    info: (message, fields) => log('INFO', message, fields),
    warn: (message, fields) => log('WARN', message, fields),
    error: (message, fields) => log('ERROR', message, fields),
    withLambdaContext: (handler) => (event, context) => {
      lambda = {
        cold_start: coldStart,
        function_arn: context.invokedFunctionArn,
        function_memory_size: Number(context.memoryLimitInMB),
        function_name: context.functionName,
        function_request_id: context.awsRequestId,
      };
      coldStart = false;
      return handler(event);
    },
  };
};

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
  /** The text of each metric declaration, by identity (`EmbeddedMetrics.addTo` reuses them). */
  const declarations = new WeakMap<object, string>();
  /** `,"_aws":{…}` for the EMF member `addTo` hid from JSON.stringify, else nothing. */
  const hiddenEmf = (fields: Record<string, unknown>): string => {
    if (Object.prototype.propertyIsEnumerable.call(fields, '_aws')) return '';
    const emf = fields._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
    if (!emf || typeof emf.CloudWatchMetrics !== 'object' || emf.CloudWatchMetrics === null) return '';
    let text = declarations.get(emf.CloudWatchMetrics);
    if (text === undefined) {
      text = JSON.stringify(emf.CloudWatchMetrics);
      declarations.set(emf.CloudWatchMetrics, text);
    }
    return `,"_aws":{"Timestamp":${JSON.stringify(emf.Timestamp ?? null)},"CloudWatchMetrics":${text}}`;
  };

  /**
   * `,"xray_trace_id":…` from `_X_AMZN_TRACE_ID`, which Lambda sets before each invocation: read
   * once per invocation (reading process.env is a call into the runtime), on every line outside one.
   */
  let traceJson: string | undefined;
  const traceMember = (): string => {
    if (traceJson !== undefined) return traceJson;
    const trace = env._X_AMZN_TRACE_ID?.split(';')[0]?.replace('Root=', '');
    const member = trace ? `,"xray_trace_id":${JSON.stringify(trace)}` : '';
    if (invocation) traceJson = member;
    return member;
  };

  /** The Lambda context of the invocation, and its JSON members (`,"cold_start":…`) once a line needs them. */
  let invocation: { coldStart: boolean; context: Context } | undefined;
  let lambdaJson: string | undefined;
  const lambda = (): string => {
    if (lambdaJson !== undefined) return lambdaJson;
    if (!invocation) return (lambdaJson = '');
    const { coldStart: cold, context } = invocation;
    lambdaJson = `,${JSON.stringify({
      cold_start: cold,
      function_arn: context.invokedFunctionArn,
      function_memory_size: Number(context.memoryLimitInMB),
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
    }).slice(1, -1)}`;
    return lambdaJson;
  };
  let coldStart = true;
  const serviceJson = JSON.stringify(service);
  const messages = new Map<string, string>();
  // Decisions come many to a millisecond under load: format each millisecond once.
  let stampedAt = Number.NaN;
  let stamp = '';
  const timestamp = (): string => {
    const at = now();
    if (at !== stampedAt) {
      stampedAt = at;
      stamp = new Date(at).toISOString();
    }
    return stamp;
  };

  const log = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    let messageJson = messages.get(message);
    if (messageJson === undefined) {
      messageJson = JSON.stringify(message);
      if (messages.size < 100) messages.set(message, messageJson);
    }
    // The fixed members are written as text and only the call's own fields go through
    // JSON.stringify: one object spread of the whole line into another measured 6 µs of a
    // decision's audit line (bench, cachedBreakdown).
    const head = `{"level":"${level}","message":${messageJson},"service":${serviceJson},"timestamp":"${timestamp()}"${traceMember()}${lambda()}`;
    const body = fields === undefined ? '{}' : JSON.stringify(fields);
    const emf = fields === undefined ? '' : hiddenEmf(fields);
    write(body.length > 2 ? `${head},${body.slice(1, -1)}${emf}}\n` : `${head}${emf}}\n`);
  };

  return {
    info: (message, fields) => log('INFO', message, fields),
    warn: (message, fields) => log('WARN', message, fields),
    error: (message, fields) => log('ERROR', message, fields),
    withLambdaContext: (handler) => (event, context) => {
      invocation = { coldStart, context };
      lambdaJson = undefined;
      traceJson = undefined;
      coldStart = false;
      return handler(event);
    },
  };
};

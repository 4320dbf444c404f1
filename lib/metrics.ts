/**
 * Observability without Powertools, for the authorizer's bundle too: what the authorizer needs of
 * a logger, and metrics as CloudWatch EMF fields on a log line. Switches come from Powertools'
 * own environment variables (`POWERTOOLS_METRICS_DISABLED`, `POWERTOOLS_DEV`), set in
 * serverless.yml.
 */
export const METRICS_NAMESPACE = 'ServerlessGateway';

/**
 * What the authorizer needs of a logger: one structured line per call. Powertools Logger (the
 * services', and the tests' recording one) fits it; the authorizer's own is smaller
 * (authorizers/adapters/json-logger.ts).
 */
export interface StructuredLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type MetricUnit = 'Count' | 'Milliseconds';

/** One metric value: name, unit, value. */
export type MetricValue = readonly [name: string, unit: MetricUnit, value: number];

/**
 * Metrics that ride on a Powertools log line, in CloudWatch's embedded metric format (EMF):
 * CloudWatch Logs turns any JSON log event with an `_aws` member into metrics, the same way it
 * reads what Powertools Metrics prints, and under the same identity (namespace
 * `ServerlessGateway`, dimension `service`). The dimension's value is the line's own `service`
 * key, which Powertools Logger writes (its `serviceName`). The authorizer uses this instead of
 * Powertools Metrics (10 KB of its bundle): its two metrics cost no second line per decision.
 * They are written only if the line is: with a log level above INFO they are gone too.
 */
export interface EmbeddedMetrics {
  /** The fields to add to one log line so that it carries `values`; none when metrics are off. */
  fields(values: readonly MetricValue[]): Record<string, unknown>;
  /**
   * The same fields set on `target` itself, which it returns: no second object spread into the
   * line (on the authorizer's path, a spread of the metrics into the decision's fields measured
   * 3.6 µs of a 10 µs decision). `_aws` is set as a member JSON.stringify does not see: only for
   * the authorizer's JSON logger, which writes it itself (3.5 µs less per line); a Powertools
   * logger would drop it, so the services use `fields`.
   */
  addTo<T extends Record<string, unknown>>(target: T, values: readonly MetricValue[]): T;
}

/** The values Powertools reads as true. */
const TRUE = ['1', 'y', 'yes', 't', 'true', 'on'];
const isTrue = (raw: string | undefined): boolean => TRUE.includes((raw ?? '').trim().toLowerCase());

/**
 * Off as Powertools Metrics would be: `POWERTOOLS_METRICS_DISABLED` true, or, when that is
 * unset, `POWERTOOLS_DEV` true.
 */
export const createEmbeddedMetrics = (env: Record<string, string | undefined> = process.env, now: () => number = Date.now): EmbeddedMetrics => {
  const setting = env.POWERTOOLS_METRICS_DISABLED;
  const disabled = setting !== undefined && setting.trim() !== '' ? isTrue(setting) : isTrue(env.POWERTOOLS_DEV);
  /** The metric declarations per set of names and units: the same few sets, line after line. */
  const declarations = new Map<string, readonly unknown[]>();
  const declaration = (values: readonly MetricValue[]): readonly unknown[] => {
    let key = '';
    for (const [name, unit] of values) key += `${name}:${unit};`;
    let found = declarations.get(key);
    if (!found) {
      found = [{ Namespace: METRICS_NAMESPACE, Dimensions: [['service']], Metrics: values.map(([name, unit]) => ({ Name: name, Unit: unit })) }];
      if (declarations.size < 64) declarations.set(key, found);
    }
    return found;
  };
  const addTo = <T extends Record<string, unknown>>(target: T, values: readonly MetricValue[]): T => {
    if (disabled || values.length === 0) return target;
    const fields = target as Record<string, unknown>;
    // Not enumerable: JSON.stringify leaves it out, and the authorizer's logger writes it from
    // its declaration's text, serialized once (authorizers/adapters/json-logger.ts). Reading
    // `fields._aws` works as for any member.
    Object.defineProperty(fields, '_aws', {
      value: { Timestamp: now(), CloudWatchMetrics: declaration(values) },
      enumerable: false,
      configurable: true,
      writable: true,
    });
    for (const [name, , value] of values) fields[name] = value;
    return target;
  };
  return {
    fields: (values) => {
      if (disabled || values.length === 0) return {};
      const fields: Record<string, unknown> = { _aws: { Timestamp: now(), CloudWatchMetrics: declaration(values) } };
      for (const [name, , value] of values) fields[name] = value;
      return fields;
    },
    addTo,
  };
};

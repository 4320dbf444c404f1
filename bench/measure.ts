/**
 * Small measuring helpers: a bounded ops/s loop, interleaved rounds, median.
 *
 * Every loop here is bounded twice: by time and by an iteration cap. Calls are made one after
 * the other (concurrency 1), which is how a Lambda container serves its events.
 */
import { performance } from 'node:perf_hooks';

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const round = (value: number, digits = 2): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export interface OpsSample {
  ops: number;
  iterations: number;
  elapsedMs: number;
}

export interface OpsOptions {
  /** Stop after this much time (ms). */
  durationMs: number;
  /** ...or after this many calls, whichever comes first. */
  maxIterations: number;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * Calls `fn` back to back for `durationMs` (or `maxIterations` calls) and answers calls per
 * second. A synchronous `fn` is not awaited, so the floor measurement pays no microtask.
 */
export const measureOps = async (fn: () => unknown, options: OpsOptions): Promise<OpsSample> => {
  const started = performance.now();
  const deadline = started + options.durationMs;
  let iterations = 0;
  let now = started;
  while (iterations < options.maxIterations && now < deadline) {
    const result = fn();
    if (isThenable(result)) await result;
    iterations += 1;
    now = performance.now();
  }
  const elapsedMs = now - started;
  return { ops: (iterations * 1000) / elapsedMs, iterations, elapsedMs };
};

export interface Variant {
  name: string;
  fn: () => unknown;
}

export interface InterleavedResult {
  /** Median ops/s over the rounds, per variant. */
  medians: Record<string, number>;
  /** Every round's ops/s, per variant, in round order. */
  rounds: Record<string, number[]>;
}

/**
 * Runs the variants side by side: `warmupRounds` unrecorded rounds (JIT, connection pools, the
 * emulators' own code), then `rounds` rounds in which every variant runs once, the starting
 * variant rotating each round so that none always runs first or last. On a shared, noisy
 * machine the median per variant is then compared under the same conditions.
 */
export const interleave = async (
  variants: readonly Variant[],
  options: {
    rounds: number;
    roundMs: number;
    warmupRounds: number;
    warmupMs: number;
    maxIterations: number;
    log?: (message: string) => void;
  },
): Promise<InterleavedResult> => {
  const rounds: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let w = 0; w < options.warmupRounds; w += 1) {
    for (const variant of variants) {
      await measureOps(variant.fn, { durationMs: options.warmupMs, maxIterations: options.maxIterations });
    }
  }
  for (let r = 0; r < options.rounds; r += 1) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
    const line: string[] = [];
    for (const variant of order) {
      const sample = await measureOps(variant.fn, { durationMs: options.roundMs, maxIterations: options.maxIterations });
      rounds[variant.name]!.push(sample.ops);
      line.push(`${variant.name}=${Math.round(sample.ops)}`);
    }
    options.log?.(`round ${r + 1}/${options.rounds}: ${line.join(' ')}`);
  }
  const medians = Object.fromEntries(Object.entries(rounds).map(([name, values]) => [name, median(values)]));
  return { medians, rounds };
};

/** Rejects after `ms` with `what` in the message; the timer does not keep the process alive. */
export const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

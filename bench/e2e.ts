/**
 * End to end through the local gateway (serverless-offline) with autocannon: a public route
 * (`GET /products`, no authorizer) against a protected one (`GET /branches/1/products` with the
 * manager's bearer token: authorizer + inventory). Same connections and duration for both,
 * run alternately, so both see the same machine.
 */
import autocannon from 'autocannon';
import { withTimeout } from './measure';

export interface E2ERun {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface E2EResult {
  public: E2ERun;
  protected: E2ERun;
  /** Every measured run, in order. */
  runs: { target: 'public' | 'protected'; run: E2ERun }[];
  connections: number;
  durationS: number;
}

export interface E2EOptions {
  gatewayUrl: string;
  token: string;
  connections: number;
  durationS: number;
  warmupS: number;
  /** Measured runs per target, alternating public / protected. */
  runsPerTarget: number;
  log: (message: string) => void;
}

const load = async (url: string, headers: Record<string, string>, connections: number, durationS: number): Promise<E2ERun> => {
  const result = await withTimeout(
    autocannon({ url, headers, connections, duration: durationS, timeout: 10 }),
    (durationS + 30) * 1000,
    `autocannon on ${url}`,
  );
  return {
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
};

/** The better run: the higher throughput (the one the noisy neighbour disturbed least). */
const best = (runs: E2ERun[]): E2ERun => runs.reduce((a, b) => (b.rps > a.rps ? b : a));

export const benchE2E = async (options: E2EOptions): Promise<E2EResult> => {
  const targets = {
    public: { url: `${options.gatewayUrl}/products`, headers: {} as Record<string, string> },
    protected: { url: `${options.gatewayUrl}/branches/1/products`, headers: { authorization: `Bearer ${options.token}` } },
  };

  // Both answer 200 before any load is put on them.
  for (const [name, target] of Object.entries(targets)) {
    const response = await fetch(target.url, { headers: target.headers, signal: AbortSignal.timeout(30_000) });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${name} route ${target.url} answered ${response.status}`);
  }

  // Warm-up with the same connection count: serverless-offline starts one Lambda instance per
  // concurrent request at first, which is a cold start, not steady state.
  for (const [name, target] of Object.entries(targets)) {
    const warm = await load(target.url, target.headers, options.connections, options.warmupS);
    options.log(`warm-up ${name}: ${Math.round(warm.rps)} req/s, non-2xx ${warm.non2xx}`);
  }

  const runs: E2EResult['runs'] = [];
  for (let i = 0; i < options.runsPerTarget; i += 1) {
    for (const name of ['public', 'protected'] as const) {
      const run = await load(targets[name].url, targets[name].headers, options.connections, options.durationS);
      runs.push({ target: name, run });
      options.log(
        `${name} run ${i + 1}/${options.runsPerTarget}: ${Math.round(run.rps)} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ` +
          `non-2xx ${run.non2xx}, errors ${run.errors}`,
      );
    }
  }

  const of = (name: 'public' | 'protected') => runs.filter((r) => r.target === name).map((r) => r.run);
  return { public: best(of('public')), protected: best(of('protected')), runs, connections: options.connections, durationS: options.durationS };
};

/** Non-2xx answers and errors over every measured run of a target (must all be 0). */
export const failures = (result: E2EResult, target: 'public' | 'protected'): { non2xx: number; errors: number } =>
  result.runs
    .filter((r) => r.target === target)
    .reduce((sum, r) => ({ non2xx: sum.non2xx + r.run.non2xx, errors: sum.errors + r.run.errors + r.run.timeouts }), { non2xx: 0, errors: 0 });

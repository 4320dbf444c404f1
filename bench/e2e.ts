/**
 * End to end through the local gateway (serverless-offline) with autocannon: a public route
 * (`GET /products`, no authorizer), a protected one (`GET /branches/1/products` with the
 * manager's bearer token: our authorizer + inventory), and the same protected route on a second
 * gateway whose authorizer allows everything at no cost (bench/noop-gateway.ts), with and
 * without writing an audit line like ours (what the emulator spends carrying it). Same
 * connections and duration for each, run in turn, so all see the same machine.
 *
 * The database round trips our authorizer made for the protected runs are read from its audit
 * lines in the gateway's log: `accessReads` (access records) and `changeLogPolls`.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { median, withTimeout } from './measure';

export interface E2ERun {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

type Target = 'public' | 'protected' | 'noop' | 'noop_logged' | 'twin';

export interface E2EResult {
  public: E2ERun;
  protected: E2ERun;
  noop: E2ERun;
  /** The no-op authorizer writing an audit line like ours per request. */
  noopLogged: E2ERun;
  /** Median over the rounds of protected rps / the other target's rps in the same round. */
  pairedRatios: { public: number; noop: number; noopLogged: number; twinVsNoop: number };
  /** Our authorizer on a second gateway started exactly as the no-op one. */
  twin: E2ERun;
  /** Every measured run, in order. */
  runs: { target: Target; run: E2ERun }[];
  /** Our authorizer's decisions during the measured protected runs, and their round trips. */
  decisions: number;
  /** Access record reads (BatchGetItem) they made. */
  accessReads: number;
  /** Change-log queries they waited for: one per authorizer instance and second at most. */
  changeLogPolls: number;
  connections: number;
  durationS: number;
}

export interface E2EOptions {
  gatewayUrl: string;
  /** The same stack behind the no-op authorizer. */
  noopGatewayUrl: string;
  /** A second gateway started exactly as the no-op one, with our authorizer. */
  twinGatewayUrl: string;
  /** The gateway's log file (its authorizer's decision lines). */
  gatewayLogFile: string;
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

/** Our authorizer's decision lines in the gateway log from byte `from` on: how many, and their reads. */
const decisionReads = (file: string, from: number): { decisions: number; reads: number; polls: number; size: number } => {
  const text = readFileSync(file);
  let decisions = 0;
  let reads = 0;
  let polls = 0;
  for (const line of text.subarray(from).toString('utf8').split('\n')) {
    if (!line.includes('"authorizer decision"')) continue;
    try {
      const parsed = JSON.parse(line) as { message?: string; accessReads?: unknown; changeLogPolls?: unknown };
      if (parsed.message !== 'authorizer decision') continue;
      decisions += 1;
      if (typeof parsed.accessReads === 'number') reads += parsed.accessReads;
      if (typeof parsed.changeLogPolls === 'number') polls += parsed.changeLogPolls;
    } catch {
      // not one of ours
    }
  }
  return { decisions, reads, polls, size: text.length };
};

export const benchE2E = async (options: E2EOptions): Promise<E2EResult> => {
  const targets: Record<Target, { url: string; headers: Record<string, string> }> = {
    public: { url: `${options.gatewayUrl}/products`, headers: {} },
    protected: { url: `${options.gatewayUrl}/branches/1/products`, headers: { authorization: `Bearer ${options.token}` } },
    noop: { url: `${options.noopGatewayUrl}/branches/1/products`, headers: { authorization: `Bearer ${options.token}` } },
    noop_logged: {
      url: `${options.noopGatewayUrl}/branches/1/products`,
      headers: { authorization: `Bearer ${options.token}`, 'x-bench-audit-line': '1' },
    },
    twin: { url: `${options.twinGatewayUrl}/branches/1/products`, headers: { authorization: `Bearer ${options.token}` } },
  };
  const order: Target[] = ['public', 'protected', 'noop', 'noop_logged', 'twin'];

  // Each answers 200 before any load is put on it.
  for (const [name, target] of Object.entries(targets)) {
    const response = await fetch(target.url, { headers: target.headers, signal: AbortSignal.timeout(30_000) });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${name} route ${target.url} answered ${response.status}`);
  }

  // Warm-up with the same connection count: serverless-offline starts one Lambda instance per
  // concurrent request at first, which is a cold start, not steady state.
  for (const name of order) {
    const warm = await load(targets[name].url, targets[name].headers, options.connections, options.warmupS);
    options.log(`warm-up ${name}: ${Math.round(warm.rps)} req/s, non-2xx ${warm.non2xx}`);
  }

  const runs: E2EResult['runs'] = [];
  let decisions = 0;
  let accessReads = 0;
  let changeLogPolls = 0;
  for (let i = 0; i < options.runsPerTarget; i += 1) {
    // The order turns each round: no target always runs right after the same one.
    for (const name of order.map((_, k) => order[(k + i) % order.length]!)) {
      const before = name === 'protected' ? decisionReads(options.gatewayLogFile, 0).size : 0;
      const run = await load(targets[name].url, targets[name].headers, options.connections, options.durationS);
      if (name === 'protected') {
        // Lines may still be on their way to the file: give them a moment.
        await new Promise((resolve) => setTimeout(resolve, 500));
        const counted = decisionReads(options.gatewayLogFile, before);
        decisions += counted.decisions;
        accessReads += counted.reads;
        changeLogPolls += counted.polls;
      }
      runs.push({ target: name, run });
      options.log(
        `${name} run ${i + 1}/${options.runsPerTarget}: ${Math.round(run.rps)} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ` +
          `non-2xx ${run.non2xx}, errors ${run.errors}`,
      );
    }
  }
  options.log(`protected runs: ${decisions} decisions, ${accessReads} access record reads, ${changeLogPolls} change-log polls`);

  const of = (name: Target) => runs.filter((r) => r.target === name).map((r) => r.run);
  // Per round, protected against each other target measured next to it: the median of those
  // ratios, so that a neighbour's burst in one round moves one ratio, not the result.
  const rounds = options.runsPerTarget;
  const paired = (other: Target, mineTarget: Target = 'protected'): number => {
    const ratios: number[] = [];
    for (let i = 0; i < rounds; i += 1) {
      const mine = of(mineTarget)[i];
      const theirs = of(other)[i];
      if (mine && theirs && theirs.rps > 0) ratios.push(mine.rps / theirs.rps);
    }
    return median(ratios);
  };
  return {
    public: best(of('public')),
    protected: best(of('protected')),
    noop: best(of('noop')),
    noopLogged: best(of('noop_logged')),
    twin: best(of('twin')),
    pairedRatios: { public: paired('public'), noop: paired('noop'), noopLogged: paired('noop_logged'), twinVsNoop: paired('noop', 'twin') },
    runs,
    decisions,
    accessReads,
    changeLogPolls,
    connections: options.connections,
    durationS: options.durationS,
  };
};

/** Non-2xx answers and errors over every measured run of a target (must all be 0). */
export const failures = (result: E2EResult, target: Target): { non2xx: number; errors: number } =>
  result.runs
    .filter((r) => r.target === target)
    .reduce((sum, r) => ({ non2xx: sum.non2xx + r.run.non2xx, errors: sum.errors + r.run.errors + r.run.timeouts }), { non2xx: 0, errors: 0 });

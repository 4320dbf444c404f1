/**
 * `npm run bench`: one run, one private local stack, one table.
 *
 *   1. start a private stack as tests/integration/run.ts does (free ports, .local/bench-<pid>,
 *      in-memory DynamoDB) and log in over HTTP as the manager
 *   2. the authorizer's decision in process, warm, next to bare token verification (authorizer.ts)
 *   3. end to end through the gateway with autocannon, public vs protected (e2e.ts)
 *   4. bundle sizes and the authorizer's cold start (coldstart.ts)
 *
 * Writes bench/results.json and prints metric / value / target / met. The stack is stopped at
 * the end, on errors, on SIGINT/SIGTERM and when the whole run exceeds its time limit.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { privateStackSettings, startLocalStack, type LocalStack } from '../scripts/local/stack';
import { UNSET_ENV, authorizerEvent, benchAuthorizer, functionEnv, lambdaContext } from './authorizer';
import { benchE2E, failures } from './e2e';
import { mixedLoad, type Caller } from './mixed';
import { bundleAll, coldStart, killColdStarts, packagesBySize } from './coldstart';
import { round } from './measure';

const ROOT = path.resolve(__dirname, '..');

/** Knobs, each overridable from the environment for a quicker or longer run. */
const int = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new Error(`${name} must be an integer in ${min}..${max}`);
  return parsed;
};
const SETTINGS = {
  rounds: int('BENCH_ROUNDS', 5, 1, 20),
  roundMs: int('BENCH_ROUND_MS', 1500, 200, 10_000),
  // Unrecorded rounds first: dynalite's and the SDK's code take a while to be optimised.
  warmupRounds: int('BENCH_WARMUP_ROUNDS', 2, 0, 10),
  warmupMs: int('BENCH_WARMUP_MS', 1000, 0, 10_000),
  e2eConnections: int('BENCH_CONNECTIONS', 10, 1, 100),
  e2eDurationS: int('BENCH_DURATION_S', 8, 1, 60),
  // serverless-offline starts one worker per concurrent request at first: warm them all.
  e2eWarmupS: int('BENCH_E2E_WARMUP_S', 8, 0, 30),
  e2eRunsPerTarget: int('BENCH_E2E_RUNS', 2, 1, 5),
  coldStarts: int('BENCH_COLD_STARTS', 5, 1, 20),
  /** The mixed load: every route, every kind of caller, this long, this many at once. */
  mixedS: int('BENCH_MIXED_S', 60, 5, 600),
  mixedConcurrency: int('BENCH_MIXED_CONCURRENCY', 8, 1, 50),
  /** Hard limit for the whole run; the stack is stopped when it is reached. */
  timeLimitS: int('BENCH_TIME_LIMIT_S', 600, 60, 3600),
};

const TARGETS: Record<string, { op: '>=' | '<='; value: number }> = {
  authorizer_vs_raw_verify: { op: '>=', value: 0.75 },
  cached_vs_raw_verify: { op: '>=', value: 20 },
  protected_vs_public_e2e: { op: '>=', value: 0.9 },
  authorizer_bundle_kb: { op: '<=', value: 60 },
  authorizer_init_ms: { op: '<=', value: 50 },
};

const log = (section: string) => (message: string) => console.log(`[${section}] ${message}`);

const login = async (gatewayUrl: string, username: string, password: string): Promise<string> => {
  const response = await fetch(`${gatewayUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { accessToken?: unknown };
  if (response.status !== 200 || typeof body.accessToken !== 'string') throw new Error(`login as ${username} answered ${response.status}`);
  return body.accessToken;
};

const machine = (loadavgAtStart: number[]) => {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    /** 1/5/15-minute load averages when the run started and ended: a busy neighbour shows here. */
    loadavg_start: loadavgAtStart.map((l) => round(l, 2)),
    loadavg_end: os.loadavg().map((l) => round(l, 2)),
    date: new Date().toISOString(),
  };
};

type Value = number | null;

const met = (key: string, value: Value): string => {
  const target = TARGETS[key];
  if (!target) return '';
  if (value === null || !Number.isFinite(value)) return 'n/a';
  return (target.op === '>=' ? value >= target.value : value <= target.value) ? 'yes' : 'NO';
};

const printTable = (rows: [string, Value][]) => {
  const header = ['metric', 'value', 'target', 'met?'];
  const cells = rows.map(([key, value]) => [
    key,
    value === null ? 'null' : String(value),
    TARGETS[key] ? `${TARGETS[key]!.op} ${TARGETS[key]!.value}` : '',
    met(key, value),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((cell, i) => (i === 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const c of cells) console.log(line(c));
};

const main = async (): Promise<number> => {
  const started = Date.now();
  const loadavgAtStart = os.loadavg();
  const stateDir = path.join(ROOT, '.local', `bench-${process.pid}`);
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const settings = await privateStackSettings(stateDir, false);

  let stack: LocalStack | undefined;
  let starting: Promise<LocalStack> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Interrupted while starting: let the start finish (it is bounded), then stop what it started.
      if (!stack && starting) stack = await starting.catch(() => undefined);
      await stack?.stop();
      stack = undefined;
    })();
    return stopping;
  };
  const abort = (code: number, why: string) => {
    console.error(`[bench] ${why}: stopping the stack`);
    killColdStarts();
    void stop().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => abort(130, 'SIGINT'));
  process.on('SIGTERM', () => abort(143, 'SIGTERM'));
  const limit = setTimeout(() => abort(124, `time limit of ${SETTINGS.timeLimitS} s reached`), SETTINGS.timeLimitS * 1000);
  limit.unref();

  try {
    // 1. the stack and a real token
    starting = startLocalStack(settings, { output: 'files', log: log('stack') });
    stack = await starting;
    log('stack')(`up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${stack.gatewayUrl}`);
    const manager = settings.users.find((u) => u.roles.includes('branch-manager'));
    if (!manager) throw new Error('no seeded manager');
    const token = await login(stack.gatewayUrl, manager.username, manager.password);
    log('stack')(`logged in as ${manager.username}`);

    // 2. the decision in process, with the functions' environment
    const env = functionEnv(stack);
    for (const name of UNSET_ENV) delete process.env[name];
    Object.assign(process.env, env);
    const inProcess = await benchAuthorizer({
      issuer: stack.issuer,
      token,
      rounds: SETTINGS.rounds,
      roundMs: SETTINGS.roundMs,
      warmupRounds: SETTINGS.warmupRounds,
      warmupMs: SETTINGS.warmupMs,
      log: log('authorizer'),
    });
    const ops = inProcess.medians;

    // 3. end to end
    const e2e = await benchE2E({
      gatewayUrl: stack.gatewayUrl,
      token,
      connections: SETTINGS.e2eConnections,
      durationS: SETTINGS.e2eDurationS,
      warmupS: SETTINGS.e2eWarmupS,
      runsPerTarget: SETTINGS.e2eRunsPerTarget,
      log: log('e2e'),
    });
    // 3b. the mixed load: zero wrong decisions, zero 5xx
    const callers: Caller[] = [{ name: 'anonymous' }, { name: 'garbage', authorization: 'Bearer not.a.token' }];
    for (const user of settings.users) {
      const userToken = user === manager ? token : await login(stack.gatewayUrl, user.username, user.password);
      callers.push({ name: user.roles.join('+'), token: userToken, principal: { authType: 'user', roles: user.roles, branches: user.branches, scopes: [] } });
      const [h, p, sig] = userToken.split('.') as [string, string, string];
      const original = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
      // Always a change under the old signature: admin rights and a longer life.
      const forged = { ...original, 'cognito:groups': ['admin'], exp: original.exp + 3600 };
      callers.push({ name: `${user.roles.join('+')} forged as admin`, token: `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}` });
    }
    const mixed = await mixedLoad({
      gatewayUrl: stack.gatewayUrl,
      callers,
      durationS: SETTINGS.mixedS,
      concurrency: SETTINGS.mixedConcurrency,
      log: log('mixed'),
    });
    const publicFailures = failures(e2e, 'public');
    const protectedFailures = failures(e2e, 'protected');

    // 4. bundles and cold start
    const bundles = await bundleAll(ROOT, path.join(stateDir, 'bundles'));
    const authorizerBundle = bundles.find((b) => b.name === 'authorizer');
    if (!authorizerBundle) throw new Error('serverless.yml has no authorizer function');
    const topPackages = packagesBySize(authorizerBundle.metafile).slice(0, 8);
    const cold = await coldStart(authorizerBundle.file, env, authorizerEvent(token, 'bench-cold-start'), lambdaContext(), SETTINGS.coldStarts, log('cold'));

    await stop();

    const perOpUs = (opsPerSecond: number | undefined) => (opsPerSecond ? 1e6 / opsPerSecond : Number.NaN);
    const results = {
      authorizer_ops: round(ops.authorizer!, 1),
      raw_verify_ops: round(ops.raw_verify!, 1),
      ajv_verify_ops: round(ops.ajv_verify!, 1),
      jsonwebtoken_ops: round(ops.jsonwebtoken!, 1),
      authorizer_cached_store_ops: round(ops.authorizer_cached_store!, 1),
      access_store_read_ops: round(ops.access_store_read!, 1),
      authorizer_vs_raw_verify: round(ops.authorizer! / ops.raw_verify!, 4),
      authorizer_cached_store_vs_raw_verify: round(ops.authorizer_cached_store! / ops.raw_verify!, 4),
      // No decision cache in the authorizer yet (see bench/README-snippet.md).
      cached_ops: null as Value,
      cached_vs_raw_verify: null as Value,
      authorizer_us_per_decision: round(perOpUs(ops.authorizer), 1),
      authorizer_cached_store_us_per_decision: round(perOpUs(ops.authorizer_cached_store), 1),
      ajv_verify_us: round(perOpUs(ops.ajv_verify), 1),
      access_store_read_us: round(perOpUs(ops.access_store_read), 1),
      raw_verify_us: round(perOpUs(ops.raw_verify), 1),
      public_rps: round(e2e.public.rps, 1),
      protected_rps: round(e2e.protected.rps, 1),
      public_p50_ms: e2e.public.p50Ms,
      public_p99_ms: e2e.public.p99Ms,
      protected_p50_ms: e2e.protected.p50Ms,
      protected_p99_ms: e2e.protected.p99Ms,
      protected_vs_public_e2e: round(e2e.protected.rps / e2e.public.rps, 4),
      mixed_requests: mixed.requests,
      mixed_wrong_decisions: mixed.wrongDecisions,
      mixed_5xx: mixed.serverErrors,
      mixed_transport_errors: mixed.transportErrors,
      public_non2xx: publicFailures.non2xx,
      protected_non2xx: protectedFailures.non2xx,
      public_errors: publicFailures.errors,
      protected_errors: protectedFailures.errors,
      ...Object.fromEntries(bundles.map((b) => [`${b.name}_bundle_kb`, round(b.kb, 1)])),
      authorizer_init_ms: round(cold.initMs, 1),
      authorizer_module_load_ms: round(cold.moduleLoadMs, 1),
      node_boot_ms: round(cold.bootMs, 1),
      machine: machine(loadavgAtStart),
      targets: Object.fromEntries(Object.entries(TARGETS).map(([k, t]) => [k, `${t.op} ${t.value}`])),
      details: {
        settings: SETTINGS,
        authorizer_rounds_ops: Object.fromEntries(Object.entries(inProcess.rounds).map(([k, v]) => [k, v.map((x) => round(x, 1))])),
        e2e_runs: e2e.runs.map(({ target, run }) => ({ target, ...run, rps: round(run.rps, 1) })),
        mixed_by_status: mixed.byStatus,
        mixed_wrong_examples: mixed.examples,
        mixed_duration_s: mixed.durationS,
        e2e_connections: e2e.connections,
        e2e_duration_s: e2e.durationS,
        authorizer_bundle_top_packages: topPackages.map((p) => ({
          package: p.name,
          kb_in_bundle: round(p.bytesInOutput / 1024, 1),
          kb_source: round(p.inputBytes / 1024, 1),
          files: p.files,
        })),
        cold_start_samples: cold.samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v, 1)]))),
        total_s: round((Date.now() - started) / 1000, 1),
      },
    };
    writeFileSync(path.join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

    console.log(`\nauthorizer bundle (${round(authorizerBundle.kb, 1)} KB minified), top packages by bytes in the bundle:`);
    for (const p of topPackages) {
      console.log(`  ${p.name.padEnd(48)} ${(p.bytesInOutput / 1024).toFixed(1).padStart(8)} KB  (${p.files} files)`);
    }
    const rows: [string, Value][] = Object.entries(results).filter((entry): entry is [string, Value] => entry[1] === null || typeof entry[1] === 'number');
    printTable(rows);
    const m = results.machine;
    console.log(`\n${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.date}, load ${m.loadavg_start.join(' ')} -> ${m.loadavg_end.join(' ')}; total ${results.details.total_s} s`);
    console.log('results: bench/results.json');

    if (publicFailures.non2xx + protectedFailures.non2xx + publicFailures.errors + protectedFailures.errors > 0) {
      console.error('[bench] some end-to-end requests failed (non-2xx or errors): see the table');
      return 1;
    }
    if (mixed.wrongDecisions + mixed.serverErrors > 0) {
      console.error(`[bench] mixed load: ${mixed.wrongDecisions} wrong decisions, ${mixed.serverErrors} 5xx; e.g. ${mixed.examples.join('; ')}`);
      return 1;
    }
    if (process.env.BENCH_KEEP_STATE === '1') console.log(`state and logs kept in ${path.relative(ROOT, stateDir)}`);
    else rmSync(stateDir, { recursive: true, force: true });
    return 0;
  } catch (error) {
    console.error(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.error(`[bench] logs kept in ${path.relative(ROOT, stateDir)}/logs`);
    return 1;
  } finally {
    await stop();
    clearTimeout(limit);
  }
};

main().then((code) => process.exit(code));

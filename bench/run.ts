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
 *
 * `BENCH_ONLY=authorizer,coldstart` (any of authorizer, e2e, mixed, coldstart) runs only those
 * parts: the others' keys are null, and the results go to .local/bench-results-partial.json,
 * never over bench/results.json.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { privateStackSettings, startLocalStack, type LocalStack } from '../scripts/local/stack';
import { UNSET_ENV, authorizerEvent, benchAuthorizer, functionEnv, lambdaContext } from './authorizer';
import { benchE2E, failures, type E2EResult } from './e2e';
import { mixedLoad, type Caller, type MixedResult } from './mixed';
import { startNoopGateway } from './noop-gateway';
import { revocationsDuringLoad, type RevocationResult } from './revocations';
import { toAuthorizerContext } from '../lib/policy/role-context';
import { ACCESS_VIEW_DEFAULTS } from '../lib/config';

/** The bound the stack runs with: serverless.yml's default, REVOCATION_MAX_STALENESS_MS unset. */
const REVOCATION_BOUND_MS = ACCESS_VIEW_DEFAULTS.maxStalenessMs;
import { bundleAll, coldStart, killColdStarts, packagesBySize, serviceColdStart, type BundleInfo, type ColdStartResult } from './coldstart';
import { round } from './measure';
import { grantableScopes, type Scope } from '../lib/policy/route-policy';

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
  e2eDurationS: int('BENCH_DURATION_S', 5, 1, 60),
  // serverless-offline starts one worker per concurrent request at first: warm them all.
  e2eWarmupS: int('BENCH_E2E_WARMUP_S', 8, 0, 30),
  e2eRunsPerTarget: int('BENCH_E2E_RUNS', 5, 1, 9),
  coldStarts: int('BENCH_COLD_STARTS', 5, 1, 20),
  /** The mixed load: every route, every kind of caller, this long, this many at once. */
  mixedS: int('BENCH_MIXED_S', 60, 5, 600),
  mixedConcurrency: int('BENCH_MIXED_CONCURRENCY', 8, 1, 50),
  /** Revocations made during the mixed load (bench/revocations.ts), five kinds in turn. */
  revocations: int('BENCH_REVOCATIONS', 50, 5, 500),
  /** Hard limit for the whole run; the stack is stopped when it is reached. */
  timeLimitS: int('BENCH_TIME_LIMIT_S', 600, 60, 3600),
};

/** Issue 11's targets. `<function>_bundle_kb` and `<function>_init_ms` are added per function below. */
const TARGETS: Record<string, { op: '>=' | '<='; value: number }> = {
  authorizer_vs_raw_verify: { op: '>=', value: 0.75 },
  cached_vs_raw_verify: { op: '>=', value: 2 },
  protected_vs_noop_authorizer_e2e: { op: '>=', value: 0.9 },
  access_reads_per_request: { op: '<=', value: 0.02 },
  revocation_propagation_ms_max: { op: '<=', value: 1000 },
  authorizer_bundle_kb: { op: '<=', value: 60 },
  authorizer_init_ms: { op: '<=', value: 50 },
};

const createApiKey = async (gatewayUrl: string, token: string, scopes: Scope[]): Promise<{ id: string; key: string }> => {
  const answer = await fetch(`${gatewayUrl}/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'mixed load', scopes, expiresInDays: 1 }),
  });
  if (answer.status !== 201) throw new Error(`creating an API key answered ${answer.status}: ${await answer.text()}`);
  return (await answer.json()) as { id: string; key: string };
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

/** Every service function's bundle and cold start have issue 11's targets too. */
const targetOf = (key: string): { op: '>=' | '<='; value: number } | undefined =>
  TARGETS[key] ??
  (key.endsWith('_bundle_kb') ? { op: '<=', value: 250 } : key.endsWith('_init_ms') && key !== 'authorizer_init_ms' ? { op: '<=', value: 100 } : undefined);

const met = (key: string, value: Value): string => {
  const target = targetOf(key);
  if (!target) return '';
  if (value === null || !Number.isFinite(value)) return 'n/a';
  return (target.op === '>=' ? value >= target.value : value <= target.value) ? 'yes' : 'NO';
};

const printTable = (rows: [string, Value][]) => {
  const header = ['metric', 'value', 'target', 'met?'];
  const cells = rows.map(([key, value]) => [
    key,
    value === null ? 'null' : String(value),
    targetOf(key) ? `${targetOf(key)!.op} ${targetOf(key)!.value}` : '',
    met(key, value),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((cell, i) => (i === 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const c of cells) console.log(line(c));
};

const SECTIONS = ['authorizer', 'e2e', 'mixed', 'coldstart'] as const;
type Section = (typeof SECTIONS)[number];

/** `BENCH_ONLY`: the parts to run, comma-separated; unset = all. */
const only = ((): ReadonlySet<Section> => {
  const raw = process.env.BENCH_ONLY?.trim();
  if (!raw) return new Set(SECTIONS);
  const wanted = raw.split(',').map((part) => part.trim()).filter(Boolean);
  const unknown = wanted.filter((part) => !(SECTIONS as readonly string[]).includes(part));
  if (unknown.length > 0 || wanted.length === 0) throw new Error(`BENCH_ONLY takes any of ${SECTIONS.join(', ')}; got "${raw}"`);
  return new Set(wanted as Section[]);
})();
const fullRun = SECTIONS.every((section) => only.has(section));

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
    const inProcess = only.has('authorizer')
      ? await benchAuthorizer({
          issuer: stack.issuer,
          token,
          rounds: SETTINGS.rounds,
          roundMs: SETTINGS.roundMs,
          warmupRounds: SETTINGS.warmupRounds,
          warmupMs: SETTINGS.warmupMs,
          log: log('authorizer'),
        })
      : undefined;
    const ops: Record<string, number | undefined> = inProcess?.medians ?? {};

    // 3. end to end
    let e2e: E2EResult | undefined;
    if (only.has('e2e')) {
      const managerSub = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string; username: string; exp: number; client_id: string; jti: string; origin_jti?: string };
      const noopContext = toAuthorizerContext({
        authType: 'user',
        sub: managerSub.sub,
        username: managerSub.username,
        roles: ['branch-manager'],
        branches: [...manager.branches],
        scopes: [],
        expiresAt: managerSub.exp,
        clientId: managerSub.client_id,
        sessionId: managerSub.origin_jti ?? managerSub.jti,
        tokenId: managerSub.jti,
      });
      const noop = await startNoopGateway(stack, noopContext, stateDir);
      log('e2e')(`no-op authorizer gateway up at ${noop.url}`);
      // The same, with our authorizer: started exactly as the no-op one (its pair isolates the authorizer).
      const twin = await startNoopGateway(stack, noopContext, stateDir, { name: 'twin', keepAuthorizer: true });
      log('e2e')(`twin gateway (our authorizer) up at ${twin.url}`);
      try {
        e2e = await benchE2E({
          gatewayUrl: stack.gatewayUrl,
          noopGatewayUrl: noop.url,
          twinGatewayUrl: twin.url,
          gatewayLogFile: path.join(stateDir, 'logs', 'gateway.log'),
          token,
          connections: SETTINGS.e2eConnections,
          durationS: SETTINGS.e2eDurationS,
          warmupS: SETTINGS.e2eWarmupS,
          runsPerTarget: SETTINGS.e2eRunsPerTarget,
          log: log('e2e'),
        });
      } finally {
        await noop.stop();
        await twin.stop();
      }
    }
    // 3b. the mixed load: zero wrong decisions, zero 5xx
    let mixed: MixedResult | undefined;
    let revocations: RevocationResult | undefined;
    if (only.has('mixed')) {
      const callers: Caller[] = [{ name: 'anonymous' }, { name: 'garbage', authorization: 'Bearer not.a.token' }];
      for (const user of settings.users) {
        const userToken = user === manager ? token : await login(stack.gatewayUrl, user.username, user.password);
        callers.push({ name: user.roles.join('+'), token: userToken, principal: { authType: 'user', roles: user.roles, branches: user.branches, scopes: [] } });
        const [h, p, sig] = userToken.split('.') as [string, string, string];
        const original = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown> & { exp: number };
        // Always a change under the old signature: admin rights and a longer life.
        const forged = { ...original, 'cognito:groups': ['admin'], exp: original.exp + 3600 };
        callers.push({ name: `${user.roles.join('+')} forged as admin`, token: `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}` });
        // The user's API key with every scope the user may grant, and one revoked before the load.
        const scopes = grantableScopes(user.roles);
        const key = await createApiKey(stack.gatewayUrl, userToken, scopes);
        callers.push({ name: `${user.roles.join('+')} API key`, token: key.key, principal: { authType: 'api_key', roles: user.roles, branches: user.branches, scopes } });
        const revoked = await createApiKey(stack.gatewayUrl, userToken, scopes);
        await fetch(`${stack.gatewayUrl}/api-keys/${revoked.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${userToken}` } });
        callers.push({ name: `${user.roles.join('+')} revoked API key`, token: revoked.key });
      }
      // Every machine client, with the scopes its token carries and its configured branches.
      for (const client of stack.machineClients) {
        const answer = await fetch(stack.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
          body: 'grant_type=client_credentials',
        });
        if (answer.status !== 200) throw new Error(`machine client ${client.name}: token endpoint answered ${answer.status}`);
        const { access_token: machineToken } = (await answer.json()) as { access_token: string };
        callers.push({ name: `machine ${client.name}`, token: machineToken, principal: { authType: 'client', roles: client.roles, branches: client.branches, scopes: client.scopes } });
      }
      const admin = settings.users.find((u) => u.roles.includes('admin'));
      if (!admin) throw new Error('no seeded admin');
      const adminToken = await login(stack.gatewayUrl, admin.username, admin.password);
      // Revocations of every kind, on their own victims, while the load runs.
      [mixed, revocations] = await Promise.all([
        mixedLoad({
          gatewayUrl: stack.gatewayUrl,
          callers,
          durationS: SETTINGS.mixedS,
          concurrency: SETTINGS.mixedConcurrency,
          log: log('mixed'),
        }),
        revocationsDuringLoad({ stack, adminToken, events: SETTINGS.revocations, workers: 2, boundMs: REVOCATION_BOUND_MS, log: log('revocations') }),
      ]);
    }
    const publicFailures = e2e ? failures(e2e, 'public') : undefined;
    const protectedFailures = e2e ? failures(e2e, 'protected') : undefined;

    // 4. bundles and cold start
    let bundles: BundleInfo[] = [];
    let authorizerBundle: BundleInfo | undefined;
    let cold: ColdStartResult | undefined;
    const serviceCold: Record<string, ColdStartResult> = {};
    if (only.has('coldstart')) {
      bundles = await bundleAll(ROOT, path.join(stateDir, 'bundles'));
      authorizerBundle = bundles.find((b) => b.name === 'authorizer');
      if (!authorizerBundle) throw new Error('serverless.yml has no authorizer function');
      cold = await coldStart(authorizerBundle.file, env, authorizerEvent(token, 'bench-cold-start'), lambdaContext(), SETTINGS.coldStarts, log('cold'));
      for (const bundle of bundles) {
        if (bundle === authorizerBundle) continue;
        serviceCold[bundle.name] = await serviceColdStart(bundle, env, lambdaContext(), SETTINGS.coldStarts, log('cold'));
      }
    }
    const topPackages = authorizerBundle ? packagesBySize(authorizerBundle.metafile).slice(0, 8) : [];

    await stop();

    const perOpUs = (opsPerSecond: number | undefined) => (opsPerSecond ? 1e6 / opsPerSecond : Number.NaN);
    /** A value of a part that ran, else null. */
    const num = (value: number | undefined, digits: number): Value => (value === undefined || !Number.isFinite(value) ? null : round(value, digits));
    const ratio = (a: number | undefined, b: number | undefined): Value => (a === undefined || b === undefined ? null : round(a / b, 4));
    const results = {
      authorizer_ops: num(ops.authorizer, 1),
      raw_verify_ops: num(ops.raw_verify, 1),
      ajv_verify_ops: num(ops.ajv_verify, 1),
      jsonwebtoken_ops: num(ops.jsonwebtoken, 1),
      strict_ops: num(ops.strict, 1),
      access_store_read_ops: num(ops.access_store_read, 1),
      // A fresh token each call, default mode (the warm view): bench/authorizer.ts.
      authorizer_vs_raw_verify: ratio(ops.authorizer, ops.raw_verify),
      // aws-jwt-verify alone on the same fresh tokens: the part of the decision that is the verifier's.
      ajv_verify_vs_raw_verify: ratio(ops.ajv_verify, ops.raw_verify),
      strict_vs_raw_verify: ratio(ops.strict, ops.raw_verify),
      authorizer_vs_strict: ratio(ops.authorizer, ops.strict),
      // The same token repeated, the audit line written.
      cached_ops: num(ops.cached, 1),
      cached_vs_raw_verify: ratio(ops.cached, ops.raw_verify),
      authorizer_us_per_decision: num(perOpUs(ops.authorizer), 1),
      strict_us_per_decision: num(perOpUs(ops.strict), 1),
      cached_us_per_decision: num(perOpUs(ops.cached), 1),
      ajv_verify_us: num(perOpUs(ops.ajv_verify), 1),
      access_store_read_us: num(perOpUs(ops.access_store_read), 1),
      raw_verify_us: num(perOpUs(ops.raw_verify), 1),
      public_rps: num(e2e?.public.rps, 1),
      protected_rps: num(e2e?.protected.rps, 1),
      public_p50_ms: e2e?.public.p50Ms ?? null,
      public_p99_ms: e2e?.public.p99Ms ?? null,
      protected_p50_ms: e2e?.protected.p50Ms ?? null,
      protected_p99_ms: e2e?.protected.p99Ms ?? null,
      // Each the median over rounds of the ratio within a round (bench/e2e.ts); rps are the best run's.
      protected_vs_public_e2e: e2e ? round(e2e.pairedRatios.public, 4) : null,
      noop_protected_rps: num(e2e?.noop.rps, 1),
      noop_protected_p50_ms: e2e?.noop.p50Ms ?? null,
      noop_protected_p99_ms: e2e?.noop.p99Ms ?? null,
      protected_vs_noop_authorizer_e2e: e2e ? round(e2e.pairedRatios.noop, 4) : null,
      twin_protected_rps: num(e2e?.twin.rps, 1),
      // Our authorizer and the no-op on two gateways started the same way (bench/noop-gateway.ts).
      twin_vs_noop_authorizer_e2e: e2e ? round(e2e.pairedRatios.twinVsNoop, 4) : null,
      noop_logged_protected_rps: num(e2e?.noopLogged.rps, 1),
      // The no-op writing the same audit line per request: our decision alone, not the emulator's log transport.
      protected_vs_noop_logged_e2e: e2e ? round(e2e.pairedRatios.noopLogged, 4) : null,
      access_reads_per_request: e2e && e2e.decisions > 0 ? round(e2e.accessReads / e2e.decisions, 5) : null,
      change_log_polls_per_request: e2e && e2e.decisions > 0 ? round(e2e.changeLogPolls / e2e.decisions, 5) : null,
      revocation_events: revocations?.events ?? null,
      revocation_propagation_ms_max: revocations ? round(Math.max(...revocations.propagationMs), 1) : null,
      revocation_propagation_ms_p50: revocations ? round([...revocations.propagationMs].sort((a, b) => a - b)[Math.floor(revocations.propagationMs.length / 2)]!, 1) : null,
      revocation_late_allows: revocations?.lateAllows ?? null,
      mixed_requests: mixed?.requests ?? null,
      // Wrong by the policy, plus revoked credentials allowed more than the bound after.
      mixed_wrong_decisions: mixed ? mixed.wrongDecisions + (revocations?.lateAllows ?? 0) : null,
      mixed_5xx: mixed?.serverErrors ?? null,
      mixed_transport_errors: mixed?.transportErrors ?? null,
      public_non2xx: publicFailures?.non2xx ?? null,
      protected_non2xx: protectedFailures?.non2xx ?? null,
      public_errors: publicFailures?.errors ?? null,
      protected_errors: protectedFailures?.errors ?? null,
      ...(bundles.length > 0 ? Object.fromEntries(bundles.map((b) => [`${b.name}_bundle_kb`, round(b.kb, 1)])) : { authorizer_bundle_kb: null }),
      authorizer_init_ms: num(cold?.initMs, 1),
      ...Object.fromEntries(Object.entries(serviceCold).map(([name, result]) => [`${name}_init_ms`, num(result.initMs, 1)])),
      authorizer_module_load_ms: num(cold?.moduleLoadMs, 1),
      node_boot_ms: num(cold?.bootMs, 1),
      machine: machine(loadavgAtStart),
      targets: Object.fromEntries(Object.entries(TARGETS).map(([k, t]) => [k, `${t.op} ${t.value}`])),
      details: {
        settings: { ...SETTINGS, only: [...only] },
        authorizer_rounds_ops: Object.fromEntries(Object.entries(inProcess?.rounds ?? {}).map(([k, v]) => [k, v.map((x) => round(x, 1))])),
        cached_breakdown_us: inProcess?.cachedBreakdownUs ?? null,
        cached_audit_lines: inProcess ? { decisions: inProcess.cachedAuditLines.decisions, lines: inProcess.cachedAuditLines.lines } : null,
        e2e_runs: e2e?.runs.map(({ target, run }) => ({ target, ...run, rps: round(run.rps, 1) })) ?? null,
        mixed_by_status: mixed?.byStatus ?? null,
        mixed_wrong_examples: mixed ? [...mixed.examples, ...(revocations?.examples ?? [])] : null,
        e2e_protected_decisions: e2e?.decisions ?? null,
        e2e_protected_access_reads: e2e?.accessReads ?? null,
        e2e_protected_change_log_polls: e2e?.changeLogPolls ?? null,
        revocations_by_kind: revocations?.byKind ?? null,
        revocation_propagation_ms: revocations?.propagationMs.map((ms) => round(ms, 1)) ?? null,
        revocation_probes: revocations?.probes ?? null,
        mixed_duration_s: mixed?.durationS ?? null,
        e2e_connections: e2e?.connections ?? null,
        e2e_duration_s: e2e?.durationS ?? null,
        authorizer_bundle_top_packages: topPackages.map((p) => ({
          package: p.name,
          kb_in_bundle: round(p.bytesInOutput / 1024, 1),
          kb_source: round(p.inputBytes / 1024, 1),
          files: p.files,
        })),
        cold_start_samples: cold?.samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]: [string, number]) => [k, round(v, 1)]))) ?? null,
        total_s: round((Date.now() - started) / 1000, 1),
      },
    };
    const resultsFile = fullRun ? path.join(ROOT, 'bench', 'results.json') : path.join(ROOT, '.local', 'bench-results-partial.json');
    if (!existsSync(path.dirname(resultsFile))) mkdirSync(path.dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);

    if (authorizerBundle) {
      console.log(`\nauthorizer bundle (${round(authorizerBundle.kb, 1)} KB minified), top packages by bytes in the bundle:`);
      for (const p of topPackages) {
        console.log(`  ${p.name.padEnd(48)} ${(p.bytesInOutput / 1024).toFixed(1).padStart(8)} KB  (${p.files} files)`);
      }
    }
    const rows: [string, Value][] = Object.entries(results).filter((entry): entry is [string, Value] => entry[1] === null || typeof entry[1] === 'number');
    printTable(rows);
    const m = results.machine;
    console.log(`\n${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.date}, load ${m.loadavg_start.join(' ')} -> ${m.loadavg_end.join(' ')}; total ${results.details.total_s} s`);
    console.log(`results: ${path.relative(ROOT, resultsFile)}${fullRun ? '' : ` (partial run: ${[...only].join(', ')})`}`);

    if (publicFailures && protectedFailures && publicFailures.non2xx + protectedFailures.non2xx + publicFailures.errors + protectedFailures.errors > 0) {
      console.error('[bench] some end-to-end requests failed (non-2xx or errors): see the table');
      return 1;
    }
    if (revocations && revocations.lateAllows > 0) {
      console.error(`[bench] revocations: ${revocations.lateAllows} requests allowed past the bound; e.g. ${revocations.examples.join('; ')}`);
      return 1;
    }
    if (mixed && mixed.wrongDecisions + mixed.serverErrors > 0) {
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

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

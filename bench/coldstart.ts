/**
 * Cold start: every function bundled as serverless-esbuild bundles it for deploy
 * (serverless.yml custom.esbuild: bundle, minify, no source map, platform node, target node20,
 * `exclude` as esbuild's `external`, metafile; format cjs, esbuild's default for node), then each
 * bundle loaded in fresh node processes, timed to its first answer. The externals (the AWS SDK v3)
 * are found the way the Lambda runtime finds its own copy: through NODE_PATH, here the project's
 * node_modules.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import type { APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import { median } from './measure';

export interface FunctionEntry {
  /** The key under `functions:` in serverless.yml. */
  name: string;
  /** The entry point, relative to the project root, e.g. `authorizers/handler.ts`. */
  entry: string;
  /** The handler's export in the entry, e.g. `handler`. */
  exportName: string;
}

/** Function names and entry points from serverless.yml (`handler: <path>.<export>`). */
export const functionEntries = (root: string): FunctionEntry[] => {
  const lines = readFileSync(path.join(root, 'serverless.yml'), 'utf8').split('\n');
  const entries: FunctionEntry[] = [];
  let inFunctions = false;
  let current: string | undefined;
  for (const line of lines) {
    if (/^\S/.test(line)) {
      inFunctions = /^functions:\s*$/.test(line);
      current = undefined;
      continue;
    }
    if (!inFunctions) continue;
    const name = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line);
    if (name) {
      current = name[1];
      continue;
    }
    const handler = /^ {4}handler:\s*['"]?([^'"\s]+)['"]?\s*$/.exec(line);
    if (handler && current) {
      const dot = handler[1]!.lastIndexOf('.');
      entries.push({ name: current, entry: `${handler[1]!.slice(0, dot)}.ts`, exportName: handler[1]!.slice(dot + 1) });
      current = undefined;
    }
  }
  if (entries.length === 0) throw new Error('No functions found in serverless.yml');
  return entries;
};

/**
 * What serverless-esbuild leaves out of every bundle: `custom.esbuild.exclude` in serverless.yml
 * (it passes the list to esbuild as `external` and packs no node_modules for it). Read from there
 * so that the bench and the bundle test build what `serverless package` builds.
 */
export const esbuildExternals = (root: string): string[] => {
  const lines = readFileSync(path.join(root, 'serverless.yml'), 'utf8').split('\n');
  let section: string | undefined;
  let inEsbuild = false;
  for (const line of lines) {
    if (/^\S/.test(line)) section = line;
    if (section !== 'custom:') continue;
    if (/^ {2}\S/.test(line)) inEsbuild = /^ {2}esbuild:\s*$/.test(line);
    const exclude = inEsbuild ? /^ {4}exclude:\s*\[(.*)\]\s*(#.*)?$/.exec(line) : null;
    if (exclude) {
      return exclude[1]!
        .split(',')
        .map((item) => item.trim().replace(/^['"]|['"]$/g, ''))
        .filter((item) => item !== '');
    }
  }
  throw new Error('serverless.yml has no custom.esbuild.exclude list on one line (exclude: [...])');
};

export interface BundleInfo {
  name: string;
  entry: string;
  exportName: string;
  file: string;
  kb: number;
  metafile: Metafile;
}

/** Builds one function the way serverless-esbuild does for `serverless deploy`. */
export const bundleFunction = async (root: string, outRoot: string, fn: FunctionEntry): Promise<BundleInfo> => {
  const outdir = path.join(outRoot, path.dirname(fn.entry));
  const result = await build({
    absWorkingDir: root,
    entryPoints: [fn.entry],
    outdir,
    bundle: true,
    minify: true,
    sourcemap: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: esbuildExternals(root),
    metafile: true,
    logLevel: 'silent',
  });
  const file = path.join(outdir, `${path.basename(fn.entry, '.ts')}.js`);
  return { name: fn.name, entry: fn.entry, exportName: fn.exportName, file, kb: statSync(file).size / 1024, metafile: result.metafile };
};

export const bundleAll = async (root: string, outRoot: string): Promise<BundleInfo[]> => {
  const bundles: BundleInfo[] = [];
  // One at a time: two cores, and the sizes do not depend on it.
  for (const fn of functionEntries(root)) bundles.push(await bundleFunction(root, outRoot, fn));
  return bundles;
};

/** The package an input file belongs to (`@scope/name`, `name`, or the project's own folder). */
export const packageOf = (input: string): string => {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  if (at === -1) return `(project) ${input.split('/')[0]}`;
  const rest = input.slice(at + marker.length).split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
};

export interface PackageShare {
  name: string;
  /** Bytes the package's files take in the minified output. */
  bytesInOutput: number;
  /** Bytes of the package's source files read by esbuild. */
  inputBytes: number;
  files: number;
}

export const packagesBySize = (metafile: Metafile): PackageShare[] => {
  const byName = new Map<string, PackageShare>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      const share = byName.get(name) ?? { name, bytesInOutput: 0, inputBytes: 0, files: 0 };
      share.bytesInOutput += bytesInOutput;
      share.inputBytes += metafile.inputs[input]?.bytes ?? 0;
      share.files += 1;
      byName.set(name, share);
    }
  }
  return [...byName.values()].sort((a, b) => b.bytesInOutput - a.bytesInOutput);
};

/**
 * Runs in each fresh process (plain CommonJS, no TypeScript): `performance.now()` counts from
 * process start, so `bootMs` is node's own start-up before the first line of user code. The
 * outcome of the first call is printed so that the caller can check it answered as expected.
 */
const DRIVER = `
const { performance } = require('node:perf_hooks');
const watchdog = setTimeout(() => { process.stderr.write('cold-start driver timed out\\n'); process.exit(3); }, 15000);
const bootMs = performance.now();
const mod = require(process.env.BENCH_BUNDLE);
const loadedMs = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
const context = JSON.parse(process.env.BENCH_CONTEXT);
context.getRemainingTimeInMillis = () => 5000;
const outcomeOf = (result) =>
  result && typeof result.isAuthorized === 'boolean' ? (result.isAuthorized ? 'allowed' : 'denied')
  : result && result.statusCode !== undefined ? 'status ' + result.statusCode
  : result && result.reason !== undefined ? 'reason ' + result.reason
  : 'resolved';
const done = (outcome) => {
  const decidedMs = performance.now();
  clearTimeout(watchdog);
  process.stdout.write(JSON.stringify({ bootMs, moduleLoadMs: loadedMs - bootMs, initMs: decidedMs - bootMs, outcome }) + '\\n');
  process.exit(0);
};
Promise.resolve()
  .then(() => mod[process.env.BENCH_EXPORT](event, context))
  .then((result) => done(outcomeOf(result)), (error) => done('threw ' + (error && error.name)));
`;

export interface ColdStartSample {
  bootMs: number;
  moduleLoadMs: number;
  initMs: number;
  processMs: number;
}

/** Children still running, so that an interrupted run can end them (by pid, nothing else). */
const running = new Set<ChildProcess>();

export const killColdStarts = (): void => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};

/** One function's first call: the bundle, its export, the event, and the outcome it must have. */
export interface FirstCall {
  bundle: string;
  exportName: string;
  event: unknown;
  context: Context;
  expected: string;
}

/**
 * Where the bundles find their externals: Lambda puts its own node_modules (with the AWS SDK v3)
 * on NODE_PATH; here the project's node_modules stands in for it.
 */
const RUNTIME_NODE_PATH = path.resolve(__dirname, '..', 'node_modules');

const coldStartOnce = (call: FirstCall, env: Record<string, string>) =>
  new Promise<ColdStartSample>((resolve, reject) => {
    const { bundle, exportName, event, context, expected } = call;
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', DRIVER], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_PATH: RUNTIME_NODE_PATH,
        ...env,
        BENCH_BUNDLE: bundle,
        BENCH_EXPORT: exportName,
        BENCH_EVENT: JSON.stringify(event),
        // JSON leaves out the context's function (getRemainingTimeInMillis).
        BENCH_CONTEXT: JSON.stringify(context),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const killer = setTimeout(() => {
      if (child.pid !== undefined) child.kill('SIGKILL');
    }, 20_000);
    child.on('error', (error) => {
      running.delete(child);
      clearTimeout(killer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      running.delete(child);
      clearTimeout(killer);
      const processMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`cold-start process exited ${code ?? signal}: ${stderr.trim().slice(0, 500)}`));
      try {
        const line = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Omit<ColdStartSample, 'processMs'> & { outcome: string };
        if (line.outcome !== expected) return reject(new Error(`the cold ${exportName} in ${bundle} answered "${line.outcome}", not "${expected}"`));
        resolve({ bootMs: line.bootMs, moduleLoadMs: line.moduleLoadMs, initMs: line.initMs, processMs });
      } catch {
        reject(new Error(`cold-start process printed no result: ${stdout.slice(0, 200)} ${stderr.slice(0, 300)}`));
      }
    });
  });

export interface ColdStartResult {
  samples: ColdStartSample[];
  /** require() of the bundle, median. */
  moduleLoadMs: number;
  /** require() until the first call has answered, median. */
  initMs: number;
  /** node's own start before the bundle, median (not part of initMs). */
  bootMs: number;
}

/** `runs` fresh processes, one after the other; medians. */
const coldStarts = async (call: FirstCall, env: Record<string, string>, runs: number, log: (message: string) => void): Promise<ColdStartResult> => {
  const samples: ColdStartSample[] = [];
  for (let i = 0; i < runs; i += 1) {
    const sample = await coldStartOnce(call, env);
    samples.push(sample);
    log(`cold start ${i + 1}/${runs}: load ${sample.moduleLoadMs.toFixed(1)} ms, first answer at ${sample.initMs.toFixed(1)} ms (node boot ${sample.bootMs.toFixed(1)} ms)`);
  }
  return {
    samples,
    moduleLoadMs: median(samples.map((s) => s.moduleLoadMs)),
    initMs: median(samples.map((s) => s.initMs)),
    bootMs: median(samples.map((s) => s.bootMs)),
  };
};

/**
 * The authorizer: require() + key set hydration + its first decision (incl. the access-record
 * read), which must allow `event`.
 */
export const coldStart = (
  bundle: string,
  env: Record<string, string>,
  event: APIGatewayRequestAuthorizerEventV2,
  context: Context,
  runs: number,
  log: (message: string) => void,
): Promise<ColdStartResult> => coldStarts({ bundle, exportName: 'handler', event, context, expected: 'allowed' }, env, runs, log);

/**
 * A service function's first call that needs no AWS call, so that it runs without a stack:
 * an HTTP service answers a route it does not serve (404, through middy, Powertools' context and
 * the error mapping); the Cognito trigger refuses an event without a `sub`; the Cognito sync
 * ignores an event from another source. What it leaves out is the first AWS call itself
 * (credentials from the environment, signing, the connection).
 */
export const serviceFirstCall = (fn: Pick<BundleInfo, 'name' | 'file' | 'exportName'>, context: Context): FirstCall => {
  const call = (event: unknown, expected: string): FirstCall => ({ bundle: fn.file, exportName: fn.exportName, event, context, expected });
  if (fn.name === 'cognitoTrigger') {
    return call({ version: '1', triggerSource: 'TokenGeneration_Authentication', region: 'us-east-1', userPoolId: 'us-east-1_bench', userName: 'bench', callerContext: { awsSdkVersion: '', clientId: 'bench' }, request: { userAttributes: {} }, response: {} }, 'threw Error');
  }
  if (fn.name === 'cognitoSync') {
    return call({ version: '0', id: 'bench', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.bench', account: '123456789012', time: '2030-01-01T00:00:00Z', region: 'us-east-1', resources: [], detail: { eventSource: 'bench.amazonaws.com' } }, 'reason not_cognito');
  }
  const routeKey = 'GET /bench/cold-start';
  return call(
    {
      version: '2.0',
      routeKey,
      rawPath: '/bench/cold-start',
      rawQueryString: '',
      headers: {},
      isBase64Encoded: false,
      requestContext: {
        accountId: '123456789012',
        apiId: 'b3nch0api1',
        domainName: 'b3nch0api1.execute-api.us-east-1.amazonaws.com',
        domainPrefix: 'b3nch0api1',
        http: { method: 'GET', path: '/bench/cold-start', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
        requestId: 'bench-cold-start',
        routeKey,
        stage: '$default',
        time: '01/Jan/2030:00:00:00 +0000',
        timeEpoch: 1_893_456_000_000,
      },
    },
    'status 404',
  );
};

/** A service function: require() until its first answer to `serviceFirstCall`. */
export const serviceColdStart = (
  fn: Pick<BundleInfo, 'name' | 'file' | 'exportName'>,
  env: Record<string, string>,
  context: Context,
  runs: number,
  log: (message: string) => void,
): Promise<ColdStartResult> => coldStarts(serviceFirstCall(fn, context), env, runs, log);

/**
 * Cold start: every function bundled as serverless-esbuild bundles it for deploy
 * (serverless.yml custom.esbuild: bundle, minify, no source map, platform node, target node20,
 * nothing external, metafile; format cjs, esbuild's default for node), then the authorizer's
 * bundle loaded in fresh node processes, timed to its first decision.
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
      const file = handler[1]!.slice(0, handler[1]!.lastIndexOf('.'));
      entries.push({ name: current, entry: `${file}.ts` });
      current = undefined;
    }
  }
  if (entries.length === 0) throw new Error('No functions found in serverless.yml');
  return entries;
};

export interface BundleInfo {
  name: string;
  entry: string;
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
    external: [],
    metafile: true,
    logLevel: 'silent',
  });
  const file = path.join(outdir, `${path.basename(fn.entry, '.ts')}.js`);
  return { name: fn.name, entry: fn.entry, file, kb: statSync(file).size / 1024, metafile: result.metafile };
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
 * process start, so `bootMs` is node's own start-up before the first line of user code.
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
mod.handler(event, context).then((result) => {
  const decidedMs = performance.now();
  clearTimeout(watchdog);
  process.stdout.write(JSON.stringify({
    bootMs,
    moduleLoadMs: loadedMs - bootMs,
    initMs: decidedMs - bootMs,
    authorized: Boolean(result && result.isAuthorized === true),
  }) + '\\n');
  process.exit(0);
}, (error) => {
  process.stderr.write('first call failed: ' + (error && error.name) + '\\n');
  process.exit(1);
});
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

const coldStartOnce = (bundle: string, env: Record<string, string>, event: APIGatewayRequestAuthorizerEventV2, context: Context) =>
  new Promise<ColdStartSample>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', DRIVER], {
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        BENCH_BUNDLE: bundle,
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
        const line = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Omit<ColdStartSample, 'processMs'> & { authorized: boolean };
        if (!line.authorized) return reject(new Error('the cold authorizer did not allow the manager token'));
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
  /** require() + key set hydration + first decision (incl. the access-record read), median. */
  initMs: number;
  /** node's own start before the bundle, median (not part of initMs). */
  bootMs: number;
}

/** `runs` fresh processes, one after the other; medians. */
export const coldStart = async (
  bundle: string,
  env: Record<string, string>,
  event: APIGatewayRequestAuthorizerEventV2,
  context: Context,
  runs: number,
  log: (message: string) => void,
): Promise<ColdStartResult> => {
  const samples: ColdStartSample[] = [];
  for (let i = 0; i < runs; i += 1) {
    const sample = await coldStartOnce(bundle, env, event, context);
    samples.push(sample);
    log(`cold start ${i + 1}/${runs}: load ${sample.moduleLoadMs.toFixed(1)} ms, first decision at ${sample.initMs.toFixed(1)} ms (node boot ${sample.bootMs.toFixed(1)} ms)`);
  }
  return {
    samples,
    moduleLoadMs: median(samples.map((s) => s.moduleLoadMs)),
    initMs: median(samples.map((s) => s.initMs)),
    bootMs: median(samples.map((s) => s.bootMs)),
  };
};

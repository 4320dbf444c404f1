/**
 * A second serverless-offline for the bench, next to the private stack's gateway and sharing its
 * Cognito and DynamoDB: the same serverless.yml, with one change, the authorizer function's
 * handler is bench/noop-authorizer.ts. `protected_vs_noop_authorizer_e2e` compares the same
 * route and service behind both, which isolates our authorizer's cost from the emulator's (a
 * second Lambda invocation per request, in serverless-offline's own way).
 *
 * The configuration is written next to serverless.yml (osls resolves handlers and plugins
 * against the service folder, and refuses a --config elsewhere) as `serverless.bench-<name>.yml`,
 * git-ignored, and removed when the gateway stops. With `keepAuthorizer`, the second gateway
 * keeps our authorizer: a twin of the stack's own, to tell the gateway process apart from the
 * authorizer when the two differ.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, type LocalStack } from '../scripts/local/stack';
import { LOCAL_STAGE } from '../scripts/local/settings';

const ROOT = path.resolve(__dirname, '..');
const AUTHORIZER_HANDLER = /^(\s+handler:\s*)authorizers\/handler\.handler\s*$/m;

export interface NoopGateway {
  url: string;
  stop(): Promise<void>;
}

export const startNoopGateway = async (stack: LocalStack, context: Record<string, unknown>, stateDir: string, options: { keepAuthorizer?: boolean; name?: string } = {}): Promise<NoopGateway> => {
  const name = options.name ?? 'noop';
  const CONFIG = `serverless.bench-${name}.yml`;
  const source = readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8');
  if (!AUTHORIZER_HANDLER.test(source)) throw new Error('serverless.yml: the authorizer handler line was not found');
  const ENVIRONMENT = /^ {2}environment:\n/m;
  if (!ENVIRONMENT.test(source)) throw new Error('serverless.yml: provider.environment was not found');
  // serverless-offline hands a function only its configured environment (and AWS_*): the role
  // context goes in the configuration, as YAML's single-quoted JSON.
  const json = JSON.stringify(context).replace(/'/g, "''");
  writeFileSync(
    path.join(ROOT, CONFIG),
    (options.keepAuthorizer ? source : source.replace(AUTHORIZER_HANDLER, '$1bench/noop-authorizer.handler')).replace(
      ENVIRONMENT,
      `  environment:\n    BENCH_NOOP_CONTEXT: '${json}'\n`,
    ),
  );
  mkdirSync(path.join(stateDir, 'logs'), { recursive: true });
  const logFd = openSync(path.join(stateDir, 'logs', `${name}-gateway.log`), 'a');
  const port = await freePort();
  const lambdaPort = await freePort();
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--config', CONFIG, '--stage', LOCAL_STAGE, '--host', '127.0.0.1'],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: {
        ...process.env,
        ...stack.gatewayEnv,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        GATEWAY_PORT: String(port),
        LAMBDA_PORT: String(lambdaPort),
        LOCAL_ESBUILD_DIR: path.relative(ROOT, path.join(stateDir, `esbuild-${name}`)),
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(path.join(ROOT, CONFIG), { force: true });
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).status === 200) return { url, stop };
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the no-op gateway did not start (exit ${child.exitCode})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
};

/**
 * `npm run test:integration`: starts a private local stack (free ports, its own state folder,
 * in-memory DynamoDB, so it never collides with a running `npm start`), runs jest's `integration`
 * project (tests/integration/*.test.ts and tests/security/*.test.ts) against it over HTTP, and
 * stops it again, pass or fail. Arguments go to jest as they are: files (or path patterns), or
 * `-t 'test name'`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { privateStackSettings, startLocalStack, type LocalStack } from '../../scripts/local/stack';
import { TEST_CORS_ORIGIN, type StackInfo } from '../support/client';

const ROOT = path.resolve(__dirname, '..', '..');

const main = async (): Promise<number> => {
  const stateDir = path.join(ROOT, '.local', 'test-runs', String(process.pid));
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const settings = await privateStackSettings(stateDir, false);
  // One allowed CORS origin (serverless.yml's corsAllowedOrigins on stage local), for the
  // browser-session tests of CORS: allowed for it, for no other.
  process.env.LOCAL_CORS_ALLOWED_ORIGINS ??= TEST_CORS_ORIGIN;

  const started = Date.now();
  let stack: LocalStack | undefined;
  let code = 1;
  const stop = async () => {
    await stack?.stop();
    stack = undefined;
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  process.on('SIGTERM', () => void stop().then(() => process.exit(143)));
  try {
    stack = await startLocalStack(settings, { output: 'files', log: (m) => console.log(`[stack] ${m}`) });
    console.log(`[stack] up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${stack.gatewayUrl}`);
    const info: StackInfo = {
      gatewayUrl: stack.gatewayUrl,
      cognitoUrl: stack.cognitoUrl,
      dynamodbUrl: stack.dynamodbUrl,
      userPoolId: stack.userPoolId,
      clientId: stack.clientId,
      issuer: stack.issuer,
      tokenUrl: stack.tokenUrl,
      machineClients: stack.machineClients,
      users: settings.users,
      lambdaUrl: stack.lambdaUrl,
      processIds: stack.processIds(),
    };
    code = await new Promise<number>((resolve) => {
      // In band: every suite talks to this one stack, and the stack needs the machine's cores.
      const jest = require.resolve('jest/bin/jest');
      const child = spawn(process.execPath, [jest, '--selectProjects', 'integration', '--runInBand', ...process.argv.slice(2)], {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, TEST_STACK: JSON.stringify(info), TEST_STATE_DIR: stateDir },
      });
      child.on('exit', (exitCode) => resolve(exitCode ?? 1));
    });
  } catch (error) {
    console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await stop();
  }
  if (code !== 0) {
    for (const log of ['gateway', 'cognito', 'dynamodb']) {
      try {
        const text = readFileSync(path.join(stateDir, 'logs', `${log}.log`), 'utf8');
        console.error(`\n----- last lines of ${log}.log -----\n${text.split('\n').slice(-40).join('\n')}`);
      } catch {
        /* no log */
      }
    }
  } else {
    rmSync(stateDir, { recursive: true, force: true });
  }
  return code;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

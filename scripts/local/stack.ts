/**
 * The local stack: cognito-local, dynalite and serverless-offline as child processes, each in
 * its own process group so that stopping the stack stops everything they started. cognito-local
 * and dynalite run through our launchers (scripts/local/cognito.ts, dynalite.ts); the
 * client-credentials token endpoint and the Lambda port's guard run in this process. Every part
 * listens on 127.0.0.1 only and refuses browser requests (scripts/local/local-only.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { claimSocketPath, lambdaSocketPath, startLambdaGuard, type LambdaGuard } from './lambda-guard';
import { machineClientsEnv, provisionData, provisionIdentity, type ProvisionedMachineClient } from './provision';
import { cognitoClientLookup, startClientCredentialsEndpoint, type ClientCredentialsEndpoint } from './client-credentials';
import { COGNITO_TRIGGER_FUNCTIONS, defaultUsers, LOCAL_STAGE, REGION, type StackSettings } from './settings';

const ROOT = path.resolve(__dirname, '..', '..');
const bin = (...parts: string[]) => path.join(ROOT, 'node_modules', ...parts);
/** One of our launchers (TypeScript, run through tsx whatever the working folder). */
const launcher = (file: string) => [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, path.join(__dirname, file)];

export interface LocalStack {
  settings: StackSettings;
  gatewayUrl: string;
  cognitoUrl: string;
  dynamodbUrl: string;
  /** The Lambda invoke API (the guard in front of serverless-offline's). */
  lambdaUrl: string;
  userPoolId: string;
  clientId: string;
  issuer: string;
  /** Where machine clients get client-credentials tokens (the local stand-in for Cognito's). */
  tokenUrl: string;
  /** The machine clients, with their secrets (local only). */
  machineClients: ProvisionedMachineClient[];
  /** The environment the gateway's functions run with. */
  gatewayEnv: Record<string, string>;
  /** This process and each running part's process (group leader), for checks of what they listen on. */
  processIds(): number[];
  /** Stop one part (fault tests) or everything. */
  stopPart(part: 'gateway' | 'cognito' | 'dynamodb'): Promise<void>;
  startPart(part: 'cognito' | 'dynamodb'): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where each part's output goes: the terminal (`npm start`) or log files (tests). */
  output: 'inherit' | 'files';
  log?: (message: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free TCP port on the loopback interface, as the OS hands it out. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

/**
 * Settings for a private stack (tests, bench, fault tests): free ports, the given state folder,
 * the default users. It never collides with a running `npm start`.
 */
export const privateStackSettings = async (stateDir: string, persist: boolean): Promise<StackSettings> => ({
  host: '127.0.0.1',
  gatewayPort: await freePort(),
  lambdaPort: await freePort(),
  cognitoPort: await freePort(),
  dynamodbPort: await freePort(),
  tokenPort: await freePort(),
  stateDir,
  persist,
  users: defaultUsers({}),
});

const portOpen = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const waitFor = async (what: string, check: () => Promise<boolean>, child: ChildProcess, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start (code ${child.exitCode ?? child.signalCode})`);
    if (await check()) return;
    await sleep(150);
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
};

const assertPortFree = async (host: string, port: number, what: string) => {
  if (await portOpen(host, port)) throw new Error(`Port ${port} (${what}) is already in use. Set another port (see README) or stop what uses it.`);
};

class Part {
  child?: ChildProcess;

  constructor(
    readonly name: string,
    private readonly command: string[],
    private readonly options: { cwd: string; env: NodeJS.ProcessEnv; output: 'inherit' | 'files'; logFile: string },
  ) {}

  start(): ChildProcess {
    const [file, ...args] = this.command;
    // Log files are handed to the child as its stdout and stderr: its lines go straight to the
    // file, not through a pipe into this process (which, in the tests and the bench, is also
    // the one making the requests: relaying every line took about a fifth of the gateway's
    // throughput in the bench, protected vs no-op 0.68 -> 0.83 in one run each).
    const logFd = this.options.output === 'files' ? openSync(this.options.logFile, 'a') : undefined;
    try {
      const child = spawn(file!, args, {
        cwd: this.options.cwd,
        env: this.options.env,
        detached: true, // own process group: killing it reaches grandchildren too
        stdio: logFd === undefined ? ['ignore', 'inherit', 'inherit'] : ['ignore', logFd, logFd],
      });
      this.child = child;
      return child;
    } finally {
      if (logFd !== undefined) closeSync(logFd);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    signal('SIGTERM');
    // A grace period that does not keep the process alive once the part has exited.
    let grace: NodeJS.Timeout | undefined;
    const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => (grace = setTimeout(() => resolve(false), 5000)))]);
    clearTimeout(grace);
    if (!killed) {
      signal('SIGKILL');
      await exited;
    }
    // The group may outlive its leader for a moment: make sure nothing of it is left.
    signal('SIGKILL');
  }
}

/** Where a state folder keeps its API key MAC key ring (`API_KEY_MAC_KEYS`). */
export const API_KEY_MAC_KEYS_FILE = 'api-key-mac-keys';

/**
 * The local API key MAC key ring: random, made once per state folder and kept there, so keys
 * created before an `npm start` restart still verify after it (`npm run reset` wipes both the
 * keys and the ring). Prepend a version to the file to try a rotation locally.
 */
export const localApiKeyMacKeys = (stateDir: string): string => {
  const file = path.join(stateDir, API_KEY_MAC_KEYS_FILE);
  try {
    writeFileSync(file, `local1:${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
};

/** A random key made once per state folder and kept there (mode 0600), so a restart keeps it. */
const keptKey = (stateDir: string, name: string): string => {
  const file = path.join(stateDir, name);
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
};

/** Where a state folder keeps the key that seals the secrets kept at rest (`SECRETS_LOCAL_KEY`). */
export const SECRETS_KEY_FILE = 'secrets-key';

/**
 * The local stand-in for the secret vault's KMS key (lib/secrets/vault.ts), so browser sessions
 * and the authenticator secrets kept for MFA still open after an `npm start` restart;
 * `npm run reset` wipes both.
 */
export const localSecretsKey = (stateDir: string): string => keptKey(stateDir, SECRETS_KEY_FILE);

/** Where the local Cognito's messages go, one JSON line each: `mailbox.jsonl` in the state folder. */
export const mailboxFile = (stateDir: string): string => path.join(stateDir, 'mailbox.jsonl');

export const startLocalStack = async (settings: StackSettings, options: StartOptions): Promise<LocalStack> => {
  const log = options.log ?? (() => undefined);
  const { host } = settings;
  mkdirSync(path.join(settings.stateDir, 'cognito'), { recursive: true });
  mkdirSync(path.join(settings.stateDir, 'logs'), { recursive: true });

  await assertPortFree(host, settings.cognitoPort, 'cognito-local');
  await assertPortFree(host, settings.dynamodbPort, 'dynalite');
  await assertPortFree(host, settings.gatewayPort, 'gateway');
  await assertPortFree(host, settings.lambdaPort, 'gateway Lambda port');
  await assertPortFree(host, settings.tokenPort, 'client-credentials token endpoint');

  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: REGION,
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
  };
  // Never let a caller-supplied override reach serverless-offline (it would skip the authorizer).
  delete baseEnv.AUTHORIZER;
  const logFile = (name: string) => path.join(settings.stateDir, 'logs', `${name}.log`);

  const cognitoUrl = `http://${host}:${settings.cognitoPort}`;
  const dynamodbUrl = `http://${host}:${settings.dynamodbPort}`;
  const gatewayUrl = `http://${host}:${settings.gatewayPort}`;
  const lambdaUrl = `http://${host}:${settings.lambdaPort}`;
  // serverless-offline's own Lambda port answers any origin: it listens on a Unix socket that
  // only the guard on the Lambda port forwards to (scripts/local/lambda-guard.ts).
  const lambdaSocket = lambdaSocketPath(settings.stateDir);
  await claimSocketPath(lambdaSocket.socketPath);

  const parts = {
    cognito: new Part('cognito-local', launcher('cognito.ts'), {
      cwd: path.join(settings.stateDir, 'cognito'),
      env: {
        ...baseEnv,
        PORT: String(settings.cognitoPort),
        HOST: host,
        COGNITO_LAMBDA_ENDPOINT: lambdaUrl,
        COGNITO_TRIGGER_FUNCTIONS: JSON.stringify(COGNITO_TRIGGER_FUNCTIONS),
        // Every message Cognito would send (scripts/local/cognito.ts; `npm run mailbox`).
        COGNITO_MAILBOX_FILE: mailboxFile(settings.stateDir),
      },
      output: options.output,
      logFile: logFile('cognito'),
    }),
    dynamodb: new Part(
      'dynalite',
      [
        ...launcher('dynalite.ts'),
        '--host',
        host,
        '--port',
        String(settings.dynamodbPort),
        '--createTableMs',
        '0',
        '--deleteTableMs',
        '0',
        '--updateTableMs',
        '0',
        ...(settings.persist ? ['--path', path.join(settings.stateDir, 'dynamodb')] : []),
      ],
      { cwd: settings.stateDir, env: baseEnv, output: options.output, logFile: logFile('dynamodb') },
    ),
  };
  let gateway: Part | undefined;
  let tokenEndpoint: ClientCredentialsEndpoint | undefined;
  let lambdaGuard: LambdaGuard | undefined;

  const stopAll = async () => {
    await Promise.all([gateway?.stop(), tokenEndpoint?.close(), lambdaGuard?.close(), parts.cognito.stop(), parts.dynamodb.stop()]);
    lambdaSocket.release();
  };

  const startPart = async (part: 'cognito' | 'dynamodb') => {
    const port = part === 'cognito' ? settings.cognitoPort : settings.dynamodbPort;
    const child = parts[part].start();
    await waitFor(parts[part].name, () => portOpen(host, port), child, 20_000);
  };

  try {
    log('starting cognito-local and dynalite');
    await Promise.all([startPart('cognito'), startPart('dynamodb')]);

    log('creating user pool, users, tables and sample data');
    const identity = await provisionIdentity(cognitoUrl, LOCAL_STAGE, settings.users);
    await provisionData(dynamodbUrl, LOCAL_STAGE, settings.users, identity.subs);

    const issuer = `${cognitoUrl}/${identity.userPoolId}`;
    tokenEndpoint = await startClientCredentialsEndpoint({
      issuer,
      lookupClient: cognitoClientLookup(cognitoUrl, identity.userPoolId),
      host,
      port: settings.tokenPort,
    });
    const gatewayEnv: Record<string, string> = {
      LOCAL_COGNITO_USER_POOL_ID: identity.userPoolId,
      LOCAL_COGNITO_CLIENT_ID: identity.clientId,
      LOCAL_MACHINE_CLIENTS: machineClientsEnv(identity.machineClients),
      LOCAL_COGNITO_ISSUER: issuer,
      LOCAL_COGNITO_ENDPOINT: cognitoUrl,
      LOCAL_DYNAMODB_ENDPOINT: dynamodbUrl,
      LOCAL_API_KEY_MAC_KEYS: localApiKeyMacKeys(settings.stateDir),
      LOCAL_SECRETS_KEY: localSecretsKey(settings.stateDir),
      LOCAL_AUTHORIZER_UNAUTHENTICATED_RESPONSE: 'error',
      LOCAL_METRICS_DISABLED: 'true',
      LOCAL_MFA_REQUIRED_ROLES: settings.mfaRequiredRoles ?? 'none',
      // The OpenAPI document's client-credentials token URL (functions/docs).
      LOCAL_TOKEN_URL: tokenEndpoint.tokenUrl,
      LOCAL_ESBUILD_DIR: path.relative(ROOT, path.join(settings.stateDir, 'esbuild')),
      GATEWAY_PORT: String(settings.gatewayPort),
      // serverless.yml's `lambdaPort`: hapi takes a value with a `/` as a Unix socket path.
      LAMBDA_PORT: lambdaSocket.socketPath,
    };

    lambdaGuard = await startLambdaGuard({
      host,
      port: settings.lambdaPort,
      socketPath: lambdaSocket.socketPath,
      onRefusal: (reason, req) => log(`Lambda port refused ${req.method} ${req.url}: ${reason}`),
    });

    log('starting serverless-offline');
    gateway = new Part(
      'serverless-offline',
      // Repeated Authorization lines joined and CORS for the configured origins only, as API
      // Gateway does both (api-gateway-emulation.cjs).
      [process.execPath, '--require', path.join(__dirname, 'api-gateway-emulation.cjs'), bin('serverless', 'bin', 'serverless.js'), 'offline', 'start', '--stage', LOCAL_STAGE, '--host', host],
      { cwd: ROOT, env: { ...baseEnv, ...gatewayEnv }, output: options.output, logFile: logFile('gateway') },
    );
    const child = gateway.start();
    await waitFor(
      'serverless-offline',
      async () => {
        try {
          return (await fetch(`${gatewayUrl}/health`, { signal: AbortSignal.timeout(2000) })).status === 200;
        } catch {
          return false;
        }
      },
      child,
      120_000,
    );

    return {
      settings,
      gatewayUrl,
      cognitoUrl,
      dynamodbUrl,
      lambdaUrl,
      userPoolId: identity.userPoolId,
      clientId: identity.clientId,
      issuer,
      tokenUrl: tokenEndpoint.tokenUrl,
      machineClients: identity.machineClients,
      gatewayEnv,
      processIds: () =>
        [process.pid, ...[gateway, parts.cognito, parts.dynamodb].map((part) => part?.child?.pid)].filter((pid): pid is number => pid !== undefined),
      stopPart: async (part) => (part === 'gateway' ? gateway?.stop() : parts[part].stop()),
      startPart,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};

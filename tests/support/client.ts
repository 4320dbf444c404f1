/**
 * A bearer-token HTTP client for the integration tests: it talks to the local stack that
 * tests/integration/run.ts started, exactly as any client would.
 */
import { randomUUID } from 'node:crypto';
import type { SeedUser } from '../../scripts/local/settings';
import type { LocalStack } from '../../scripts/local/stack';

/** What tests/integration/run.ts hands the test files about the stack it started. */
export type StackInfo = Pick<
  LocalStack,
  'gatewayUrl' | 'cognitoUrl' | 'dynamodbUrl' | 'userPoolId' | 'clientId' | 'issuer' | 'tokenUrl' | 'machineClients'
> & {
  users: SeedUser[];
  /** The Lambda invoke API (what cognito-local calls for triggers): the guard in front of serverless-offline's. */
  lambdaUrl: string;
  /** The stack's processes (the runner and each part), for checks of what they listen on. */
  processIds: number[];
};

/**
 * The one origin the test stack allows CORS with credentials (tests/integration/run.ts sets
 * LOCAL_CORS_ALLOWED_ORIGINS to it): a shop front end on another origin.
 */
export const TEST_CORS_ORIGIN = 'https://shop.example.com';

export const stack = (): StackInfo => {
  const raw = process.env.TEST_STACK;
  if (!raw) throw new Error('TEST_STACK is not set: run the integration tests with `npm run test:integration`');
  return JSON.parse(raw) as StackInfo;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON answer of any shape, read by the tests' assertions
export interface Answer<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is, not JSON-encoded. */
  rawBody?: string;
  headers?: Record<string, string>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Answer: the body's shape is what the test asserts
export const call = async <T = any>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> => {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${stack().gatewayUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed as T, text, headers: response.headers };
};

export interface Session {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  user: SeedUser;
}

export type Who = 'admin' | 'manager' | 'customer';

export const user = (who: Who): SeedUser => {
  const role = who === 'manager' ? 'branch-manager' : who;
  const found = stack().users.find((u) => u.roles.includes(role));
  if (!found) throw new Error(`No seeded ${who}`);
  return found;
};

export const login = async (who: Who): Promise<Session> => {
  const seeded = user(who);
  const answer = await call('POST', '/auth/login', { body: { username: seeded.username, password: seeded.password } });
  if (answer.status !== 200) throw new Error(`login as ${who} answered ${answer.status}: ${answer.text}`);
  return { ...answer.body, user: seeded };
};

/** Nothing a client sees may reveal internals. */
export const assertNoInternals = (answer: Answer): void => {
  const text = answer.text;
  for (const leak of ['stack', 'at async', 'node_modules', 'Exception', 'TypeError', 'ReferenceError', '/var/task', 'eyJ']) {
    if (text.includes(leak)) throw new Error(`answer leaks "${leak}": ${text.slice(0, 300)}`);
  }
};

/** Create a user of our own in the running stack, so a test can disable or demote it safely. */
export const createUser = async (seed: { username: string; password: string; roles: SeedUser['roles']; branches: string[] }): Promise<SeedUser> => {
  const { provisionIdentity, provisionData } = await import('../../scripts/local/provision');
  const { LOCAL_STAGE } = await import('../../scripts/local/settings');
  const user: SeedUser = { ...seed, email: seed.username };
  const identity = await provisionIdentity(stack().cognitoUrl, LOCAL_STAGE, [user]);
  await provisionData(stack().dynamodbUrl, LOCAL_STAGE, [user], identity.subs);
  return user;
};

export const loginAs = async (seeded: { username: string; password: string }) =>
  call('POST', '/auth/login', { body: { username: seeded.username, password: seeded.password } });

/** The gateway's log lines (JSON ones only), for audit-trail assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- log lines of any shape, read by the tests' assertions
export const gatewayLog = async (): Promise<Record<string, any>[]> => {
  const { readFileSync } = await import('node:fs');
  const path = await import('node:path');
  const dir = process.env.TEST_STATE_DIR;
  if (!dir) return [];
  return readFileSync(path.join(dir, 'logs', 'gateway.log'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
};

/** Poll until `check` holds (log lines reach the file asynchronously), at most `timeoutMs`. */
export const eventually = async (check: () => Promise<boolean>, timeoutMs = 3000): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** Cognito's API itself (cognito-local), as a client that bypasses the gateway would call it. */
export const cognito = async () => {
  const { CognitoIdentityProviderClient } = await import('@aws-sdk/client-cognito-identity-provider');
  return new CognitoIdentityProviderClient({
    endpoint: stack().cognitoUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
};

/** Invoke one of the gateway's functions directly, as EventBridge or Cognito would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the function's JSON answer, read by the tests' assertions
export const invokeFunction = async (name: string, event: unknown): Promise<{ status: number; payload: any }> => {
  const response = await fetch(`${stack().lambdaUrl}/2015-03-31/functions/serverless-api-gateway-local-${name}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let payload: unknown;
  try {
    payload = text ? JSON.parse(text) : undefined;
  } catch {
    payload = text;
  }
  return { status: response.status, payload };
};

/** A user of its own for one test (random name, default password), so it can be changed safely. */
export const freshUser = (prefix: string, roles: SeedUser['roles'], branches: string[] = []) =>
  createUser({ username: `${prefix}-${randomUUID().slice(0, 8)}@example.com`, password: 'Test-Passw0rd!-x', roles, branches });

/** Sign in over HTTP; the tokens, or an error naming the answer. */
export const tokensOf = async (user: { username: string; password: string }) => {
  const answer = await loginAs(user);
  if (answer.status !== 200) throw new Error(`login answered ${answer.status}: ${answer.text}`);
  return answer.body as { accessToken: string; refreshToken: string };
};

/** The status of one call with a bearer credential. */
export const statusOf = async (method: string, path: string, token: string, body?: unknown) =>
  (await call(method, path, { token, ...(body === undefined ? {} : { body }) })).status;

/**
 * The revocation bound the local stack runs with (serverless.yml `params.default.
 * revocationMaxStalenessMs`, the authorizers' REVOCATION_MAX_STALENESS_MS): a change made through
 * the gateway (logout, sign out everywhere, disable, role change, key revoke, the Cognito trigger
 * and sync) reaches every warm authorizer within this long after the call that made it answered.
 */
export const REVOCATION_BOUND_MS = 1000;
/**
 * What the tests allow past the bound: serverless-offline may run several authorizer instances
 * (one more for every request that arrives while the others are busy), each polling the change
 * log on its own schedule; the bound counts from the moment the revoking call's writer returned,
 * and our clock starts when its answer reached us; and the machine is shared, so timers and
 * requests run late. Half the bound again covers those without hiding a missed bound.
 */
export const REVOCATION_MARGIN_MS = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Poll `check` every ~50 ms, from now, until it holds; fail (naming `what`) unless it holds
 * within the revocation bound plus the margin. Call it right after the call that made the change.
 * It says nothing about later requests: assert those after it (the change must stay in force).
 */
export const withinRevocationBound = async (check: () => Promise<boolean>, what = 'the change'): Promise<void> => {
  const started = Date.now();
  const deadline = started + REVOCATION_BOUND_MS + REVOCATION_MARGIN_MS;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) {
      throw new Error(`${what}: did not hold within the revocation bound (${REVOCATION_BOUND_MS} ms + ${REVOCATION_MARGIN_MS} ms margin; polled ${Date.now() - started} ms)`);
    }
    await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
  }
};

/**
 * Wait until every authorizer must have seen every change made before this call: the bound
 * plus the margin. For checks that something still passes after a change (an allow can only be
 * proven once a stale view could no longer explain it) and for "stays refused after a later
 * event" sequences.
 */
export const afterRevocationBound = (): Promise<void> => sleep(REVOCATION_BOUND_MS + REVOCATION_MARGIN_MS);

/**
 * `method path` with `token` answers `status` within the revocation bound. Until then only the
 * answer it had before the change (`before`, 200 by default) may come back: anything else fails
 * at once.
 */
export const refusedWithinBound = (
  method: string,
  path: string,
  token: string,
  status: 401 | 403,
  options: { body?: unknown; before?: number } = {},
): Promise<void> =>
  withinRevocationBound(async () => {
    const seen = await statusOf(method, path, token, options.body);
    if (seen !== status && seen !== (options.before ?? 200)) throw new Error(`${method} ${path} answered ${seen}, expected ${options.before ?? 200} until it answers ${status}`);
    return seen === status;
  }, `${method} ${path} answering ${status}`);

/**
 * The newest message the local Cognito sent to `destination` after `since` (epoch ms), from the
 * stack's mailbox (`mailbox.jsonl` in its state folder, scripts/local/cognito.ts): what a person
 * reads with `npm run mailbox`. Waits for it up to `timeoutMs`.
 */
export const mailFor = async (destination: string, since: number, timeoutMs = 5000): Promise<{ code?: string; username: string; subject?: string; message?: string }> => {
  const { existsSync, readFileSync } = await import('node:fs');
  const path = await import('node:path');
  const dir = process.env.TEST_STATE_DIR;
  if (!dir) throw new Error('TEST_STATE_DIR is not set: run the integration tests with `npm run test:integration`');
  const file = path.join(dir, 'mailbox.jsonl');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [])
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { at: string; destination: string; username: string; code?: string; subject?: string; message?: string })
      .filter((entry) => entry.destination === destination && Date.parse(entry.at) >= since - 1000)
      .at(-1);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no message to ${destination} in ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

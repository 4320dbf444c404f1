/**
 * A bearer-token HTTP client for the integration tests: it talks to the local stack that
 * tests/integration/run.ts started, exactly as any client would.
 */
import type { SeedUser } from '../../scripts/local/settings';

export interface StackInfo {
  gatewayUrl: string;
  cognitoUrl: string;
  dynamodbUrl: string;
  userPoolId: string;
  clientId: string;
  issuer: string;
  users: SeedUser[];
}

export const stack = (): StackInfo => {
  const raw = process.env.TEST_STACK;
  if (!raw) throw new Error('TEST_STACK is not set: run the integration tests with `npm run test:integration`');
  return JSON.parse(raw) as StackInfo;
};

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
  let parsed: unknown = undefined;
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
  const found = stack().users.find((u) => u.roles.includes(role as SeedUser['roles'][number]));
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

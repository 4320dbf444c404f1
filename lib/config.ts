/**
 * Configuration is read here and nowhere else, once per cold start. Every function reads the
 * section it needs; a required variable that is missing fails at start-up with its name in the
 * message. The same code runs on AWS and locally: only these values differ, and what only the
 * local stack may set (plain-http endpoints, the `error` authorizer mode) is refused elsewhere
 * (`runsLocally`).
 *
 * Values come from the `env` argument (tests pass their own) or `process.env`; an unset or
 * empty variable takes the documented default.
 */
import { API_KEY_VERSION, MIN_MAC_KEY_BYTES, type ApiKeyMacKey } from './access/api-keys';
import type { ChangeLogConfig } from './access/change-log';
import { ConfigurationError } from './errors';
import { isRole, ROLES, type Role } from './policy/route-policy';

type Env = Record<string, string | undefined>;

const value = (env: Env, name: string): string | undefined => {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
};

const required = (env: Env, name: string): string => {
  const found = value(env, name);
  if (found === undefined) throw new ConfigurationError(`Missing required environment variable ${name}`);
  return found;
};

const integer = (env: Env, name: string, fallback: number, min: number, max: number): number => {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigurationError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return parsed;
};

/** `{ [key]: n }` when `name` is set (checked as `integer`), else `{}`: the default lives with its module. */
const optionalInteger = <K extends string>(env: Env, key: K, name: string, min: number, max: number): { [P in K]?: number } =>
  value(env, name) === undefined ? {} : ({ [key]: integer(env, name, min, min, max) } as { [P in K]?: number });

/**
 * Whether this function runs in the local stack (`npm start`, the tests' private stacks): only
 * there may its endpoints be plain http (the emulators) and its authorizer fail invocations
 * (`error`, serverless-offline's 401). serverless.yml sets `GATEWAY_LOCAL_STACK=true` on stage
 * `local` only, and no LOCAL_* variable reaches any other stage.
 *
 * On AWS Lambda the flag is refused: Lambda itself sets `AWS_EXECUTION_ENV`
 * (`AWS_Lambda_nodejs22.x`) and `AWS_LAMBDA_RUNTIME_API`, reserved names no function
 * configuration can set or clear, so even stage `local` deployed by mistake keeps the checks.
 */
export const runsLocally = (env: Env = process.env): boolean => {
  const flag = value(env, 'GATEWAY_LOCAL_STACK') ?? 'false';
  if (flag !== 'true' && flag !== 'false') throw new ConfigurationError(`GATEWAY_LOCAL_STACK must be "true" or "false", got "${flag}"`);
  if (flag === 'false') return false;
  const onLambda = (value(env, 'AWS_EXECUTION_ENV') ?? '').startsWith('AWS_Lambda_') || value(env, 'AWS_LAMBDA_RUNTIME_API') !== undefined;
  if (onLambda) throw new ConfigurationError('GATEWAY_LOCAL_STACK is "true" on AWS Lambda: stage `local` is the local stack, deploy another stage');
  return true;
};

/** An http(s) URL without trailing slashes; outside the local stack (`local` false) https only. */
const url = (env: Env, name: string, local: boolean): string | undefined => {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let protocol: string;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    protocol = 'invalid';
  }
  if (protocol !== 'https:' && protocol !== 'http:') throw new ConfigurationError(`${name} must be an http(s) URL, got "${raw}"`);
  if (protocol === 'http:' && !local) {
    throw new ConfigurationError(`${name} must be an https URL outside the local stack (GATEWAY_LOCAL_STACK), got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
};

export interface IdentityConfig {
  region: string;
  userPoolId: string;
  /** The app client whose access tokens the gateway accepts (and that logs users in). */
  clientId: string;
  /** `iss` claim the tokens must carry. On AWS derived from region and pool id. */
  issuer: string;
  jwksUri: string;
  /** Only set locally: where the Cognito API (cognito-local) listens. */
  cognitoEndpoint?: string;
  /** Upper bound for fetching the key set, in ms. */
  jwksTimeoutMs: number;
  /**
   * Key set refresh bounds (`authorizers/adapters/jwks-cache.ts`). Each is present only when its variable is set;
   * unset, that module's default applies (in parentheses).
   * - `JWKS_MIN_REFETCH_MS` (5000; 1000..300000): a token with a `kid` the set lacks refetches
   *   it unless a fetch started this recently. A key Cognito rotated in is accepted within this,
   *   however many unknown kids arrive meanwhile; they cost one fetch per interval at most.
   * - `JWKS_MAX_AGE_SECONDS` (600; 60..86400): a set this old is fetched again before it answers,
   *   so a key Cognito removed is refused within this (plus the verification cache's 300 s).
   * - `JWKS_MAX_STALE_SECONDS` (3600; 60..604800): while refetches fail, the set keeps answering
   *   for its keys until this old; then tokens are refused, `jwks_unavailable`. Set below the max
   *   age, it leaves no grace: the set is never used past it.
   */
  jwksMinRefetchMs?: number;
  jwksMaxAgeSeconds?: number;
  jwksMaxStaleSeconds?: number;
  /** The Cognito resource server whose scopes machine clients carry (`<id>/inventory:read`). */
  resourceServerId: string;
  /** App clients allowed the client-credentials grant, and what each may reach. */
  machineClients: MachineClientConfig[];
}

/**
 * A machine client (client-credentials app client). Its token's scopes decide which routes it
 * may call; it has no roles and no branches unless given here.
 */
export interface MachineClientConfig {
  clientId: string;
  /** Shown in the audit log and `/users/me`; defaults to the client id. */
  name: string;
  roles: Role[];
  branches: string[];
}

const CLIENT_ID = /^[\w+]{1,128}$/;
const BRANCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `MACHINE_CLIENTS`: a JSON array of `{"clientId", "name"?, "roles"?, "branches"?}`; unset or
 * empty means no machine clients. Anything malformed stops the function at start-up.
 */
const machineClients = (env: Env, userClientId: string): MachineClientConfig[] => {
  const raw = value(env, 'MACHINE_CLIENTS');
  if (raw === undefined) return [];
  const fail = (why: string): never => {
    throw new ConfigurationError(`MACHINE_CLIENTS ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail('must be a JSON array');
  }
  if (!Array.isArray(parsed)) return fail('must be a JSON array');
  const seen = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return fail(`[${index}] must be an object`);
    const { clientId, name, roles = [], branches = [], ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0) fail(`[${index}] has unknown fields ${Object.keys(rest).join(', ')}`);
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return fail(`[${index}].clientId must be an app client id`);
    if (clientId === userClientId) fail(`[${index}].clientId must not be the users' app client (COGNITO_CLIENT_ID)`);
    if (seen.has(clientId)) fail(`[${index}].clientId repeats ${clientId}`);
    seen.add(clientId);
    if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 64)) fail(`[${index}].name must be 1-64 characters`);
    if (!Array.isArray(roles) || !roles.every(isRole)) return fail(`[${index}].roles must be a list of roles`);
    if (!Array.isArray(branches) || !branches.every((b): b is string => typeof b === 'string' && BRANCH_ID.test(b))) {
      return fail(`[${index}].branches must be a list of branch ids`);
    }
    return { clientId, name: typeof name === 'string' ? name.trim() : clientId, roles: [...roles], branches: [...branches] };
  });
};

export interface DataConfig {
  region: string;
  /** Only set locally: where DynamoDB (dynalite) listens. */
  endpoint?: string;
  tables: { products: string; branches: string; inventory: string; access: string };
  /** The access change log (lib/access/change-log.ts): its table and how many read shards. */
  changeLog: ChangeLogConfig;
  /** Per-attempt timeout for DynamoDB calls, in ms: a stuck database must not hang a request. */
  requestTimeoutMs: number;
  maxAttempts: number;
}

export interface SessionConfig {
  /** Lifetime of refresh tokens issued by the app client; session records live this long. */
  refreshTokenValidityDays: number;
}

const region = (env: Env): string => value(env, 'AWS_REGION') ?? value(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1';

/** `RESOURCE_SERVER_ID`: the Cognito resource server whose scopes machine tokens carry. */
const resourceServerIdOf = (env: Env): string => {
  const resourceServerId = value(env, 'RESOURCE_SERVER_ID') ?? 'gateway';
  if (/\s/.test(resourceServerId) || resourceServerId.length > 256) {
    throw new ConfigurationError(`RESOURCE_SERVER_ID must be Cognito's resource server identifier (no spaces), got "${resourceServerId}"`);
  }
  return resourceServerId;
};

export interface DocsConfig {
  /** Where machine clients get client-credentials tokens (the OpenAPI document's OAuth2 flow). */
  tokenUrl: string;
  resourceServerId: string;
}

/** The docs function's: `TOKEN_URL` (required; https outside the local stack) and `RESOURCE_SERVER_ID`. */
export const docsConfig = (env: Env = process.env): DocsConfig => {
  const tokenUrl = url(env, 'TOKEN_URL', runsLocally(env));
  if (tokenUrl === undefined) throw new ConfigurationError('Missing required environment variable TOKEN_URL');
  return { tokenUrl, resourceServerId: resourceServerIdOf(env) };
};

export const identityConfig = (env: Env = process.env): IdentityConfig => {
  const userPoolId = required(env, 'COGNITO_USER_POOL_ID');
  const awsRegion = region(env);
  const local = runsLocally(env);
  const issuer = url(env, 'COGNITO_ISSUER', local) ?? `https://cognito-idp.${awsRegion}.amazonaws.com/${userPoolId}`;
  const cognitoEndpoint = url(env, 'COGNITO_ENDPOINT', local);
  const clientId = required(env, 'COGNITO_CLIENT_ID');
  const resourceServerId = resourceServerIdOf(env);
  return {
    region: awsRegion,
    userPoolId,
    clientId,
    issuer,
    jwksUri: url(env, 'COGNITO_JWKS_URI', local) ?? `${issuer}/.well-known/jwks.json`,
    ...(cognitoEndpoint ? { cognitoEndpoint } : {}),
    jwksTimeoutMs: integer(env, 'JWKS_TIMEOUT_MS', 3000, 100, 10000),
    ...optionalInteger(env, 'jwksMinRefetchMs', 'JWKS_MIN_REFETCH_MS', 1000, 300_000),
    ...optionalInteger(env, 'jwksMaxAgeSeconds', 'JWKS_MAX_AGE_SECONDS', 60, 86_400),
    ...optionalInteger(env, 'jwksMaxStaleSeconds', 'JWKS_MAX_STALE_SECONDS', 60, 604_800),
    resourceServerId,
    machineClients: machineClients(env, clientId),
  };
};

/**
 * The Cognito API without a user pool of its own: the pre-token-generation trigger learns the
 * pool from its event (on AWS its environment cannot name the pool that names it: a circular
 * reference in CloudFormation).
 */
export const cognitoApiConfig = (env: Env = process.env): Pick<IdentityConfig, 'region' | 'cognitoEndpoint'> => {
  const cognitoEndpoint = url(env, 'COGNITO_ENDPOINT', runsLocally(env));
  return { region: region(env), ...(cognitoEndpoint ? { cognitoEndpoint } : {}) };
};

export const dataConfig = (env: Env = process.env): DataConfig => {
  const endpoint = url(env, 'DYNAMODB_ENDPOINT', runsLocally(env));
  return {
    region: region(env),
    ...(endpoint ? { endpoint } : {}),
    tables: {
      products: required(env, 'PRODUCTS_TABLE'),
      branches: required(env, 'BRANCHES_TABLE'),
      inventory: required(env, 'INVENTORY_TABLE'),
      access: required(env, 'ACCESS_TABLE'),
    },
    changeLog: {
      table: required(env, 'ACCESS_CHANGES_TABLE'),
      shards: integer(env, 'ACCESS_CHANGES_SHARDS', 8, 1, 64),
    },
    requestTimeoutMs: integer(env, 'DYNAMODB_TIMEOUT_MS', 1000, 50, 30000),
    maxAttempts: integer(env, 'DYNAMODB_MAX_ATTEMPTS', 2, 1, 10),
  };
};

export const sessionConfig = (env: Env = process.env): SessionConfig => ({
  refreshTokenValidityDays: integer(env, 'REFRESH_TOKEN_VALIDITY_DAYS', 30, 1, 3650),
});

export interface SignUpConfig {
  /**
   * `SIGNUP_ENABLED` ("true" or "false", default false): customers may sign themselves up
   * (`POST /auth/signup`, `/auth/signup/confirm`). serverless.yml sets it from the `signupEnabled`
   * param, which also turns the user pool's self-service sign-up on (`AllowAdminCreateUserOnly`).
   */
  enabled: boolean;
}

export const signUpConfig = (env: Env = process.env): SignUpConfig => {
  const raw = value(env, 'SIGNUP_ENABLED') ?? 'false';
  if (raw !== 'true' && raw !== 'false') throw new ConfigurationError(`SIGNUP_ENABLED must be "true" or "false", got "${raw}"`);
  return { enabled: raw === 'true' };
};

export interface ApiKeyConfig {
  /**
   * The MAC key ring of personal API keys (`lib/access/api-keys.ts`), in order: the first mints new
   * keys, every one verifies. Removing a version refuses every key minted under it.
   */
  macKeys: ApiKeyMacKey[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$/;

/**
 * `API_KEY_MAC_KEYS`: `version:secret` entries separated by commas, newest first, e.g.
 * `v2:<base64>,v1:<base64>`. A version is 1-8 of [a-z0-9]; a secret is base64 or base64url of at
 * least 32 bytes. Required: the authorizer and the keys service fail at start-up without it.
 * Messages name the variable and the entry, never a secret.
 */
export const apiKeyConfig = (env: Env = process.env): ApiKeyConfig => {
  const raw = required(env, 'API_KEY_MAC_KEYS');
  const fail = (why: string): never => {
    throw new ConfigurationError(`API_KEY_MAC_KEYS ${why}`);
  };
  const versions = new Set<string>();
  const secrets = new Set<string>();
  const macKeys = raw.split(',').map((entry, index): ApiKeyMacKey => {
    const colon = entry.indexOf(':');
    const version = (colon < 0 ? entry : entry.slice(0, colon)).trim();
    const encoded = colon < 0 ? '' : entry.slice(colon + 1).trim();
    if (!API_KEY_VERSION.test(version)) return fail(`entry ${index + 1} must be "version:secret" with a version of 1-8 lower-case letters or digits`);
    if (versions.has(version)) fail(`repeats version ${version}`);
    versions.add(version);
    const unpadded = encoded.replace(/=+$/, '');
    // A length of 4n+1 characters is not base64: its last character would carry no whole byte.
    if (!BASE64.test(encoded) || unpadded.length % 4 === 1) return fail(`version ${version}: the secret must be base64 or base64url`);
    const secret = Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (secret.length < MIN_MAC_KEY_BYTES) fail(`version ${version}: the secret must be at least ${MIN_MAC_KEY_BYTES} bytes (${Math.ceil((MIN_MAC_KEY_BYTES * 4) / 3)} base64 characters)`);
    const fingerprint = secret.toString('hex');
    if (secrets.has(fingerprint)) fail(`version ${version} reuses the secret of another version`);
    secrets.add(fingerprint);
    return { version, secret };
  });
  return { macKeys };
};

export interface AuthorizerConfig {
  /**
   * How the authorizer answers a caller whose credentials are missing or invalid.
   * - `error`: fail the invocation with "Unauthorized". serverless-offline answers 401.
   * - `deny`: return `isAuthorized: false`. API Gateway HTTP APIs answer 403 (an HTTP API
   *   Lambda authorizer has no documented way to produce 401; a failed invocation is a 500).
   * Both deny: this only picks the status code the platform can give. See README.
   */
  unauthenticatedResponse: 'error' | 'deny';
  /**
   * `REVOCATION_MAX_STALENESS_MS`: the revocation bound. A warm authorizer decides on the access
   * records it has read, and asks the change log what changed at most this long ago before each
   * decision (authorizers/adapters/access-view.ts). 0 = strict: read the records for every
   * decision.
   */
  maxStalenessMs: number;
  /** As in `IdentityConfig`: which machine clients exist and the prefix of their scopes. */
  resourceServerId: string;
  machineClients: MachineClientConfig[];
  /** As in `ApiKeyConfig`: the ring that tells the gateway's keys from forged ones. */
  apiKeyMacKeys: ApiKeyMacKey[];
  /** `MFA_REQUIRED_ROLES` (`mfaRequiredRoles`): roles that open nothing but MFA's setup until it is on. */
  mfaRequiredRoles?: Role[];
  /** As in `WebSessionConfig`: how long a browser session may go unused. */
  sessionIdleSeconds: number;
}

export const authorizerConfig = (env: Env = process.env): AuthorizerConfig => {
  const mode = value(env, 'AUTHORIZER_UNAUTHENTICATED_RESPONSE') ?? 'deny';
  if (mode !== 'error' && mode !== 'deny') {
    throw new ConfigurationError(`AUTHORIZER_UNAUTHENTICATED_RESPONSE must be "error" or "deny", got "${mode}"`);
  }
  // On AWS a failed authorizer invocation is a 500 for every bad token: only the local stack.
  if (mode === 'error' && !runsLocally(env)) {
    throw new ConfigurationError('AUTHORIZER_UNAUTHENTICATED_RESPONSE must be "deny" outside the local stack (GATEWAY_LOCAL_STACK)');
  }
  const { resourceServerId, machineClients } = identityConfig(env);
  return {
    unauthenticatedResponse: mode,
    maxStalenessMs: integer(env, 'REVOCATION_MAX_STALENESS_MS', ACCESS_VIEW_DEFAULTS.maxStalenessMs, 0, 60_000),
    resourceServerId,
    machineClients,
    apiKeyMacKeys: apiKeyConfig(env).macKeys,
    mfaRequiredRoles: mfaRequiredRoles(env),
    sessionIdleSeconds: webSessionConfig(env).idleSeconds,
  };
};

/**
 * `MFA_REQUIRED_ROLES`: the roles whose holders must sign in with an authenticator app: until
 * they turn MFA on, every protected route but its setup, `/users/me` and logout refuses them
 * (403 `mfa_required`), their API keys too. Roles separated by commas, or `none`. Unset: `admin`,
 * the account that holds every other. serverless.yml sets it from the `mfaRequiredRoles` param;
 * the local stack sets `none` so that its seeded users and the README walkthrough sign in with
 * passwords alone.
 */
export const mfaRequiredRoles = (env: Env = process.env): Role[] => {
  const raw = value(env, 'MFA_REQUIRED_ROLES') ?? 'admin';
  if (raw === 'none') return [];
  const roles = raw.split(',').map((role) => role.trim());
  for (const role of roles) {
    if (!isRole(role)) throw new ConfigurationError(`MFA_REQUIRED_ROLES must be "none" or roles separated by commas (${ROLES.join(', ')}), got "${raw}"`);
  }
  return [...new Set(roles as Role[])];
};

export interface MfaConfig {
  /** `MFA_ISSUER`: the name authenticator apps show for the account (default `API Gateway`). */
  issuer: string;
}

/** Two-factor sign-in's own settings; the authenticator secrets it keeps are sealed by the secret vault (secretVaultConfig). */
export const mfaConfig = (env: Env = process.env): MfaConfig => {
  const issuer = value(env, 'MFA_ISSUER') ?? 'API Gateway';
  if (issuer.length > 64 || issuer.includes(':')) throw new ConfigurationError('MFA_ISSUER must be at most 64 characters, without ":"');
  return { issuer };
};

/**
 * The authorizer's view of the access records (authorizers/adapters/access-view.ts) and the
 * change log's writers (lib/access/store/change-log.ts), which must agree on `overlapMs`.
 *
 * - `maxStalenessMs`  the revocation bound's default (`REVOCATION_MAX_STALENESS_MS`)
 * - `overlapMs`       how far behind its last poll a reader looks again: covers a writer's clock
 *                     running ahead or behind and an entry that becomes visible late
 * - `skewMs`          how far a writer's clock may be ahead of a reader's: a record read this
 *                     long after an entry's date is still treated as read before it
 * - `resyncAfterMs`   a container that has not polled for this long forgets every record
 *                     instead of reading the log back
 * - `recordMaxAgeMs`  no record is used longer than this after it was read, log or not: a
 *                     change whose entry could not be written still arrives
 * - `maxEntries`      records kept per container, least recently used dropped first
 */
export const ACCESS_VIEW_DEFAULTS = {
  maxStalenessMs: 1000,
  overlapMs: 5000,
  skewMs: 1000,
  resyncAfterMs: 30_000,
  recordMaxAgeMs: 60_000,
  maxEntries: 20_000,
} as const;

/** The authorizer's verified-token cache (authorizers/adapters/verification-cache.ts) by default. */
export const VERIFICATION_CACHE_DEFAULTS = { maxEntries: 10_000, maxTokenChars: 16 * 1024 * 1024, maxAgeSeconds: 300 } as const;

export interface VerificationCacheConfig {
  /**
   * Most verified tokens a warm authorizer remembers (`authorizers/adapters/verification-cache.ts`); 0 = check
   * every token's signature on every request. Revocation and the route policy are not cached
   * there: see that module.
   */
  maxEntries: number;
}

export const verificationCacheConfig = (env: Env = process.env): VerificationCacheConfig => ({
  maxEntries: integer(env, 'VERIFICATION_CACHE_ENTRIES', VERIFICATION_CACHE_DEFAULTS.maxEntries, 0, 100_000),
});

export interface WebSessionConfig {
  /**
   * `SESSION_IDLE_MINUTES` (default 30; 5..1440): a browser session unused this long ends. The
   * authorizer writes down "last seen" at most once a minute per session, and a warm copy of the
   * record is at most a minute old (the view's record age), so the timeout is kept to within two
   * minutes, and never ends a session in use: hence at least 5.
   */
  idleSeconds: number;
  /** `SESSION_LIFETIME_HOURS` (default 12; 1..720): a browser session ends this long after sign-in, used or not. */
  lifetimeSeconds: number;
  /**
   * `CORS_ALLOWED_ORIGINS`: origins (`https://shop.example.com`, comma-separated; plain http only
   * in the local stack) whose pages may call the gateway with credentials. None by default: only
   * the gateway's own pages. serverless.yml gives the HTTP API's CORS the same list; the auth
   * service refuses a sign-in posted from any other origin (a login CSRF).
   */
  allowedOrigins: string[];
}

const ORIGIN_LIST_MAX = 20;

/** `CORS_ALLOWED_ORIGINS`: each an origin exactly (scheme, host, port; no path, no wildcard). */
const allowedOrigins = (env: Env, local: boolean): string[] => {
  const raw = value(env, 'CORS_ALLOWED_ORIGINS');
  if (raw === undefined) return [];
  const origins = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (origins.length > ORIGIN_LIST_MAX) throw new ConfigurationError(`CORS_ALLOWED_ORIGINS must name at most ${ORIGIN_LIST_MAX} origins`);
  return origins.map((origin) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // A wildcard is never an origin here: credentials go to named origins only.
    if (!parsed || origin.includes('*') || parsed.origin !== origin || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
      throw new ConfigurationError(`CORS_ALLOWED_ORIGINS entries must be origins such as https://shop.example.com, got "${origin}"`);
    }
    if (parsed.protocol === 'http:' && !local) {
      throw new ConfigurationError(`CORS_ALLOWED_ORIGINS must be https origins outside the local stack (GATEWAY_LOCAL_STACK), got "${origin}"`);
    }
    return origin;
  });
};

export const webSessionConfig = (env: Env = process.env): WebSessionConfig => ({
  idleSeconds: integer(env, 'SESSION_IDLE_MINUTES', 30, 5, 1440) * 60,
  lifetimeSeconds: integer(env, 'SESSION_LIFETIME_HOURS', 12, 1, 720) * 3600,
  allowedOrigins: allowedOrigins(env, runsLocally(env)),
});

/**
 * The key of the secret vault (lib/secrets/vault.ts), which seals every secret the gateway keeps
 * at rest: browser sessions' Cognito tokens and users' authenticator secrets. One setting for
 * both; required by the auth service only.
 * - `kms`: `SECRETS_KMS_KEY_ID`, the KMS key serverless.yml creates (GatewaySecretsKey; envelope
 *   encryption, the record's key as encryption context). On AWS.
 * - `local`: `SECRETS_LOCAL_KEY`, 32 bytes in base64 that the local stack generates and keeps
 *   under .local. Refused outside the local stack.
 * Another key leaves what was sealed unreadable: browser sessions end, and users can turn
 * two-factor sign-in off only through an admin's reset.
 */
export type SecretVaultConfig = { kind: 'kms'; keyId: string; region: string } | { kind: 'local'; key: Buffer };

export const secretVaultConfig = (env: Env = process.env): SecretVaultConfig => {
  const local = value(env, 'SECRETS_LOCAL_KEY');
  const keyId = value(env, 'SECRETS_KMS_KEY_ID');
  if (local !== undefined) {
    if (!runsLocally(env)) throw new ConfigurationError('SECRETS_LOCAL_KEY is for the local stack only (GATEWAY_LOCAL_STACK); on AWS set SECRETS_KMS_KEY_ID');
    const key = BASE64.test(local) ? Buffer.from(local, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) throw new ConfigurationError('SECRETS_LOCAL_KEY must be 32 bytes in base64');
    return { kind: 'local', key };
  }
  if (keyId === undefined) throw new ConfigurationError('Missing required environment variable SECRETS_KMS_KEY_ID');
  return { kind: 'kms', keyId, region: region(env) };
};

/**
 * Settings of the local stack, read from the environment in one place: ports, where state
 * lives, the seeded users. Used by `npm start` and by the integration tests (which pass their
 * own free ports and a temporary state folder).
 */
import path from 'node:path';
import type { Role, Scope } from '../../lib/policy/route-policy';

export const SERVICE = 'serverless-api-gateway';
export const LOCAL_STAGE = 'local';
/**
 * The change log's read shards the local gateway runs with: serverless.yml's
 * `params.default.accessChangeShards` (tests/unit/template.test.ts checks they agree). Writers
 * outside the functions (the seed, tests) announce their changes on every one of them.
 */
export const LOCAL_ACCESS_CHANGE_SHARDS = 8;
export const REGION = 'us-east-1';

/** Same formula as `custom.tables` in serverless.yml (checked by tests/unit/template.test.ts). */
export const tableNames = (stage: string) => ({
  products: `${SERVICE}-${stage}-products`,
  branches: `${SERVICE}-${stage}-branches`,
  inventory: `${SERVICE}-${stage}-inventory`,
  access: `${SERVICE}-${stage}-access`,
  accessChanges: `${SERVICE}-${stage}-access-changes`,
});

/**
 * cognito-local's Lambda triggers, by the names serverless-offline gives the functions in
 * serverless.yml: `<service>-<stage>-<function key>` (src/lambda/Lambda.js registers each
 * function under its deployed name; the bare key is not found). Invoked through the stack's
 * Lambda port.
 */
export const COGNITO_TRIGGER_FUNCTIONS = {
  PreTokenGeneration: `${SERVICE}-${LOCAL_STAGE}-cognitoTrigger`,
} as const;

/** `custom.cognito.resourceServerId` in serverless.yml. */
export const RESOURCE_SERVER_ID = 'gateway';

/** A machine client: an app client with the client-credentials grant. */
export interface SeedMachineClient {
  name: string;
  scopes: Scope[];
  roles: Role[];
  branches: string[];
}

/** Same as `PartnerClient` and `custom.aws.machineClients` in serverless.yml (checked by the template test). */
export const MACHINE_CLIENTS: SeedMachineClient[] = [{ name: 'partner', scopes: ['catalog:write', 'inventory:read'], roles: [], branches: ['1'] }];

export interface SeedUser {
  username: string;
  password: string;
  email: string;
  roles: Role[];
  branches: string[];
}

export interface StackSettings {
  /** Every part listens on this loopback address only. */
  host: string;
  gatewayPort: number;
  /** The Lambda invoke API (scripts/local/lambda-guard.ts in front of serverless-offline's). */
  lambdaPort: number;
  cognitoPort: number;
  dynamodbPort: number;
  /** The stand-in for Cognito's client-credentials token endpoint (scripts/local/client-credentials.ts). */
  tokenPort: number;
  /** Everything the stack writes: emulator state, bundles, logs. */
  stateDir: string;
  /** Keep DynamoDB data on disk across restarts (`npm start`); tests run in memory. */
  persist: boolean;
  users: SeedUser[];
  /**
   * The gateway's MFA_REQUIRED_ROLES: `none` by default, so that the seeded users and the README
   * walkthrough sign in with passwords alone (AWS stages default to `admin`). `LOCAL_MFA_REQUIRED_ROLES`.
   */
  mfaRequiredRoles?: string;
}

type Env = Record<string, string | undefined>;

const port = (env: Env, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return value;
};

const user = (env: Env, prefix: string, username: string, password: string, roles: Role[], branches: string[]): SeedUser => {
  const name = env[`${prefix}_USERNAME`] || username;
  return {
    username: name,
    password: env[`${prefix}_PASSWORD`] || password,
    email: name.includes('@') ? name : `${name}@example.com`,
    roles,
    branches: (env[`${prefix}_BRANCHES`] ?? branches.join(','))
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  };
};

export const defaultUsers = (env: Env = process.env): SeedUser[] => [
  user(env, 'LOCAL_ADMIN', 'admin@example.com', 'Admin-Passw0rd!', ['admin'], []),
  user(env, 'LOCAL_MANAGER', 'manager@example.com', 'Manager-Passw0rd!', ['branch-manager'], ['1']),
  user(env, 'LOCAL_CUSTOMER', 'customer@example.com', 'Customer-Passw0rd!', ['customer'], []),
];

export const settingsFromEnv = (env: Env = process.env, root = process.cwd()): StackSettings => ({
  host: '127.0.0.1',
  gatewayPort: port(env, 'GATEWAY_PORT', 3000),
  lambdaPort: port(env, 'LAMBDA_PORT', 3002),
  cognitoPort: port(env, 'COGNITO_PORT', 9229),
  dynamodbPort: port(env, 'DYNAMODB_PORT', 8000),
  tokenPort: port(env, 'TOKEN_PORT', 9230),
  stateDir: path.resolve(root, env.LOCAL_STATE_DIR || '.local'),
  persist: true,
  users: defaultUsers(env),
  mfaRequiredRoles: env.LOCAL_MFA_REQUIRED_ROLES || 'none',
});

export interface SeedProduct {
  productId: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
}

export const SEED_PRODUCTS: SeedProduct[] = [
  { productId: 'espresso-beans', name: 'Espresso beans 1 kg', description: 'Dark roast, whole beans', priceCents: 2490, currency: 'EUR' },
  { productId: 'filter-papers', name: 'Filter papers (100)', description: 'Size 4, unbleached', priceCents: 390, currency: 'EUR' },
  { productId: 'moka-pot', name: 'Moka pot, 6 cups', description: 'Aluminium stovetop brewer', priceCents: 3450, currency: 'EUR' },
  { productId: 'milk-jug', name: 'Milk jug 600 ml', description: 'Stainless steel', priceCents: 1590, currency: 'EUR' },
];

export const SEED_BRANCHES = [
  { branchId: '1', name: 'Central', stock: { 'espresso-beans': 40, 'filter-papers': 120, 'moka-pot': 8 } },
  { branchId: '2', name: 'Harbour', stock: { 'espresso-beans': 15, 'milk-jug': 12 } },
];

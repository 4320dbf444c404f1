import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  apiKeyConfig,
  authorizerConfig,
  cognitoApiConfig,
  dataConfig,
  docsConfig,
  identityConfig,
  mfaConfig,
  mfaRequiredRoles,
  runsLocally,
  secretVaultConfig,
  sessionConfig,
  signUpConfig,
  verificationCacheConfig,
  webSessionConfig,
} from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';
import { TEST_MAC_KEYS, macKeysEnv } from './fixtures';

const IDENTITY = { COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEf', COGNITO_CLIENT_ID: 'client-1', AWS_REGION: 'eu-west-1' };
/** The authorizer also reads the API key ring. */
const AUTHORIZER = { ...IDENTITY, API_KEY_MAC_KEYS: macKeysEnv() };
const DATA = { PRODUCTS_TABLE: 'products', BRANCHES_TABLE: 'branches', INVENTORY_TABLE: 'inventory', ACCESS_TABLE: 'access', ACCESS_CHANGES_TABLE: 'access-changes' };
/** What serverless.yml sets on stage `local` only: the emulators' plain-http endpoints are allowed. */
const LOCAL = { GATEWAY_LOCAL_STACK: 'true' };

/** Asserts a ConfigurationError whose message names `variable`. */
const assertConfigError = (read: () => unknown, variable: string) =>
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof ConfigurationError, `expected ConfigurationError, got ${String(error)}`);
    assert.equal(error.name, 'ConfigurationError');
    assert.match(error.message, new RegExp(`\\b${variable}\\b`));
    return true;
  });

describe('identityConfig', () => {
  it('derives the issuer and key set URI from region and pool id when COGNITO_ISSUER is unset', () => {
    // Act
    const config = identityConfig(IDENTITY);
    // Assess
    assert.deepEqual(config, {
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbCdEf',
      clientId: 'client-1',
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf',
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf/.well-known/jwks.json',
      jwksTimeoutMs: 3000,
      resourceServerId: 'gateway',
      machineClients: [],
    });
  });

  it('falls back to AWS_DEFAULT_REGION, then us-east-1, for the region', () => {
    const { AWS_REGION: _unused, ...noRegion } = IDENTITY;
    assert.equal(identityConfig({ ...noRegion, AWS_DEFAULT_REGION: 'ap-south-1' }).region, 'ap-south-1');
    assert.equal(identityConfig(noRegion).region, 'us-east-1');
    assert.equal(identityConfig(noRegion).issuer, 'https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbCdEf');
  });

  it('prefers AWS_REGION over AWS_DEFAULT_REGION', () => {
    assert.equal(identityConfig({ ...IDENTITY, AWS_DEFAULT_REGION: 'ap-south-1' }).region, 'eu-west-1');
  });

  it('uses COGNITO_ISSUER when set, without trailing slashes, and derives the key set URI from it', () => {
    const config = identityConfig({ ...IDENTITY, ...LOCAL, COGNITO_ISSUER: 'http://127.0.0.1:9229/local_test//' });
    assert.equal(config.issuer, 'http://127.0.0.1:9229/local_test');
    assert.equal(config.jwksUri, 'http://127.0.0.1:9229/local_test/.well-known/jwks.json');
  });

  it('uses COGNITO_JWKS_URI and COGNITO_ENDPOINT when set', () => {
    const config = identityConfig({
      ...IDENTITY,
      ...LOCAL,
      COGNITO_JWKS_URI: 'http://127.0.0.1:9229/keys.json',
      COGNITO_ENDPOINT: 'http://127.0.0.1:9229/',
    });
    assert.equal(config.jwksUri, 'http://127.0.0.1:9229/keys.json');
    assert.equal(config.cognitoEndpoint, 'http://127.0.0.1:9229');
  });

  it('trims values and treats blank ones as unset', () => {
    const config = identityConfig({ ...IDENTITY, COGNITO_CLIENT_ID: '  client-1  ', COGNITO_ISSUER: '   ', COGNITO_ENDPOINT: '' });
    assert.equal(config.clientId, 'client-1');
    assert.equal(config.issuer, 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf');
    assert.equal('cognitoEndpoint' in config, false);
  });

  for (const variable of ['COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID']) {
    it(`fails with a ConfigurationError naming ${variable} when it is missing`, () => {
      const env: Record<string, string | undefined> = { ...IDENTITY };
      delete env[variable];
      assertConfigError(() => identityConfig(env), variable);
    });

    it(`fails with a ConfigurationError naming ${variable} when it is blank`, () => {
      assertConfigError(() => identityConfig({ ...IDENTITY, [variable]: '   ' }), variable);
    });
  }

  for (const variable of ['COGNITO_ISSUER', 'COGNITO_JWKS_URI', 'COGNITO_ENDPOINT']) {
    for (const bad of ['not a url', 'ftp://example.com/pool', 'javascript:alert(1)', 'file:///etc/passwd', '127.0.0.1:9229']) {
      it(`rejects ${variable}=${JSON.stringify(bad)} as not an http(s) URL`, () => {
        assertConfigError(() => identityConfig({ ...IDENTITY, [variable]: bad }), variable);
      });
    }
  }

  it('reads JWKS_TIMEOUT_MS as an integer within [100, 10000]', () => {
    assert.equal(identityConfig({ ...IDENTITY, JWKS_TIMEOUT_MS: '2500' }).jwksTimeoutMs, 2500);
    assert.equal(identityConfig({ ...IDENTITY, JWKS_TIMEOUT_MS: '100' }).jwksTimeoutMs, 100);
    assert.equal(identityConfig({ ...IDENTITY, JWKS_TIMEOUT_MS: '10000' }).jwksTimeoutMs, 10000);
  });

  for (const bad of ['abc', '1.5', '99', '10001', '-5', 'NaN', 'Infinity', '12ms']) {
    it(`rejects JWKS_TIMEOUT_MS=${JSON.stringify(bad)} naming the variable`, () => {
      assertConfigError(() => identityConfig({ ...IDENTITY, JWKS_TIMEOUT_MS: bad }), 'JWKS_TIMEOUT_MS');
    });
  }
});

describe('dataConfig', () => {
  it('reads the tables and the change log and applies the documented defaults', () => {
    assert.deepEqual(dataConfig({ ...DATA, AWS_REGION: 'eu-west-1' }), {
      region: 'eu-west-1',
      tables: { products: 'products', branches: 'branches', inventory: 'inventory', access: 'access' },
      changeLog: { table: 'access-changes', shards: 8 },
      requestTimeoutMs: 1000,
      maxAttempts: 2,
    });
  });

  it('uses DYNAMODB_ENDPOINT without its trailing slash when set', () => {
    assert.equal(dataConfig({ ...DATA, ...LOCAL, DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000/' }).endpoint, 'http://127.0.0.1:8000');
  });

  for (const variable of Object.keys(DATA)) {
    it(`fails with a ConfigurationError naming ${variable} when it is missing`, () => {
      const env: Record<string, string | undefined> = { ...DATA };
      delete env[variable];
      assertConfigError(() => dataConfig(env), variable);
    });
  }

  it('rejects a bad DYNAMODB_ENDPOINT, DYNAMODB_TIMEOUT_MS or DYNAMODB_MAX_ATTEMPTS naming the variable', () => {
    assertConfigError(() => dataConfig({ ...DATA, DYNAMODB_ENDPOINT: 'localhost:8000' }), 'DYNAMODB_ENDPOINT');
    assertConfigError(() => dataConfig({ ...DATA, DYNAMODB_TIMEOUT_MS: '49' }), 'DYNAMODB_TIMEOUT_MS');
    assertConfigError(() => dataConfig({ ...DATA, DYNAMODB_MAX_ATTEMPTS: '0' }), 'DYNAMODB_MAX_ATTEMPTS');
    assertConfigError(() => dataConfig({ ...DATA, DYNAMODB_MAX_ATTEMPTS: '11' }), 'DYNAMODB_MAX_ATTEMPTS');
  });

  it('reads ACCESS_CHANGES_SHARDS within [1, 64] and rejects anything else naming the variable', () => {
    assert.equal(dataConfig({ ...DATA, ACCESS_CHANGES_SHARDS: '1' }).changeLog.shards, 1);
    assert.equal(dataConfig({ ...DATA, ACCESS_CHANGES_SHARDS: '64' }).changeLog.shards, 64);
    for (const bad of ['0', '65', '2.5', 'eight']) assertConfigError(() => dataConfig({ ...DATA, ACCESS_CHANGES_SHARDS: bad }), 'ACCESS_CHANGES_SHARDS');
  });
});

describe('docsConfig', () => {
  it('reads the token URL and the resource server id', () => {
    assert.deepEqual(docsConfig({ TOKEN_URL: 'https://auth.example.com/oauth2/token', RESOURCE_SERVER_ID: 'shop' }), {
      tokenUrl: 'https://auth.example.com/oauth2/token',
      resourceServerId: 'shop',
    });
    assert.equal(docsConfig({ TOKEN_URL: 'https://auth.example.com/oauth2/token' }).resourceServerId, 'gateway');
  });

  it('needs TOKEN_URL, https outside the local stack, naming the variable', () => {
    assertConfigError(() => docsConfig({}), 'TOKEN_URL');
    assertConfigError(() => docsConfig({ TOKEN_URL: 'http://127.0.0.1:9230/oauth2/token' }), 'TOKEN_URL');
    assert.equal(docsConfig({ ...LOCAL, TOKEN_URL: 'http://127.0.0.1:9230/oauth2/token' }).tokenUrl, 'http://127.0.0.1:9230/oauth2/token');
    assertConfigError(() => docsConfig({ TOKEN_URL: 'https://auth.example.com/token', RESOURCE_SERVER_ID: 'has space' }), 'RESOURCE_SERVER_ID');
  });
});

describe('sessionConfig', () => {
  it('defaults the refresh token validity to 30 days', () => {
    assert.deepEqual(sessionConfig({}), { refreshTokenValidityDays: 30 });
  });

  it('rejects a validity of 0 days naming REFRESH_TOKEN_VALIDITY_DAYS', () => {
    assertConfigError(() => sessionConfig({ REFRESH_TOKEN_VALIDITY_DAYS: '0' }), 'REFRESH_TOKEN_VALIDITY_DAYS');
  });
});

describe('machine clients (MACHINE_CLIENTS)', () => {
  const machines = (value: unknown) => identityConfig({ ...IDENTITY, MACHINE_CLIENTS: typeof value === 'string' ? value : JSON.stringify(value) });

  it('reads clients with their name, roles and branches, defaulting to none', () => {
    assert.deepEqual(machines([{ clientId: 'abc123', name: 'partner', branches: ['1'] }, { clientId: 'def456', roles: ['admin'] }]).machineClients, [
      { clientId: 'abc123', name: 'partner', roles: [], branches: ['1'] },
      { clientId: 'def456', name: 'def456', roles: ['admin'], branches: [] },
    ]);
  });

  it('treats unset or empty as no machine clients', () => {
    assert.deepEqual(identityConfig({ ...IDENTITY, MACHINE_CLIENTS: ' ' }).machineClients, []);
  });

  const bad: [string, unknown][] = [
    ['not JSON', '{nope'],
    ['not an array', { clientId: 'abc' }],
    ['an entry that is not an object', ['abc']],
    ['a client id with a slash', [{ clientId: 'a/b' }]],
    ['a repeated client', [{ clientId: 'abc' }, { clientId: 'abc' }]],
    ['an unknown role', [{ clientId: 'abc', roles: ['root'] }]],
    ['a branch id with spaces', [{ clientId: 'abc', branches: ['1 '] }]],
    ['an unknown field', [{ clientId: 'abc', scopes: ['inventory:read'] }]],
  ];
  for (const [what, value] of bad) {
    it(`refuses ${what}, naming MACHINE_CLIENTS`, () => {
      assertConfigError(() => machines(value), 'MACHINE_CLIENTS');
    });
  }

  it("refuses the users' own app client as a machine client", () => {
    const env = { ...IDENTITY, COGNITO_CLIENT_ID: 'abc123', MACHINE_CLIENTS: JSON.stringify([{ clientId: 'abc123' }]) };
    assertConfigError(() => identityConfig(env), 'COGNITO_CLIENT_ID');
  });

  it('refuses a resource server id with spaces, naming RESOURCE_SERVER_ID', () => {
    assertConfigError(() => identityConfig({ ...IDENTITY, RESOURCE_SERVER_ID: 'my api' }), 'RESOURCE_SERVER_ID');
  });
});

describe('apiKeyConfig', () => {
  const secret = (fill: number, bytes = 32) => Buffer.alloc(bytes, fill);

  it('reads the ring in order, base64 or base64url, padded or not, with spaces around entries', () => {
    const env = { API_KEY_MAC_KEYS: ` v2:${secret(2).toString('base64url')} , v1:${secret(1).toString('base64')} ` };
    assert.deepEqual(apiKeyConfig(env), { macKeys: [{ version: 'v2', secret: secret(2) }, { version: 'v1', secret: secret(1) }] });
    assert.deepEqual(apiKeyConfig({ API_KEY_MAC_KEYS: macKeysEnv() }).macKeys, TEST_MAC_KEYS);
  });

  it('decodes "+/" and "-_" spellings of the same bytes to the same key', () => {
    const bytes = Buffer.from(Array.from({ length: 33 }, () => 0xfb));
    const standard = bytes.toString('base64');
    assert.match(standard, /[+/]/);
    assert.deepEqual(apiKeyConfig({ API_KEY_MAC_KEYS: `a:${standard}` }).macKeys[0]!.secret, bytes);
    assert.deepEqual(apiKeyConfig({ API_KEY_MAC_KEYS: `a:${bytes.toString('base64url')}` }).macKeys[0]!.secret, bytes);
  });

  it('accepts the 48 letters and digits CloudFormation generates (36 bytes)', () => {
    const generated = 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6n';
    assert.equal(generated.length, 48);
    assert.equal(apiKeyConfig({ API_KEY_MAC_KEYS: `v1:${generated}` }).macKeys[0]!.secret.length, 36);
  });

  for (const missing of [{}, { API_KEY_MAC_KEYS: '' }, { API_KEY_MAC_KEYS: '  ' }]) {
    it(`refuses a missing ring (${JSON.stringify(missing)}), naming API_KEY_MAC_KEYS`, () => {
      assertConfigError(() => apiKeyConfig(missing), 'API_KEY_MAC_KEYS');
    });
  }

  const good = secret(7).toString('base64url');
  const bad: [string, string][] = [
    ['a secret without a version', good],
    ['an empty version', `:${good}`],
    ['an upper-case version', `V1:${good}`],
    ['a version with a dash', `v-1:${good}`],
    ['a version over 8 characters', `v12345678:${good}`],
    ['a version without a secret', 'v1:'],
    ['a secret of 31 bytes', `v1:${secret(7, 31).toString('base64')}`],
    ['a secret that is not base64', `v1:${'!'.repeat(44)}`],
    ['a secret mixing base64 and base64url', `v1:${'a'.repeat(40)}+/-_`],
    ['a secret of 4n+1 characters', `v1:${'a'.repeat(45)}`],
    ['an empty entry (trailing comma)', `v1:${good},`],
    ['a repeated version', `v1:${good},v1:${secret(8).toString('base64url')}`],
    ['a secret reused under two versions', `v2:${good},v1:${secret(7).toString('base64')}`],
  ];
  for (const [what, value] of bad) {
    it(`refuses ${what}, naming API_KEY_MAC_KEYS and never printing a secret`, () => {
      assertConfigError(() => apiKeyConfig({ API_KEY_MAC_KEYS: value }), 'API_KEY_MAC_KEYS');
      assert.throws(
        () => apiKeyConfig({ API_KEY_MAC_KEYS: value }),
        (error: Error) => !error.message.includes(good) && !error.message.includes('a'.repeat(40)) && !/[A-Za-z0-9+/_-]{40}/.test(error.message),
      );
    });
  }
});

describe('authorizerConfig', () => {
  it("defaults to 'deny' for unauthenticated callers and a revocation bound of one second", () => {
    assert.deepEqual(authorizerConfig(AUTHORIZER), {
      sessionIdleSeconds: 1800,
      unauthenticatedResponse: 'deny',
      maxStalenessMs: 1000,
      resourceServerId: 'gateway',
      machineClients: [],
      apiKeyMacKeys: TEST_MAC_KEYS,
      mfaRequiredRoles: ['admin'],
    });
  });

  it('needs the API key ring: the authorizer does not start without API_KEY_MAC_KEYS', () => {
    const { API_KEY_MAC_KEYS: _unused, ...withoutRing } = AUTHORIZER;
    assertConfigError(() => authorizerConfig(withoutRing), 'API_KEY_MAC_KEYS');
    assertConfigError(() => authorizerConfig({ ...AUTHORIZER, API_KEY_MAC_KEYS: 'v1:short' }), 'API_KEY_MAC_KEYS');
  });

  it("defaults AUTHORIZER_UNAUTHENTICATED_RESPONSE to 'deny' when blank", () => {
    assert.equal(authorizerConfig({ ...AUTHORIZER, AUTHORIZER_UNAUTHENTICATED_RESPONSE: '  ' }).unauthenticatedResponse, 'deny');
  });

  it("accepts 'error' and 'deny', trimmed", () => {
    assert.equal(authorizerConfig({ ...AUTHORIZER, ...LOCAL, AUTHORIZER_UNAUTHENTICATED_RESPONSE: 'error' }).unauthenticatedResponse, 'error');
    assert.equal(authorizerConfig({ ...AUTHORIZER, AUTHORIZER_UNAUTHENTICATED_RESPONSE: ' deny ' }).unauthenticatedResponse, 'deny');
  });

  it('reads REVOCATION_MAX_STALENESS_MS within [0, 60000]: 0 is strict mode', () => {
    assert.equal(authorizerConfig({ ...AUTHORIZER, REVOCATION_MAX_STALENESS_MS: '0' }).maxStalenessMs, 0);
    assert.equal(authorizerConfig({ ...AUTHORIZER, REVOCATION_MAX_STALENESS_MS: '60000' }).maxStalenessMs, 60_000);
  });

  for (const bad of ['60001', '-1', '1.5', 'ten']) {
    it(`rejects REVOCATION_MAX_STALENESS_MS=${JSON.stringify(bad)} naming the variable`, () => {
      assertConfigError(() => authorizerConfig({ ...AUTHORIZER, REVOCATION_MAX_STALENESS_MS: bad }), 'REVOCATION_MAX_STALENESS_MS');
    });
  }

  for (const bad of ['allow', 'DENY', 'Error', '401', 'true']) {
    it(`rejects AUTHORIZER_UNAUTHENTICATED_RESPONSE=${JSON.stringify(bad)} naming the variable`, () => {
      assertConfigError(() => authorizerConfig({ ...AUTHORIZER, AUTHORIZER_UNAUTHENTICATED_RESPONSE: bad }), 'AUTHORIZER_UNAUTHENTICATED_RESPONSE');
    });
  }
});

describe('verificationCacheConfig', () => {
  it('remembers 10,000 verified tokens by default, also when VERIFICATION_CACHE_ENTRIES is blank', () => {
    assert.deepEqual(verificationCacheConfig({}), { maxEntries: 10_000 });
    assert.deepEqual(verificationCacheConfig({ VERIFICATION_CACHE_ENTRIES: ' ' }), { maxEntries: 10_000 });
  });

  it('reads VERIFICATION_CACHE_ENTRIES within [0, 100000], 0 turning the cache off', () => {
    assert.equal(verificationCacheConfig({ VERIFICATION_CACHE_ENTRIES: '0' }).maxEntries, 0);
    assert.equal(verificationCacheConfig({ VERIFICATION_CACHE_ENTRIES: '100000' }).maxEntries, 100_000);
  });

  for (const bad of ['100001', '-1', '1e3', 'many']) {
    it(`rejects VERIFICATION_CACHE_ENTRIES=${JSON.stringify(bad)} naming the variable`, () => {
      assertConfigError(() => verificationCacheConfig({ VERIFICATION_CACHE_ENTRIES: bad }), 'VERIFICATION_CACHE_ENTRIES');
    });
  }
});

describe('outside the local stack (a deployed function)', () => {
  /** Lambda's own variables, which no function configuration can set or clear. */
  const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' };
  const reads: [string, (env: Record<string, string>) => unknown, Record<string, string>][] = [
    ['COGNITO_ISSUER', identityConfig, IDENTITY],
    ['COGNITO_JWKS_URI', identityConfig, IDENTITY],
    ['COGNITO_ENDPOINT', identityConfig, IDENTITY],
    ['COGNITO_ENDPOINT', cognitoApiConfig, {}],
    ['DYNAMODB_ENDPOINT', dataConfig, DATA],
  ];

  it('is not the local stack unless GATEWAY_LOCAL_STACK is "true"', () => {
    assert.equal(runsLocally({}), false);
    assert.equal(runsLocally({ GATEWAY_LOCAL_STACK: ' ' }), false);
    assert.equal(runsLocally({ GATEWAY_LOCAL_STACK: 'false' }), false);
    assert.equal(runsLocally({ ...LOCAL, AWS_EXECUTION_ENV: 'CloudShell' }), true);
  });

  for (const bad of ['1', 'yes', 'TRUE', 'local']) {
    it(`refuses GATEWAY_LOCAL_STACK=${JSON.stringify(bad)} naming the variable`, () => {
      assertConfigError(() => runsLocally({ GATEWAY_LOCAL_STACK: bad }), 'GATEWAY_LOCAL_STACK');
    });
  }

  it('refuses GATEWAY_LOCAL_STACK=true on AWS Lambda, so a deployed stage `local` keeps every check', () => {
    assertConfigError(() => runsLocally({ ...LOCAL, AWS_EXECUTION_ENV: LAMBDA.AWS_EXECUTION_ENV }), 'GATEWAY_LOCAL_STACK');
    assertConfigError(() => runsLocally({ ...LOCAL, AWS_LAMBDA_RUNTIME_API: LAMBDA.AWS_LAMBDA_RUNTIME_API }), 'GATEWAY_LOCAL_STACK');
    assertConfigError(() => dataConfig({ ...DATA, ...LOCAL, ...LAMBDA, DYNAMODB_ENDPOINT: 'http://10.0.0.5:8000' }), 'GATEWAY_LOCAL_STACK');
  });

  for (const [variable, read, base] of reads) {
    it(`fails at start when ${variable} is plain http (${read.name}), naming the variable`, () => {
      assertConfigError(() => read({ ...base, [variable]: 'http://127.0.0.1:9229' }), variable);
      assertConfigError(() => read({ ...base, ...LAMBDA, [variable]: 'http://cognito-idp.eu-west-1.amazonaws.com' }), variable);
      assertConfigError(() => read({ ...base, GATEWAY_LOCAL_STACK: 'false', [variable]: 'http://127.0.0.1:9229' }), variable);
    });

    it(`accepts ${variable} over https, or unset (${read.name})`, () => {
      assert.doesNotThrow(() => read({ ...base, ...LAMBDA, [variable]: 'https://proxy.example/cognito' }));
      assert.doesNotThrow(() => read({ ...base, ...LAMBDA }));
    });
  }

  it("refuses AUTHORIZER_UNAUTHENTICATED_RESPONSE=error (a 500 for every bad token on AWS), naming the variable", () => {
    assertConfigError(() => authorizerConfig({ ...AUTHORIZER, AUTHORIZER_UNAUTHENTICATED_RESPONSE: 'error' }), 'AUTHORIZER_UNAUTHENTICATED_RESPONSE');
    assertConfigError(() => authorizerConfig({ ...AUTHORIZER, ...LAMBDA, AUTHORIZER_UNAUTHENTICATED_RESPONSE: 'error' }), 'AUTHORIZER_UNAUTHENTICATED_RESPONSE');
    assert.equal(authorizerConfig({ ...AUTHORIZER, ...LAMBDA, AUTHORIZER_UNAUTHENTICATED_RESPONSE: 'deny' }).unauthenticatedResponse, 'deny');
  });

  it('reads the same values as before in the local stack: the emulators over http, the error mode', () => {
    const env = { ...AUTHORIZER, ...DATA, ...LOCAL, COGNITO_ENDPOINT: 'http://127.0.0.1:9229', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000', AUTHORIZER_UNAUTHENTICATED_RESPONSE: 'error' };
    assert.equal(identityConfig(env).cognitoEndpoint, 'http://127.0.0.1:9229');
    assert.equal(dataConfig(env).endpoint, 'http://127.0.0.1:8000');
    assert.equal(authorizerConfig(env).unauthenticatedResponse, 'error');
  });
});

describe('signUpConfig (SIGNUP_ENABLED)', () => {
  it('is off unless set to "true", and refuses anything but "true" or "false"', () => {
    assert.deepEqual(signUpConfig({}), { enabled: false });
    assert.deepEqual(signUpConfig({ SIGNUP_ENABLED: 'false' }), { enabled: false });
    assert.deepEqual(signUpConfig({ SIGNUP_ENABLED: ' true ' }), { enabled: true });
    for (const value of ['yes', '1', 'TRUE']) assert.throws(() => signUpConfig({ SIGNUP_ENABLED: value }), ConfigurationError, value);
  });
});

describe('mfaRequiredRoles (MFA_REQUIRED_ROLES)', () => {
  it('requires MFA of admins when unset or blank: the account that holds every other', () => {
    assert.deepEqual(mfaRequiredRoles({}), ['admin']);
    assert.deepEqual(mfaRequiredRoles({ MFA_REQUIRED_ROLES: '  ' }), ['admin']);
  });

  it('takes roles separated by commas, trimmed and once each, or none', () => {
    assert.deepEqual(mfaRequiredRoles({ MFA_REQUIRED_ROLES: 'admin, branch-manager,admin' }), ['admin', 'branch-manager']);
    assert.deepEqual(mfaRequiredRoles({ MFA_REQUIRED_ROLES: 'none' }), []);
    assert.deepEqual(authorizerConfig({ ...AUTHORIZER, MFA_REQUIRED_ROLES: 'none' }).mfaRequiredRoles, []);
  });

  it('refuses to start with an unknown role or an empty entry, naming the variable', () => {
    for (const value of ['admins', 'admin,,customer', 'Admin', 'none,admin']) assertConfigError(() => mfaRequiredRoles({ MFA_REQUIRED_ROLES: value }), 'MFA_REQUIRED_ROLES');
  });
});

describe('mfaConfig (MFA_ISSUER)', () => {
  it('names the gateway in apps, "API Gateway" unless MFA_ISSUER says otherwise, with no key of its own (the secret vault seals)', () => {
    assert.deepEqual(mfaConfig({}), { issuer: 'API Gateway' });
    assert.deepEqual(mfaConfig({ MFA_ISSUER: 'Shop' }), { issuer: 'Shop' });
  });

  it('refuses an issuer with a colon (it would split the otpauth label)', () => {
    assertConfigError(() => mfaConfig({ MFA_ISSUER: 'a:b' }), 'MFA_ISSUER');
  });
});

describe('webSessionConfig (browser sessions)', () => {
  it('defaults to a 30-minute idle timeout, a 12-hour lifetime and no CORS origin', () => {
    assert.deepEqual(webSessionConfig({}), { idleSeconds: 1800, lifetimeSeconds: 43_200, allowedOrigins: [] });
    assert.deepEqual(webSessionConfig({ SESSION_IDLE_MINUTES: '5', SESSION_LIFETIME_HOURS: '720' }), { idleSeconds: 300, lifetimeSeconds: 2_592_000, allowedOrigins: [] });
  });

  it('refuses an idle timeout under 5 minutes (it is kept to within two) or a lifetime out of range, naming the variable', () => {
    for (const value of ['4', '0', '1441', 'x', '-5']) assertConfigError(() => webSessionConfig({ SESSION_IDLE_MINUTES: value }), 'SESSION_IDLE_MINUTES');
    for (const value of ['0', '721', '1.5']) assertConfigError(() => webSessionConfig({ SESSION_LIFETIME_HOURS: value }), 'SESSION_LIFETIME_HOURS');
  });

  it('takes exact https origins for CORS, plain http ones only in the local stack, and never a wildcard or a path', () => {
    assert.deepEqual(webSessionConfig({ CORS_ALLOWED_ORIGINS: ' https://shop.example.com , https://admin.example.com:8443 ' }).allowedOrigins, [
      'https://shop.example.com',
      'https://admin.example.com:8443',
    ]);
    assert.deepEqual(webSessionConfig({ ...LOCAL, CORS_ALLOWED_ORIGINS: 'http://127.0.0.1:5173' }).allowedOrigins, ['http://127.0.0.1:5173']);
    for (const value of ['*', 'https://shop.example.com/', 'https://shop.example.com/path', 'shop.example.com', 'https://*.example.com', 'ftp://x.example.com', 'http://127.0.0.1:5173']) {
      assertConfigError(() => webSessionConfig({ CORS_ALLOWED_ORIGINS: value }), 'CORS_ALLOWED_ORIGINS');
    }
  });

  it('gives the authorizer the same idle timeout', () => {
    assert.equal(authorizerConfig({ ...AUTHORIZER, SESSION_IDLE_MINUTES: '10' }).sessionIdleSeconds, 600);
  });
});

describe('secretVaultConfig (the key that seals every secret kept at rest)', () => {
  const KEY = Buffer.alloc(32, 5).toString('base64');

  it('is the KMS key on AWS, required there', () => {
    assert.deepEqual(secretVaultConfig({ SECRETS_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/abc', AWS_REGION: 'eu-west-1' }), {
      kind: 'kms',
      keyId: 'arn:aws:kms:eu-west-1:123456789012:key/abc',
      region: 'eu-west-1',
    });
    assertConfigError(() => secretVaultConfig({}), 'SECRETS_KMS_KEY_ID');
    assertConfigError(() => secretVaultConfig({ SESSION_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/abc' }), 'SECRETS_KMS_KEY_ID');
  });

  it('is the local key of 32 bytes in the local stack only', () => {
    const local = secretVaultConfig({ ...LOCAL, SECRETS_LOCAL_KEY: KEY, SECRETS_KMS_KEY_ID: '' });
    assert.equal(local.kind, 'local');
    assert.deepEqual(local.kind === 'local' ? local.key : undefined, Buffer.alloc(32, 5));
    assertConfigError(() => secretVaultConfig({ SECRETS_LOCAL_KEY: KEY }), 'SECRETS_LOCAL_KEY');
    assertConfigError(() => secretVaultConfig({ ...LOCAL, SECRETS_LOCAL_KEY: Buffer.alloc(16).toString('base64') }), 'SECRETS_LOCAL_KEY');
    assertConfigError(() => secretVaultConfig({ ...LOCAL, SECRETS_LOCAL_KEY: 'not base64!' }), 'SECRETS_LOCAL_KEY');
  });
});

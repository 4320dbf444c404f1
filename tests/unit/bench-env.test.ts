/**
 * The benchmark starts every function's bundle outside serverless-offline with the variables
 * `functionEnv` (bench/authorizer.ts) gives it. A variable a function newly requires and the
 * bench does not give fails the bench's cold starts only after minutes of load: this checks the
 * same configuration readers the handlers call, at once, with realistic values of the local stack.
 */
import { afterAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { functionEnv } from '../../bench/authorizer';
import * as config from '../../lib/config';
import { localApiKeyMacKeys, localSecretsKey } from '../../scripts/local/stack';

const stateDir = mkdtempSync(path.join(tmpdir(), 'bench-env-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** What the local stack reports (scripts/local/stack.ts `gatewayEnv`), with its own key makers. */
const gatewayEnv = {
  LOCAL_COGNITO_USER_POOL_ID: 'us-east-1_abcdefgh',
  LOCAL_COGNITO_CLIENT_ID: 'abcdefghijklmnopqrstuvwxy',
  LOCAL_COGNITO_ISSUER: 'http://127.0.0.1:9229/us-east-1_abcdefgh',
  LOCAL_COGNITO_ENDPOINT: 'http://127.0.0.1:9229',
  LOCAL_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
  LOCAL_TOKEN_URL: 'http://127.0.0.1:9230/oauth2/token',
  LOCAL_API_KEY_MAC_KEYS: localApiKeyMacKeys(stateDir),
  LOCAL_SECRETS_KEY: localSecretsKey(stateDir),
};

describe("the bench's function environment", () => {
  const env = functionEnv({ gatewayEnv });

  it('configures every function the bench cold-starts: each reader its handler calls accepts it', () => {
    // Every reader of lib/config.ts (`...Config(env)`), so a new one is checked without a line here.
    const readers = Object.entries(config).filter(([name, value]) => name.endsWith('Config') && typeof value === 'function') as [
      string,
      (env: Record<string, string>) => unknown,
    ][];
    assert.ok(readers.length >= 12, readers.map(([name]) => name).join(', '));
    for (const [name, read] of readers) assert.doesNotThrow(() => read(env), name);
  });

  it('runs as stage local does: no role must use MFA, and the vault has the local key, not KMS', () => {
    assert.deepEqual(config.authorizerConfig(env).mfaRequiredRoles, []);
    assert.equal(config.secretVaultConfig(env).kind, 'local');
  });
});

/**
 * The authorizer pipeline with a fake verifier and a fake access store: every allow and deny,
 * the 401/403 split, both unauthenticated-response modes, and what the decision log says.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createJsonLogger } from '../../authorizers/adapters/json-logger';
import { JwtExpiredError, JwtInvalidSignatureError } from 'aws-jwt-verify/error';
import { OFFLINE_OVERRIDE_HEADER, createAuthorizer, type AuthorizerResult } from '../../authorizers/authorizer';
import type { AccessSnapshot, ApiKeyRecord, ApiKeySnapshot, SnapshotReader, UserRecord } from '../../lib/access/store';
import { createApiKeyRing } from '../../lib/access/api-keys';
import type { AuthorizerConfig } from '../../lib/config';
import type { AccessTokenClaims, AccessTokenVerifier, MachineTokenClaims, VerifiedToken } from '../../authorizers/adapters/jwt-verifier';
import { createEmbeddedMetrics, type EmbeddedMetrics } from '../../lib/observability';
import { TEST_MAC_KEYS, printedBy, recordingJsonLogger, testKeyRing, type LogLine } from './fixtures';

const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0xIn0.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
const TOKEN_PARTS = TOKEN.split('.');
const NOW = 1_893_450_000;

const claimsFor = (overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims => ({
  sub: 'sub-1',
  username: 'alice',
  client_id: 'client-1',
  token_use: 'access',
  jti: 'jti-1',
  origin_jti: 'origin-1',
  scope: 'aws.cognito.signin.user.admin openid',
  'cognito:groups': ['admin'],
  exp: 1_893_456_000,
  iat: 1_893_452_400,
  auth_time: 1_893_452_400,
  ...overrides,
});

/** A verifier that accepts exactly TOKEN with `claims`, or fails with `error`; records what it saw. */
const fakeVerifier = (outcome: AccessTokenClaims | VerifiedToken | Error = claimsFor()) => {
  const tokens: string[] = [];
  const verifier: AccessTokenVerifier = {
    verify: async (token) => {
      tokens.push(token);
      if (outcome instanceof Error) throw outcome;
      if (token !== TOKEN) throw new JwtInvalidSignatureError('Invalid signature');
      return 'kind' in outcome ? outcome : { kind: 'user', claims: outcome };
    },
    hydrate: async () => {},
  };
  return { verifier, tokens };
};

/** An access store answering `snapshot` for user tokens and `apiKey` for keys (or throwing them). */
const fakeAccessStore = (snapshot: AccessSnapshot | Error = {}, apiKey: ApiKeySnapshot | Error = {}) => {
  const calls: [string, string][] = [];
  const keyCalls: string[] = [];
  const store: SnapshotReader = {
    snapshot: async (sub, sessionId) => {
      calls.push([sub, sessionId]);
      if (snapshot instanceof Error) throw snapshot;
      return snapshot;
    },
    apiKey: async (keyId) => {
      keyCalls.push(keyId);
      if (apiKey instanceof Error) throw apiKey;
      return apiKey;
    },
    webSession: async () => ({}),
  };
  return { store, calls, keyCalls };
};

interface EventInit {
  routeKey?: unknown;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
}

const authorizerEvent = (init: EventInit = {}): APIGatewayRequestAuthorizerEventV2 =>
  ({
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:123456789012:api/$default/GET/users/me',
    identitySource: [],
    routeKey: 'routeKey' in init ? init.routeKey : 'GET /users/me',
    rawPath: '/users/me',
    rawQueryString: '',
    headers: init.headers ?? { authorization: `Bearer ${TOKEN}` },
    pathParameters: init.pathParameters ?? {},
    requestContext: { requestId: 'req-42', routeKey: 'GET /users/me', stage: '$default' },
  }) as unknown as APIGatewayRequestAuthorizerEventV2;

interface HarnessOptions {
  claims?: AccessTokenClaims | VerifiedToken | Error;
  snapshot?: AccessSnapshot | Error;
  apiKey?: ApiKeySnapshot | Error;
  mode?: AuthorizerConfig['unauthenticatedResponse'];
  ready?: Promise<unknown>;
  mfaRequiredRoles?: AuthorizerConfig['mfaRequiredRoles'];
}

const harness = (options: HarnessOptions = {}) => {
  const { logger, lines } = recordingJsonLogger('authorizer');
  // Metrics on (whatever this process's environment says): their fields land in the decision line.
  const embedded = createEmbeddedMetrics({}, () => NOW * 1000);
  const metricNames: string[] = [];
  const metrics: EmbeddedMetrics = {
    fields: (values) => {
      metricNames.push(...values.map(([name]) => name));
      return embedded.fields(values);
    },
    addTo: (target, values) => {
      metricNames.push(...values.map(([name]) => name));
      return embedded.addTo(target, values);
    },
  };
  const verifier = fakeVerifier(options.claims);
  const accessStore = fakeAccessStore(options.snapshot, options.apiKey);
  const authorize = createAuthorizer({
    verifier: verifier.verifier,
    accessStore: accessStore.store,
    logger,
    metrics,
    config: {
      unauthenticatedResponse: options.mode ?? 'deny',
      maxStalenessMs: 0,
      resourceServerId: 'gateway',
      machineClients: [{ clientId: 'machine-1', name: 'partner', roles: [], branches: ['1'] }],
      apiKeyMacKeys: TEST_MAC_KEYS,
      ...(options.mfaRequiredRoles ? { mfaRequiredRoles: options.mfaRequiredRoles } : {}),
      sessionIdleSeconds: 1800,
    },
    ...(options.ready ? { ready: options.ready } : {}),
    clock: () => NOW * 1000,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the decision line's fields, read by the tests' assertions
  const decisionLog = (): Record<string, any> => {
    const decisions = lines.filter((line) => line.message === 'authorizer decision');
    assert.equal(decisions.length, 1, 'exactly one decision line per request');
    return decisions[0]!.extra[0] as Record<string, unknown>;
  };
  return { authorize, lines, metricNames, tokens: verifier.tokens, snapshots: accessStore.calls, keyReads: accessStore.keyCalls, decisionLog };
};

const DENIED: AuthorizerResult = { isAuthorized: false, context: {} };

const assertNoTokenIn = (lines: LogLine[]) => {
  const logged = JSON.stringify(lines);
  assert.equal(logged.includes(TOKEN), false, 'the token was logged');
  for (const part of TOKEN_PARTS) assert.equal(logged.includes(part), false, `a part of the token was logged: ${part}`);
};

describe('createAuthorizer', () => {
  describe('allow', () => {
    it('allows a signed-in admin and hands over the full role context', async () => {
      // Prepare
      const { authorize, tokens, snapshots, decisionLog } = harness({
        snapshot: { user: { sub: 'sub-1', username: 'alice', branches: ['1', '3'] }, session: { sessionId: 'origin-1', children: [] } },
      });
      // Act
      const result = await authorize(authorizerEvent({ routeKey: 'GET /users' }));
      // Assess
      assert.deepEqual(result, {
        isAuthorized: true,
        context: {
          authType: 'user',
          sub: 'sub-1',
          username: 'alice',
          roles: ['admin'],
          branches: ['1', '3'],
          scopes: [],
          clientId: 'client-1',
          sessionId: 'origin-1',
          tokenId: 'jti-1',
          expiresAt: 1_893_456_000,
        },
      });
      assert.deepEqual(tokens, [TOKEN]);
      assert.deepEqual(snapshots, [['sub-1', 'origin-1']]);
      assert.equal(decisionLog().reason, 'role_granted');
    });

    it('uses jti as the session id when the token has no origin_jti', async () => {
      const { authorize, snapshots } = harness({ claims: claimsFor({ origin_jti: undefined }) });
      const result = await authorize(authorizerEvent());
      assert.equal(result.isAuthorized, true);
      assert.equal(result.context.sessionId, 'jti-1');
      assert.equal(result.context.tokenId, 'jti-1');
      assert.deepEqual(snapshots, [['sub-1', 'jti-1']]);
    });

    it('allows a branch manager on their own branch with branch_managed, branches taken from the access records', async () => {
      const { authorize, decisionLog } = harness({
        claims: claimsFor({ 'cognito:groups': ['branch-manager'] }),
        snapshot: { user: { sub: 'sub-1', username: 'alice', branches: ['1'] } },
      });
      const result = await authorize(authorizerEvent({ routeKey: 'GET /branches/{branchId}/products', pathParameters: { branchId: '1' } }));
      assert.equal(result.isAuthorized, true);
      assert.deepEqual(result.context.roles, ['branch-manager']);
      assert.deepEqual(result.context.branches, ['1']);
      assert.equal(decisionLog().reason, 'branch_managed');
    });

    it('drops groups that are not gateway roles', async () => {
      const { authorize } = harness({ claims: claimsFor({ 'cognito:groups': ['superuser', 'admin', 'Admin'] }) });
      const result = await authorize(authorizerEvent());
      assert.deepEqual(result.context.roles, ['admin']);
    });

    it('allows a caller without groups, records or scope on a signed-in route with empty lists', async () => {
      const { authorize, decisionLog } = harness({ claims: claimsFor({ 'cognito:groups': undefined, scope: undefined }) });
      const result = await authorize(authorizerEvent({ routeKey: 'POST /auth/logout' }));
      assert.equal(result.isAuthorized, true);
      assert.deepEqual(result.context.roles, []);
      assert.deepEqual(result.context.branches, []);
      assert.deepEqual(result.context.scopes, []);
      assert.equal(decisionLog().reason, 'signed_in');
    });

    it('counts an allow metric', async () => {
      const { authorize, metricNames } = harness();
      await authorize(authorizerEvent());
      assert.deepEqual(metricNames, ['AuthorizerAllow', 'AuthorizerLatency', 'AccessReads', 'ChangeLogPolls']);
    });

    it('waits for the key set to load (ready) before deciding', async () => {
      // Prepare
      let release!: () => void;
      const ready = new Promise<void>((resolve) => (release = resolve));
      const { authorize, tokens } = harness({ ready });
      // Act
      const pending = authorize(authorizerEvent());
      await new Promise((resolve) => setImmediate(resolve));
      // Assess
      assert.deepEqual(tokens, [], 'verified before ready resolved');
      release();
      assert.equal((await pending).isAuthorized, true);
    });
  });

  describe('deny before any cryptography (401)', () => {
    it('denies a request without a token with missing_token and never calls the verifier', async () => {
      const { authorize, tokens, decisionLog } = harness();
      const result = await authorize(authorizerEvent({ headers: { accept: 'application/json' } }));
      assert.deepEqual(result, DENIED);
      assert.deepEqual(tokens, []);
      assert.equal(decisionLog().reason, 'missing_token');
      assert.equal(decisionLog().status, 401);
    });

    it('denies a Basic authorization header with malformed_authorization and never calls the verifier', async () => {
      const { authorize, tokens, decisionLog } = harness();
      const result = await authorize(authorizerEvent({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
      assert.deepEqual(result, DENIED);
      assert.deepEqual(tokens, []);
      assert.equal(decisionLog().reason, 'malformed_authorization');
      assert.equal(decisionLog().status, 401);
    });

    it('denies two authorization headers differing in case with malformed_authorization', async () => {
      const { authorize, tokens, decisionLog } = harness();
      const result = await authorize(authorizerEvent({ headers: { Authorization: `Bearer ${TOKEN}`, authorization: `Bearer ${TOKEN}` } }));
      assert.deepEqual(result, DENIED);
      assert.deepEqual(tokens, []);
      assert.equal(decisionLog().reason, 'malformed_authorization');
    });

    for (const name of [OFFLINE_OVERRIDE_HEADER, 'Sls-Offline-Authorizer-Override']) {
      it(`denies a request carrying the ${name} header with override_header, even with a valid token`, async () => {
        // Prepare
        const { authorize, tokens, decisionLog } = harness();
        const headers = { authorization: `Bearer ${TOKEN}`, [name]: JSON.stringify({ roles: ['admin'] }) };
        // Act
        const result = await authorize(authorizerEvent({ routeKey: 'GET /users', headers }));
        // Assess
        assert.deepEqual(result, DENIED);
        assert.deepEqual(tokens, []);
        assert.equal(decisionLog().reason, 'override_header');
        assert.equal(decisionLog().status, 401);
      });
    }

    it('denies the override header even when its value is empty', async () => {
      const { authorize, decisionLog } = harness();
      const result = await authorize(authorizerEvent({ headers: { authorization: `Bearer ${TOKEN}`, [OFFLINE_OVERRIDE_HEADER]: '' } }));
      assert.deepEqual(result, DENIED);
      assert.equal(decisionLog().reason, 'override_header');
    });
  });

  describe('deny on authentication (401)', () => {
    it('denies a token the verifier rejects with the verifier reason (token_expired)', async () => {
      const { authorize, snapshots, decisionLog } = harness({ claims: new JwtExpiredError('Token expired', 0) });
      const result = await authorize(authorizerEvent());
      assert.deepEqual(result, DENIED);
      assert.deepEqual(snapshots, [], 'the access store is not read for an invalid token');
      assert.equal(decisionLog().reason, 'token_expired');
      assert.equal(decisionLog().status, 401);
      assert.equal(decisionLog().principal, null);
    });

    it('denies another token than the one the verifier accepts with bad_signature', async () => {
      const { authorize, decisionLog } = harness();
      const result = await authorize(authorizerEvent({ headers: { authorization: 'Bearer aaa.bbb.ccc' } }));
      assert.deepEqual(result, DENIED);
      assert.equal(decisionLog().reason, 'bad_signature');
    });

    it('denies with jwks_unavailable and logs an error when the key set cannot be loaded', async () => {
      const { authorize, lines, decisionLog } = harness({ claims: new TypeError('fetch failed') });
      const result = await authorize(authorizerEvent());
      assert.deepEqual(result, DENIED);
      assert.equal(decisionLog().reason, 'jwks_unavailable');
      assert.ok(lines.some((line) => line.level === 'error' && line.message === 'key set unavailable'));
    });

    it('denies a revoked session with session_revoked', async () => {
      const { authorize, decisionLog } = harness({
        snapshot: { user: { sub: 'sub-1', username: 'alice', branches: [] }, session: { sessionId: 'origin-1', revokedAt: 1_700_000_000, children: [] } },
      });
      const result = await authorize(authorizerEvent());
      assert.deepEqual(result, DENIED);
      assert.equal(decisionLog().reason, 'session_revoked');
      assert.equal(decisionLog().status, 401);
      assert.deepEqual(decisionLog().principal, { authType: 'user', sub: 'sub-1', username: 'alice', clientId: 'client-1', sessionId: 'origin-1' });
    });

    const ISSUED_AT = claimsFor().iat;
    const userRecord = (fields: Partial<UserRecord>): AccessSnapshot => ({ user: { sub: 'sub-1', username: 'alice', branches: [], ...fields } });
    const REVOKED_USERS: [string, Partial<UserRecord>, string][] = [
      ['a disabled user', { disabled: true }, 'user_disabled'],
      ['a disabled user whose token is newer than the disable', { disabled: true, disabledAt: ISSUED_AT - 60 }, 'user_disabled'],
      ['a user signed out everywhere at the second the token was issued', { signedOutAt: ISSUED_AT }, 'user_signed_out'],
      ['a user whose roles changed after the token was issued', { rolesChangedAt: ISSUED_AT + 1 }, 'roles_changed'],
      ['a user enabled again, with a token from before the disable', { disabled: false, disabledAt: ISSUED_AT + 1 }, 'user_disabled'],
      ['a deleted user', { deletedAt: ISSUED_AT + 1 }, 'user_deleted'],
      ['a user signed out everywhere, then given a role change (which reopens nothing)', { signedOutAt: ISSUED_AT + 1, rolesChangedAt: ISSUED_AT + 2 }, 'user_signed_out'],
    ];
    for (const [name, fields, reason] of REVOKED_USERS) {
      it(`denies ${name} with ${reason} (401)`, async () => {
        const { authorize, decisionLog } = harness({ snapshot: userRecord(fields) });
        const result = await authorize(authorizerEvent());
        assert.deepEqual(result, DENIED);
        assert.equal(decisionLog().reason, reason);
        assert.equal(decisionLog().status, 401);
      });
    }

    it('allows a token issued after the user signed out everywhere', async () => {
      const { authorize } = harness({ snapshot: userRecord({ signedOutAt: ISSUED_AT - 1 }) });
      assert.equal((await authorize(authorizerEvent())).isAuthorized, true);
    });

    it('refuses a disabled user before looking at the session', async () => {
      const { authorize, decisionLog } = harness({
        snapshot: { ...userRecord({ disabled: true }), session: { sessionId: 'origin-1', revokedAt: 1, children: [] } },
      });
      await authorize(authorizerEvent());
      assert.equal(decisionLog().reason, 'user_disabled');
    });

    it('denies (never allows) with access_store_unavailable when the access store throws', async () => {
      // Prepare
      const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      const { authorize, lines, decisionLog } = harness({ snapshot: throttled });
      // Act
      const result = await authorize(authorizerEvent({ routeKey: 'GET /users' }));
      // Assess
      assert.deepEqual(result, DENIED);
      assert.equal(decisionLog().reason, 'access_store_unavailable');
      assert.equal(decisionLog().status, 401);
      assert.ok(lines.some((line) => line.level === 'error' && line.message === 'access records unavailable'));
    });

    it('denies with internal_error when a stage fails unexpectedly', async () => {
      // Prepare: claims a real verifier would never return, making a later stage throw.
      const broken = claimsFor({ 'cognito:groups': 'admin' as unknown as string[] });
      const { authorize, lines, decisionLog } = harness({ claims: broken });
      // Act
      const result = await authorize(authorizerEvent());
      // Assess
      assert.deepEqual(result, DENIED);
      assert.equal(decisionLog().reason, 'internal_error');
      assert.ok(lines.some((line) => line.level === 'error' && line.message === 'authorizer failed'));
    });

    it(
      'denies with a decision log line, instead of failing the invocation, when the key set promise (ready) rejects',
      async () => {
        const ready = Promise.reject(new Error('key set down'));
        ready.catch(() => {});
        const { authorize, decisionLog } = harness({ ready });
        const result = await authorize(authorizerEvent());
        assert.deepEqual(result, DENIED);
        assert.equal(decisionLog().decision, 'deny');
      },
    );
  });

  describe('deny on authorization (403)', () => {
    it('denies a route that is not in the policy with no_policy before reading the token', async () => {
      const { authorize, tokens, decisionLog } = harness();
      const result = await authorize(authorizerEvent({ routeKey: 'DELETE /users/{userId}' }));
      assert.deepEqual(result, DENIED);
      assert.deepEqual(tokens, []);
      assert.equal(decisionLog().reason, 'no_policy');
      assert.equal(decisionLog().status, 403);
    });

    it('denies a missing or non-string route key with no_policy and logs route null', async () => {
      for (const routeKey of [undefined, 42, '$default', 'toString']) {
        const { authorize, decisionLog } = harness();
        assert.deepEqual(await authorize(authorizerEvent({ routeKey })), DENIED);
        assert.equal(decisionLog().reason, 'no_policy');
        assert.equal(decisionLog().route, typeof routeKey === 'string' ? routeKey : null);
      }
    });

    it('denies a customer on an admin route with role_missing', async () => {
      const { authorize, decisionLog } = harness({ claims: claimsFor({ 'cognito:groups': ['customer'] }) });
      const result = await authorize(authorizerEvent({ routeKey: 'POST /products' }));
      assert.deepEqual(result, DENIED);
      assert.equal(decisionLog().reason, 'role_missing');
      assert.equal(decisionLog().status, 403);
      assert.deepEqual(decisionLog().principal, { authType: 'user', sub: 'sub-1', username: 'alice', clientId: 'client-1', sessionId: 'origin-1' });
    });

    it('denies a branch manager on another branch with branch_not_managed', async () => {
      const { authorize, decisionLog } = harness({
        claims: claimsFor({ 'cognito:groups': ['branch-manager'] }),
        snapshot: { user: { sub: 'sub-1', username: 'alice', branches: ['1'] } },
      });
      const result = await authorize(
        authorizerEvent({ routeKey: 'PUT /branches/{branchId}/products/{productId}', pathParameters: { branchId: '2', productId: 'p' } }),
      );
      assert.deepEqual(result, DENIED);
      assert.equal(decisionLog().reason, 'branch_not_managed');
      assert.equal(decisionLog().status, 403);
    });

    it('denies a branch manager without an access record with branch_not_managed', async () => {
      const { authorize, decisionLog } = harness({ claims: claimsFor({ 'cognito:groups': ['branch-manager'] }), snapshot: {} });
      const result = await authorize(authorizerEvent({ routeKey: 'GET /branches/{branchId}/products', pathParameters: { branchId: '1' } }));
      assert.deepEqual(result, DENIED);
      assert.equal(decisionLog().reason, 'branch_not_managed');
    });

    it('counts a deny metric', async () => {
      const { authorize, metricNames } = harness({ claims: claimsFor({ 'cognito:groups': ['customer'] }) });
      await authorize(authorizerEvent({ routeKey: 'GET /users' }));
      assert.deepEqual(metricNames, ['AuthorizerDeny', 'AuthorizerLatency', 'AccessReads', 'ChangeLogPolls']);
    });
  });

  describe("unauthenticatedResponse 'error'", () => {
    it("fails a 401 decision with Error('Unauthorized') after logging it", async () => {
      const { authorize, decisionLog } = harness({ mode: 'error' });
      await assert.rejects(authorize(authorizerEvent({ headers: {} })), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal(error.message, 'Unauthorized');
        return true;
      });
      assert.equal(decisionLog().reason, 'missing_token');
    });

    it('fails a revoked session (401) with Unauthorized', async () => {
      const { authorize } = harness({ mode: 'error', snapshot: { session: { sessionId: 'origin-1', revokedAt: 1, children: [] } } });
      await assert.rejects(authorize(authorizerEvent()), { message: 'Unauthorized' });
    });

    it('fails a disabled user (401) with Unauthorized', async () => {
      const { authorize } = harness({ mode: 'error', snapshot: { user: { sub: 'sub-1', username: 'alice', branches: [], disabled: true } } });
      await assert.rejects(authorize(authorizerEvent()), { message: 'Unauthorized' });
    });

    it('returns isAuthorized false for a 403 decision', async () => {
      const { authorize } = harness({ mode: 'error', claims: claimsFor({ 'cognito:groups': ['customer'] }) });
      assert.deepEqual(await authorize(authorizerEvent({ routeKey: 'GET /users' })), DENIED);
    });

    it('returns isAuthorized false for no_policy (403) even without a token', async () => {
      const { authorize } = harness({ mode: 'error' });
      assert.deepEqual(await authorize(authorizerEvent({ routeKey: 'GET /admin', headers: {} })), DENIED);
    });

    it('still allows a valid caller', async () => {
      const { authorize } = harness({ mode: 'error' });
      assert.equal((await authorize(authorizerEvent())).isAuthorized, true);
    });
  });

  describe("unauthenticatedResponse 'deny'", () => {
    it('returns isAuthorized false for a 401 decision', async () => {
      const { authorize } = harness({ mode: 'deny' });
      assert.deepEqual(await authorize(authorizerEvent({ headers: {} })), DENIED);
    });
  });

  describe('decision log', () => {
    it('logs decision, reason, status, route, request id, principal and latency for an allow', async () => {
      const { authorize, decisionLog } = harness();
      await authorize(authorizerEvent({ routeKey: 'GET /users' }));
      const line = decisionLog();
      assert.equal(line.decision, 'allow');
      assert.equal(line.reason, 'role_granted');
      assert.equal(line.status, 200);
      assert.equal(line.route, 'GET /users');
      assert.equal(line.requestId, 'req-42');
      assert.deepEqual(line.principal, { authType: 'user', sub: 'sub-1', username: 'alice', clientId: 'client-1', sessionId: 'origin-1' });
      assert.equal(typeof line.latencyMs, 'number');
      assert.ok(line.latencyMs >= 0);
    });

    it('logs decision, reason, route and latency for a deny', async () => {
      const { authorize, decisionLog } = harness({ claims: claimsFor({ 'cognito:groups': ['customer'] }) });
      await authorize(authorizerEvent({ routeKey: 'GET /users' }));
      const line = decisionLog();
      assert.equal(line.decision, 'deny');
      assert.equal(line.reason, 'role_missing');
      assert.equal(line.route, 'GET /users');
      assert.equal(typeof line.latencyMs, 'number');
    });

    it('never logs the token, whatever the outcome', async () => {
      const scenarios: [HarnessOptions, EventInit][] = [
        [{}, {}],
        [{ claims: new JwtExpiredError('Token expired', 0) }, {}],
        [{ claims: new TypeError('fetch failed') }, {}],
        [{ snapshot: new Error('throttled') }, {}],
        [{ snapshot: { session: { sessionId: 'origin-1', revokedAt: 1, children: [] } } }, {}],
        [{ claims: claimsFor({ 'cognito:groups': ['customer'] }) }, { routeKey: 'GET /users' }],
        [{}, { headers: { authorization: `Bearer ${TOKEN} ${TOKEN}` } }],
        [{}, { headers: { authorization: `Bearer ${TOKEN}`, [OFFLINE_OVERRIDE_HEADER]: TOKEN } }],
        [{ claims: claimsFor({ 'cognito:groups': 'admin' as unknown as string[] }) }, {}],
      ];
      for (const [options, init] of scenarios) {
        const { authorize, lines } = harness(options);
        await authorize(authorizerEvent(init));
        assert.ok(lines.length > 0);
        assertNoTokenIn(lines);
      }
    });

    it('carries the decision metrics in the same line, in CloudWatch embedded metric format', async () => {
      // Prepare
      const { authorize, decisionLog } = harness({ claims: claimsFor({ 'cognito:groups': ['customer'] }) });
      // Act
      await authorize(authorizerEvent({ routeKey: 'GET /users' }));
      // Assess
      const line = decisionLog();
      assert.deepEqual(line._aws, {
        Timestamp: NOW * 1000,
        CloudWatchMetrics: [
          {
            Namespace: 'ServerlessGateway',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'AuthorizerDeny', Unit: 'Count' },
              { Name: 'AuthorizerLatency', Unit: 'Milliseconds' },
              { Name: 'AccessReads', Unit: 'Count' },
              { Name: 'ChangeLogPolls', Unit: 'Count' },
            ],
          },
        ],
      });
      assert.equal(line.AuthorizerDeny, 1);
      assert.equal(line.AuthorizerLatency, line.latencyMs);
    });

    it('prints one JSON line per decision with the metric values and their service dimension at its root', async () => {
      // Prepare: the authorizer's own logger at INFO, its output captured.
      const logger = createJsonLogger('authorizer', { env: { POWERTOOLS_LOG_LEVEL: 'INFO' } });
      const authorize = createAuthorizer({
        verifier: fakeVerifier().verifier,
        accessStore: fakeAccessStore().store,
        logger,
        metrics: createEmbeddedMetrics({}),
        config: { unauthenticatedResponse: 'deny', maxStalenessMs: 0, resourceServerId: 'gateway', machineClients: [], apiKeyMacKeys: TEST_MAC_KEYS, sessionIdleSeconds: 1800 },
        clock: () => NOW * 1000,
      });
      // Act
      const lines = await printedBy(() => authorize(authorizerEvent()));
      // Assess
      assert.equal(lines.length, 1, 'one line per decision, metrics included');
      const line = JSON.parse(lines[0]!);
      assert.equal(line.message, 'authorizer decision');
      assert.equal(line.service, 'authorizer');
      const [directive] = line._aws.CloudWatchMetrics;
      for (const dimension of directive.Dimensions.flat()) assert.equal(typeof line[dimension], 'string', `dimension ${dimension} at the root`);
      for (const { Name } of directive.Metrics) assert.equal(typeof line[Name], 'number', `metric ${Name} at the root`);
      assert.equal(line.AuthorizerAllow, 1);
      assert.equal(typeof line._aws.Timestamp, 'number');
    });
  });

  describe('personal API keys', () => {
    const ring = testKeyRing();
    const { key: KEY, id: KEY_ID, secretHash } = ring.generate();
    const SECRET = ring.parse(KEY)!.secret;
    const keyRecord = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
      id: KEY_ID,
      owner: 'sub-7',
      ownerUsername: 'mary',
      name: 'stock report',
      scopes: ['inventory:read'],
      secretHash,
      createdAt: NOW - 3600,
      expiresAt: NOW + 86_400,
      ...overrides,
    });
    const owner = (overrides: Partial<UserRecord> = {}): UserRecord => ({ sub: 'sub-7', username: 'mary', branches: ['1'], roles: ['branch-manager'], ...overrides });
    const withKey = (init: EventInit = {}): EventInit => ({
      routeKey: 'GET /branches/{branchId}/products',
      pathParameters: { branchId: '1' },
      headers: { authorization: `Bearer ${KEY}` },
      ...init,
    });

    it("allows a manager's inventory:read key on the manager's branch, acting as the owner", async () => {
      const { authorize, keyReads, tokens, decisionLog } = harness({ apiKey: { key: keyRecord(), owner: owner() } });
      const result = await authorize(authorizerEvent(withKey()));
      assert.deepEqual(result, {
        isAuthorized: true,
        context: {
          authType: 'api_key',
          sub: 'sub-7',
          username: 'mary',
          roles: ['branch-manager'],
          branches: ['1'],
          scopes: ['inventory:read'],
          keyId: KEY_ID,
          expiresAt: NOW + 86_400,
        },
      });
      assert.deepEqual(keyReads, [KEY_ID]);
      assert.deepEqual(tokens, [], 'a key never reaches the JWT verifier');
      assert.deepEqual(decisionLog().principal, { authType: 'api_key', sub: 'sub-7', username: 'mary', keyId: KEY_ID });
    });

    it('denies the key on another branch with 403 branch_not_managed', async () => {
      const { authorize, decisionLog } = harness({ apiKey: { key: keyRecord(), owner: owner() } });
      assert.deepEqual(await authorize(authorizerEvent(withKey({ pathParameters: { branchId: '2' } }))), DENIED);
      assert.deepEqual([decisionLog().status, decisionLog().reason], [403, 'branch_not_managed']);
    });

    it("denies a route outside the key's scopes with 403 scope_missing", async () => {
      const { authorize, decisionLog } = harness({ apiKey: { key: keyRecord(), owner: owner() } });
      await authorize(authorizerEvent(withKey({ routeKey: 'PUT /branches/{branchId}/products/{productId}', pathParameters: { branchId: '1', productId: 'p' } })));
      assert.deepEqual([decisionLog().status, decisionLog().reason], [403, 'scope_missing']);
    });

    it('denies key management with 403 user_token_required', async () => {
      const { authorize, decisionLog } = harness({ apiKey: { key: keyRecord(), owner: owner() } });
      await authorize(authorizerEvent(withKey({ routeKey: 'POST /api-keys', pathParameters: {} })));
      assert.deepEqual([decisionLog().status, decisionLog().reason], [403, 'user_token_required']);
    });

    it("follows the owner's current roles: a demoted owner's key loses the branch", async () => {
      const { authorize, decisionLog } = harness({ apiKey: { key: keyRecord(), owner: owner({ roles: ['customer'], rolesChangedAt: NOW - 60 }) } });
      await authorize(authorizerEvent(withKey()));
      assert.deepEqual([decisionLog().status, decisionLog().reason], [403, 'role_missing']);
    });

    const refusals: [string, ApiKeySnapshot, string, string][] = [
      ['an unknown key id', {}, 'unknown_api_key', 'no record'],
      ['a wrong secret', { key: keyRecord({ secretHash: 'ab'.repeat(32) }), owner: owner() }, 'bad_api_key_secret', 'hash differs'],
      ['a revoked key', { key: keyRecord({ revokedAt: NOW - 10 }), owner: owner() }, 'api_key_revoked', 'revokedAt set'],
      ['an expired key', { key: keyRecord({ expiresAt: NOW }), owner: owner() }, 'api_key_expired', 'expiresAt reached'],
      ['a key whose owner has no record', { key: keyRecord() }, 'owner_unknown', 'owner missing'],
      ["a disabled owner's key", { key: keyRecord(), owner: owner({ disabled: true }) }, 'user_disabled', 'owner disabled'],
      [
        'a key made before its owner signed out everywhere',
        { key: keyRecord(), owner: owner({ signedOutAt: NOW - 60 }) },
        'user_signed_out',
        'signedOutAt after createdAt',
      ],
      [
        'a key made before its owner was disabled, after the owner is enabled again',
        { key: keyRecord(), owner: owner({ disabled: false, disabledAt: NOW - 60 }) },
        'user_disabled',
        'disabledAt after createdAt',
      ],
      [
        'a key cut off by a sign-out everywhere, after a later role change',
        { key: keyRecord(), owner: owner({ signedOutAt: NOW - 60, rolesChangedAt: NOW - 30 }) },
        'user_signed_out',
        'role change reopens nothing',
      ],
      ["a deleted owner's key", { key: keyRecord(), owner: owner({ deletedAt: NOW - 60 }) }, 'user_deleted', 'owner deleted'],
    ];
    for (const [what, snapshot, reason] of refusals) {
      it(`refuses ${what} with 401 ${reason}`, async () => {
        const { authorize, decisionLog, lines } = harness({ apiKey: snapshot, mode: 'error' });
        await assert.rejects(authorize(authorizerEvent(withKey())), /^Error: Unauthorized$/);
        assert.deepEqual([decisionLog().status, decisionLog().reason], [401, reason]);
        assert.equal(JSON.stringify(lines).includes(SECRET), false, 'the secret was logged');
      });
    }

    it('accepts a key made after its owner signed out everywhere', async () => {
      const { authorize } = harness({ apiKey: { key: keyRecord(), owner: owner({ signedOutAt: NOW - 7200 }) } });
      assert.equal((await authorize(authorizerEvent(withKey()))).isAuthorized, true);
    });

    it('refuses a mistyped key with 401 malformed_api_key and no database read', async () => {
      const mistyped = KEY.slice(0, 30) + (KEY[30] === 'a' ? 'b' : 'a') + KEY.slice(31);
      const { authorize, keyReads, decisionLog } = harness({ apiKey: { key: keyRecord(), owner: owner() } });
      await authorize(authorizerEvent(withKey({ headers: { authorization: `Bearer ${mistyped}` } })));
      assert.deepEqual([decisionLog().status, decisionLog().reason], [401, 'malformed_api_key']);
      assert.deepEqual(keyReads, []);
    });

    describe('forged keys cost no read', () => {
      /** An access store that answers every read with the live key and counts each read. */
      const countingStore = () => {
        const reads = { apiKey: 0, snapshot: 0 };
        const store: SnapshotReader = {
          snapshot: async () => {
            reads.snapshot += 1;
            return {};
          },
          apiKey: async () => {
            reads.apiKey += 1;
            return { key: keyRecord(), owner: owner() };
          },
          webSession: async () => ({}),
        };
        return { store, reads };
      };
      const authorizerWith = (store: SnapshotReader, apiKeyMacKeys = TEST_MAC_KEYS) => {
        const { logger, lines } = recordingJsonLogger('authorizer');
        const authorize = createAuthorizer({
          verifier: fakeVerifier().verifier,
          accessStore: store,
          logger,
          metrics: createEmbeddedMetrics({}),
          config: { unauthenticatedResponse: 'deny', maxStalenessMs: 0, resourceServerId: 'gateway', machineClients: [], apiKeyMacKeys, sessionIdleSeconds: 1800 },
          clock: () => NOW * 1000,
        });
        const reasons = () => lines.filter((line) => line.message === 'authorizer decision').map((line) => (line.extra[0] as Record<string, unknown>).reason);
        return { authorize, reasons };
      };
      const call = (authorize: ReturnType<typeof authorizerWith>['authorize'], key: string) =>
        authorize(authorizerEvent(withKey({ headers: { authorization: `Bearer ${key}` } })));

      const mac = KEY.slice(-24);
      const forgeries: [string, string][] = [
        ['a made-up id and secret with a made-up MAC', `gwk_${'0123456789abcdef0123'}_${'A'.repeat(43)}_v2${'B'.repeat(24)}`],
        ["the real id and secret with another MAC", `${KEY.slice(0, -24)}${mac.slice(0, -1)}${mac.at(-1) === 'A' ? 'B' : 'A'}`],
        ["the real key's MAC under a made-up id", `gwk_${'f'.repeat(20)}${KEY.slice('gwk_'.length + 20)}`],
        ['a key minted with a MAC key not on the ring', createApiKeyRing([{ version: 'v2', secret: Buffer.alloc(32, 7) }]).generate().key],
        ['a key in the old format with a valid CRC-32', `gwk_${KEY_ID}_${SECRET}_${crc32(`gwk_${KEY_ID}_${SECRET}`).toString(16).padStart(8, '0')}`],
      ];
      for (const [what, forged] of forgeries) {
        it(`refuses ${what} with 401 malformed_api_key and no access-store read`, async () => {
          // Prepare: a store that would allow the key, were it ever asked.
          const { store, reads } = countingStore();
          const { authorize, reasons } = authorizerWith(store);
          // Act
          const result = await call(authorize, forged);
          // Assess
          assert.deepEqual(result, DENIED);
          assert.deepEqual(reasons(), ['malformed_api_key']);
          assert.deepEqual(reads, { apiKey: 0, snapshot: 0 });
        });
      }

      it('refuses a key minted under a version removed from the ring, with no read', async () => {
        const { store, reads } = countingStore();
        const { authorize, reasons } = authorizerWith(store, TEST_MAC_KEYS.filter((k) => k.version !== 'v2'));
        assert.deepEqual(await call(authorize, KEY), DENIED);
        assert.deepEqual(reasons(), ['malformed_api_key']);
        assert.deepEqual(reads, { apiKey: 0, snapshot: 0 });
      });

      it('reads the record once for a key minted under an older version still on the ring', async () => {
        // Prepare: the key minted before the rotation, when v1 was the ring's only version.
        const old = createApiKeyRing(TEST_MAC_KEYS.filter((k) => k.version === 'v1')).generate();
        const { store: counting, reads } = countingStore();
        const store: SnapshotReader = {
          ...counting,
          apiKey: async (id) => ({ ...(await counting.apiKey(id)), key: keyRecord({ id: old.id, secretHash: old.secretHash }) }),
        };
        const { authorize, reasons } = authorizerWith(store);
        // Act
        const result = await call(authorize, old.key);
        // Assess
        assert.equal(result.isAuthorized, true);
        assert.deepEqual(reasons(), ['branch_managed']);
        assert.deepEqual(reads, { apiKey: 1, snapshot: 0 });
      });
    });

    it('refuses with 401 access_store_unavailable when the records cannot be read', async () => {
      const { authorize, decisionLog } = harness({ apiKey: new Error('ECONNREFUSED') });
      await authorize(authorizerEvent(withKey()));
      assert.deepEqual([decisionLog().status, decisionLog().reason], [401, 'access_store_unavailable']);
    });
  });

  describe('machine clients', () => {
    const machine = (overrides: Partial<MachineTokenClaims> = {}): VerifiedToken => ({
      kind: 'client',
      claims: {
        sub: 'machine-1',
        client_id: 'machine-1',
        token_use: 'access',
        jti: 'jti-m',
        scope: 'gateway/inventory:read gateway/catalog:write other/users:read gateway/unknown',
        exp: NOW + 3600,
        iat: NOW,
        ...overrides,
      },
    });

    it('allows a configured client on its branch with exactly its gateway scopes', async () => {
      const { authorize, snapshots, decisionLog } = harness({ claims: machine() });
      const result = await authorize(authorizerEvent({ routeKey: 'GET /branches/{branchId}/products', pathParameters: { branchId: '1' } }));
      assert.deepEqual(result, {
        isAuthorized: true,
        context: {
          authType: 'client',
          sub: 'machine-1',
          username: 'partner',
          roles: [],
          branches: ['1'],
          scopes: ['inventory:read', 'catalog:write'],
          clientId: 'machine-1',
          tokenId: 'jti-m',
          expiresAt: NOW + 3600,
        },
      });
      assert.deepEqual(snapshots, [], 'no user records are read for a machine');
      assert.deepEqual(decisionLog().principal, { authType: 'client', sub: 'machine-1', username: 'partner', clientId: 'machine-1' });
    });

    it('denies a scope granted by another resource server with 403 scope_missing', async () => {
      const { authorize, decisionLog } = harness({ claims: machine() });
      await authorize(authorizerEvent({ routeKey: 'GET /users' }));
      assert.deepEqual([decisionLog().status, decisionLog().reason], [403, 'scope_missing']);
    });

    it('denies a client that is not configured with 401 unknown_client', async () => {
      const { authorize, decisionLog } = harness({ claims: machine({ client_id: 'machine-9', sub: 'machine-9' }) });
      await authorize(authorizerEvent({ routeKey: 'POST /products' }));
      assert.deepEqual([decisionLog().status, decisionLog().reason], [401, 'unknown_client']);
    });
  });
});

describe('MFA_REQUIRED_ROLES', () => {
  const session = { sessionId: 'origin-1', children: [] };
  const admin = (overrides: Partial<UserRecord> = {}): UserRecord => ({ sub: 'sub-1', username: 'alice', branches: [], roles: ['admin'], ...overrides });

  it('refuses an admin without MFA every route but its setup, /users/me and logout, with 403 mfa_required, from the record it already read', async () => {
    for (const routeKey of ['GET /users', 'POST /products', 'POST /api-keys', 'POST /auth/password', 'POST /users/{username}/mfa/reset']) {
      const { authorize, decisionLog, snapshots } = harness({ snapshot: { user: admin(), session }, mfaRequiredRoles: ['admin'] });
      assert.deepEqual(await authorize(authorizerEvent({ routeKey, pathParameters: { username: 'bob' } })), DENIED, routeKey);
      assert.deepEqual([decisionLog().status, decisionLog().reason], [403, 'mfa_required'], routeKey);
      assert.equal(decisionLog().accessReads, 0, 'no read of its own');
      assert.equal(snapshots.length, 1, 'the one snapshot every user decision reads');
    }
  });

  it('opens MFA setup, /users/me and logout to them, and tells the services in the role context', async () => {
    for (const routeKey of ['POST /auth/mfa/setup', 'POST /auth/mfa/verify', 'DELETE /auth/mfa', 'GET /users/me', 'POST /auth/logout']) {
      const { authorize } = harness({ snapshot: { user: admin(), session }, mfaRequiredRoles: ['admin'] });
      const result = await authorize(authorizerEvent({ routeKey }));
      assert.equal(result.isAuthorized, true, routeKey);
      assert.equal(result.context?.mfaRequired, true, routeKey);
    }
  });

  it('allows an admin whose record says MFA is on, with no mfaRequired in the context', async () => {
    const { authorize } = harness({ snapshot: { user: admin({ mfaEnabled: true }), session }, mfaRequiredRoles: ['admin'] });
    const result = await authorize(authorizerEvent({ routeKey: 'GET /users' }));
    assert.equal(result.isAuthorized, true);
    assert.equal('mfaRequired' in (result.context ?? {}), false);
  });

  it('refuses an admin without a record at all (fail closed: no record, no MFA)', async () => {
    const { authorize, decisionLog } = harness({ snapshot: { session }, mfaRequiredRoles: ['admin'] });
    await authorize(authorizerEvent({ routeKey: 'GET /users' }));
    assert.equal(decisionLog().reason, 'mfa_required');
  });

  it('leaves roles not listed, and everyone when the list is empty, as they were', async () => {
    const customer = harness({ claims: claimsFor({ 'cognito:groups': ['customer'] }), snapshot: { user: admin({ roles: ['customer'] }), session }, mfaRequiredRoles: ['admin'] });
    assert.equal((await customer.authorize(authorizerEvent({ routeKey: 'POST /api-keys' }))).isAuthorized, true);
    const none = harness({ snapshot: { user: admin(), session }, mfaRequiredRoles: [] });
    assert.equal((await none.authorize(authorizerEvent({ routeKey: 'GET /users' }))).isAuthorized, true);
  });

  it("refuses the API key of an admin without MFA the same way, by the owner's record", async () => {
    const ring = testKeyRing();
    const { key, id, secretHash } = ring.generate();
    const keyRecord: ApiKeyRecord = { id, owner: 'sub-1', ownerUsername: 'alice', name: 'k', scopes: ['users:read', 'profile:read'], secretHash, createdAt: NOW - 60, expiresAt: NOW + 3600 };
    const withKey = { headers: { authorization: `Bearer ${key}` } };
    const off = harness({ apiKey: { key: keyRecord, owner: admin() }, mfaRequiredRoles: ['admin'] });
    await off.authorize(authorizerEvent({ routeKey: 'GET /users', ...withKey }));
    assert.deepEqual([off.decisionLog().status, off.decisionLog().reason], [403, 'mfa_required']);
    const me = harness({ apiKey: { key: keyRecord, owner: admin() }, mfaRequiredRoles: ['admin'] });
    assert.equal((await me.authorize(authorizerEvent({ routeKey: 'GET /users/me', ...withKey }))).isAuthorized, true);
    const on = harness({ apiKey: { key: keyRecord, owner: admin({ mfaEnabled: true }) }, mfaRequiredRoles: ['admin'] });
    assert.equal((await on.authorize(authorizerEvent({ routeKey: 'GET /users', ...withKey }))).isAuthorized, true);
  });
});

/**
 * The key set cache (authorizers/adapters/jwks-cache.ts) inside the real verifier: a key set served by a real HTTP
 * server on 127.0.0.1 (fetched by `TimeoutFetcher`), RSA keys made here, tokens signed here with
 * node:crypto as in jwt.test.ts. Time, for the cache, is a clock the tests move: the defaults
 * (refetch interval 5 s, max age 10 min, staleness limit 1 h) are exercised without waiting.
 */
import { afterAll, beforeAll, beforeEach, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwksNotAvailableInCacheError, JwtWithoutValidKidError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import { identityConfig } from '../../lib/config';
import { createJwksCache } from '../../authorizers/adapters/jwks-cache';
import { createAccessTokenVerifier, verificationFailureReason, type AccessTokenVerifier, type TokenFailureReason } from '../../authorizers/adapters/jwt-verifier';

const ISSUER = 'http://127.0.0.1:9229/local_test';
const CLIENT_ID = 'client-1';
/** The cache's defaults: refetch interval, max age, staleness limit (ms). */
const [REFETCH, MAX_AGE, MAX_STALE] = [5_000, 600_000, 3_600_000];

/** A signing key and its public JWK under `kid`. */
const signingKey = (kid: string) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
};
const KEY_A = signingKey('key-a');
const KEY_B = signingKey('key-b');

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const seconds = () => Math.floor(Date.now() / 1000);

/** A Cognito access token signed with `key` under `kid` (the key's own unless given). */
const tokenOf = (key: { kid: string; privateKey: KeyObject }, kid = key.kid): string => {
  const iat = seconds();
  const payload = { sub: 'user-1', iss: ISSUER, client_id: CLIENT_ID, token_use: 'access', auth_time: iat, iat, exp: iat + 3600, jti: 'jti-1', username: 'alice' };
  const input = `${b64url({ alg: 'RS256', kid })}.${b64url(payload)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url')}`;
};
const bogus = (n: number) => tokenOf(KEY_A, `bogus-${n}`);

/** 'accepted' or the reason the token was refused. */
const outcome = async (verifier: AccessTokenVerifier, token: string): Promise<'accepted' | TokenFailureReason> => {
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (error) {
    return verificationFailureReason(error);
  }
};

/** The issuer's key set endpoint: what it serves, whether it is up, how slow, and how often asked. */
const issuer = {
  keys: [KEY_A.jwk] as object[],
  up: true,
  delayMs: 0,
  requests: 0,
  reset() {
    Object.assign(this, { keys: [KEY_A.jwk], up: true, delayMs: 0, requests: 0 });
  },
};

describe('the key set cache in the verifier', () => {
  let server: http.Server;
  let jwksUri: string;
  let clock: number;
  const now = () => clock;
  /** A verifier as the authorizer builds it (configuration read by identityConfig), on our clock. */
  const newVerifier = (env: Record<string, string> = {}) =>
    createAccessTokenVerifier(
      // http issuer and key set (a local server): the local stack's settings (lib/config.ts).
      identityConfig({ GATEWAY_LOCAL_STACK: 'true', COGNITO_USER_POOL_ID: 'local_test', COGNITO_CLIENT_ID: CLIENT_ID, COGNITO_ISSUER: ISSUER, COGNITO_JWKS_URI: jwksUri, ...env }),
      { now },
    );

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      issuer.requests += 1;
      const answer = issuer.up ? () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: issuer.keys })) : () => res.writeHead(503).end('down');
      if (issuer.delayMs > 0) setTimeout(answer, issuer.delayMs);
      else answer();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  beforeEach(() => {
    issuer.reset();
    clock = 1_000_000;
  });

  it('serves from cache without a network call for known kids', async () => {
    // Prepare
    const verifier = newVerifier();
    await verifier.hydrate();
    // Act: known kids all through the max age.
    const outcomes = [];
    for (let at = 0; at < MAX_AGE; at += MAX_AGE / 20) {
      clock = 1_000_000 + at;
      outcomes.push(await outcome(verifier, tokenOf(KEY_A)));
    }
    // Assess
    assert.deepEqual(new Set(outcomes), new Set(['accepted']));
    assert.equal(issuer.requests, 1, 'only hydrate fetched the key set');
  });

  it('refuses an unknown kid at once, without a network call, within the refetch interval', async () => {
    const verifier = newVerifier();
    await verifier.hydrate();
    clock += REFETCH - 1;
    const started = Date.now();
    for (let n = 0; n < 50; n += 1) assert.equal(await outcome(verifier, bogus(n)), 'unknown_key');
    assert.equal(issuer.requests, 1);
    assert.ok(Date.now() - started < 500);
  });

  it('one fetch for many concurrent lookups', async () => {
    // Prepare: a cold verifier and a slow key set endpoint.
    issuer.delayMs = 50;
    const verifier = newVerifier();
    // Act: 30 tokens at once, a third of them with kids the set lacks.
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, n) => outcome(verifier, n % 3 === 0 ? bogus(n) : tokenOf(KEY_A))));
    // Assess
    assert.equal(issuer.requests, 1);
    assert.equal(outcomes.filter((o) => o === 'accepted').length, 20);
    assert.equal(outcomes.filter((o) => o === 'unknown_key').length, 10);
  });

  it('accepts a key rotated in while a stream of bogus kids arrives, within the refetch interval', async () => {
    // Prepare: the set holds key A; a bogus kid every 500 ms keeps arriving throughout.
    const verifier = newVerifier();
    await verifier.hydrate();
    const start = clock;
    const publishedAt = start + 7_250; // Cognito rotates key B in, between two refetches
    let acceptedAt: number | undefined;
    // Act: one minute of traffic; from publication on, a user with a key-B token retries every 500 ms.
    for (let step = 1; step <= 120; step += 1) {
      clock = start + step * 500;
      if (clock >= publishedAt) issuer.keys = [KEY_A.jwk, KEY_B.jwk];
      assert.equal(await outcome(verifier, bogus(step)), 'unknown_key');
      if (clock >= publishedAt && acceptedAt === undefined && (await outcome(verifier, tokenOf(KEY_B))) === 'accepted') acceptedAt = clock;
    }
    // Assess
    assert.ok(acceptedAt !== undefined, 'key B was never accepted');
    assert.ok(acceptedAt - publishedAt <= REFETCH, `key B accepted ${acceptedAt - publishedAt} ms after its publication`);
    assert.ok(issuer.requests <= 1 + 60_000 / REFETCH + 1, `bogus kids caused ${issuer.requests} fetches in a minute`);
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'accepted');
  });

  it('refuses a key removed from the key set once the max age has passed', async () => {
    // Prepare: A and B; Cognito then drops A.
    issuer.keys = [KEY_A.jwk, KEY_B.jwk];
    const verifier = newVerifier();
    await verifier.hydrate();
    issuer.keys = [KEY_B.jwk];
    // Act + Assess: up to the max age the cached set answers; from it on, the fetched one.
    clock += MAX_AGE - 1;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'accepted');
    assert.equal(issuer.requests, 1);
    clock += 1;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'unknown_key');
    assert.equal(issuer.requests, 2);
    assert.equal(await outcome(verifier, tokenOf(KEY_B)), 'accepted');
  });

  it('drops a removed key as soon as any refetch brings a set without it', async () => {
    issuer.keys = [KEY_A.jwk, KEY_B.jwk];
    const verifier = newVerifier();
    await verifier.hydrate();
    issuer.keys = [KEY_B.jwk];
    clock += REFETCH;
    assert.equal(await outcome(verifier, bogus(1)), 'unknown_key'); // refetches: the interval has passed
    assert.equal(issuer.requests, 2);
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'unknown_key');
    assert.equal(await outcome(verifier, tokenOf(KEY_B)), 'accepted');
  });

  it('keeps working with the cached set while a refetch fails within the staleness limit', async () => {
    // Prepare
    const verifier = newVerifier();
    await verifier.hydrate();
    issuer.up = false;
    // Act + Assess: past the max age, each refetch fails and the cached set still answers.
    clock += MAX_AGE;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'accepted');
    assert.equal(issuer.requests, 2, 'one refetch was tried');
    clock += REFETCH - 1;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'accepted');
    assert.equal(issuer.requests, 2, 'no second try within the refetch interval');
    clock = 1_000_000 + MAX_STALE - 1;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'accepted');
    assert.equal(issuer.requests, 3);
    // The issuer comes back with a rotated set: the next due refetch takes it.
    issuer.up = true;
    issuer.keys = [KEY_B.jwk];
    clock += REFETCH;
    assert.equal(await outcome(verifier, tokenOf(KEY_B)), 'accepted');
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'unknown_key');
  });

  it('refuses (jwks_unavailable) when the key set cannot be refreshed past the staleness limit', async () => {
    // Prepare
    const verifier = newVerifier();
    await verifier.hydrate();
    issuer.up = false;
    // Act + Assess: at the limit the set is no longer used, whether a refetch is tried or not.
    clock += MAX_STALE;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'jwks_unavailable');
    assert.equal(issuer.requests, 2);
    clock += 1;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'jwks_unavailable');
    assert.equal(issuer.requests, 2, 'refused without another fetch within the refetch interval');
    // The issuer comes back: accepted again from the next due refetch.
    issuer.up = true;
    clock += REFETCH;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'accepted');
  });

  it('fails closed (jwks_unavailable) when no key set was ever loaded, retrying once per refetch interval', async () => {
    issuer.up = false;
    const verifier = newVerifier();
    await assert.rejects(verifier.hydrate(), /answered 503/);
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'jwks_unavailable');
    assert.equal(issuer.requests, 1);
    issuer.up = true;
    clock += REFETCH;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'accepted');
    assert.equal(issuer.requests, 2);
  });

  it('takes its intervals from JWKS_MIN_REFETCH_MS, JWKS_MAX_AGE_SECONDS and JWKS_MAX_STALE_SECONDS', async () => {
    const verifier = newVerifier({ JWKS_MIN_REFETCH_MS: '60000', JWKS_MAX_AGE_SECONDS: '120', JWKS_MAX_STALE_SECONDS: '180' });
    await verifier.hydrate();
    issuer.keys = [KEY_B.jwk];
    clock += 59_999;
    assert.equal(await outcome(verifier, tokenOf(KEY_B)), 'unknown_key', 'refetch not due before 60 s');
    clock += 1;
    assert.equal(await outcome(verifier, tokenOf(KEY_B)), 'accepted');
    issuer.keys = [KEY_A.jwk];
    clock += 120_000;
    assert.equal(await outcome(verifier, tokenOf(KEY_B)), 'unknown_key', 'refetched at 120 s of age');
    issuer.up = false;
    clock += 180_000;
    assert.equal(await outcome(verifier, tokenOf(KEY_A)), 'jwks_unavailable', 'not used at 180 s of age');
  });

  it('refuses out-of-range bounds at start-up, naming the variable', () => {
    for (const [variable, bad] of <[string, string][]>[
      ['JWKS_MIN_REFETCH_MS', '999'],
      ['JWKS_MIN_REFETCH_MS', '5s'],
      ['JWKS_MAX_AGE_SECONDS', '59'],
      ['JWKS_MAX_STALE_SECONDS', '604801'],
    ]) {
      assert.throws(() => newVerifier({ [variable]: bad }), new RegExp(variable));
    }
  });
});

describe('createJwksCache on its own', () => {
  const URI = 'https://issuer.example/.well-known/jwks.json';
  const jwt = (kid: unknown) => ({ header: { alg: 'RS256', kid } as never, payload: {} });
  /** A fetcher serving `keys` (or failing when `down`), recording each fetch. */
  const fakeIssuer = (keys: object[]) => {
    const state = { keys, down: false, fetched: 0 };
    const fetcher = {
      fetch: async () => {
        state.fetched += 1;
        if (state.down) throw new Error('down');
        return new TextEncoder().encode(JSON.stringify({ keys: state.keys })).buffer;
      },
    };
    return { state, fetcher };
  };

  it('answers synchronous lookups only from a set younger than the max age, never fetching', async () => {
    // Prepare
    let clock = 0;
    const { state, fetcher } = fakeIssuer([KEY_B.jwk]);
    const cache = createJwksCache({ fetcher, minRefetchMs: 10, maxAgeMs: 100, maxStaleMs: 200, now: () => clock });
    // Act + Assess
    assert.throws(() => cache.getCachedJwk(URI, jwt('key-a')), JwksNotAvailableInCacheError);
    cache.addJwks(URI, { keys: [KEY_A.jwk] } as never);
    assert.equal(cache.getCachedJwk(URI, jwt('key-a')).kid, 'key-a');
    assert.throws(() => cache.getCachedJwk(URI, jwt('key-x')), KidNotFoundInJwksError);
    assert.throws(() => cache.getCachedJwk(URI, jwt(7)), JwtWithoutValidKidError);
    clock = 100;
    assert.throws(() => cache.getCachedJwk(URI, jwt('key-a')), JwksNotAvailableInCacheError, 'a set at its max age');
    assert.equal(state.fetched, 0);
    // An asynchronous lookup refreshes the set, for both kinds of lookup.
    assert.equal((await cache.getJwk(URI, jwt('key-b'))).kid, 'key-b');
    assert.equal(cache.getCachedJwk(URI, jwt('key-b')).kid, 'key-b');
    assert.throws(() => cache.getCachedJwk(URI, jwt('key-a')), KidNotFoundInJwksError);
  });

  it('never uses a set past the staleness limit, even a limit below the max age', async () => {
    let clock = 0;
    const { state, fetcher } = fakeIssuer([KEY_A.jwk]);
    const cache = createJwksCache({ fetcher, minRefetchMs: 10, maxAgeMs: 100, maxStaleMs: 50, now: () => clock });
    await cache.getJwks(URI);
    state.down = true;
    clock = 49;
    assert.equal((await cache.getJwk(URI, jwt('key-a'))).kid, 'key-a');
    assert.equal(state.fetched, 1);
    clock = 50;
    await assert.rejects(cache.getJwk(URI, jwt('key-a')), /down/);
    await assert.rejects(cache.getJwk(URI, jwt('key-a')), JwksNotAvailableInCacheError);
    assert.equal(state.fetched, 2);
  });
});

/**
 * The verification cache over a fake verifier and a fake clock: what is answered from the
 * cache, and every bound that sends a token back to the real verifier.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { JwtExpiredError, JwtInvalidSignatureError } from 'aws-jwt-verify/error';
import type { AccessTokenClaims, AccessTokenVerifier, VerifiedToken } from '../../authorizers/adapters/jwt-verifier';
import { withVerificationCache } from '../../authorizers/adapters/verification-cache';

const T0 = 1_893_452_400_000; // epoch ms
const EXP = T0 / 1000 + 3600; // the token expires an hour after T0

const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0xIn0.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';

const claims = (sub: string, exp = EXP): AccessTokenClaims => ({
  sub,
  username: sub,
  client_id: 'client-1',
  token_use: 'access',
  jti: `jti-${sub}`,
  'cognito:groups': ['admin'],
  exp,
  iat: T0 / 1000,
  auth_time: T0 / 1000,
});

/**
 * A verifier that accepts the tokens in `accepted` (token -> claims) and refuses anything else
 * with a bad signature, or everything with `failWith` while set; it counts its calls.
 */
const fakeVerifier = (accepted: Record<string, AccessTokenClaims>) => {
  const state = { calls: [] as string[], hydrated: 0, failWith: undefined as Error | undefined };
  const verifier: AccessTokenVerifier = {
    verify: async (token) => {
      state.calls.push(token);
      if (state.failWith) throw state.failWith;
      const found = accepted[token];
      if (!found) throw new JwtInvalidSignatureError('Invalid signature');
      // A fresh copy per call, as a real verifier decodes one. Through JSON (claims are JSON), not
      // structuredClone: under jest that builds its copy in Node's own realm, whose prototypes
      // node:assert's deepEqual and instanceof TypeError tell apart from the test's.
      return { kind: 'user', claims: JSON.parse(JSON.stringify(found)) as AccessTokenClaims };
    },
    hydrate: async () => {
      state.hydrated += 1;
    },
  };
  return { verifier, state };
};

const clock = (start = T0) => {
  const time = { now: start };
  return { now: () => time.now, advance: (ms: number) => (time.now += ms), set: (ms: number) => (time.now = ms) };
};

describe('withVerificationCache', () => {
  it('answers a repeated token from the cache without calling the verifier again', async () => {
    // Prepare
    const { verifier, state } = fakeVerifier({ [TOKEN]: claims('alice') });
    const time = clock();
    const cached = withVerificationCache(verifier, { now: time.now });
    // Act
    const first = await cached.verify(TOKEN);
    time.advance(1000);
    const second = await cached.verify(TOKEN);
    // Assess
    assert.equal(state.calls.length, 1);
    assert.deepEqual(second, first);
    assert.deepEqual(second, { kind: 'user', claims: claims('alice') });
  });

  it('verifies again once the token expires, and the verifier refuses it with its own error', async () => {
    // Prepare
    const { verifier, state } = fakeVerifier({ [TOKEN]: claims('alice') });
    const time = clock();
    const cached = withVerificationCache(verifier, { now: time.now, maxAgeSeconds: 86_400 });
    await cached.verify(TOKEN);
    // Act: the last millisecond before exp is still a hit...
    time.set(EXP * 1000 - 1);
    await cached.verify(TOKEN);
    assert.equal(state.calls.length, 1);
    // ...exp itself is not.
    time.set(EXP * 1000);
    state.failWith = new JwtExpiredError('Token expired', EXP);
    // Assess
    await assert.rejects(cached.verify(TOKEN), JwtExpiredError);
    assert.equal(state.calls.length, 2);
    await assert.rejects(cached.verify(TOKEN), JwtExpiredError);
    assert.equal(state.calls.length, 3, 'an expired token is never answered from the cache');
  });

  it('verifies again after maxAgeSeconds even though the token is still valid', async () => {
    // Prepare
    const { verifier, state } = fakeVerifier({ [TOKEN]: claims('alice') });
    const time = clock();
    const cached = withVerificationCache(verifier, { now: time.now, maxAgeSeconds: 300 });
    await cached.verify(TOKEN);
    // Act
    time.advance(299_999);
    await cached.verify(TOKEN);
    const callsWithinMaxAge = state.calls.length;
    time.advance(1);
    await cached.verify(TOKEN);
    // Assess
    assert.equal(callsWithinMaxAge, 1);
    assert.equal(state.calls.length, 2);
  });

  it('defaults to a maximum age of 300 seconds', async () => {
    const { verifier, state } = fakeVerifier({ [TOKEN]: claims('alice') });
    const time = clock();
    const cached = withVerificationCache(verifier, { now: time.now });
    await cached.verify(TOKEN);
    time.advance(300_000);
    await cached.verify(TOKEN);
    assert.equal(state.calls.length, 2);
  });

  it('a token refused once is checked again by the verifier every time (failures are not cached)', async () => {
    // Prepare
    const { verifier, state } = fakeVerifier({ [TOKEN]: claims('alice') });
    const cached = withVerificationCache(verifier, { now: clock().now });
    state.failWith = new Error('key set unavailable');
    // Act
    await assert.rejects(cached.verify(TOKEN), /key set unavailable/);
    await assert.rejects(cached.verify(TOKEN), /key set unavailable/);
    state.failWith = undefined;
    const verified = await cached.verify(TOKEN);
    // Assess
    assert.equal(state.calls.length, 3);
    assert.equal(verified.claims.sub, 'alice');
  });

  it('misses for a token that differs by one byte, which the verifier then refuses', async () => {
    // Prepare
    const { verifier, state } = fakeVerifier({ [TOKEN]: claims('alice') });
    const cached = withVerificationCache(verifier, { now: clock().now });
    await cached.verify(TOKEN);
    const lastChar = TOKEN.at(-1) === 'g' ? 'h' : 'g';
    const tampered = TOKEN.slice(0, -1) + lastChar;
    // Act / Assess
    await assert.rejects(cached.verify(tampered), JwtInvalidSignatureError);
    await assert.rejects(cached.verify(`${TOKEN} `), JwtInvalidSignatureError);
    assert.deepEqual(state.calls, [TOKEN, tampered, `${TOKEN} `]);
  });

  it('keeps at most maxEntries tokens: a token in use stays, one not used for a while goes', async () => {
    // Prepare: room for 4, in two generations of 2.
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const tokens = Object.fromEntries(names.map((n) => [n, `token.${n}.sig`]));
    const { verifier, state } = fakeVerifier(Object.fromEntries(names.map((n) => [tokens[n]!, claims(n)])));
    const cached = withVerificationCache(verifier, { now: clock().now, maxEntries: 4 });
    await cached.verify(tokens.a!);
    await cached.verify(tokens.b!);
    await cached.verify(tokens.c!);
    await cached.verify(tokens.a!); // in use: moves to the current generation
    await cached.verify(tokens.d!); // b has not been used since: it goes
    // Act
    state.calls.length = 0;
    for (const n of ['d', 'a', 'b']) await cached.verify(tokens[n]!);
    // Assess
    assert.deepEqual(state.calls, [tokens.b]);
    // Never more than 4 remembered, whatever arrives.
    for (const n of names) await cached.verify(tokens[n]!);
    state.calls.length = 0;
    for (const n of names) await cached.verify(tokens[n]!);
    assert.ok(state.calls.length >= names.length - 4, `${names.length - state.calls.length} remembered`);
  });

  it('keeps at most maxTokenChars of tokens, and never a token longer than that', async () => {
    // Prepare: 11-character tokens, room for four (44 characters, two generations of 22).
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const tokens = Object.fromEntries(names.map((n) => [n, `token.${n}.sig`]));
    const { verifier, state } = fakeVerifier({ ...Object.fromEntries(names.map((n) => [tokens[n]!, claims(n)])), 'token.long.signature.that.is.far.too.long.for.it': claims('long') });
    const cached = withVerificationCache(verifier, { now: clock().now, maxTokenChars: 44 });
    // Act / Assess: two rounds over six tokens; at most four are answered from memory.
    for (const n of names) await cached.verify(tokens[n]!);
    state.calls.length = 0;
    for (const n of names) await cached.verify(tokens[n]!);
    assert.ok(state.calls.length >= 2, `${names.length - state.calls.length} of 66 characters remembered in 44`);
    state.calls.length = 0;
    await cached.verify('token.long.signature.that.is.far.too.long.for.it');
    await cached.verify('token.long.signature.that.is.far.too.long.for.it');
    assert.equal(state.calls.length, 2, 'a token longer than the whole budget is never remembered');
  });

  it('counts each token once when two calls verify it at the same time', async () => {
    // Prepare
    const tokens = { a: 'token.a.sig', b: 'token.b.sig' };
    const { verifier, state } = fakeVerifier({ [tokens.a]: claims('a'), [tokens.b]: claims('b') });
    const cached = withVerificationCache(verifier, { now: clock().now, maxTokenChars: 44 });
    // Act: a is put in twice, then b must still fit next to it.
    await Promise.all([cached.verify(tokens.a), cached.verify(tokens.a)]);
    await cached.verify(tokens.b);
    state.calls.length = 0;
    await cached.verify(tokens.a);
    await cached.verify(tokens.b);
    // Assess
    assert.deepEqual(state.calls, []);
  });

  it('does not remember a token that is already expired when its verification returns', async () => {
    const { verifier, state } = fakeVerifier({ [TOKEN]: claims('alice', T0 / 1000) });
    const cached = withVerificationCache(verifier, { now: clock().now });
    await cached.verify(TOKEN);
    await cached.verify(TOKEN);
    assert.equal(state.calls.length, 2);
  });

  it('hands out results no caller can change for the next one', async () => {
    // Prepare
    const { verifier } = fakeVerifier({ [TOKEN]: claims('alice') });
    const cached = withVerificationCache(verifier, { now: clock().now });
    const first = (await cached.verify(TOKEN)) as Extract<VerifiedToken, { kind: 'user' }>;
    // Act
    assert.throws(() => first.claims['cognito:groups']!.push('customer'), TypeError);
    assert.throws(() => {
      (first.claims as { sub: string }).sub = 'mallory';
    }, TypeError);
    // Assess
    const second = (await cached.verify(TOKEN)) as Extract<VerifiedToken, { kind: 'user' }>;
    assert.equal(second.claims.sub, 'alice');
    assert.deepEqual(second.claims['cognito:groups'], ['admin']);
  });

  it('is the verifier itself, uncached, when maxEntries is 0', async () => {
    const { verifier, state } = fakeVerifier({ [TOKEN]: claims('alice') });
    const cached = withVerificationCache(verifier, { now: clock().now, maxEntries: 0 });
    assert.equal(cached, verifier);
    await cached.verify(TOKEN);
    await cached.verify(TOKEN);
    assert.equal(state.calls.length, 2);
  });

  it('passes hydrate through to the verifier', async () => {
    const { verifier, state } = fakeVerifier({});
    await withVerificationCache(verifier).hydrate();
    assert.equal(state.hydrated, 1);
  });
});

/**
 * Access token verification against a key set served by a fake fetcher: an RSA key pair made
 * here, tokens signed here with node:crypto, and each way a token can fail mapped to its reason.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Fetcher } from 'aws-jwt-verify/https';
import { identityConfig } from '../../lib/config';
import { createAccessTokenVerifier, gatewayScopes, verificationFailureReason, type AccessTokenVerifier, type TokenFailureReason } from '../../authorizers/adapters/jwt-verifier';

const ISSUER = 'http://127.0.0.1:9229/local_test';
const JWKS_URI = `${ISSUER}/.well-known/jwks.json`;
const CLIENT_ID = 'client-1';
const KID = 'key-1';
const MACHINE_ID = 'machine1';
const config = identityConfig({
  // A cognito-local issuer over http: only the local stack may use one (lib/config.ts).
  GATEWAY_LOCAL_STACK: 'true',
  COGNITO_USER_POOL_ID: 'local_test',
  COGNITO_CLIENT_ID: CLIENT_ID,
  COGNITO_ISSUER: ISSUER,
  MACHINE_CLIENTS: JSON.stringify([{ clientId: MACHINE_ID, name: 'partner', branches: ['1'] }]),
});

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' };
const JWKS = { keys: [publicJwk] };

const toArrayBuffer = (text: string): ArrayBuffer => {
  const bytes = new TextEncoder().encode(text);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
};

/** A fetcher that serves `body` (the JSON of a key set by default) and records what was asked. */
const fakeFetcher = (body: unknown = JWKS): Fetcher & { uris: string[] } => {
  const uris: string[] = [];
  return {
    uris,
    fetch: async (uri: string) => {
      uris.push(uri);
      return toArrayBuffer(typeof body === 'string' ? body : JSON.stringify(body));
    },
  };
};

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const NODE_ALGORITHMS: Record<string, string> = { RS256: 'RSA-SHA256', RS384: 'RSA-SHA384', RS512: 'RSA-SHA512' };

/** Sign with an RSA key the way a JWS is signed: over base64url(header).base64url(payload). */
const signJwt = (header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject = privateKey): string => {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const algorithm = NODE_ALGORITHMS[String(header.alg)] ?? 'RSA-SHA256';
  return `${input}.${sign(algorithm, Buffer.from(input), key).toString('base64url')}`;
};

const now = () => Math.floor(Date.now() / 1000);

/** The claims of a Cognito access token; pass `undefined` to drop a claim. */
const accessClaims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'user-1',
  iss: ISSUER,
  client_id: CLIENT_ID,
  origin_jti: 'origin-1',
  event_id: 'event-1',
  token_use: 'access',
  scope: 'aws.cognito.signin.user.admin',
  auth_time: now(),
  exp: now() + 3600,
  iat: now(),
  jti: 'jti-1',
  username: 'alice',
  'cognito:groups': ['admin'],
  ...overrides,
});

const HEADER = { alg: 'RS256', kid: KID };
const token = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = HEADER) => signJwt(header, accessClaims(overrides));

const newVerifier = (fetcher: Fetcher = fakeFetcher()): AccessTokenVerifier => createAccessTokenVerifier(config, { fetcher });

/** The reason a token is refused; fails the test if the token is accepted. */
const refusal = async (jwt: string, verifier: AccessTokenVerifier = newVerifier()): Promise<TokenFailureReason> => {
  try {
    await verifier.verify(jwt);
  } catch (error) {
    return verificationFailureReason(error);
  }
  assert.fail('the token was accepted');
};

/** A client-credentials access token as Cognito issues it (see scripts/local/client-credentials.ts). */
const machineClaims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
  const claims: Record<string, unknown> = {
    sub: MACHINE_ID,
    token_use: 'access',
    scope: 'gateway/inventory:read',
    auth_time: now(),
    iss: ISSUER,
    exp: now() + 3600,
    iat: now(),
    version: 2,
    jti: 'jti-m',
    client_id: MACHINE_ID,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
};

describe('machine client tokens', () => {
  it("passes a configured client's client-credentials token as kind client", async () => {
    const claims = machineClaims();
    assert.deepEqual(await newVerifier().verify(signJwt(HEADER, claims)), { kind: 'client', claims });
  });

  it('refuses a client that is not configured with wrong_client', async () => {
    assert.equal(await refusal(signJwt(HEADER, machineClaims({ client_id: 'machine9', sub: 'machine9' }))), 'wrong_client');
  });

  it('refuses a machine token that names a user with invalid_claim', async () => {
    assert.equal(await refusal(signJwt(HEADER, machineClaims({ username: 'alice' }))), 'invalid_claim');
    assert.equal(await refusal(signJwt(HEADER, machineClaims({ 'cognito:groups': ['admin'] }))), 'invalid_claim');
    assert.equal(await refusal(signJwt(HEADER, machineClaims({ sub: 'user-1' }))), 'invalid_claim');
  });

  it('refuses a machine token without scope with missing_claim', async () => {
    assert.equal(await refusal(signJwt(HEADER, machineClaims({ scope: undefined }))), 'missing_claim');
  });

  it('refuses a machine token that is not an access token with wrong_token_use', async () => {
    assert.equal(await refusal(signJwt(HEADER, machineClaims({ token_use: 'id' }))), 'wrong_token_use');
  });
});

describe('gatewayScopes', () => {
  it("keeps the route policy's scopes with the resource server prefix, once each, and nothing else", () => {
    const claim = 'gateway/inventory:read openid other/users:read gateway/users:read gateway/nope inventory:write gateway/inventory:read';
    assert.deepEqual(gatewayScopes(claim, 'gateway'), ['inventory:read', 'users:read']);
  });

  it('handles URL resource server identifiers', () => {
    assert.deepEqual(gatewayScopes('https://api.example.com/catalog:write', 'https://api.example.com'), ['catalog:write']);
  });

  it('grants nothing for a missing or empty claim', () => {
    assert.deepEqual(gatewayScopes(undefined, 'gateway'), []);
    assert.deepEqual(gatewayScopes('', 'gateway'), []);
  });
});

describe('createAccessTokenVerifier', () => {
  describe('a good access token', () => {
    it('passes and returns its claims', async () => {
      // Prepare
      const claims = accessClaims();
      const verifier = newVerifier();
      // Act
      const verified = await verifier.verify(signJwt(HEADER, claims));
      // Assess
      assert.deepEqual(verified, { kind: 'user', claims });
    });

    it('passes without optional origin_jti, scope and cognito:groups', async () => {
      const verified = await newVerifier().verify(token({ origin_jti: undefined, scope: undefined, 'cognito:groups': undefined }));
      assert.equal(verified.kind, 'user');
      assert.equal(verified.claims.sub, 'user-1');
      assert.equal((verified.claims as { origin_jti?: string }).origin_jti, undefined);
    });

    it('fetches the key set from the configured URI once and caches it', async () => {
      const fetcher = fakeFetcher();
      const verifier = newVerifier(fetcher);
      await verifier.verify(token());
      await verifier.verify(token({ jti: 'jti-2' }));
      assert.deepEqual(fetcher.uris, [JWKS_URI]);
    });

    it('loads the key set on hydrate, before any token', async () => {
      const fetcher = fakeFetcher();
      await newVerifier(fetcher).hydrate();
      assert.deepEqual(fetcher.uris, [JWKS_URI]);
    });
  });

  describe('standard claims', () => {
    it('refuses an expired token with token_expired', async () => {
      assert.equal(await refusal(token({ exp: now() - 60, iat: now() - 3660 })), 'token_expired');
    });

    it('refuses a token whose nbf is in the future with token_not_yet_valid', async () => {
      assert.equal(await refusal(token({ nbf: now() + 600 })), 'token_not_yet_valid');
    });

    it('refuses a token of another issuer with wrong_issuer', async () => {
      assert.equal(await refusal(token({ iss: 'http://127.0.0.1:9229/other_pool' })), 'wrong_issuer');
    });

    it('refuses a token without iss with wrong_issuer', async () => {
      assert.equal(await refusal(token({ iss: undefined })), 'wrong_issuer');
    });
  });

  describe('Cognito claims', () => {
    it('refuses an id token with wrong_token_use', async () => {
      assert.equal(await refusal(token({ token_use: 'id', aud: CLIENT_ID })), 'wrong_token_use');
    });

    it('refuses a token without token_use with wrong_token_use', async () => {
      assert.equal(await refusal(token({ token_use: undefined })), 'wrong_token_use');
    });

    it('refuses a token issued to another client with wrong_client', async () => {
      assert.equal(await refusal(token({ client_id: 'client-2' })), 'wrong_client');
    });

    it('refuses a token without client_id with wrong_client', async () => {
      assert.equal(await refusal(token({ client_id: undefined })), 'wrong_client');
    });
  });

  describe('claims the gateway requires', () => {
    for (const claim of ['exp', 'iat', 'sub', 'username', 'jti', 'auth_time']) {
      it(`refuses a token without ${claim} with missing_claim`, async () => {
        assert.equal(await refusal(token({ [claim]: undefined })), 'missing_claim');
      });
    }

    it('refuses a user token whose auth_time is later than its iat (a login after the token was issued)', async () => {
      assert.equal(await refusal(token({ auth_time: now() + 60 })), 'missing_claim');
    });

    for (const claim of ['sub', 'username', 'jti', 'origin_jti']) {
      it(`refuses a token whose ${claim} is empty with missing_claim`, async () => {
        assert.equal(await refusal(token({ [claim]: '' })), 'missing_claim');
      });
    }

    it('refuses a token whose username is not a string with missing_claim', async () => {
      assert.equal(await refusal(token({ username: 42 })), 'missing_claim');
    });

    it('refuses a token whose cognito:groups is not a list of strings with missing_claim', async () => {
      assert.equal(await refusal(token({ 'cognito:groups': 'admin' })), 'missing_claim');
      assert.equal(await refusal(token({ 'cognito:groups': ['admin', 7] })), 'missing_claim');
      assert.equal(await refusal(token({ 'cognito:groups': [''] })), 'missing_claim');
    });
  });

  describe('signature and key', () => {
    it('refuses a token whose payload was changed after signing with bad_signature', async () => {
      // Prepare: a customer's token, its payload swapped for one claiming admin.
      const [header, , signature] = token({ 'cognito:groups': ['customer'] }).split('.');
      const forged = `${header}.${b64url(accessClaims({ 'cognito:groups': ['admin'] }))}.${signature}`;
      // Act
      const reason = await refusal(forged);
      // Assess
      assert.equal(reason, 'bad_signature');
    });

    it('refuses a token signed by another key under a known kid with bad_signature', async () => {
      assert.equal(await refusal(signJwt(HEADER, accessClaims(), otherKeys.privateKey)), 'bad_signature');
    });

    it('refuses a token whose kid is not in the key set with unknown_key', async () => {
      assert.equal(await refusal(token({}, { alg: 'RS256', kid: 'key-2' })), 'unknown_key');
    });

    it('refuses a token without kid with unknown_key', async () => {
      assert.equal(await refusal(token({}, { alg: 'RS256' })), 'unknown_key');
    });

    it('keeps refusing unknown kids with unknown_key while the penalty box is closed, and keeps accepting known ones', async () => {
      const fetcher = fakeFetcher();
      const verifier = newVerifier(fetcher);
      assert.equal(await refusal(token({}, { alg: 'RS256', kid: 'key-2' }), verifier), 'unknown_key');
      assert.equal(await refusal(token({}, { alg: 'RS256', kid: 'key-3' }), verifier), 'unknown_key');
      assert.equal(fetcher.uris.length, 1, 'the second unknown kid must not fetch the key set again');
      assert.equal((await verifier.verify(token())).claims.sub, 'user-1');
    });
  });

  describe('algorithms', () => {
    it('refuses HS256 signed with the public key PEM as the HMAC secret', async () => {
      // Prepare: the classic RS256 → HS256 confusion attack.
      const header = { alg: 'HS256', kid: KID, typ: 'JWT' };
      const input = `${b64url(header)}.${b64url(accessClaims())}`;
      const secret = publicKey.export({ format: 'pem', type: 'spki' });
      const forged = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      // Act
      const reason = await refusal(forged);
      // Assess
      assert.equal(reason, 'bad_algorithm');
    });

    it('refuses alg none with an empty signature ("a.b.") as malformed_token', async () => {
      const unsigned = `${b64url({ alg: 'none', kid: KID })}.${b64url(accessClaims())}.`;
      assert.equal(await refusal(unsigned), 'malformed_token');
    });

    it('refuses alg none carrying some signature bytes with bad_algorithm', async () => {
      const unsigned = `${b64url({ alg: 'none', kid: KID })}.${b64url(accessClaims())}.AAAA`;
      assert.equal(await refusal(unsigned), 'bad_algorithm');
    });

    it('refuses a token without alg with bad_algorithm', async () => {
      const [, payload, signature] = token().split('.');
      assert.equal(await refusal(`${b64url({ kid: KID })}.${payload}.${signature}`), 'bad_algorithm');
    });

    it('refuses RS384 with bad_algorithm even when the key set does not pin the algorithm', async () => {
      // Prepare: a key without "alg", so only the gateway's own RS256 check stands in the way.
      const { alg: _alg, ...unpinned } = publicJwk;
      const verifier = newVerifier(fakeFetcher({ keys: [unpinned] }));
      assert.equal((await verifier.verify(token())).claims.sub, 'user-1', 'RS256 still passes with the unpinned key');
      // Act
      const reason = await refusal(token({}, { alg: 'RS384', kid: KID }), verifier);
      // Assess
      assert.equal(reason, 'bad_algorithm');
    });
  });

  describe('malformed tokens', () => {
    for (const [name, value] of Object.entries({
      'an empty string': '',
      'a non-JWT string': 'not-a-jwt',
      'a header that is not JSON': `${Buffer.from('nope').toString('base64url')}.${b64url(accessClaims())}.AAAA`,
      'a payload that is a JSON array': `${b64url(HEADER)}.${b64url(['sub'])}.AAAA`,
      'an exp that is a string': `${b64url(HEADER)}.${b64url(accessClaims({ exp: 'tomorrow' }))}.AAAA`,
    })) {
      it(`refuses ${name} with malformed_token`, async () => {
        assert.equal(await refusal(value), 'malformed_token');
      });
    }
  });

  describe('key set source', () => {
    it('maps a fetcher that throws to jwks_unavailable', async () => {
      const failing: Fetcher = {
        fetch: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:9229');
        },
      };
      assert.equal(await refusal(token(), newVerifier(failing)), 'jwks_unavailable');
    });

    it('maps a fetch timeout to jwks_unavailable', async () => {
      const timingOut: Fetcher = {
        fetch: async () => {
          throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
        },
      };
      assert.equal(await refusal(token(), newVerifier(timingOut)), 'jwks_unavailable');
    });

    it('fails hydrate when the key set cannot be fetched', async () => {
      const failing: Fetcher = {
        fetch: async () => {
          throw new Error('down');
        },
      };
      await assert.rejects(newVerifier(failing).hydrate(), /down/);
    });

    it(
      'maps a broken key set (not JSON, or JSON but not a JWKS) to jwks_unavailable',
      async () => {
        assert.equal(await refusal(token(), newVerifier(fakeFetcher('<html>502 Bad Gateway</html>'))), 'jwks_unavailable');
        assert.equal(await refusal(token(), newVerifier(fakeFetcher({ keys: 'none' }))), 'jwks_unavailable');
        assert.equal(await refusal(token(), newVerifier(fakeFetcher({}))), 'jwks_unavailable');
      },
    );
  });
});

describe('verificationFailureReason', () => {
  it('maps anything that is not a verification error to jwks_unavailable', () => {
    assert.equal(verificationFailureReason(new Error('socket hang up')), 'jwks_unavailable');
    assert.equal(verificationFailureReason(new TypeError('fetch failed')), 'jwks_unavailable');
    assert.equal(verificationFailureReason(undefined), 'jwks_unavailable');
  });
});

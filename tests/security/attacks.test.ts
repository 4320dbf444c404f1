/**
 * The attack suite: forged, misused and malformed credentials, and requests that try to talk
 * past the authorizer, over HTTP against the local stack. Every case must answer 401 or 403:
 * never 2xx, never 5xx, and no internals in the body.
 *
 * Validly signed but wrong tokens (expired, other pool, ...) are minted with cognito-local's
 * own signing key, which ships with the emulator: exactly what a real attacker could not do on
 * AWS, and the strongest test of the claim checks here.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { assertNoInternals, call, eventually, gatewayLog, login, stack, type Answer, type Session } from '../support/client';
import { apiKeyConfig } from '../../lib/config';
import { API_KEY_MAC_KEYS_FILE } from '../../scripts/local/stack';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

const emulatorKey: KeyObject = createPrivateKey({
  key: JSON.parse(readFileSync(path.resolve(__dirname, '../../node_modules/cognito-local/lib/keys/cognitoLocal.private.json'), 'utf8')).jwk,
  format: 'jwk',
});
const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });

const rs256 = (header: object, payload: object, key: KeyObject) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
};

/** Must be refused: 401 or 403, never 2xx or 5xx, nothing internal in the body. */
const assertRefused = (answer: Answer, what: string) => {
  assert.ok(answer.status === 401 || answer.status === 403, `${what}: answered ${answer.status} ${answer.text.slice(0, 200)}`);
  assertNoInternals(answer);
};

describe('attacks on the bearer token', () => {
  let customer: Session;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  let signature: string;
  let publicKey: KeyObject;

  beforeAll(async () => {
    customer = await login('customer');
    const [h, p, s] = customer.accessToken.split('.') as [string, string, string];
    header = decode(h);
    claims = decode(p);
    signature = s;
    const jwks = (await (await fetch(`${stack().issuer}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    publicKey = createPublicKey({ key: jwks.keys[0] as never, format: 'jwk' });
  });

  /** Calls an admin-only route (so a forged admin claim would show) and GET /users/me. */
  const refusedEverywhere = async (token: string, what: string) => {
    assertRefused(await call('GET', '/users', { token }), what);
    assertRefused(await call('GET', '/users/me', { token }), what);
  };

  it('refuses alg "none" in every spelling, with and without a signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const body = `${b64({ ...header, alg })}.${b64({ ...claims, 'cognito:groups': ['admin'] })}`;
      await refusedEverywhere(`${body}.`, `alg ${alg}, empty signature`);
      await refusedEverywhere(`${body}.${signature}`, `alg ${alg}, old signature`);
    }
  });

  it('refuses stripped, truncated, null and borrowed signatures', async () => {
    const [h, p] = customer.accessToken.split('.');
    const admin = await login('admin');
    for (const [what, token] of [
      ['stripped', `${h}.${p}.`],
      ['truncated', `${h}.${p}.${signature.slice(0, signature.length / 2)}`],
      ['null bytes', `${h}.${p}.${Buffer.alloc(256).toString('base64url')}`],
      ['another token\'s', `${h}.${p}.${admin.accessToken.split('.')[2]}`],
      ['two parts', `${h}.${p}`],
    ] as const) {
      await refusedEverywhere(token, what);
    }
  });

  it('refuses HS256 tokens signed with the public key in every encoding', async () => {
    const secrets: [string, string | Buffer][] = [
      ['SPKI PEM', publicKey.export({ type: 'spki', format: 'pem' })],
      ['PKCS#1 PEM', publicKey.export({ type: 'pkcs1', format: 'pem' })],
      ['SPKI DER', publicKey.export({ type: 'spki', format: 'der' })],
      ['JWK JSON', JSON.stringify(publicKey.export({ format: 'jwk' }))],
      ['modulus n', (publicKey.export({ format: 'jwk' }) as { n: string }).n],
    ];
    for (const [what, secret] of secrets) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        const input = `${b64({ ...header, alg })}.${b64({ ...claims, 'cognito:groups': ['admin'] })}`;
        const mac = createHmac(`sha${alg.slice(2)}`, secret).update(input).digest('base64url');
        await refusedEverywhere(`${input}.${mac}`, `${alg} with ${what}`);
      }
    }
  });

  it('refuses tokens signed by a foreign key, including ones that bring their own key', async () => {
    const adminClaims = { ...claims, 'cognito:groups': ['admin'] };
    const jwk = foreign.publicKey.export({ format: 'jwk' });
    const cases: [string, object][] = [
      ['same kid', header],
      ['embedded jwk', { ...header, jwk: { ...jwk, kid: 'attacker', alg: 'RS256', use: 'sig' } }],
      ['jku', { ...header, jku: 'http://127.0.0.1:9/jwks.json' }],
      ['x5u', { ...header, x5u: 'http://127.0.0.1:9/cert.pem' }],
      ['x5c', { ...header, x5c: [foreign.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')] }],
    ];
    for (const [what, h] of cases) await refusedEverywhere(rs256(h, adminClaims, foreign.privateKey), what);
  });

  it('refuses hostile key ids', async () => {
    for (const kid of ['../../../../etc/passwd', "' OR '1'='1", 'x'.repeat(2000), '', null, 42, { $ne: null }, ['CognitoLocal']]) {
      await refusedEverywhere(rs256({ ...header, kid }, claims, foreign.privateKey), `kid ${JSON.stringify(kid).slice(0, 40)}`);
    }
  });

  it('refuses ECDSA tokens with an all-zero signature', async () => {
    for (const alg of ['ES256', 'ES384', 'ES512']) {
      const input = `${b64({ ...header, alg })}.${b64({ ...claims, 'cognito:groups': ['admin'] })}`;
      await refusedEverywhere(`${input}.${Buffer.alloc(alg === 'ES256' ? 64 : alg === 'ES384' ? 96 : 132).toString('base64url')}`, `${alg} zero signature`);
    }
  });

  it('refuses claims tampered with under the old signature', async () => {
    const [h, , s] = customer.accessToken.split('.');
    for (const change of [{ 'cognito:groups': ['admin'] }, { sub: 'someone-else' }, { exp: claims.exp as number + 86_400 }, { client_id: 'other' }]) {
      await refusedEverywhere(`${h}.${b64({ ...claims, ...change })}.${s}`, `tampered ${Object.keys(change)[0]}`);
    }
  });

  it('refuses ID and refresh tokens as bearer tokens', async () => {
    await refusedEverywhere(customer.idToken, 'ID token');
    await refusedEverywhere(customer.refreshToken, 'refresh token');
  });

  describe('validly signed tokens with wrong claims (minted with the emulator\'s public test key)', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const mint = (changes: Record<string, unknown>, drop: string[] = []) => {
      const payload: Record<string, unknown> = { ...claims, jti: `${String(claims.jti)}-${Math.random()}`, ...changes };
      for (const name of drop) delete payload[name];
      return rs256(header, payload, emulatorKey);
    };

    it('accepts a correctly minted token, so the refusals below are about the claims', async () => {
      assert.equal((await call('GET', '/users/me', { token: mint({ iat: now(), exp: now() + 600 }) })).status, 200);
    });

    const cases: [string, () => string][] = [
      ['expired', () => mint({ iat: now() - 7200, exp: now() - 3600 })],
      ['not yet valid', () => mint({ nbf: now() + 3600, exp: now() + 7200 })],
      ['from another pool', () => mint({ iss: `${stack().cognitoUrl}/local_0therPool` })],
      ['from another host', () => mint({ iss: `https://cognito-idp.us-east-1.amazonaws.com/${stack().userPoolId}` })],
      ['for another client', () => mint({ client_id: 'someone-elses-client' })],
      ['with token_use id', () => mint({ token_use: 'id' })],
      ['without token_use', () => mint({}, ['token_use'])],
      ['without exp', () => mint({}, ['exp'])],
      ['without sub', () => mint({}, ['sub'])],
      ['without jti', () => mint({}, ['jti'])],
      ['with exp as a string', () => mint({ exp: String(now() + 600) })],
      ['with groups as a string', () => mint({ 'cognito:groups': 'admin' })],
    ];
    for (const [what, token] of cases) {
      it(`refuses a token ${what}`, async () => refusedEverywhere(token(), what));
    }
  });
});

describe('malformed and misplaced credentials', () => {
  let customer: Session;
  beforeAll(async () => {
    customer = await login('customer');
  });

  it('refuses structural garbage', async () => {
    for (const token of ['a', 'a.b', 'a.b.c', 'a.b.c.d', '...', '.....', 'eyJ.eyJ.eyJ', '%00.%00.%00', 'null', '{}', '%F0%9F%99%82.x.y']) {
      assertRefused(await call('GET', '/users/me', { headers: { authorization: `Bearer ${token}` } }), `token ${token}`);
    }
    for (const value of ['Bearer', 'Bearer ', 'Bearer\t' + customer.accessToken, 'Token ' + customer.accessToken, customer.accessToken]) {
      assertRefused(await call('GET', '/users/me', { headers: { authorization: value } }), `header ${value.slice(0, 12)}`);
    }
  });

  it('refuses an oversized Authorization header', async () => {
    assertRefused(await call('GET', '/users/me', { headers: { authorization: `Bearer ${customer.accessToken}${'A'.repeat(9000)}` } }), 'oversized');
  });

  /** A request `fetch` would refuse to send: repeated or non-ASCII header values. */
  const raw = (headers: Record<string, string | string[]>) => rawPath('/users/me', headers);
  const rawPath = (target: string, headers: Record<string, string | string[]>) =>
    new Promise<Answer>((resolve, reject) => {
      const url = new URL(`${stack().gatewayUrl}${target}`);
      const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers }, (response) => {
        let text = '';
        response.setEncoding('latin1');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text, body: undefined, headers: new Headers() }));
      });
      request.on('error', reject);
      request.end();
    });

  // Node's HTTP server answers some malformed requests with 400 itself, before the gateway
  // sees them: that is a refusal too, as long as nothing is served.
  const assertRefusedOrRejected = (answer: Answer, what: string) => {
    assert.ok([400, 401, 403].includes(answer.status), `${what}: answered ${answer.status}`);
    assertNoInternals(answer);
  };

  it('refuses two Authorization headers as API Gateway delivers them (comma-joined)', async () => {
    const header = `Bearer ${customer.accessToken}`;
    assertRefusedOrRejected(await raw({ Authorization: `${header}, ${header}` }), 'comma-joined duplicates');
  });

  it('never lets a second Authorization header line raise the caller\'s rights', async () => {
    // Node's HTTP server keeps only the first of repeated Authorization lines, so locally the
    // authorizer never sees the second one (README: local differences). It must not count.
    const admin = await login('admin');
    const answer = await rawPath('/users', { Authorization: [`Bearer ${customer.accessToken}`, `Bearer ${admin.accessToken}`] });
    assertRefused(answer, 'customer first, admin second');
  });

  it('refuses non-ASCII bytes in the Authorization header', async () => {
    assertRefusedOrRejected(await raw({ Authorization: `Bearer ${customer.accessToken}\u00e9` }), 'latin1 byte');
    assertRefusedOrRejected(await raw({ Authorization: `B\u00e9arer ${customer.accessToken}` }), 'latin1 scheme');
  });

  it('ignores tokens in the query string', async () => {
    for (const name of ['access_token', 'token', 'authorization', 'Authorization']) {
      assertRefused(await call('GET', `/users/me?${name}=${encodeURIComponent(customer.accessToken)}`), name);
    }
  });

  it('ignores headers that claim an identity', async () => {
    const claims = {
      'x-user': 'admin@example.com',
      'x-forwarded-user': 'admin@example.com',
      'x-amzn-oidc-identity': 'admin',
      'x-roles': 'admin',
      'sls-offline-authorizer-override': JSON.stringify({ lambda: { roles: ['admin'] } }),
    };
    assertRefused(await call('GET', '/users', { headers: claims }), 'without a token');
    assertRefused(await call('GET', '/users', { token: customer.accessToken, headers: { 'x-user': 'admin@example.com', 'x-roles': 'admin' } }), 'customer token');
  });
});

describe('path tricks', () => {
  let manager: Session;
  beforeAll(async () => {
    manager = await login('manager');
  });

  it('never serves a protected route without credentials under another spelling of its path', async () => {
    for (const variant of ['/USERS', '/Users/me', '/users/', '//users', '/users/./me', '/users/../users', '/%75sers', '/users%2fme', '/users;/me', '/users/me%00', '/branches/1/products/', '/branches//1/products']) {
      const answer = await call('GET', variant);
      assert.ok(answer.status < 500, `${variant}: ${answer.status}`);
      assert.ok(answer.status >= 400, `${variant}: ${answer.status} ${answer.text.slice(0, 100)}`);
    }
  });

  it('refuses branch ids that are another branch in disguise to the manager of branch 1', async () => {
    for (const branch of ['01', '1%20', '%201', '+1', '1.0', '1%2F..%2F2', '%EF%BC%91', '1,2', '-1', '1e0']) {
      const answer = await call('GET', `/branches/${branch}/products`, { token: manager.accessToken });
      assert.ok(answer.status === 403 || answer.status === 400 || answer.status === 404, `${branch}: ${answer.status}`);
      assert.notEqual(answer.status, 200, branch);
    }
    assert.equal((await call('GET', '/branches/2/products', { token: manager.accessToken })).status, 403);
  });
});

describe('attacks on API keys', () => {
  let manager: Session;
  let admin: Session;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    [manager, admin] = [await login('manager'), await login('admin')];
    const created = await call('POST', '/api-keys', { token: manager.accessToken, body: { name: 'attack target', scopes: ['inventory:read'], expiresInDays: 1 } });
    assert.equal(created.status, 201, created.text);
    ({ key, id: keyId } = created.body as { key: string; id: string });
  });

  /** A key's parts: `gwk_<id>_<secret>_<version><mac>`, the secret 43 characters that may hold "_". */
  const partsOf = (real: string) => {
    const secretAt = 'gwk_'.length + 20 + 1;
    return { secret: real.slice(secretAt, secretAt + 43), version: real.slice(secretAt + 44, -24), mac: real.slice(-24) };
  };

  /** What an attacker without the MAC key can make: any id and secret, the real version, a made-up MAC. */
  const forge = (id: string, secret: string, mac = randomBytes(18).toString('base64url')) => `gwk_${id}_${secret}_${partsOf(key).version}${mac}`;

  /** Must be refused as unauthenticated: 401 (the local stack; see README for AWS's 403). */
  const assertUnauthenticated = (answer: Answer, what: string) => {
    assertRefused(answer, what);
    assert.equal(answer.status, 401, what);
  };

  it('refuses a well-formed key with a made-up id, secret and MAC', async () => {
    for (let i = 0; i < 5; i += 1) {
      const forged = forge(randomBytes(10).toString('hex'), randomBytes(32).toString('base64url'));
      assert.match(forged, /^gwk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}_[a-z0-9]{1,8}[A-Za-z0-9_-]{24}$/);
      assertUnauthenticated(await call('GET', '/branches/1/products', { token: forged }), 'made-up id');
    }
  });

  it('refuses a real key id with a forged secret, with a made-up MAC or with the real MAC', async () => {
    const forgedSecret = randomBytes(32).toString('base64url');
    assertUnauthenticated(await call('GET', '/branches/1/products', { token: forge(keyId, forgedSecret) }), 'forged secret, made-up MAC');
    assertUnauthenticated(await call('GET', '/branches/1/products', { token: forge(keyId, forgedSecret, partsOf(key).mac) }), 'forged secret, real MAC');
  });

  it("refuses the manager's secret and MAC moved onto an admin's key id", async () => {
    const adminKey = await call('POST', '/api-keys', { token: admin.accessToken, body: { name: 'admin key', scopes: ['users:read'], expiresInDays: 1 } });
    assert.equal(adminKey.status, 201);
    const { secret, mac } = partsOf(key);
    assertUnauthenticated(await call('GET', '/users', { token: forge((adminKey.body as { id: string }).id, secret, mac) }), 'secret on another id');
  });

  it('refuses the real key in the old format, its checksum recomputed (CRC-32 is not a MAC)', async () => {
    const body = `gwk_${keyId}_${partsOf(key).secret}`;
    assertUnauthenticated(await call('GET', '/branches/1/products', { token: `${body}_${crc32(body).toString(16).padStart(8, '0')}` }), 'old format');
  });

  it('refuses a forged secret even under a valid MAC (an insider holding the MAC key): the secret is still checked', async () => {
    // Prepare: the stack's MAC key ring, from its state folder, as cognito-local's key above.
    const dir = process.env.TEST_STATE_DIR;
    assert.ok(dir, 'TEST_STATE_DIR is not set: run with `npm run test:integration`');
    const [current] = apiKeyConfig({ API_KEY_MAC_KEYS: readFileSync(path.join(dir, API_KEY_MAC_KEYS_FILE), 'utf8') }).macKeys;
    assert.ok(current);
    assert.equal(current.version, partsOf(key).version);
    const body = `gwk_${keyId}_${randomBytes(32).toString('base64url')}_${current.version}`;
    const validMac = createHmac('sha256', current.secret).update(body).digest().subarray(0, 18).toString('base64url');
    // Act
    const answer = await call('GET', '/branches/1/products', { token: `${body}${validMac}` });
    // Assess: past the MAC, refused by the stored hash.
    assertUnauthenticated(answer, 'valid MAC, forged secret');
    assert.ok(await eventually(async () => (await gatewayLog()).some((l) => l.reason === 'bad_api_key_secret' && l.principal?.keyId === keyId)));
  });

  it('refuses key-shaped garbage: wrong lengths, other alphabets, a JWT behind the prefix, an oversized key', async () => {
    const variants = [
      'gwk_',
      `gwk_${keyId}`,
      `gwk_${keyId}_`,
      key.toUpperCase(),
      key.slice(0, -(partsOf(key).version.length + 24 + 1)),
      key.slice(0, -1),
      `${key}A`,
      `gwk_${manager.accessToken}`,
      `gwk_${'a'.repeat(8000)}`,
      forge(keyId.toUpperCase(), partsOf(key).secret, partsOf(key).mac),
      `gwk_${keyId}_${partsOf(key).secret}_${partsOf(key).version.toUpperCase()}${partsOf(key).mac}`,
      forge(`${keyId}00`, randomBytes(32).toString('base64url')),
    ];
    for (const variant of variants) assertRefused(await call('GET', '/branches/1/products', { headers: { authorization: `Bearer ${variant}` } }), variant.slice(0, 40));
  });

  it('ignores a key sent anywhere but the Authorization header', async () => {
    for (const headers of [{ 'x-api-key': key }, { 'api-key': key }, { cookie: `key=${key}` }] as Record<string, string>[]) {
      assertRefused(await call('GET', '/branches/1/products', { headers }), Object.keys(headers)[0]!);
    }
    assertRefused(await call('GET', `/branches/1/products?api_key=${key}`), 'query string');
  });

  it('refuses a key under another scheme or next to a token', async () => {
    for (const value of [`Basic ${key}`, `ApiKey ${key}`, key, `Bearer ${key} ${manager.accessToken}`, `Bearer ${key},${key}`]) {
      assertRefused(await call('GET', '/branches/1/products', { headers: { authorization: value } }), value.slice(0, 20));
    }
  });

  it('never lets a key reach beyond its owner, whatever scopes it claims', async () => {
    // The manager cannot even be given users:read; a key with every grantable scope still cannot list users.
    const denied = await call('POST', '/api-keys', { token: manager.accessToken, body: { name: 'escalate', scopes: ['users:read'], expiresInDays: 1 } });
    assert.equal(denied.status, 403);
    const wide = await call('POST', '/api-keys', { token: manager.accessToken, body: { name: 'wide', scopes: ['profile:read', 'inventory:read', 'inventory:write'], expiresInDays: 1 } });
    assert.equal(wide.status, 201);
    const wideKey = (wide.body as { key: string }).key;
    assertRefused(await call('GET', '/users', { token: wideKey }), 'users with a manager key');
    assertRefused(await call('GET', '/branches/2/products', { token: wideKey }), 'other branch with a manager key');
    assertRefused(await call('POST', '/products', { token: wideKey, body: { name: 'x', priceCents: 1 } }), 'catalog with a manager key');
  });
});

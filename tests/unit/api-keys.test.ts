/** The API key format, its MAC and key ring, and the secret check (lib/access/api-keys.ts). */
import { describe, it, jest } from '@jest/globals';
import assert from 'node:assert/strict';
import crypto, { createHmac, randomBytes } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { crc32 } from 'node:zlib';
import { API_KEY_ID, createApiKeyRing, hashSecret, looksLikeApiKey, secretMatches } from '../../lib/access/api-keys';
import { toApiKey } from '../../lib/access/records';
import { TEST_MAC_KEYS, testKeyRing } from './fixtures';

const KEY_FORMAT = /^gwk_([0-9a-f]{20})_([A-Za-z0-9_-]{43})_(v[12])([A-Za-z0-9_-]{24})$/;
const [V2, V1] = TEST_MAC_KEYS as [(typeof TEST_MAC_KEYS)[0], (typeof TEST_MAC_KEYS)[0]];

/** The MAC as the format defines it, computed independently of the module. */
const macOf = (secret: Buffer, body: string) => createHmac('sha256', secret).update(body).digest().subarray(0, 18).toString('base64url');

/** A key with whatever parts the caller chooses, its MAC made with `macSecret`. */
const assemble = (id: string, secret: string, version: string, macSecret: Buffer) => {
  const body = `gwk_${id}_${secret}_${version}`;
  return `${body}${macOf(macSecret, body)}`;
};

/** The same character set, another character: for single-character changes. */
const other = (c: string) => (c === 'a' ? 'b' : c === '_' ? '-' : 'a');

describe('createApiKeyRing: generate', () => {
  const ring = testKeyRing();

  it('makes a prefixed key under the current version whose id and secret parse back, storing only the hash', () => {
    const { key, id, secretHash, version } = ring.generate();
    const [, keyId, secret, keyVersion, mac] = KEY_FORMAT.exec(key) ?? assert.fail(`unexpected format: ${key}`);
    assert.equal(keyId, id);
    assert.equal(keyVersion, 'v2');
    assert.equal(version, 'v2');
    assert.equal(ring.currentVersion, 'v2');
    assert.match(id, API_KEY_ID);
    assert.equal(hashSecret(secret!), secretHash);
    assert.equal(mac, macOf(V2.secret, `gwk_${id}_${secret}_v2`), 'HMAC-SHA256 under v2 over everything before it, 144 bits');
    assert.deepEqual(ring.parse(key), { id, secret, version: 'v2' });
    assert.equal(key.includes(secretHash), false);
  });

  it('never repeats an id or a secret', () => {
    const keys = Array.from({ length: 200 }, () => ring.generate());
    assert.equal(new Set(keys.map((k) => k.id)).size, 200);
    assert.equal(new Set(keys.map((k) => k.secretHash)).size, 200);
  });

  it('keeps a secret that contains "_" or "-" whole', () => {
    // About a quarter of secrets have neither character: 64 keys hold one that has, practically always.
    const found = Array.from({ length: 64 }, () => ring.generate()).find(({ key }) => /[_-]/.test(KEY_FORMAT.exec(key)![2]!));
    assert.ok(found, 'no secret with _ or - in 64 keys');
    const parsed = ring.parse(found.key)!;
    assert.equal(hashSecret(parsed.secret), found.secretHash);
  });
});

describe('createApiKeyRing: parse', () => {
  const ring = testKeyRing();
  const { key } = ring.generate();
  const [, id, secret, version, mac] = KEY_FORMAT.exec(key) as unknown as [string, string, string, string, string];

  it('refuses a key with any single character changed: id, secret, version or MAC', () => {
    for (let i = 'gwk_'.length; i < key.length; i += 1) {
      const changed = key.slice(0, i) + other(key[i]!) + key.slice(i + 1);
      assert.equal(ring.parse(changed), undefined, `position ${i}`);
    }
  });

  it('refuses a forged MAC over a made-up id and secret (what an attacker without the ring can do)', () => {
    for (let i = 0; i < 200; i += 1) {
      const forged = `gwk_${randomBytes(10).toString('hex')}_${randomBytes(32).toString('base64url')}_v2${randomBytes(18).toString('base64url')}`;
      assert.match(forged, KEY_FORMAT, 'the forgery is well-formed');
      assert.equal(ring.parse(forged), undefined);
    }
  });

  it('refuses a real MAC moved onto another id, another secret or another version', () => {
    const otherId = randomBytes(10).toString('hex');
    const otherSecret = randomBytes(32).toString('base64url');
    assert.equal(ring.parse(`gwk_${otherId}_${secret}_${version}${mac}`), undefined, 'id');
    assert.equal(ring.parse(`gwk_${id}_${otherSecret}_${version}${mac}`), undefined, 'secret');
    assert.equal(ring.parse(`gwk_${id}_${secret}_v1${mac}`), undefined, 'version');
  });

  it('refuses a MAC made under another version than the key names, or under a key not on the ring', () => {
    assert.equal(ring.parse(assemble(id, secret, 'v2', V1.secret)), undefined, "v1's key, labelled v2");
    assert.equal(ring.parse(assemble(id, secret, 'v1', V2.secret)), undefined, "v2's key, labelled v1");
    assert.equal(ring.parse(assemble(id, secret, 'v2', randomBytes(32))), undefined, 'a guessed MAC key');
    assert.equal(ring.parse(assemble(id, secret, 'v3', randomBytes(32))), undefined, 'a version not on the ring');
  });

  it('refuses keys of the old format that ended in a CRC-32 checksum', () => {
    const body = `gwk_${id}_${secret}`;
    const old = `${body}_${crc32(body).toString(16).padStart(8, '0')}`;
    assert.match(old, /^gwk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}_[0-9a-f]{8}$/);
    assert.equal(ring.parse(old), undefined);
  });

  it('refuses other shapes: JWTs, truncations, extra characters, another prefix, upper case', () => {
    for (const bad of ['', 'gwk_', key.slice(0, -1), `${key}A`, key.replace('gwk_', 'GWK_'), key.replace('gwk_', 'ghp_'), 'eyJ.eyJ.sig', ` ${key}`, `${key} `, key.replace(`_${version}`, `_${version.toUpperCase()}`)]) {
      assert.equal(ring.parse(bad), undefined, bad);
    }
  });

  it('compares MACs with crypto.timingSafeEqual', () => {
    // Prepare: watch the comparison the module uses (it reads node:crypto's export at call time;
    // the spy is restored after the test, restoreMocks in jest.config.js).
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    syncBuiltinESMExports();
    // Act
    ring.parse(key);
    ring.parse(key.slice(0, -1) + other(key.at(-1)!));
    // Assess: both the good and the bad MAC went through it, as 24-byte buffers.
    assert.equal(compare.mock.calls.length, 2);
    // (Each call's arguments are copied into an array of the test's realm: jest records them in its own.)
    for (const call of compare.mock.calls) assert.deepEqual([...call].map((b) => (b as Buffer).length), [24, 24]);
  });

  it('tells keys from JWTs by the prefix', () => {
    assert.equal(looksLikeApiKey(key), true);
    assert.equal(looksLikeApiKey('eyJhbGciOiJSUzI1NiJ9.e30.c2ln'), false);
  });
});

describe('key ring rotation', () => {
  const before = createApiKeyRing([V1]);
  const rotated = createApiKeyRing([V2, V1]);
  const retired = createApiKeyRing([V2]);
  const minted = before.generate();

  it('mints new keys under the version prepended to the ring', () => {
    assert.equal(before.generate().version, 'v1');
    const fresh = rotated.generate();
    assert.equal(fresh.version, 'v2');
    assert.match(fresh.key, /_v2[A-Za-z0-9_-]{24}$/);
  });

  it('keeps verifying keys minted under an older version while it stays on the ring', () => {
    assert.equal(rotated.parse(minted.key)?.id, minted.id);
  });

  it('refuses every key minted under a version once it is removed from the ring', () => {
    assert.equal(retired.parse(minted.key), undefined);
    assert.equal(retired.parse(rotated.generate().key)?.version, 'v2', 'keys of the remaining version still work');
  });

  it('refuses a ring that could mint unverifiable or weakly keyed keys', () => {
    assert.throws(() => createApiKeyRing([]), /at least one/);
    assert.throws(() => createApiKeyRing([{ version: 'V1', secret: V1.secret }]), /version/);
    assert.throws(() => createApiKeyRing([{ version: 'v1-old', secret: V1.secret }]), /version/);
    assert.throws(() => createApiKeyRing([V1, { version: 'v1', secret: V2.secret }]), /twice/);
    assert.throws(() => createApiKeyRing([{ version: 'v1', secret: Buffer.alloc(31, 1) }]), /32 bytes/);
  });
});

describe('secretMatches', () => {
  it('accepts the right secret and refuses any other, or a malformed stored hash', () => {
    const ring = testKeyRing();
    const { key, secretHash } = ring.generate();
    const { secret } = ring.parse(key)!;
    assert.equal(secretMatches(secret, secretHash), true);
    assert.equal(secretMatches(`${secret.slice(0, -1)}${other(secret.at(-1)!)}`, secretHash), false);
    assert.equal(secretMatches(secret, secretHash.slice(0, -2)), false);
    assert.equal(secretMatches(secret, ''), false);
  });
});

describe('toApiKey', () => {
  const item = { pk: 'apikey#0123456789abcdef0123', owner: 'sub-1', ownerUsername: 'mary', name: 'k', scopes: ['inventory:read', 'root:all'], secretHash: 'ab', createdAt: 1, expiresAt: 2 };

  it('reads a stored record, dropping scopes it does not know', () => {
    assert.deepEqual(toApiKey(item), { id: '0123456789abcdef0123', owner: 'sub-1', ownerUsername: 'mary', name: 'k', scopes: ['inventory:read'], secretHash: 'ab', createdAt: 1, expiresAt: 2 });
  });

  it('refuses incomplete records and other record kinds', () => {
    assert.equal(toApiKey(undefined), undefined);
    assert.equal(toApiKey({ ...item, pk: 'user#sub-1' }), undefined);
    assert.equal(toApiKey({ ...item, secretHash: undefined }), undefined);
    assert.equal(toApiKey({ ...item, expiresAt: '2' }), undefined);
  });
});

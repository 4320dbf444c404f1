/** The API key format, its checksum and the secret check (lib/api-keys.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY_ID, generateApiKey, hashSecret, looksLikeApiKey, parseApiKey, secretMatches } from '../../lib/api-keys';
import { toApiKey } from '../../lib/access-records';

describe('generateApiKey', () => {
  it('makes a prefixed key whose id and secret parse back, storing only the hash', () => {
    const { key, id, secretHash } = generateApiKey();
    assert.match(key, /^gwk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}_[0-9a-f]{8}$/);
    const parsed = parseApiKey(key);
    assert.equal(parsed?.id, id);
    assert.match(id, API_KEY_ID);
    assert.equal(hashSecret(parsed!.secret), secretHash);
    assert.equal(key.includes(secretHash), false);
  });

  it('never repeats an id or a secret', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey());
    assert.equal(new Set(keys.map((k) => k.id)).size, 200);
    assert.equal(new Set(keys.map((k) => k.secretHash)).size, 200);
  });
});

describe('parseApiKey', () => {
  const { key } = generateApiKey();

  it('refuses a key with any single character changed (checksum)', () => {
    for (let i = 4; i < key.length; i += 1) {
      if (key[i] === '_') continue;
      const changed = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
      assert.equal(parseApiKey(changed), undefined, `position ${i}`);
    }
  });

  it('refuses other shapes: JWTs, truncations, extra characters, another prefix', () => {
    for (const bad of ['', 'gwk_', key.slice(0, -1), `${key}0`, key.replace('gwk_', 'GWK_'), key.replace('gwk_', 'ghp_'), 'eyJ.eyJ.sig', ` ${key}`]) {
      assert.equal(parseApiKey(bad), undefined, bad);
    }
  });

  it('tells keys from JWTs by the prefix', () => {
    assert.equal(looksLikeApiKey(key), true);
    assert.equal(looksLikeApiKey('eyJhbGciOiJSUzI1NiJ9.e30.c2ln'), false);
  });
});

describe('secretMatches', () => {
  it('accepts the right secret and refuses any other, or a malformed stored hash', () => {
    const { key, secretHash } = generateApiKey();
    const { secret } = parseApiKey(key)!;
    assert.equal(secretMatches(secret, secretHash), true);
    assert.equal(secretMatches(`${secret.slice(0, -1)}x`, secretHash), false);
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

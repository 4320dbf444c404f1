import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { MAX_AUTHORIZATION_LENGTH, extractBearerToken, headerValues } from '../../authorizers/bearer';
import { createApiKeyRing } from '../../lib/api-keys';
import { TEST_MAC_KEYS, testKeyRing } from './fixtures';

/** JWT-shaped (three base64url parts); the content does not matter here. */
const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLWJ5dGVz';

const MALFORMED = { failure: 'malformed_authorization' };
const MISSING = { failure: 'missing_token' };

describe('extractBearerToken', () => {
  describe('accepted', () => {
    it('returns the token of a single "Bearer <jwt>" header', () => {
      assert.deepEqual(extractBearerToken({ authorization: `Bearer ${TOKEN}` }), { token: TOKEN });
    });

    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      it(`accepts the scheme written ${scheme} (case-insensitive)`, () => {
        assert.deepEqual(extractBearerToken({ authorization: `${scheme} ${TOKEN}` }), { token: TOKEN });
      });
    }

    it('reads the header whatever the casing of its name', () => {
      assert.deepEqual(extractBearerToken({ Authorization: `Bearer ${TOKEN}` }), { token: TOKEN });
      assert.deepEqual(extractBearerToken({ AUTHORIZATION: `Bearer ${TOKEN}` }), { token: TOKEN });
    });

    it('ignores surrounding whitespace of the header value', () => {
      assert.deepEqual(extractBearerToken({ authorization: `  Bearer ${TOKEN}  ` }), { token: TOKEN });
    });

    it('ignores other headers', () => {
      assert.deepEqual(extractBearerToken({ 'x-authorization': 'Basic x', authorization: `Bearer ${TOKEN}`, cookie: 'a=b' }), {
        token: TOKEN,
      });
    });

    it('accepts a header exactly at the length limit', () => {
      // Prepare: a JWT shape padded so that "Bearer <token>" is exactly the limit.
      const prefix = 'Bearer a.b.';
      const value = prefix + 'c'.repeat(MAX_AUTHORIZATION_LENGTH - prefix.length);
      assert.equal(value.length, MAX_AUTHORIZATION_LENGTH);
      // Act
      const result = extractBearerToken({ authorization: value });
      // Assess
      assert.ok('token' in result);
    });
  });

  describe('missing', () => {
    it('refuses no headers at all with missing_token', () => {
      assert.deepEqual(extractBearerToken(undefined), MISSING);
      assert.deepEqual(extractBearerToken(null), MISSING);
      assert.deepEqual(extractBearerToken({}), MISSING);
    });

    it('refuses headers without authorization with missing_token', () => {
      assert.deepEqual(extractBearerToken({ cookie: `token=${TOKEN}`, 'x-api-key': TOKEN }), MISSING);
    });

    it('treats an authorization key whose value is undefined as missing', () => {
      assert.deepEqual(extractBearerToken({ authorization: undefined }), MISSING);
    });
  });

  describe('malformed', () => {
    const cases: Record<string, string> = {
      'a Basic credential': 'Basic dXNlcjpwYXNz',
      'another scheme carrying a JWT': `Token ${TOKEN}`,
      'an empty value': '',
      'only spaces': '   ',
      '"Bearer" alone': 'Bearer',
      '"Bearer " with nothing after it': 'Bearer ',
      'no space after the scheme': `Bearer${TOKEN}`,
      'a colon after the scheme': `Bearer:${TOKEN}`,
      'a tab after the scheme': `Bearer\t${TOKEN}`,
      'the token without a scheme': TOKEN,
      'two tokens': `Bearer ${TOKEN} ${TOKEN}`,
      'comma-joined duplicates': `Bearer ${TOKEN}, Bearer ${TOKEN}`,
      'comma-joined duplicates without a space': `Bearer ${TOKEN},Bearer ${TOKEN}`,
      'the scheme twice': `Bearer Bearer ${TOKEN}`,
      'a token followed by a comma': `Bearer ${TOKEN},`,
      'a newline inside the value': `Bearer ${TOKEN}\nX-Injected: 1`,
      'one part (not a JWT)': 'Bearer abcdef',
      'two parts (not a JWT)': 'Bearer abc.def',
      'four parts': `Bearer ${TOKEN}.extra`,
      'five parts (JWE shape)': 'Bearer a.b.c.d.e',
      'an empty signature (alg none style "a.b.")': 'Bearer a.b.',
      'an empty header part': 'Bearer .b.c',
      'an empty payload part': 'Bearer a..c',
      'base64 padding': 'Bearer a.b.c==',
      'standard base64 characters': 'Bearer a+b.c/d.e',
      'quoted token': `Bearer "${TOKEN}"`,
    };
    for (const [name, value] of Object.entries(cases)) {
      it(`refuses ${name} with malformed_authorization`, () => {
        assert.deepEqual(extractBearerToken({ authorization: value }), MALFORMED);
      });
    }

    it('refuses two header keys differing only in case, even with the same token', () => {
      // Prepare
      const headers = { Authorization: `Bearer ${TOKEN}`, authorization: `Bearer ${TOKEN}` };
      // Act
      const result = extractBearerToken(headers);
      // Assess
      assert.deepEqual(result, MALFORMED);
    });

    it('refuses two header keys differing in case when only one holds a bearer token', () => {
      assert.deepEqual(extractBearerToken({ authorization: `Bearer ${TOKEN}`, AUTHORIZATION: 'Basic dXNlcjpwYXNz' }), MALFORMED);
    });

    it('refuses a value one character over the length limit', () => {
      const prefix = 'Bearer a.b.';
      const value = prefix + 'c'.repeat(MAX_AUTHORIZATION_LENGTH - prefix.length + 1);
      assert.deepEqual(extractBearerToken({ authorization: value }), MALFORMED);
    });

    it('refuses an oversized value before matching it', () => {
      assert.deepEqual(extractBearerToken({ authorization: `Bearer ${'a'.repeat(1_000_000)}.b.c` }), MALFORMED);
    });
  });
});

describe('extractBearerToken with personal API keys', () => {
  const ring = testKeyRing();
  const { key, id } = ring.generate();
  const MALFORMED_KEY = { failure: 'malformed_api_key' };

  it('returns the parsed key when its MAC verifies under the ring', () => {
    const result = extractBearerToken({ authorization: `Bearer ${key}` }, [`Bearer ${key}`], ring);
    assert.ok('apiKey' in result);
    assert.equal(result.apiKey.id, id);
    assert.equal(result.apiKey.version, 'v2');
  });

  it('refuses a key minted under another ring with malformed_api_key', () => {
    const foreign = createApiKeyRing([{ version: 'v2', secret: Buffer.alloc(32, 9) }]).generate().key;
    assert.deepEqual(extractBearerToken({ authorization: `Bearer ${foreign}` }, undefined, ring), MALFORMED_KEY);
  });

  it('refuses a key with an altered MAC with malformed_api_key', () => {
    const altered = key.slice(0, -1) + (key.at(-1) === 'A' ? 'B' : 'A');
    assert.deepEqual(extractBearerToken({ authorization: `Bearer ${altered}` }, undefined, ring), MALFORMED_KEY);
  });

  it('refuses a key of a version removed from the ring with malformed_api_key', () => {
    const ringWithoutV2 = createApiKeyRing(TEST_MAC_KEYS.filter((k) => k.version !== 'v2'));
    assert.deepEqual(extractBearerToken({ authorization: `Bearer ${key}` }, undefined, ringWithoutV2), MALFORMED_KEY);
  });

  it('refuses every key when no ring is given (fail closed), and still reads JWTs', () => {
    assert.deepEqual(extractBearerToken({ authorization: `Bearer ${key}` }), MALFORMED_KEY);
    assert.deepEqual(extractBearerToken({ authorization: `Bearer ${TOKEN}` }), { token: TOKEN });
  });

  it('applies the header rules to keys too: two keys, another scheme', () => {
    assert.deepEqual(extractBearerToken({ authorization: `Bearer ${key} ${key}` }, undefined, ring), MALFORMED);
    assert.deepEqual(extractBearerToken({ authorization: `Basic ${key}` }, undefined, ring), MALFORMED);
  });
});

describe('headerValues', () => {
  it('collects every value whose header name matches case-insensitively', () => {
    const headers = { Authorization: 'one', authorization: 'two', 'x-other': 'three' };
    assert.deepEqual(headerValues(headers, 'AUTHORIZATION').sort(), ['one', 'two']);
  });

  it('skips keys whose value is undefined and returns nothing for null headers', () => {
    assert.deepEqual(headerValues({ authorization: undefined }, 'authorization'), []);
    assert.deepEqual(headerValues(null, 'authorization'), []);
  });

  it('keeps an empty string value (present but empty is not absent)', () => {
    assert.deepEqual(headerValues({ 'sls-offline-authorizer-override': '' }, 'sls-offline-authorizer-override'), ['']);
  });
});

import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { MAX_AUTHORIZATION_LENGTH, extractBearerCredential } from '../../authorizers/bearer';
import { createAuthenticators, type Authenticator } from '../../authorizers/authenticators';
import { headerValues } from '../../lib/policy/role-context';
import { createApiKeyRing, type ApiKeyMacKey } from '../../lib/access/api-keys';
import { TEST_MAC_KEYS, recordingJsonLogger, testKeyRing } from './fixtures';

/** JWT-shaped (three base64url parts); the content does not matter here. */
const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLWJ5dGVz';

const MALFORMED = { failure: 'malformed_authorization' };
const MISSING = { failure: 'missing_token' };

/**
 * What the authorizer's credential stages make of a request's headers: the bearer rule
 * (authorizers/bearer.ts), then the authenticators in turn, which claim their kind of
 * credential. The verifier and the records are recording fakes: `{ token }` is a JWT handed to
 * the verifier, `{ apiKey }` a key whose MAC verified and whose record was read; nothing else
 * reached either of them.
 */
const credentialOf = async (
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
  identitySource?: readonly string[] | null,
  macKeys: readonly ApiKeyMacKey[] = TEST_MAC_KEYS,
): Promise<{ token: string } | { apiKey: { id: string; version: string } } | { failure: string }> => {
  const bearer = extractBearerCredential(headers, identitySource);
  if ('failure' in bearer) return { failure: bearer.failure };
  const verified: string[] = [];
  const keyReads: string[] = [];
  const authenticators: readonly Authenticator[] = createAuthenticators({
    verifier: {
      verify: async (token) => {
        verified.push(token);
        throw new Error('not checked here');
      },
      hydrate: async () => undefined,
    },
    accessStore: {
      snapshot: async () => ({}),
      apiKey: async (id) => {
        keyReads.push(id);
        return {};
      },
      webSession: async () => ({}),
    },
    logger: recordingJsonLogger().logger,
    config: { unauthenticatedResponse: 'deny', maxStalenessMs: 0, resourceServerId: 'gateway', machineClients: [], apiKeyMacKeys: [...macKeys], sessionIdleSeconds: 1800 },
    clock: Date.now,
  });
  for (const authenticator of authenticators) {
    const outcome = await authenticator.authenticate({
      ...(bearer.credential === undefined ? {} : { credential: bearer.credential }),
      event: { headers: headers ?? {} } as unknown as APIGatewayRequestAuthorizerEventV2,
      cost: { reads: 0, polls: 0 },
    });
    if (outcome === undefined) continue;
    if (verified.length > 0) return { token: verified[0]! };
    if (keyReads.length > 0) {
      const parsed = createApiKeyRing(macKeys).parse(bearer.credential!);
      return { apiKey: { id: keyReads[0]!, version: parsed!.version } };
    }
    return { failure: 'allowed' in outcome ? outcome.reason : 'claimed' };
  }
  return bearer.credential === undefined ? MISSING : MALFORMED;
};

describe('extractBearerCredential', () => {
  it('returns the credential of a single "Bearer <credential>" header, whatever kind it is', async () => {
    assert.deepEqual(extractBearerCredential({ authorization: `Bearer ${TOKEN}` }), { credential: TOKEN });
    assert.deepEqual(extractBearerCredential({ authorization: 'Bearer anything' }), { credential: 'anything' });
  });

  it('finds no credential (not a failure: another authenticator may use something else) without the header', async () => {
    assert.deepEqual(extractBearerCredential({ cookie: 'a=b' }), {});
  });
});

describe('the credential stages (bearer rule, then authenticators)', () => {
  describe('accepted', () => {
    it('returns the token of a single "Bearer <jwt>" header', async () => {
      assert.deepEqual(await credentialOf({ authorization: `Bearer ${TOKEN}` }), { token: TOKEN });
    });

    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      it(`accepts the scheme written ${scheme} (case-insensitive)`, async () => {
        assert.deepEqual(await credentialOf({ authorization: `${scheme} ${TOKEN}` }), { token: TOKEN });
      });
    }

    it('reads the header whatever the casing of its name', async () => {
      assert.deepEqual(await credentialOf({ Authorization: `Bearer ${TOKEN}` }), { token: TOKEN });
      assert.deepEqual(await credentialOf({ AUTHORIZATION: `Bearer ${TOKEN}` }), { token: TOKEN });
    });

    it('ignores surrounding whitespace of the header value', async () => {
      assert.deepEqual(await credentialOf({ authorization: `  Bearer ${TOKEN}  ` }), { token: TOKEN });
    });

    it('ignores other headers', async () => {
      assert.deepEqual(await credentialOf({ 'x-authorization': 'Basic x', authorization: `Bearer ${TOKEN}`, cookie: 'a=b' }), {
        token: TOKEN,
      });
    });

    it('accepts a header exactly at the length limit', async () => {
      // Prepare: a JWT shape padded so that "Bearer <token>" is exactly the limit.
      const prefix = 'Bearer a.b.';
      const value = prefix + 'c'.repeat(MAX_AUTHORIZATION_LENGTH - prefix.length);
      assert.equal(value.length, MAX_AUTHORIZATION_LENGTH);
      // Act
      const result = await credentialOf({ authorization: value });
      // Assess
      assert.ok('token' in result);
    });
  });

  describe('missing', () => {
    it('refuses no headers at all with missing_token', async () => {
      assert.deepEqual(await credentialOf(undefined), MISSING);
      assert.deepEqual(await credentialOf(null), MISSING);
      assert.deepEqual(await credentialOf({}), MISSING);
    });

    it('refuses headers without authorization with missing_token', async () => {
      assert.deepEqual(await credentialOf({ cookie: `token=${TOKEN}`, 'x-api-key': TOKEN }), MISSING);
    });

    it('treats an authorization key whose value is undefined as missing', async () => {
      assert.deepEqual(await credentialOf({ authorization: undefined }), MISSING);
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
      it(`refuses ${name} with malformed_authorization`, async () => {
        assert.deepEqual(await credentialOf({ authorization: value }), MALFORMED);
      });
    }

    it('refuses two header keys differing only in case, even with the same token', async () => {
      // Prepare
      const headers = { Authorization: `Bearer ${TOKEN}`, authorization: `Bearer ${TOKEN}` };
      // Act
      const result = await credentialOf(headers);
      // Assess
      assert.deepEqual(result, MALFORMED);
    });

    it('refuses two header keys differing in case when only one holds a bearer token', async () => {
      assert.deepEqual(await credentialOf({ authorization: `Bearer ${TOKEN}`, AUTHORIZATION: 'Basic dXNlcjpwYXNz' }), MALFORMED);
    });

    it('refuses a value one character over the length limit', async () => {
      const prefix = 'Bearer a.b.';
      const value = prefix + 'c'.repeat(MAX_AUTHORIZATION_LENGTH - prefix.length + 1);
      assert.deepEqual(await credentialOf({ authorization: value }), MALFORMED);
    });

    it('refuses an oversized value before matching it', async () => {
      assert.deepEqual(await credentialOf({ authorization: `Bearer ${'a'.repeat(1_000_000)}.b.c` }), MALFORMED);
    });
  });
});

describe('the credential stages with personal API keys', () => {
  const { key, id } = testKeyRing().generate();
  const MALFORMED_KEY = { failure: 'malformed_api_key' };

  it('returns the parsed key when its MAC verifies under the ring', async () => {
    const result = await credentialOf({ authorization: `Bearer ${key}` }, [`Bearer ${key}`]);
    assert.ok('apiKey' in result);
    assert.equal(result.apiKey.id, id);
    assert.equal(result.apiKey.version, 'v2');
  });

  it('refuses a key minted under another ring with malformed_api_key', async () => {
    const foreign = createApiKeyRing([{ version: 'v2', secret: Buffer.alloc(32, 9) }]).generate().key;
    assert.deepEqual(await credentialOf({ authorization: `Bearer ${foreign}` }), MALFORMED_KEY);
  });

  it('refuses a key with an altered MAC with malformed_api_key', async () => {
    const altered = key.slice(0, -1) + (key.at(-1) === 'A' ? 'B' : 'A');
    assert.deepEqual(await credentialOf({ authorization: `Bearer ${altered}` }), MALFORMED_KEY);
  });

  it('refuses a key of a version removed from the ring with malformed_api_key', async () => {
    assert.deepEqual(await credentialOf({ authorization: `Bearer ${key}` }, undefined, TEST_MAC_KEYS.filter((k) => k.version !== 'v2')), MALFORMED_KEY);
  });

  it('fails closed without a MAC key: the authorizer cannot even be built, so no key is ever judged without one', async () => {
    await assert.rejects(credentialOf({ authorization: `Bearer ${key}` }, undefined, []), /at least one MAC key/);
    assert.deepEqual(await credentialOf({ authorization: `Bearer ${TOKEN}` }), { token: TOKEN });
  });

  it('applies the header rules to keys too: two keys, another scheme', async () => {
    assert.deepEqual(await credentialOf({ authorization: `Bearer ${key} ${key}` }), MALFORMED);
    assert.deepEqual(await credentialOf({ authorization: `Basic ${key}` }), MALFORMED);
  });
});

describe('headerValues', () => {
  it('collects every value whose header name matches case-insensitively', async () => {
    const headers = { Authorization: 'one', authorization: 'two', 'x-other': 'three' };
    assert.deepEqual(headerValues(headers, 'AUTHORIZATION').sort(), ['one', 'two']);
  });

  it('skips keys whose value is undefined and returns nothing for null headers', async () => {
    assert.deepEqual(headerValues({ authorization: undefined }, 'authorization'), []);
    assert.deepEqual(headerValues(null, 'authorization'), []);
  });

  it('keeps an empty string value (present but empty is not absent)', async () => {
    assert.deepEqual(headerValues({ 'sls-offline-authorizer-override': '' }, 'sls-offline-authorizer-override'), ['']);
  });
});

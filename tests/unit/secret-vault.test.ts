/**
 * The secret vault (lib/secrets/vault.ts) with the local key wrapping: what every secret kept at
 * rest goes through, browser sessions' tokens and authenticator secrets alike. The KMS key
 * wrapping has its own file (kms-key-wrapper.test.ts).
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecretVault, localKeyWrapper, SealedSecretError, type KeyWrapper } from '../../lib/secrets/vault';

const TOKENS = JSON.stringify({ accessToken: 'eyJ.access', idToken: 'eyJ.id', refreshToken: 'eyJ.refresh' });
const TOTP_SECRET = 'JBSWY3DPEHPK3PXP';

describe('the secret vault (envelope AES-256-GCM)', () => {
  const vault = createSecretVault(localKeyWrapper(randomBytes(32)));

  it('opens what it sealed for the same record, and shows nothing of it sealed', async () => {
    const sealed = await vault.seal(TOKENS, 'websession#a#tokens');
    assert.doesNotMatch(JSON.stringify(sealed), /eyJ/);
    assert.equal(await vault.open(sealed, 'websession#a#tokens'), TOKENS);
  });

  it('uses a new data key and IV every time', async () => {
    const [a, b] = [await vault.seal(TOKENS, 'websession#a#tokens'), await vault.seal(TOKENS, 'websession#a#tokens')];
    assert.notEqual(a.key, b.key);
    assert.notEqual(a.iv, b.iv);
    assert.notEqual(a.data, b.data);
  });

  it("refuses to open another session's sealed tokens (the record's key is bound in)", async () => {
    const sealed = await vault.seal(TOKENS, 'websession#a#tokens');
    await assert.rejects(vault.open(sealed, 'websession#b#tokens'), SealedSecretError);
  });

  it("opens an authenticator secret in its own record and field only: not as another user's, not as the pending one", async () => {
    const sealed = await vault.seal(TOTP_SECRET, 'mfa#sub-1#secret');
    assert.doesNotMatch(JSON.stringify(sealed), new RegExp(TOTP_SECRET));
    assert.equal(await vault.open(sealed, 'mfa#sub-1#secret'), TOTP_SECRET);
    await assert.rejects(vault.open(sealed, 'mfa#sub-2#secret'), SealedSecretError, 'moved to another user');
    await assert.rejects(vault.open(sealed, 'mfa#sub-1#pending'), SealedSecretError, 'moved to another field');
  });

  it('refuses an altered value, a value under another key and one of the wrong shape', async () => {
    const sealed = await vault.seal(TOKENS, 'websession#a#tokens');
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString('base64');
    };
    for (const field of ['key', 'iv', 'data', 'tag'] as const) {
      await assert.rejects(vault.open({ ...sealed, [field]: flip(sealed[field]) }, 'websession#a#tokens'), SealedSecretError, field);
    }
    await assert.rejects(createSecretVault(localKeyWrapper(randomBytes(32))).open(sealed, 'websession#a#tokens'), SealedSecretError, 'another key');
    await assert.rejects(vault.open({ v: 2 } as never, 'websession#a#tokens'), SealedSecretError);
    await assert.rejects(vault.open(null as never, 'websession#a#tokens'), SealedSecretError);
    // The secret box's format before the vault (never shipped): not a sealed secret.
    await assert.rejects(vault.open('v1.aXY.Ym9keQ.dGFn' as never, 'mfa#sub-1#secret'), SealedSecretError);
  });

  it('zeroes the data key after use, and passes the context to the key wrapper', async () => {
    const seen: Buffer[] = [];
    const contexts: string[] = [];
    const inner = localKeyWrapper(randomBytes(32));
    const spying: KeyWrapper = {
      generate: async (context) => {
        contexts.push(context);
        const made = await inner.generate(context);
        seen.push(made.plaintext);
        return made;
      },
      unwrap: (wrapped, context) => {
        contexts.push(context);
        return inner.unwrap(wrapped, context);
      },
    };
    const sealed = await createSecretVault(spying).seal(TOKENS, 'websession#z#tokens');
    assert.ok(seen[0]!.every((byte) => byte === 0));
    assert.equal(await createSecretVault(spying).open(sealed, 'websession#z#tokens'), TOKENS);
    assert.deepEqual(contexts, ['websession#z#tokens', 'websession#z#tokens']);
  });

  it('takes a 32-byte local key only', () => {
    assert.throws(() => localKeyWrapper(randomBytes(16)));
  });
});

import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTokenVault, localKeyWrapper, SealedTokensError, type KeyWrapper } from '../../lib/sessions/token-vault';

const TOKENS = JSON.stringify({ accessToken: 'eyJ.access', idToken: 'eyJ.id', refreshToken: 'eyJ.refresh' });

describe('the token vault (envelope AES-256-GCM)', () => {
  const vault = createTokenVault(localKeyWrapper(randomBytes(32)));

  it('opens what it sealed for the same session, and shows nothing of it sealed', async () => {
    const sealed = await vault.seal(TOKENS, 'hash-a');
    assert.doesNotMatch(JSON.stringify(sealed), /eyJ/);
    assert.equal(await vault.open(sealed, 'hash-a'), TOKENS);
  });

  it('uses a new data key and IV every time', async () => {
    const [a, b] = [await vault.seal(TOKENS, 'hash-a'), await vault.seal(TOKENS, 'hash-a')];
    assert.notEqual(a.key, b.key);
    assert.notEqual(a.iv, b.iv);
    assert.notEqual(a.data, b.data);
  });

  it("refuses to open another session's sealed tokens (the session's hash is bound in)", async () => {
    const sealed = await vault.seal(TOKENS, 'hash-a');
    await assert.rejects(vault.open(sealed, 'hash-b'), SealedTokensError);
  });

  it('refuses an altered value, a value under another key and one of the wrong shape', async () => {
    const sealed = await vault.seal(TOKENS, 'hash-a');
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString('base64');
    };
    for (const field of ['key', 'iv', 'data', 'tag'] as const) {
      await assert.rejects(vault.open({ ...sealed, [field]: flip(sealed[field]) }, 'hash-a'), SealedTokensError, field);
    }
    await assert.rejects(createTokenVault(localKeyWrapper(randomBytes(32))).open(sealed, 'hash-a'), SealedTokensError, 'another key');
    await assert.rejects(vault.open({ v: 2 } as never, 'hash-a'), SealedTokensError);
    await assert.rejects(vault.open(null as never, 'hash-a'), SealedTokensError);
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
    const sealed = await createTokenVault(spying).seal(TOKENS, 'hash-z');
    assert.ok(seen[0]!.every((byte) => byte === 0));
    assert.equal(await createTokenVault(spying).open(sealed, 'hash-z'), TOKENS);
    assert.deepEqual(contexts, ['hash-z', 'hash-z']);
  });

  it('takes a 32-byte local key only', () => {
    assert.throws(() => localKeyWrapper(randomBytes(16)));
  });
});

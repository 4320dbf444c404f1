/**
 * The KMS key wrapping (lib/secrets/kms.ts). There is no KMS in the local stack, so this checks
 * what the adapter asks KMS for (a client that records the commands and answers as KMS does), and
 * the vault around it end to end: the data key KMS would return is what seals and opens.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { ENCRYPTION_CONTEXT_KEY, kmsKeyWrapper } from '../../lib/secrets/kms';
import { createSecretVault, SealedSecretError } from '../../lib/secrets/vault';

const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Answers as KMS: a data key and its "wrapped" form, which opens only under the same context. */
const recordingKms = () => {
  const sent: (GenerateDataKeyCommand | DecryptCommand)[] = [];
  const wrapped = new Map<string, { key: Buffer; context: string }>();
  const client = {
    send: async (command: GenerateDataKeyCommand | DecryptCommand) => {
      sent.push(command);
      if (command instanceof GenerateDataKeyCommand) {
        const key = randomBytes(32);
        const blob = randomBytes(48);
        wrapped.set(blob.toString('hex'), { key, context: JSON.stringify(command.input.EncryptionContext) });
        return { Plaintext: new Uint8Array(key), CiphertextBlob: new Uint8Array(blob), KeyId: KEY_ID };
      }
      const found = wrapped.get(Buffer.from(command.input.CiphertextBlob!).toString('hex'));
      if (!found || found.context !== JSON.stringify(command.input.EncryptionContext)) {
        throw Object.assign(new Error('InvalidCiphertextException'), { name: 'InvalidCiphertextException' });
      }
      return { Plaintext: new Uint8Array(found.key), KeyId: KEY_ID };
    },
  } as unknown as KMSClient;
  return { client, sent };
};

describe('the KMS key wrapping', () => {
  it('asks for an AES-256 data key and unwraps it with the record as encryption context (gatewayRecord), on the configured key', async () => {
    const kms = recordingKms();
    const vault = createSecretVault(kmsKeyWrapper(kms.client, KEY_ID));
    const sealed = await vault.seal('JBSWY3DPEHPK3PXP', 'mfa#sub-1#secret');
    assert.equal(await vault.open(sealed, 'mfa#sub-1#secret'), 'JBSWY3DPEHPK3PXP');
    const [generate, decrypt] = kms.sent as [GenerateDataKeyCommand, DecryptCommand];
    assert.deepEqual(generate.input, { KeyId: KEY_ID, KeySpec: 'AES_256', EncryptionContext: { [ENCRYPTION_CONTEXT_KEY]: 'mfa#sub-1#secret' } });
    assert.equal(decrypt.input.KeyId, KEY_ID);
    assert.deepEqual(decrypt.input.EncryptionContext, { gatewayRecord: 'mfa#sub-1#secret' });
  });

  it("turns KMS refusing another record's context into SealedSecretError, not a dependency failure", async () => {
    const kms = recordingKms();
    const vault = createSecretVault(kmsKeyWrapper(kms.client, KEY_ID));
    const sealed = await vault.seal('JBSWY3DPEHPK3PXP', 'mfa#sub-1#secret');
    await assert.rejects(vault.open(sealed, 'mfa#sub-2#secret'), SealedSecretError);
  });
});

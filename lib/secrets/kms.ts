/**
 * The secret vault's key wrapping on AWS: KMS envelope encryption. `GenerateDataKey` (AES_256)
 * gives each sealing its own data key; `Decrypt` unwraps it. Both carry the encryption context
 * `{gatewayRecord: <the record's key and field>}` (`websession#<hash>#tokens`,
 * `mfa#<sub>#secret`): KMS refuses to unwrap a key under another context, and CloudTrail
 * records which record each call was for. The auth function's role may call exactly these two
 * operations on this key, and only with that context key present (serverless.yml, AuthRole and
 * GatewaySecretsKey). The authorizer has no KMS grant at all.
 */
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SealedSecretError, type KeyWrapper } from './vault';

export const ENCRYPTION_CONTEXT_KEY = 'gatewayRecord';

export const kmsKeyWrapper = (client: KMSClient, keyId: string): KeyWrapper => ({
  async generate(context) {
    const result = await client.send(
      new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { [ENCRYPTION_CONTEXT_KEY]: context } }),
    );
    if (!result.Plaintext || !result.CiphertextBlob) throw new Error('KMS GenerateDataKey answered without a key');
    return { plaintext: Buffer.from(result.Plaintext), wrapped: Buffer.from(result.CiphertextBlob) };
  },
  async unwrap(wrapped, context) {
    let result;
    try {
      result = await client.send(
        new DecryptCommand({ KeyId: keyId, CiphertextBlob: wrapped, EncryptionContext: { [ENCRYPTION_CONTEXT_KEY]: context } }),
      );
    } catch (error) {
      // Another record's context, or an altered blob: not a dependency failure.
      if ((error as Error)?.name === 'InvalidCiphertextException') throw new SealedSecretError(error);
      throw error;
    }
    if (!result.Plaintext) throw new Error('KMS Decrypt answered without a key');
    return Buffer.from(result.Plaintext);
  },
});

/** The KMS client of the auth function: explicit timeouts, as every client of the gateway. */
export const createKmsClient = (region: string): KMSClient =>
  new KMSClient({ region, maxAttempts: 2, requestHandler: { requestTimeout: 3000, connectionTimeout: 1000 } });

/**
 * The one way the gateway keeps secrets at rest in the access table: sealed in their record,
 * opened only by the auth service when it needs them. What it keeps this way: a browser
 * session's Cognito tokens (opened for a refresh and the sign-out's revocation) and a user's
 * authenticator secret (opened to check the code that turns two-factor sign-in off). The
 * authorizer never opens either and has no grant to.
 *
 * Envelope encryption, one data key per sealing: AES-256-GCM over the secret, with a context
 * naming the record and field it belongs to (`websession#<hash>#tokens`, `mfa#<sub>#secret`) as
 * additional authenticated data, so a sealed value copied into another record, another user's
 * or another field does not open there; and the data key wrapped by a key-wrapping port:
 * - on AWS, KMS (`GenerateDataKey` / `Decrypt` with the encryption context
 *   `{gatewayRecord: <context>}`, which the key policy requires: lib/secrets/kms.ts);
 * - locally, AES-256-GCM under a 32-byte key the local stack generates and keeps under .local
 *   (`localKeyWrapper` below), the same binding.
 * Never logged.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What a secret becomes: every part base64, versioned so the format can change. */
export interface SealedSecret {
  v: 1;
  /** The wrapped data key. */
  key: string;
  iv: string;
  data: string;
  tag: string;
}

export interface KeyWrapper {
  /** A fresh 32-byte data key, and the same key wrapped, bound to `context`. */
  generate(context: string): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  /** The data key back; fails if `context` is not the one it was wrapped with. */
  unwrap(wrapped: Buffer, context: string): Promise<Buffer>;
}

export interface SecretVault {
  /** The sealed form of `plaintext`, bound to `context` (the record's key and the field). */
  seal(plaintext: string, context: string): Promise<SealedSecret>;
  /** The secret; rejects with SealedSecretError when it does not open (any other error is a dependency's). */
  open(sealed: SealedSecret, context: string): Promise<string>;
}

/** A sealed value that failed to open: not sealed by the vault, altered, of another record, or under another key. */
export class SealedSecretError extends Error {
  constructor(cause?: unknown) {
    super('A sealed secret could not be opened', cause === undefined ? undefined : { cause });
    this.name = 'SealedSecretError';
  }
}

const aesGcmSeal = (key: Buffer, plaintext: Buffer, aad: string) => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, data, tag: cipher.getAuthTag() };
};

const aesGcmOpen = (key: Buffer, parts: { iv: Buffer; data: Buffer; tag: Buffer }, aad: string): Buffer => {
  const decipher = createDecipheriv('aes-256-gcm', key, parts.iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(parts.tag);
  return Buffer.concat([decipher.update(parts.data), decipher.final()]);
};

const b64 = (buffer: Buffer) => buffer.toString('base64');
const unb64 = (text: unknown): Buffer => {
  if (typeof text !== 'string') throw new SealedSecretError();
  return Buffer.from(text, 'base64');
};

/** Whether a stored value has the shape of a sealed secret. */
export const isSealedSecret = (value: unknown): value is SealedSecret => {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.v === 1 && ['key', 'iv', 'data', 'tag'].every((field) => typeof v[field] === 'string');
};

export const createSecretVault = (wrapper: KeyWrapper): SecretVault => ({
  async seal(plaintext, context) {
    const { plaintext: dataKey, wrapped } = await wrapper.generate(context);
    try {
      const { iv, data, tag } = aesGcmSeal(dataKey, Buffer.from(plaintext, 'utf8'), context);
      return { v: 1, key: b64(wrapped), iv: b64(iv), data: b64(data), tag: b64(tag) };
    } finally {
      dataKey.fill(0);
    }
  },
  async open(sealed, context) {
    if (!isSealedSecret(sealed)) throw new SealedSecretError();
    const dataKey = await wrapper.unwrap(unb64(sealed.key), context);
    try {
      return aesGcmOpen(dataKey, { iv: unb64(sealed.iv), data: unb64(sealed.data), tag: unb64(sealed.tag) }, context).toString('utf8');
    } catch (error) {
      throw new SealedSecretError(error);
    } finally {
      dataKey.fill(0);
    }
  },
});

/**
 * The local stack's key wrapping: AES-256-GCM under `masterKey` (SECRETS_LOCAL_KEY), the
 * context as AAD. Wrapped form: iv (12) | tag (16) | wrapped key (32).
 */
export const localKeyWrapper = (masterKey: Buffer): KeyWrapper => {
  if (masterKey.length !== 32) throw new Error('The local secrets key must be 32 bytes');
  return {
    generate(context) {
      const plaintext = randomBytes(32);
      const { iv, data, tag } = aesGcmSeal(masterKey, plaintext, `gatewayRecord:${context}`);
      return Promise.resolve({ plaintext, wrapped: Buffer.concat([iv, tag, data]) });
    },
    unwrap(wrapped, context) {
      if (wrapped.length !== 12 + 16 + 32) return Promise.reject(new SealedSecretError());
      try {
        return Promise.resolve(
          aesGcmOpen(masterKey, { iv: wrapped.subarray(0, 12), tag: wrapped.subarray(12, 28), data: wrapped.subarray(28) }, `gatewayRecord:${context}`),
        );
      } catch (error) {
        return Promise.reject(new SealedSecretError(error));
      }
    },
  };
};

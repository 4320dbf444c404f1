/**
 * Secrets the gateway must keep (a user's authenticator secret), sealed at rest with
 * AES-256-GCM under a key from configuration (`MFA_SECRET_KEY`): the table holds only the
 * sealed form, which says nothing without the key and cannot be altered or moved to another
 * record unnoticed (the record's key is bound in as associated data). Never logged.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export interface SecretBox {
  /** The sealed form of `secret`, bound to `context` (e.g. the record's key). */
  seal(secret: string, context: string): string;
  /** The secret, or undefined when the sealed form is not this key's, was altered, or belongs to another context. */
  open(sealed: string, context: string): string | undefined;
}

/** A box over `key` (at least 32 bytes; hashed to the AES-256 key, so any longer secret works). */
export const createSecretBox = (key: Buffer): SecretBox => {
  if (key.length < 32) throw new Error('The secret box key must be at least 32 bytes');
  const aesKey = createHash('sha256').update('gateway secret box v1\0').update(key).digest();
  return {
    seal(secret, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed, context) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== VERSION || !iv || body === undefined || !tag) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', aesKey, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
};

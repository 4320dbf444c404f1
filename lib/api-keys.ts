/**
 * Personal API keys: their format and the secret check (their stored record is in
 * `lib/access-records.ts`, with the gateway's other records). Part of the
 * authorizer's bundle, so only `node:crypto` and `node:zlib`.
 *
 *   gwk_<id: 20 hex>_<secret: 43 base64url>_<checksum: 8 hex>
 *
 * - The fixed prefix tells a key from a JWT at a glance (and lets secret scanners find leaked
 *   keys); the id is public (it names the key in listings, URLs and the audit log).
 * - The secret is 256 random bits. Only its SHA-256 is stored: a fast hash is enough for a
 *   random secret of this size (no dictionary to attack), and keeps the check in microseconds.
 * - The checksum (CRC-32 of everything before it) refuses mistyped and made-up keys without a
 *   database read. It is not a security measure; the secret is.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const API_KEY_PREFIX = 'gwk_';
const KEY = /^gwk_([0-9a-f]{20})_([A-Za-z0-9_-]{43})_([0-9a-f]{8})$/;
export const API_KEY_ID = /^[0-9a-f]{20}$/;

export const looksLikeApiKey = (credential: string): boolean => credential.startsWith(API_KEY_PREFIX);

const checksum = (body: string): string => crc32(body).toString(16).padStart(8, '0');

export interface ParsedApiKey {
  id: string;
  secret: string;
}

/** The id and secret of a well-formed key with a correct checksum; undefined otherwise. */
export const parseApiKey = (key: string): ParsedApiKey | undefined => {
  const match = KEY.exec(key);
  if (!match) return undefined;
  const [, id, secret, sum] = match as unknown as [string, string, string, string];
  if (checksum(`${API_KEY_PREFIX}${id}_${secret}`) !== sum) return undefined;
  return { id, secret };
};

export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** A new key: the full key (shown once), its id, and the hash to store. */
export const generateApiKey = (): { key: string; id: string; secretHash: string } => {
  const id = randomBytes(10).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const body = `${API_KEY_PREFIX}${id}_${secret}`;
  return { key: `${body}_${checksum(body)}`, id, secretHash: hashSecret(secret) };
};

/** Whether `secret` is the one whose hash is stored, in time independent of where they differ. */
export const secretMatches = (secret: string, storedHash: string): boolean => {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
};

/**
 * Personal API keys: their format, the MAC that proves the gateway minted them, and the secret
 * check (their stored record is in `lib/access/records.ts`, with the gateway's other records).
 * Part of the authorizer's bundle, so only `node:crypto`.
 *
 *   gwk_<id: 20 hex>_<secret: 43 base64url>_<version: 1-8 of [a-z0-9]><mac: 24 base64url>
 *
 * - The fixed prefix tells a key from a JWT at a glance (and lets secret scanners find leaked
 *   keys); the id is public (it names the key in listings, URLs and the audit log).
 * - The secret is 256 random bits. Only its SHA-256 is stored: a fast hash is enough for a
 *   random secret of this size (no dictionary to attack), and keeps the check in microseconds.
 * - The MAC is HMAC-SHA256 over everything before it (`gwk_<id>_<secret>_<version>`) under the
 *   MAC key of that version, truncated to 144 bits (18 bytes: 24 base64url characters with no
 *   spare bits, so every MAC has exactly one spelling). Only the gateway holds the MAC keys, so a
 *   made-up or altered key is refused without a database read: without the key, forging a MAC
 *   takes about 2^144 tries. It is a filter in front of the secret check, not a replacement: a
 *   key with a valid MAC still needs its secret to match the stored hash, and the record to
 *   be live.
 *
 * The MAC keys form a ring (`API_KEY_MAC_KEYS`, read in `lib/config.ts`): the first version
 * mints new keys, every version on the ring verifies. Rotation prepends a new version; a key
 * minted under a version works until that version leaves the ring, which refuses all of them
 * at once. Keys of the 0.x format that ended in a CRC-32 are refused (`malformed_api_key`).
 */
import { createHash, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

export const API_KEY_PREFIX = 'gwk_';
/** A MAC key's version: short, lower-case, so that it reads well inside the key. */
export const API_KEY_VERSION = /^[a-z0-9]{1,8}$/;
/** HMAC-SHA256 keys shorter than this would be weaker than the MAC itself. */
export const MIN_MAC_KEY_BYTES = 32;
const MAC_BYTES = 18;
const KEY = /^gwk_([0-9a-f]{20})_([A-Za-z0-9_-]{43})_([a-z0-9]{1,8})([A-Za-z0-9_-]{24})$/;
export const API_KEY_ID = /^[0-9a-f]{20}$/;

export const looksLikeApiKey = (credential: string): boolean => credential.startsWith(API_KEY_PREFIX);

/** One entry of the key ring: the version written into keys, and its secret MAC key. */
export interface ApiKeyMacKey {
  version: string;
  secret: Buffer;
}

export interface ParsedApiKey {
  id: string;
  secret: string;
  /** The MAC key version the key was minted under. */
  version: string;
}

export interface GeneratedApiKey {
  /** The full key: shown once to its owner, stored nowhere. */
  key: string;
  id: string;
  secretHash: string;
  version: string;
}

export interface ApiKeyRing {
  /** The version new keys are minted under: the ring's first. */
  readonly currentVersion: string;
  /** A new key under the current version. */
  generate(): GeneratedApiKey;
  /**
   * The id, secret and version of a well-formed key whose MAC verifies under a version still
   * on the ring; undefined for anything else. No I/O: this is what refuses forged keys before
   * any database read.
   */
  parse(key: string): ParsedApiKey | undefined;
}

/**
 * The ring over `macKeys` (first = current). Configuration validates `API_KEY_MAC_KEYS` with
 * messages naming the variable; the same rules are asserted here so that no caller can build a
 * ring that mints unverifiable or weakly keyed keys.
 */
export const createApiKeyRing = (macKeys: readonly ApiKeyMacKey[]): ApiKeyRing => {
  const [current] = macKeys;
  if (!current) throw new Error('An API key ring needs at least one MAC key');
  const keys = new Map<string, KeyObject>();
  for (const { version, secret } of macKeys) {
    if (!API_KEY_VERSION.test(version)) throw new Error(`API key MAC key version must match ${API_KEY_VERSION}, got "${version}"`);
    if (keys.has(version)) throw new Error(`API key MAC key version ${version} appears twice`);
    if (secret.length < MIN_MAC_KEY_BYTES) throw new Error(`API key MAC key ${version} must be at least ${MIN_MAC_KEY_BYTES} bytes`);
    keys.set(version, createSecretKey(Buffer.from(secret)));
  }

  const mac = (macKey: KeyObject, body: string): string =>
    createHmac('sha256', macKey).update(body, 'utf8').digest().subarray(0, MAC_BYTES).toString('base64url');

  return {
    currentVersion: current.version,

    generate: () => {
      const id = randomBytes(10).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      const body = `${API_KEY_PREFIX}${id}_${secret}_${current.version}`;
      return { key: `${body}${mac(keys.get(current.version)!, body)}`, id, secretHash: hashSecret(secret), version: current.version };
    },

    parse: (key) => {
      const match = KEY.exec(key);
      if (!match) return undefined;
      const [, id, secret, version, presented] = match as unknown as [string, string, string, string, string];
      const macKey = keys.get(version);
      if (!macKey) return undefined;
      const expected = mac(macKey, `${API_KEY_PREFIX}${id}_${secret}_${version}`);
      // Both are 24 ASCII characters (the pattern above): compared in time independent of
      // where they differ, so response times reveal nothing about the right MAC.
      if (!timingSafeEqual(Buffer.from(presented, 'latin1'), Buffer.from(expected, 'latin1'))) return undefined;
      return { id, secret, version };
    },
  };
};

export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Whether `secret` is the one whose hash is stored, in time independent of where they differ. */
export const secretMatches = (secret: string, storedHash: string): boolean => {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
};

/**
 * The tests' own authenticator app: RFC 6238 codes (HMAC-SHA1, 30-second steps, 6 digits)
 * computed from the base32 secret that `POST /auth/mfa/setup` returned. Written here from the
 * RFCs, apart from the gateway's lib/identity/totp.ts, so that the two check each other; checked
 * against RFC 6238's own test vectors in tests/unit/totp.test.ts.
 */
import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, without padding. */
export const base32Decode = (secret: string): Buffer => {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of secret.toUpperCase().replace(/=+$/, '')) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    buffer = (buffer << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
};

export const base32Encode = (bytes: Buffer): string => {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
};

/** RFC 4226 HOTP of a counter, `digits` long. */
export const hotp = (key: Buffer, counter: number, digits = 6): string => {
  const message = Buffer.alloc(8);
  message.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  message.writeUInt32BE(counter % 2 ** 32, 4);
  const digest = createHmac('sha1', key).update(message).digest();
  const offset = digest[19]! & 0xf;
  const value = ((digest[offset]! & 0x7f) << 24) | (digest[offset + 1]! << 16) | (digest[offset + 2]! << 8) | digest[offset + 3]!;
  return (value % 10 ** digits).toString().padStart(digits, '0');
};

/** The code an authenticator app shows for `secret` at `atMs` (now by default), or `steps` 30-second steps away. */
export const totp = (secret: string, options: { atMs?: number; steps?: number } = {}): string =>
  hotp(base32Decode(secret), Math.floor((options.atMs ?? Date.now()) / 30_000) + (options.steps ?? 0));

/** Milliseconds until the current 30-second step ends. */
export const msLeftInStep = (atMs = Date.now()): number => 30_000 - (atMs % 30_000);

/**
 * A code of the secret that no earlier call returned (`used` remembers them): the current
 * step's, then the next one's, then the previous one's, which Cognito and the gateway all accept
 * (one step of drift either way). AWS and the gateway refuse a code used twice, so a test that
 * needs a fourth code waits for the next step. Never within 3 s of a step's end, so the code is
 * still valid when it arrives.
 */
export const freshCode = async (secret: string, used: Set<string>): Promise<string> => {
  for (;;) {
    if (msLeftInStep() < 3000) await new Promise((resolve) => setTimeout(resolve, msLeftInStep() + 50));
    const now = Date.now();
    for (const steps of [0, 1, -1]) {
      const code = totp(secret, { atMs: now, steps });
      if (!used.has(code)) {
        used.add(code);
        return code;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, msLeftInStep() + 50));
  }
};

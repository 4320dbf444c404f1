/**
 * Time-based one-time passwords (RFC 6238) as Cognito and authenticator apps compute them:
 * HMAC-SHA1 over the 30-second step, 6 digits, from a base32 secret. Cognito checks the codes of
 * setup and login itself; the gateway checks one here only where Cognito has no call for it
 * (turning MFA off with a current code), from the secret it kept, sealed, at setup.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now a code may come from (clock drift), as Cognito allows. */
export const TOTP_WINDOW_STEPS = 1;
/** How long a code stays acceptable at most: the steps it may be checked in. */
export const TOTP_VALIDITY_SECONDS = (2 * TOTP_WINDOW_STEPS + 1) * TOTP_STEP_SECONDS;

export const TOTP_CODE = /^\d{6}$/;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The bytes of a base32 secret (RFC 4648, no padding needed, case-insensitive); undefined if it is not base32. */
export const decodeBase32 = (text: string): Buffer | undefined => {
  const clean = text.replace(/=+$/, '').toUpperCase();
  if (clean === '' || !/^[A-Z2-7]+$/.test(clean)) return undefined;
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of clean) {
    value = (value << 5) | BASE32.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
};

/** The code of one time step. */
export const totpAt = (key: Buffer, step: number): string => {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, '0');
};

/** The time step a code of `nowSeconds` belongs to. */
export const totpStep = (nowSeconds: number): number => Math.floor(nowSeconds / TOTP_STEP_SECONDS);

/**
 * Whether `code` is the secret's code for now or a step either side. Every candidate is
 * compared in constant time, all of them, whatever matched first.
 */
export const totpMatches = (secretBase32: string, code: string, nowSeconds: number): boolean => {
  const key = decodeBase32(secretBase32);
  if (!key || !TOTP_CODE.test(code)) return false;
  const given = Buffer.from(code);
  let matched = false;
  const now = totpStep(nowSeconds);
  for (let step = now - TOTP_WINDOW_STEPS; step <= now + TOTP_WINDOW_STEPS; step += 1) {
    if (timingSafeEqual(Buffer.from(totpAt(key, step)), given)) matched = true;
  }
  return matched;
};

/**
 * The `otpauth://` URI authenticator apps read from a QR code (the Key Uri Format of Google
 * Authenticator, which every app follows): the issuer names the service, the account the user.
 */
export const otpauthUri = (input: { issuer: string; account: string; secret: string }): string => {
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.account)}`;
  const query = new URLSearchParams({
    secret: input.secret,
    issuer: input.issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
};

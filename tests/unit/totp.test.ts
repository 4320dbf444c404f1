/**
 * TOTP as the gateway checks it (lib/identity/totp.ts) and as the tests compute it
 * (tests/support/totp.ts), both against RFC 6238's own test vectors. How the secrets are sealed
 * at rest: secret-vault.test.ts.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { decodeBase32, otpauthUri, totpAt, totpMatches, totpStep } from '../../lib/identity/totp';
import { base32Decode, base32Encode, hotp, totp } from '../support/totp';

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", 8 digits; our codes are its last 6.
const RFC_SEED = Buffer.from('12345678901234567890', 'ascii');
const RFC_VECTORS: [number, string][] = [
  [59, '94287082'],
  [1_111_111_109, '07081804'],
  [1_111_111_111, '14050471'],
  [1_234_567_890, '89005924'],
  [2_000_000_000, '69279037'],
  [20_000_000_000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it("computes RFC 6238's SHA-1 vectors, in the tests' authenticator and in the gateway's check", () => {
    const secret = base32Encode(RFC_SEED);
    for (const [time, code] of RFC_VECTORS) {
      assert.equal(hotp(RFC_SEED, Math.floor(time / 30), 8), code, `support at ${time}`);
      assert.equal(totp(secret, { atMs: time * 1000 }), code.slice(-6), `support 6 digits at ${time}`);
      assert.equal(totpAt(decodeBase32(secret)!, totpStep(time)), code.slice(-6), `gateway at ${time}`);
    }
  });

  it('decodes base32 in either case and refuses what is not base32', () => {
    assert.deepEqual(decodeBase32(base32Encode(RFC_SEED).toLowerCase()), RFC_SEED);
    assert.deepEqual(base32Decode(base32Encode(RFC_SEED)), RFC_SEED);
    for (const bad of ['', '0189', 'AB CD', 'ABC!']) assert.equal(decodeBase32(bad), undefined, bad);
  });

  it('accepts the code of now and one step either side, and nothing further', () => {
    const secret = base32Encode(RFC_SEED);
    const now = 1_234_567_890;
    for (const steps of [-1, 0, 1]) assert.equal(totpMatches(secret, totp(secret, { atMs: now * 1000, steps }), now), true, `step ${steps}`);
    for (const steps of [-3, -2, 2, 3]) assert.equal(totpMatches(secret, totp(secret, { atMs: now * 1000, steps }), now), false, `step ${steps}`);
  });

  it('refuses malformed codes and secrets without throwing', () => {
    const secret = base32Encode(RFC_SEED);
    for (const code of ['', '12345', '1234567', 'abcdef', ' 123456']) assert.equal(totpMatches(secret, code, 59), false, code);
    assert.equal(totpMatches('not base32!', '287082', 59), false);
  });

  it('builds the otpauth URI authenticator apps scan: issuer, account, secret, SHA1, 6 digits, 30 s', () => {
    const uri = new URL(otpauthUri({ issuer: 'API Gateway', account: 'admin@example.com', secret: 'JBSWY3DPEHPK3PXP' }));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/API Gateway:admin@example.com');
    assert.deepEqual(Object.fromEntries(uri.searchParams), { secret: 'JBSWY3DPEHPK3PXP', issuer: 'API Gateway', algorithm: 'SHA1', digits: '6', period: '30' });
  });
});

/**
 * Fresh access tokens for the bench, as many as asked: each a copy of a real token the local
 * Cognito (cognito-local) issued, with its own `jti` and `iat`, signed with cognito-local's own
 * private key (shipped in its package), so the authorizer verifies them against the pool's JWKS
 * like any token the emulator issues. Each keeps the original login's session as `origin_jti`
 * and its `auth_time`, as a refresh on AWS does: a fresh token of a principal already seen.
 *
 * Why not ask cognito-local for each: a refresh there costs tens of ms (and runs the
 * pre-token-generation trigger through serverless-offline); the bench needs more tokens than the
 * authorizer's verification cache holds, so that no call is a cache hit.
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

const keyOfCognitoLocal = () => {
  const file = require.resolve('cognito-local/lib/keys/cognitoLocal.private.json');
  const { jwk } = JSON.parse(readFileSync(file, 'utf8')) as { jwk: Record<string, string> };
  return createPrivateKey({ key: jwk, format: 'jwk' });
};

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `count` tokens like `token`, each with a new jti; its session (`origin_jti` or `jti`) kept. */
export const freshTokens = (token: string, count: number): string[] => {
  const [header, payload] = token.split('.') as [string, string, string];
  const headerJson = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown> & { jti: string; origin_jti?: string };
  const key = keyOfCognitoLocal();
  const encodedHeader = part(headerJson);
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const body = part({ ...claims, jti: randomUUID(), origin_jti: claims.origin_jti ?? claims.jti, iat: Math.floor(Date.now() / 1000) });
    const signature = sign('RSA-SHA256', Buffer.from(`${encodedHeader}.${body}`), key).toString('base64url');
    tokens.push(`${encodedHeader}.${body}.${signature}`);
  }
  return tokens;
};

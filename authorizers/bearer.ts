/**
 * Takes exactly one bearer token from the request headers. The scheme is case-insensitive
 * (RFC 7235); anything else (another scheme, two headers, two tokens, a comma-joined
 * duplicate, stray characters, an oversized value) is refused before any cryptography runs.
 *
 * Header names are matched case-insensitively: serverless-offline keeps the client's casing
 * (`Authorization`), API Gateway lowercases them.
 */
import { looksLikeApiKey, type ApiKeyRing, type ParsedApiKey } from '../lib/access/api-keys';

export type BearerFailure = 'missing_token' | 'malformed_authorization' | 'malformed_api_key';

/** A JWT (a user's or a machine client's access token) or a personal API key. */
export type BearerResult = { token: string } | { apiKey: ParsedApiKey } | { failure: BearerFailure };

/** Cognito access tokens are ~1 KB; 8 KB leaves room and still bounds the work. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

const BEARER = /^Bearer +(\S+)$/i;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export const headerValues = (headers: Readonly<Record<string, string | undefined>> | null | undefined, name: string): string[] => {
  const wanted = name.toLowerCase();
  return Object.entries(headers ?? {})
    .filter(([key, value]) => key.toLowerCase() === wanted && typeof value === 'string')
    .map(([, value]) => value as string);
};

/**
 * @param identitySource the event's `identitySource` (the Authorization value API Gateway
 *   checked for presence). When given, it must be the header's value: serverless-offline takes
 *   the first of repeated Authorization lines for it and the last for `headers`, so a mismatch
 *   means the client sent two (API Gateway joins repeats with a comma, refused below).
 * @param apiKeys the MAC key ring that tells the gateway's API keys from forged ones. Without
 *   it every API key is refused (`malformed_api_key`); JWTs are unaffected.
 */
export const extractBearerToken = (
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
  identitySource?: readonly string[] | null,
  apiKeys?: Pick<ApiKeyRing, 'parse'>,
): BearerResult => {
  const values = headerValues(headers, 'authorization');
  if (values.length === 0) return { failure: 'missing_token' };
  const [value] = values;
  if (values.length > 1 || value === undefined || value.length > MAX_AUTHORIZATION_LENGTH) {
    return { failure: 'malformed_authorization' };
  }
  if (identitySource && identitySource.length > 0 && !identitySource.includes(value)) {
    return { failure: 'malformed_authorization' };
  }
  const credential = BEARER.exec(value.trim())?.[1];
  if (!credential) return { failure: 'malformed_authorization' };
  if (looksLikeApiKey(credential)) {
    // Format and MAC first: a mistyped, altered or made-up key costs no database read.
    const apiKey = apiKeys?.parse(credential);
    return apiKey ? { apiKey } : { failure: 'malformed_api_key' };
  }
  return JWT.test(credential) ? { token: credential } : { failure: 'malformed_authorization' };
};

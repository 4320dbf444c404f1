/**
 * Takes exactly one bearer credential from the request headers. The scheme is case-insensitive
 * (RFC 7235); anything else (another scheme, two headers, two tokens, a comma-joined
 * duplicate, stray characters, an oversized value) is refused before any cryptography runs.
 * Which kind of credential it is (a JWT, an API key) the authenticators decide.
 *
 * Header names are matched case-insensitively: serverless-offline keeps the client's casing
 * (`Authorization`), API Gateway lowercases them.
 */
import { headerValues } from '../lib/policy/role-context';

export type BearerFailure = 'missing_token' | 'malformed_authorization';

/** The one bearer credential (what it is, the authenticators decide), none, or why it is refused. */
export type BearerResult = { credential: string } | { credential?: undefined } | { failure: 'malformed_authorization' };

/** Cognito access tokens are ~1 KB; 8 KB leaves room and still bounds the work. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

const BEARER = /^Bearer +(\S+)$/i;

/**
 * @param identitySource the event's `identitySource`. The authorizer has no identity source
 *   configured (cookie-only requests must reach it: serverless.yml), so API Gateway sends none
 *   and serverless-offline sends `[undefined]`; only string entries count. When one is given it
 *   must be the header's value: serverless-offline takes the first of repeated Authorization
 *   lines for it and the last for `headers`, so a mismatch means the client sent two (API
 *   Gateway joins repeats with a comma, refused below; the local stack does the same:
 *   scripts/local/api-gateway-emulation.cjs).
 */
export const extractBearerCredential = (
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
  identitySource?: readonly string[] | null,
): BearerResult => {
  const values = headerValues(headers, 'authorization');
  if (values.length === 0) return {};
  const [value] = values;
  if (values.length > 1 || value === undefined || value.length > MAX_AUTHORIZATION_LENGTH) {
    return { failure: 'malformed_authorization' };
  }
  const sources = identitySource?.filter((source): source is string => typeof source === 'string') ?? [];
  if (sources.length > 0 && !sources.includes(value)) {
    return { failure: 'malformed_authorization' };
  }
  const credential = BEARER.exec(value.trim())?.[1];
  return credential ? { credential } : { failure: 'malformed_authorization' };
};

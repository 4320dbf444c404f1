/**
 * Verification of Cognito access tokens with aws-jwt-verify, the same code on AWS and locally.
 *
 * `CognitoJwtVerifier` only accepts AWS pool ids and https, so the generic `JwtVerifier` is
 * configured with the pool's issuer and JWKS URI and Cognito's own field checks
 * (`token_use` = access, `client_id`). Order, as in aws-jwt-verify: key (by `kid`), header
 * against key, signature, standard claims (`iss`, `exp`, `nbf`), then our checks.
 */
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import { assertStringArrayContainsString, assertStringEquals } from 'aws-jwt-verify/assert';
import type { Fetcher } from 'aws-jwt-verify/https';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FailedAssertionError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  JwksNotAvailableInCacheError,
  JwksValidationError,
  JwkValidationError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import http from 'node:http';
import https from 'node:https';
import type { IdentityConfig } from '../../lib/config';
import { createJwksCache } from './jwks-cache';
import { isScope, type Scope } from '../../lib/policy/route-policy';

/** The claims of a Cognito access token the gateway relies on, after verification. */
export interface AccessTokenClaims {
  sub: string;
  username: string;
  client_id: string;
  token_use: 'access';
  jti: string;
  origin_jti?: string;
  scope?: string;
  'cognito:groups'?: string[];
  exp: number;
  iat: number;
  /** When the user signed in: Cognito keeps it across refreshes, so it dates the login. */
  auth_time: number;
}

/**
 * The claims of a client-credentials access token (a machine client's): no user, so no
 * `username`, no groups, and `sub` is the client id.
 */
export interface MachineTokenClaims {
  sub: string;
  client_id: string;
  token_use: 'access';
  jti: string;
  scope: string;
  exp: number;
  iat: number;
}

/** A verified token: a user's (issued to the users' app client) or a machine client's. */
export type VerifiedToken = { kind: 'user'; claims: AccessTokenClaims } | { kind: 'client'; claims: MachineTokenClaims };

export interface AccessTokenVerifier {
  /** Resolves with the verified token or rejects; see `verificationFailureReason`. */
  verify(token: string): Promise<VerifiedToken>;
  /** Load the key set now (cold start) instead of at the first request. */
  hydrate(): Promise<void>;
}

/** A token that passed the signature check but lacks something the gateway requires. */
export class MissingClaimError extends JwtBaseError {}

/** A token that passed the signature check but carries a claim that contradicts its kind. */
export class ContradictoryClaimError extends JwtBaseError {}

/** Key sets are a few KB; refuse to buffer anything absurd. */
const MAX_JWKS_BYTES = 512 * 1024;

/**
 * Fetches the key set over node:http(s) with a hard overall timeout. aws-jwt-verify's default
 * fetcher speaks https only (cognito-local is http), and Node's global `fetch` costs about
 * 25-30 ms of cold start to initialise. Redirects are not followed.
 */
export class TimeoutFetcher implements Fetcher {
  constructor(private readonly timeoutMs: number) {}

  fetch(uri: string): Promise<ArrayBuffer> {
    return new Promise((resolve, reject) => {
      const url = new URL(uri);
      const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
      if (!client) {
        reject(new Error(`Unsupported key set URL scheme ${url.protocol}`));
        return;
      }
      const request = client.get(url, { headers: { accept: 'application/json' } }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`Key set request answered ${response.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_JWKS_BYTES) request.destroy(new Error('Key set response too large'));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
        });
        response.on('error', reject);
      });
      const timer = setTimeout(() => request.destroy(new Error(`Key set request timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      request.on('close', () => clearTimeout(timer));
      request.on('error', reject);
    });
  }
}

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

const assertGatewayClaims = (header: { alg?: unknown }, payload: JwtPayload, userClientId: string): void => {
  // Cognito signs with RS256 only; refuse anything else even if the key would verify it.
  if (header.alg !== 'RS256') throw new JwtInvalidSignatureAlgorithmError('Unexpected signature algorithm', header.alg, 'RS256');
  if (typeof payload.exp !== 'number') throw new MissingClaimError('Token has no exp claim');
  if (typeof payload.iat !== 'number') throw new MissingClaimError('Token has no iat claim');
  for (const claim of ['sub', 'jti'] as const) {
    if (!isNonEmptyString(payload[claim])) throw new MissingClaimError(`Token has no ${claim} claim`);
  }
  if (payload.client_id !== userClientId) {
    // A machine client's client-credentials token is about no user, so it must not name one.
    if (payload.username !== undefined || payload['cognito:groups'] !== undefined || payload.origin_jti !== undefined) {
      throw new ContradictoryClaimError('A machine client token names a user');
    }
    if (payload.sub !== payload.client_id) throw new ContradictoryClaimError('A machine client token has a sub other than its client');
    if (!isNonEmptyString(payload.scope)) throw new MissingClaimError('Token has no scope claim');
    return;
  }
  if (!isNonEmptyString(payload.username)) throw new MissingClaimError('Token has no username claim');
  // Revocation dates a user's login by it (a refresh keeps it): without it, fail closed.
  if (typeof payload.auth_time !== 'number' || !Number.isFinite(payload.auth_time) || payload.auth_time > payload.iat) {
    throw new MissingClaimError('Token has no valid auth_time claim');
  }
  const groups = payload['cognito:groups'];
  if (groups !== undefined && !(Array.isArray(groups) && groups.every(isNonEmptyString))) {
    throw new MissingClaimError('cognito:groups is not a list of strings');
  }
  if (payload.origin_jti !== undefined && !isNonEmptyString(payload.origin_jti)) {
    throw new MissingClaimError('origin_jti is not a string');
  }
};

/**
 * The gateway's scopes in a machine token's `scope` claim: those with the resource server's
 * prefix (`<id>/inventory:read`) that name a scope of the route policy. Everything else
 * (other resource servers, OpenID scopes, unknown names) grants nothing.
 */
export const gatewayScopes = (scopeClaim: string | undefined, resourceServerId: string): Scope[] => {
  const prefix = `${resourceServerId}/`;
  const scopes = new Set<Scope>();
  for (const entry of (scopeClaim ?? '').split(' ')) {
    if (!entry.startsWith(prefix)) continue;
    const scope = entry.slice(prefix.length);
    if (isScope(scope)) scopes.add(scope);
  }
  return [...scopes];
};

export const createAccessTokenVerifier = (
  config: Pick<
    IdentityConfig,
    'issuer' | 'jwksUri' | 'clientId' | 'jwksTimeoutMs' | 'jwksMinRefetchMs' | 'jwksMaxAgeSeconds' | 'jwksMaxStaleSeconds' | 'machineClients'
  >,
  props?: { fetcher?: Fetcher; now?: () => number },
): AccessTokenVerifier => {
  // Bounded in time both ways (authorizers/adapters/jwks-cache.ts): a key rotated in is found within the refetch
  // interval whatever unknown kids arrive meanwhile; a key removed is refused past the max age.
  const seconds = (value: number | undefined) => (value === undefined ? undefined : value * 1000);
  const jwksCache = createJwksCache({
    fetcher: props?.fetcher ?? new TimeoutFetcher(config.jwksTimeoutMs),
    minRefetchMs: config.jwksMinRefetchMs,
    maxAgeMs: seconds(config.jwksMaxAgeSeconds),
    maxStaleMs: seconds(config.jwksMaxStaleSeconds),
    now: props?.now,
  });
  // The users' app client and every configured machine client; any other client_id is refused.
  const clientIds = [config.clientId, ...config.machineClients.map((client) => client.clientId)];
  const verifier = JwtVerifier.create(
    {
      issuer: config.issuer,
      jwksUri: config.jwksUri,
      audience: null, // Cognito access tokens carry client_id, not aud; checked below.
      customJwtCheck: ({ header, payload }) => {
        // Cognito's own field checks (as validateCognitoJwtFields with tokenUse 'access'), imported
        // without aws-jwt-verify/cognito-verifier: its unused CognitoJwtVerifier class is 2.4 KB
        // of the authorizer's bundle.
        assertStringEquals('Token use', payload.token_use, 'access', CognitoJwtInvalidTokenUseError);
        assertStringArrayContainsString('Client ID', payload.client_id, clientIds, CognitoJwtInvalidClientIdError);
        assertGatewayClaims(header, payload, config.clientId);
      },
    },
    { jwksCache },
  );
  return {
    verify: async (token) => {
      const payload = await verifier.verify(token);
      return payload.client_id === config.clientId
        ? { kind: 'user', claims: payload as unknown as AccessTokenClaims }
        : { kind: 'client', claims: payload as unknown as MachineTokenClaims };
    },
    hydrate: () => verifier.hydrate(),
  };
};

/** Stable reason codes for the audit log, one per way a token can fail. */
export type TokenFailureReason =
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'wrong_token_use'
  | 'wrong_client'
  | 'wrong_issuer'
  | 'bad_signature'
  | 'bad_algorithm'
  | 'unknown_key'
  | 'malformed_token'
  | 'missing_claim'
  | 'invalid_claim'
  | 'jwks_unavailable';

export const verificationFailureReason = (error: unknown): TokenFailureReason => {
  if (error instanceof JwtExpiredError) return 'token_expired';
  if (error instanceof JwtNotBeforeError) return 'token_not_yet_valid';
  if (error instanceof CognitoJwtInvalidTokenUseError) return 'wrong_token_use';
  if (error instanceof CognitoJwtInvalidClientIdError) return 'wrong_client';
  if (error instanceof JwtInvalidIssuerError) return 'wrong_issuer';
  if (error instanceof MissingClaimError) return 'missing_claim';
  if (error instanceof ContradictoryClaimError) return 'invalid_claim';
  if (error instanceof JwtInvalidSignatureError) return 'bad_signature';
  if (error instanceof JwtInvalidSignatureAlgorithmError) return 'bad_algorithm';
  if (error instanceof KidNotFoundInJwksError || error instanceof JwtWithoutValidKidError) return 'unknown_key';
  // A key set that is not one, or not there (never loaded, or past JWKS_MAX_STALE_SECONDS and not
  // refreshed): the issuer's fault, never the caller's.
  if (error instanceof JwksValidationError || error instanceof JwkValidationError || error instanceof JwksNotAvailableInCacheError) {
    return 'jwks_unavailable';
  }
  if (error instanceof JwtParseError) return 'malformed_token';
  if (error instanceof JwtInvalidClaimError || error instanceof FailedAssertionError) return 'invalid_claim';
  if (error instanceof JwtBaseError) return 'malformed_token';
  // Anything else (network, timeouts, a broken key set) is the key source being unavailable.
  return 'jwks_unavailable';
};

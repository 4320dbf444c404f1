/**
 * The gateway's Lambda REQUEST authorizer (HTTP API, payload 2.0, simple responses).
 *
 * A short pipeline, each stage able only to deny:
 *   1. policy       the route key must be in the route policy
 *   2. credential   exactly one bearer credential: a JWT, or a personal API key whose MAC
 *                   verifies under the key ring (a forged key costs no read)
 *   3. authenticate a JWT with aws-jwt-verify (key, algorithm, signature, issuer, expiry,
 *                   token_use, client: the users' app client or a configured machine client);
 *                   an API key by its record (constant-time secret check, expiry, revocation)
 *   4. state        the gateway's access records: session revoked? user disabled or signed out
 *                   everywhere? branches managed? (for a key: its owner's current record)
 *   5. authorize    the route's rule against the caller's roles, branches and scopes
 *   6. context      the role context handed to the service
 *
 * Fail closed: every error of every stage, expected or not, is a denial. Every decision is
 * one structured log line with a stable reason code, and never any token material.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { apiKeyRefusal, revocationReason, type ApiKeyRefusal, type RevocationReason, type SnapshotReader } from '../lib/access/records';
import { createApiKeyRing, type ParsedApiKey } from '../lib/access/api-keys';
import type { AccessTokenVerifier, TokenFailureReason } from './adapters/jwt-verifier';
import { gatewayScopes, verificationFailureReason } from './adapters/jwt-verifier';
import { decideAccess, isRole, ruleFor, type AccessDecision } from '../lib/policy/route-policy';
import { OFFLINE_OVERRIDE_HEADER, toAuthorizerContext, type RoleContext } from '../lib/policy/role-context';
import type { AuthorizerConfig } from '../lib/config';
import type { EmbeddedMetrics } from '../lib/observability';
import { extractBearerToken, headerValues, type BearerFailure } from './bearer';

export { OFFLINE_OVERRIDE_HEADER };

export type DenyReason =
  | BearerFailure
  | TokenFailureReason
  | 'override_header'
  | 'access_store_unavailable'
  | 'unknown_client'
  | RevocationReason
  | ApiKeyRefusal
  | 'internal_error'
  | Extract<AccessDecision, { allowed: false }>['reason'];

export type AllowReason = Extract<AccessDecision, { allowed: true }>['reason'];

/** Who the audit log says was calling: never a token, never a key's secret. */
type AuditPrincipal = Pick<RoleContext, 'authType'> & Partial<Pick<RoleContext, 'sub' | 'username' | 'clientId' | 'keyId' | 'sessionId'>>;

type Denial = { allowed: false; status: 401 | 403; reason: DenyReason; principal?: AuditPrincipal };
type Outcome = { allowed: true; reason: AllowReason; context: RoleContext } | Denial;

export interface AuthorizerDeps {
  verifier: AccessTokenVerifier;
  /** The one read per decision: revocation state and managed branches (two for an API key). */
  accessStore: SnapshotReader;
  logger: Logger;
  /** The decision's metrics, carried by its log line. */
  metrics: EmbeddedMetrics;
  config: AuthorizerConfig;
  /** Awaited before the first decision: the key set loading at cold start. */
  ready?: Promise<unknown>;
  now?: () => number;
}

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>>;

const deny = (status: 401 | 403, reason: DenyReason, principal?: AuditPrincipal): Denial => ({
  allowed: false,
  status,
  reason,
  ...(principal ? { principal } : {}),
});

const auditPrincipal = (context: RoleContext): AuditPrincipal => {
  const { authType, sub, username, clientId, keyId, sessionId } = context;
  return {
    authType,
    sub,
    username,
    ...(clientId ? { clientId } : {}),
    ...(keyId ? { keyId } : {}),
    ...(sessionId ? { sessionId } : {}),
  };
};

export const createAuthorizer = (deps: AuthorizerDeps) => {
  const { verifier, accessStore, logger, metrics, config } = deps;
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const machineClients = new Map(config.machineClients.map((client) => [client.clientId, client]));
  const apiKeys = createApiKeyRing(config.apiKeyMacKeys);

  /** A JWT: a user's access token or a machine client's client-credentials token. */
  const authenticateToken = async (token: string): Promise<RoleContext | Denial> => {
    let verified;
    try {
      verified = await verifier.verify(token);
    } catch (error) {
      const reason = verificationFailureReason(error);
      if (reason === 'jwks_unavailable') logger.error('key set unavailable', { errorName: (error as Error)?.name });
      return deny(401, reason);
    }

    if (verified.kind === 'client') {
      const { claims } = verified;
      const client = machineClients.get(claims.client_id);
      if (!client) return deny(401, 'unknown_client');
      return {
        authType: 'client',
        sub: claims.sub,
        username: client.name,
        roles: [...client.roles],
        branches: [...client.branches],
        scopes: gatewayScopes(claims.scope, config.resourceServerId),
        clientId: claims.client_id,
        tokenId: claims.jti,
        expiresAt: claims.exp,
      };
    }

    const { claims } = verified;
    const sessionId = claims.origin_jti ?? claims.jti;
    const principal: AuditPrincipal = { authType: 'user', sub: claims.sub, username: claims.username, clientId: claims.client_id, sessionId };
    let snapshot;
    try {
      snapshot = await accessStore.snapshot(claims.sub, sessionId);
    } catch (error) {
      logger.error('access records unavailable', { errorName: (error as Error)?.name });
      return deny(401, 'access_store_unavailable', principal);
    }
    const revoked = revocationReason(snapshot, { issuedAt: claims.iat, authTime: claims.auth_time });
    if (revoked) return deny(401, revoked, principal);
    return {
      authType: 'user',
      sub: claims.sub,
      username: claims.username,
      roles: (claims['cognito:groups'] ?? []).filter(isRole),
      branches: snapshot.user?.branches ?? [],
      // A user's own token is limited by roles, not scopes.
      scopes: [],
      clientId: claims.client_id,
      sessionId,
      tokenId: claims.jti,
      expiresAt: claims.exp,
    };
  };

  /** A personal API key: acts as its owner, as the owner is now, within its scopes. */
  const authenticateKey = async (apiKey: ParsedApiKey): Promise<RoleContext | Denial> => {
    let snapshot;
    try {
      snapshot = await accessStore.apiKey(apiKey.id);
    } catch (error) {
      logger.error('access records unavailable', { errorName: (error as Error)?.name });
      return deny(401, 'access_store_unavailable', { authType: 'api_key', keyId: apiKey.id });
    }
    const refused = apiKeyRefusal(snapshot, apiKey.secret, now());
    const { key, owner } = snapshot;
    if (refused || !key || !owner) {
      // Without the right secret, the log names the key id presented and nothing it stores.
      const principal: AuditPrincipal =
        key && refused !== 'bad_api_key_secret'
          ? { authType: 'api_key', sub: key.owner, username: key.ownerUsername, keyId: key.id }
          : { authType: 'api_key', keyId: apiKey.id };
      return deny(401, refused ?? 'unknown_api_key', principal);
    }
    return {
      authType: 'api_key',
      sub: owner.sub,
      username: owner.username,
      roles: owner.roles ?? [],
      branches: owner.branches,
      scopes: key.scopes,
      keyId: key.id,
      expiresAt: key.expiresAt,
    };
  };

  const decide = async (event: APIGatewayRequestAuthorizerEventV2): Promise<Outcome> => {
    const rule = ruleFor(event.routeKey);
    if (!rule) return deny(403, 'no_policy');

    if (headerValues(event.headers, OFFLINE_OVERRIDE_HEADER).length > 0) return deny(401, 'override_header');

    const bearer = extractBearerToken(event.headers, event.identitySource, apiKeys);
    if ('failure' in bearer) return deny(401, bearer.failure);

    const caller = 'apiKey' in bearer ? await authenticateKey(bearer.apiKey) : await authenticateToken(bearer.token);
    if ('allowed' in caller) return caller;

    const decision = decideAccess(rule, caller, event.pathParameters);
    if (!decision.allowed) return deny(403, decision.reason, auditPrincipal(caller));
    return { allowed: true, reason: decision.reason, context: caller };
  };

  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const started = performance.now();
    let outcome: Outcome;
    try {
      await deps.ready;
      outcome = await decide(event);
    } catch (error) {
      logger.error('authorizer failed', { errorName: (error as Error)?.name });
      outcome = deny(401, 'internal_error');
    }
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;

    const principal = outcome.allowed ? auditPrincipal(outcome.context) : outcome.principal;
    logger.info('authorizer decision', {
      decision: outcome.allowed ? 'allow' : 'deny',
      reason: outcome.reason,
      status: outcome.allowed ? 200 : outcome.status,
      route: typeof event.routeKey === 'string' ? event.routeKey : null,
      requestId: event.requestContext?.requestId,
      principal: principal ?? null,
      latencyMs,
      ...metrics.fields([
        [outcome.allowed ? 'AuthorizerAllow' : 'AuthorizerDeny', 'Count', 1],
        ['AuthorizerLatency', 'Milliseconds', latencyMs],
      ]),
    });

    if (outcome.allowed) return { isAuthorized: true, context: toAuthorizerContext(outcome.context) };
    if (outcome.status === 401 && config.unauthenticatedResponse === 'error') {
      // The exact message API Gateway (REST) and serverless-offline map to 401 Unauthorized.
      throw new Error('Unauthorized');
    }
    return { isAuthorized: false, context: {} };
  };
};

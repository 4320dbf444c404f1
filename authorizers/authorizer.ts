/**
 * The gateway's Lambda REQUEST authorizer (HTTP API, payload 2.0, simple responses).
 *
 * A short pipeline, each stage able only to deny:
 *   1. policy       the route key must be in the route policy
 *   2. credential   exactly one bearer token
 *   3. authenticate aws-jwt-verify: key, algorithm, signature, issuer, expiry, token_use, client
 *   4. state        one read of the gateway's access records: session revoked? branches managed?
 *   5. authorize    the route's rule against the caller's roles and branches
 *   6. context      the role context handed to the service
 *
 * Fail closed: every error of every stage, expected or not, is a denial. Every decision is
 * one structured log line with a stable reason code, and never any token material.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { revocationReason, type RevocationReason, type SnapshotReader } from '../lib/access-records';
import type { AccessTokenVerifier, TokenFailureReason } from '../lib/jwt';
import { verificationFailureReason } from '../lib/jwt';
import { decideAccess, isRole, ruleFor, type AccessDecision } from '../lib/route-policy';
import { OFFLINE_OVERRIDE_HEADER, toAuthorizerContext, type RoleContext } from '../lib/role-context';
import type { AuthorizerConfig } from '../lib/config';
import { extractBearerToken, headerValues, type BearerFailure } from './bearer';

export { OFFLINE_OVERRIDE_HEADER };

export type DenyReason =
  | BearerFailure
  | TokenFailureReason
  | 'override_header'
  | 'access_store_unavailable'
  | RevocationReason
  | 'internal_error'
  | Extract<AccessDecision, { allowed: false }>['reason'];

export type AllowReason = Extract<AccessDecision, { allowed: true }>['reason'];

type Outcome =
  | { allowed: true; reason: AllowReason; context: RoleContext }
  | { allowed: false; status: 401 | 403; reason: DenyReason; principal?: { sub: string; username: string } };

export interface AuthorizerDeps {
  verifier: AccessTokenVerifier;
  /** The one read per decision: revocation state and managed branches. */
  accessStore: SnapshotReader;
  logger: Logger;
  metrics: Metrics;
  config: AuthorizerConfig;
  /** Awaited before the first decision: the key set loading at cold start. */
  ready?: Promise<unknown>;
}

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>>;

const deny = (status: 401 | 403, reason: DenyReason, principal?: { sub: string; username: string }): Outcome => ({
  allowed: false,
  status,
  reason,
  ...(principal ? { principal } : {}),
});

export const createAuthorizer = (deps: AuthorizerDeps) => {
  const { verifier, accessStore, logger, metrics, config } = deps;

  const decide = async (event: APIGatewayRequestAuthorizerEventV2): Promise<Outcome> => {
    const rule = ruleFor(event.routeKey);
    if (!rule) return deny(403, 'no_policy');

    if (headerValues(event.headers, OFFLINE_OVERRIDE_HEADER).length > 0) return deny(401, 'override_header');

    const bearer = extractBearerToken(event.headers, event.identitySource);
    if ('failure' in bearer) return deny(401, bearer.failure);

    let claims;
    try {
      claims = await verifier.verify(bearer.token);
    } catch (error) {
      const reason = verificationFailureReason(error);
      if (reason === 'jwks_unavailable') logger.error('key set unavailable', { errorName: (error as Error)?.name });
      return deny(401, reason);
    }
    const principal = { sub: claims.sub, username: claims.username };
    const sessionId = claims.origin_jti ?? claims.jti;

    let snapshot;
    try {
      snapshot = await accessStore.snapshot(claims.sub, sessionId);
    } catch (error) {
      logger.error('access records unavailable', { errorName: (error as Error)?.name });
      return deny(401, 'access_store_unavailable', principal);
    }
    const revoked = revocationReason(snapshot, claims.iat);
    if (revoked) return deny(401, revoked, principal);

    const roles = (claims['cognito:groups'] ?? []).filter(isRole);
    const branches = snapshot.user?.branches ?? [];
    const decision = decideAccess(rule, { roles, branches }, event.pathParameters);
    if (!decision.allowed) return deny(403, decision.reason, principal);

    return {
      allowed: true,
      reason: decision.reason,
      context: {
        authType: 'user',
        sub: claims.sub,
        username: claims.username,
        roles,
        branches,
        scopes: claims.scope ? claims.scope.split(' ').filter(Boolean) : [],
        clientId: claims.client_id,
        sessionId,
        tokenId: claims.jti,
        expiresAt: claims.exp,
      },
    };
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

    const principal = outcome.allowed
      ? { sub: outcome.context.sub, username: outcome.context.username, authType: outcome.context.authType, sessionId: outcome.context.sessionId }
      : outcome.principal;
    logger.info('authorizer decision', {
      decision: outcome.allowed ? 'allow' : 'deny',
      reason: outcome.reason,
      status: outcome.allowed ? 200 : outcome.status,
      route: typeof event.routeKey === 'string' ? event.routeKey : null,
      requestId: event.requestContext?.requestId,
      principal: principal ?? null,
      latencyMs,
    });
    metrics.addMetric(outcome.allowed ? 'AuthorizerAllow' : 'AuthorizerDeny', MetricUnit.Count, 1);
    metrics.addMetric('AuthorizerLatency', MetricUnit.Milliseconds, latencyMs);

    if (outcome.allowed) return { isAuthorized: true, context: toAuthorizerContext(outcome.context) };
    if (outcome.status === 401 && config.unauthenticatedResponse === 'error') {
      // The exact message API Gateway (REST) and serverless-offline map to 401 Unauthorized.
      throw new Error('Unauthorized');
    }
    return { isAuthorized: false, context: {} };
  };
};

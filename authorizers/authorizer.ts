/**
 * The gateway's Lambda REQUEST authorizer (HTTP API, payload 2.0, simple responses).
 *
 * A short pipeline, each stage able only to deny:
 *   1. policy       the route key must be in the route policy
 *   2. credential   at most one bearer credential, well formed (authorizers/bearer.ts)
 *   3. authenticate the authenticators in turn (authorizers/authenticators/), each answering
 *                   a principal, a denial or "not mine": a browser session's cookie (alone,
 *                   with its CSRF token on writes); a personal API key (its MAC, then its
 *                   record and its owner's, as the owner is now); a JWT with aws-jwt-verify
 *                   (key, algorithm, signature, issuer, expiry, token_use, client)
 *   4. state        inside each authenticator, the gateway's access records: session revoked?
 *                   a cut-off after the login? branches managed? (a key: its owner's record),
 *                   as the warm view holds them, at most REVOCATION_MAX_STALENESS_MS old
 *   5. authorize    the route's rule against the caller's roles, branches and scopes
 *   6. context      the role context handed to the service
 *
 * Fail closed: every error of every stage, expected or not, is a denial. Every decision is
 * one structured log line with a stable reason code and the database reads it cost
 * (`accessReads`), and never any token material.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import type { ReadCost, SnapshotReader } from '../lib/access/records';
import { systemClock, type Clock } from '../lib/clock';
import type { AuthorizerConfig } from '../lib/config';
import type { EmbeddedMetrics, StructuredLogger } from '../lib/metrics';
import { carriesOfflineOverride, OFFLINE_OVERRIDE_HEADER, toAuthorizerContext, type RoleContext } from '../lib/policy/role-context';
import { decideAccess, ruleFor, type AccessDecision } from '../lib/policy/route-policy';
import type { AccessTokenVerifier } from './adapters/jwt-verifier';
import { createAuthenticators, deny, type AuditPrincipal, type AuthenticationRequest, type Denial } from './authenticators';
import type { LastSeenToucher } from './authenticators/session';
import { extractBearerCredential } from './bearer';

export { OFFLINE_OVERRIDE_HEADER };
export type { DenyReason } from './authenticators';

export type AllowReason = Extract<AccessDecision, { allowed: true }>['reason'];

type Outcome = { allowed: true; reason: AllowReason; context: RoleContext } | Denial;

export interface AuthorizerDeps {
  verifier: AccessTokenVerifier;
  /** Revocation state and managed branches: the warm view (authorizers/adapters/access-view.ts), or read per decision. */
  accessStore: SnapshotReader;
  logger: StructuredLogger;
  /** The decision's metrics, carried by its log line. */
  metrics: EmbeddedMetrics;
  config: AuthorizerConfig;
  /** Browser sessions' "last seen" writer (idle timeout). */
  lastSeen?: LastSeenToucher;
  /** Awaited before the first decision: the key set loading at cold start. */
  ready?: Promise<unknown>;
  clock?: Clock;
}

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>>;

const auditPrincipal = (context: RoleContext): AuditPrincipal => {
  const principal: AuditPrincipal = { authType: context.authType, sub: context.sub, username: context.username };
  if (context.clientId) principal.clientId = context.clientId;
  if (context.keyId) principal.keyId = context.keyId;
  if (context.sessionId) principal.sessionId = context.sessionId;
  return principal;
};

export const createAuthorizer = (deps: AuthorizerDeps) => {
  const { logger, metrics, config } = deps;
  const authenticators = createAuthenticators({ ...deps, clock: deps.clock ?? systemClock });
  let ready = deps.ready === undefined;

  const decide = async (event: APIGatewayRequestAuthorizerEventV2, cost: ReadCost): Promise<Outcome> => {
    const rule = ruleFor(event.routeKey);
    if (!rule) return deny(403, 'no_policy');

    if (carriesOfflineOverride(event.headers)) return deny(401, 'override_header');

    const bearer = extractBearerCredential(event.headers, event.identitySource);
    if ('failure' in bearer) return deny(401, bearer.failure);

    const request: AuthenticationRequest = bearer.credential === undefined ? { event, cost } : { credential: bearer.credential, event, cost };
    let caller: RoleContext | Denial | undefined;
    for (const authenticator of authenticators) {
      caller = await authenticator.authenticate(request);
      if (caller) break;
    }
    if (!caller) return deny(401, bearer.credential === undefined ? 'missing_token' : 'malformed_authorization');
    if ('allowed' in caller) return caller;

    const decision = decideAccess(rule, caller, event.pathParameters);
    if (!decision.allowed) return deny(403, decision.reason, auditPrincipal(caller));
    return { allowed: true, reason: decision.reason, context: caller };
  };

  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const started = performance.now();
    const cost: ReadCost = { reads: 0, polls: 0 };
    let outcome: Outcome;
    try {
      if (!ready) {
        await deps.ready;
        ready = true;
      }
      outcome = await decide(event, cost);
    } catch (error) {
      logger.error('authorizer failed', { errorName: (error as Error)?.name });
      outcome = deny(401, 'internal_error');
    }
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;

    const principal = outcome.allowed ? auditPrincipal(outcome.context) : outcome.principal;
    logger.info(
      'authorizer decision',
      metrics.addTo(
        {
      decision: outcome.allowed ? 'allow' : 'deny',
      reason: outcome.reason,
      status: outcome.allowed ? 200 : outcome.status,
      route: typeof event.routeKey === 'string' ? event.routeKey : null,
      requestId: event.requestContext?.requestId,
      principal: principal ?? null,
      latencyMs,
      accessReads: cost.reads,
      changeLogPolls: cost.polls,
        },
        [
          [outcome.allowed ? 'AuthorizerAllow' : 'AuthorizerDeny', 'Count', 1],
          ['AuthorizerLatency', 'Milliseconds', latencyMs],
          ['AccessReads', 'Count', cost.reads],
          ['ChangeLogPolls', 'Count', cost.polls],
        ],
      ),
    );

    if (outcome.allowed) return { isAuthorized: true, context: toAuthorizerContext(outcome.context) };
    if (outcome.status === 401 && config.unauthenticatedResponse === 'error') {
      // The exact message API Gateway (REST) and serverless-offline map to 401 Unauthorized.
      throw new Error('Unauthorized');
    }
    return { isAuthorized: false, context: {} };
  };
};

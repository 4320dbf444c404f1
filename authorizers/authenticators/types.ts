/**
 * What an authenticator is: a stage of the authorizer that looks at the request's credential and
 * answers who the caller is (a role context), why they are refused (a denial), or that the
 * credential is not its kind (`undefined`, "not mine": the next one tries). Each kind of
 * credential is one file in this folder and one line in `index.ts`.
 */
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import type { RoleContext } from '../../lib/policy/role-context';
import type { ApiKeyRefusal, ReadCost, RevocationReason, WebSessionRefusal } from '../../lib/access/records';
import type { TokenFailureReason } from '../adapters/jwt-verifier';
import type { AccessDecision } from '../../lib/policy/route-policy';
import type { BearerFailure } from '../bearer';

export type DenyReason =
  | BearerFailure
  | TokenFailureReason
  | 'malformed_api_key'
  | 'override_header'
  | 'access_store_unavailable'
  | 'unknown_client'
  | RevocationReason
  | ApiKeyRefusal
  | WebSessionRefusal
  | 'session_id_as_bearer'
  | 'malformed_session_cookie'
  | 'cookie_and_bearer'
  | 'csrf_token_missing'
  | 'csrf_token_mismatch'
  | 'internal_error'
  | Extract<AccessDecision, { allowed: false }>['reason'];

/** Who the audit log says was calling: never a token, never a key's secret. */
export type AuditPrincipal = Pick<RoleContext, 'authType'> & Partial<Pick<RoleContext, 'sub' | 'username' | 'clientId' | 'keyId' | 'sessionId'>>;

export type Denial = { allowed: false; status: 401 | 403; reason: DenyReason; principal?: AuditPrincipal };

export const deny = (status: 401 | 403, reason: DenyReason, principal?: AuditPrincipal): Denial => ({
  allowed: false,
  status,
  reason,
  ...(principal ? { principal } : {}),
});

export interface AuthenticationRequest {
  /** The one bearer credential of the request, if it carries one. */
  credential?: string;
  event: APIGatewayRequestAuthorizerEventV2;
  /** The decision's database round trips: the access records' readers add theirs. */
  cost: ReadCost;
}

export interface Authenticator {
  /** Who the caller is, why they are refused, or undefined when the credential is not this kind. */
  authenticate(request: AuthenticationRequest): Promise<RoleContext | Denial | undefined>;
}

/**
 * Whether a user holding `roles` must turn MFA on before anything but its setup: a role of
 * `MFA_REQUIRED_ROLES` and no `mfaEnabled` on the record the authenticator already read (no
 * record: not on). No read of its own.
 */
export const mustSetUpMfa = (roles: readonly string[], user: { mfaEnabled?: boolean } | undefined, requiredRoles: readonly string[]): boolean =>
  user?.mfaEnabled !== true && roles.some((role) => requiredRoles.includes(role));

/**
 * The role context: what the authorizer tells the services about an allowed caller. The
 * authorizer builds it with `toAuthorizerContext`; handlers read it with `readRoleContext`,
 * from `event.requestContext.authorizer.lambda` and nothing else. Offline, serverless-offline
 * also fills `authorizer.jwt.claims` with an *unverified* decode of the token: never read it.
 */
import { isRole, type Role } from './route-policy';
import { UnauthorizedError } from './errors';

/**
 * serverless-offline replaces the role context with this request header's JSON; nothing on AWS
 * does. The authorizer and every service refuse requests that carry it.
 */
export const OFFLINE_OVERRIDE_HEADER = 'sls-offline-authorizer-override';

export const AUTH_TYPES = ['user'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export interface RoleContext {
  /** How the caller authenticated. */
  authType: AuthType;
  sub: string;
  username: string;
  roles: Role[];
  /** Branches the caller manages (from the gateway's user records, never from the request). */
  branches: string[];
  scopes: string[];
  /** The app client the token was issued to. */
  clientId: string;
  /** The session the token belongs to: `origin_jti` on AWS, `jti` where the issuer has none. */
  sessionId: string;
  /** The token's own `jti`. */
  tokenId: string;
  /** Token expiry, epoch seconds. */
  expiresAt: number;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isTextList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isText);

/**
 * Validated by hand rather than with a schema library: this module is part of the authorizer's
 * bundle, where every kilobyte is cold-start time.
 */
const parseRoleContext = (value: unknown): RoleContext | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Record<string, unknown>;
  if (!(AUTH_TYPES as readonly unknown[]).includes(c.authType)) return undefined;
  if (!isText(c.sub) || !isText(c.username) || !isText(c.clientId) || !isText(c.sessionId) || !isText(c.tokenId)) return undefined;
  if (!Array.isArray(c.roles) || !c.roles.every(isRole)) return undefined;
  if (!isTextList(c.branches) || !Array.isArray(c.scopes) || !c.scopes.every((s) => typeof s === 'string')) return undefined;
  if (typeof c.expiresAt !== 'number' || !Number.isInteger(c.expiresAt) || c.expiresAt <= 0) return undefined;
  return {
    authType: c.authType as AuthType,
    sub: c.sub,
    username: c.username,
    roles: [...c.roles],
    branches: [...c.branches],
    scopes: [...(c.scopes as string[])],
    clientId: c.clientId,
    sessionId: c.sessionId,
    tokenId: c.tokenId,
    expiresAt: c.expiresAt,
  };
};

/** The authorizer's `context`: plain JSON values (HTTP API simple responses allow arrays). */
export const toAuthorizerContext = (context: RoleContext): Record<string, unknown> => ({ ...context });

/**
 * Read and validate the role context of an event. A missing or malformed context means the
 * route was reached without the authorizer (a deployment mistake): that is a 401, never an allow.
 */
export const readRoleContext = (event: { requestContext?: unknown }): RoleContext => {
  const requestContext = event.requestContext as { authorizer?: { lambda?: unknown } } | undefined;
  const parsed = parseRoleContext(requestContext?.authorizer?.lambda);
  if (!parsed) throw new UnauthorizedError('missing_role_context', 'Missing or invalid credentials');
  return parsed;
};

/**
 * The role context: what the authorizer tells the services about an allowed caller. The
 * authorizer builds it with `toAuthorizerContext`; handlers read it with `readRoleContext`,
 * from `event.requestContext.authorizer.lambda` and nothing else. Offline, serverless-offline
 * also fills `authorizer.jwt.claims` with an *unverified* decode of the token: never read it.
 */
import { AUTH_TYPES, isRole, isScope, type AuthType, type Role, type Scope } from './route-policy';
import { ForbiddenError, UnauthorizedError } from '../errors';

export { AUTH_TYPES, type AuthType };

/**
 * serverless-offline replaces the role context with this request header's JSON; nothing on AWS
 * does. The authorizer and every service refuse requests that carry it.
 */
export const OFFLINE_OVERRIDE_HEADER = 'sls-offline-authorizer-override';

/**
 * A header's values, its name matched case-insensitively: serverless-offline keeps the
 * client's casing (`Authorization`), API Gateway lowercases names.
 */
export const headerValues = (headers: Readonly<Record<string, string | undefined>> | null | undefined, name: string): string[] => {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  if (!headers) return values;
  // A plain loop: this runs twice on every authorizer decision.
  for (const key in headers) {
    if (key.length !== wanted.length || key.toLowerCase() !== wanted) continue;
    const value = headers[key];
    if (typeof value === 'string') values.push(value);
  }
  return values;
};

/** Whether a request carries the offline override header, in any casing: always refused. */
export const carriesOfflineOverride = (headers: Readonly<Record<string, string | undefined>> | null | undefined): boolean =>
  headerValues(headers, OFFLINE_OVERRIDE_HEADER).length > 0;

export interface RoleContext {
  /** How the caller authenticated: a user's token, a personal API key, a machine client. */
  authType: AuthType;
  /** The user (for an API key: its owner); for a machine client, its client id. */
  sub: string;
  /** The user's username (for an API key: its owner's); for a machine client, its client id. */
  username: string;
  roles: Role[];
  /** Branches the caller manages (from the gateway's records or configuration, never from the request). */
  branches: string[];
  /** What an API key or machine client may do; empty for users' own tokens. */
  scopes: Scope[];
  /** The app client the token was issued to (users and machine clients). */
  clientId?: string;
  /** The API key used (its public id, never its secret). */
  keyId?: string;
  /** A user token's session: `origin_jti` on AWS, `jti` where the issuer has none. A browser session: the hash of its id. */
  sessionId?: string;
  /** The token's own `jti` (users and machine clients). */
  tokenId?: string;
  /** When the credential stops working, epoch seconds. */
  expiresAt: number;
  /**
   * Present (true) when the user, or the API key's owner, holds a role that requires MFA and has
   * not turned it on: only the routes that set it up are open (the route policy's `mfaSetup`).
   */
  mfaRequired?: true;
}

/** A user's own token: the fields only it carries are present. */
export type UserRoleContext = RoleContext & { authType: 'user'; clientId: string; sessionId: string; tokenId: string };

export const isUserContext = (context: RoleContext): context is UserRoleContext => context.authType === 'user';

/**
 * For routes that act on the caller's own sign-in (logout, managing keys): an API key, a
 * machine client or a browser session is refused. The route policy already refuses them (no
 * scope; `only: 'token'`); this narrows the type and is the service's own check.
 */
export const requireUserContext = (context: RoleContext): UserRoleContext => {
  if (!isUserContext(context)) {
    throw new ForbiddenError('user_token_required', "This needs a user's own access token, not an API key, a machine client or a browser session");
  }
  return context;
};

/** A browser session's context: `sessionId` is the hash of the cookie's id. */
export type SessionRoleContext = RoleContext & { authType: 'session'; sessionId: string };

/** For routes of the caller's own browser session (its state, sign-out): anything else is refused. */
export const requireSessionContext = (context: RoleContext): SessionRoleContext => {
  if (context.authType !== 'session' || context.sessionId === undefined) {
    throw new ForbiddenError('session_required', 'This needs a browser session');
  }
  return context as SessionRoleContext;
};

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isTextList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isText);

/** Which optional fields each kind of caller must carry. */
const REQUIRED: Record<AuthType, readonly ('clientId' | 'keyId' | 'sessionId' | 'tokenId')[]> = {
  user: ['clientId', 'sessionId', 'tokenId'],
  api_key: ['keyId'],
  client: ['clientId', 'tokenId'],
  session: ['sessionId'],
};

/**
 * Validated by hand rather than with a schema library: this module is part of the authorizer's
 * bundle, where every kilobyte is cold-start time.
 */
const parseRoleContext = (value: unknown): RoleContext | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Record<string, unknown>;
  if (!(AUTH_TYPES as readonly unknown[]).includes(c.authType)) return undefined;
  const authType = c.authType as AuthType;
  if (!isText(c.sub) || !isText(c.username)) return undefined;
  if (!Array.isArray(c.roles) || !c.roles.every(isRole)) return undefined;
  if (!isTextList(c.branches) || !Array.isArray(c.scopes) || !c.scopes.every(isScope)) return undefined;
  if (typeof c.expiresAt !== 'number' || !Number.isInteger(c.expiresAt) || c.expiresAt <= 0) return undefined;
  const optional: Partial<Record<'clientId' | 'keyId' | 'sessionId' | 'tokenId', string>> = {};
  for (const field of ['clientId', 'keyId', 'sessionId', 'tokenId'] as const) {
    if (c[field] === undefined) continue;
    if (!isText(c[field])) return undefined;
    optional[field] = c[field];
  }
  if (!REQUIRED[authType].every((field) => optional[field] !== undefined)) return undefined;
  if (c.mfaRequired !== undefined && c.mfaRequired !== true) return undefined;
  return {
    authType,
    sub: c.sub,
    username: c.username,
    roles: [...c.roles],
    branches: [...c.branches],
    scopes: [...c.scopes],
    ...optional,
    expiresAt: c.expiresAt,
    ...(c.mfaRequired === true ? { mfaRequired: true as const } : {}),
  };
};

/** The authorizer's `context`: plain JSON values (HTTP API simple responses allow arrays). */
export const toAuthorizerContext = (context: RoleContext): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const key in context) {
    const value = context[key as keyof RoleContext];
    if (value !== undefined) out[key] = value;
  }
  return out;
};

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

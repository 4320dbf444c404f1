/**
 * The role context: what the authorizer tells the services about an allowed caller. The
 * authorizer builds it with `toAuthorizerContext`; handlers read it with `readRoleContext`,
 * from `event.requestContext.authorizer.lambda` and nothing else. Offline, serverless-offline
 * also fills `authorizer.jwt.claims` with an *unverified* decode of the token: never read it.
 */
import { z } from 'zod';
import { ROLES, type Role } from './route-policy';
import { UnauthorizedError } from './errors';

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

const roleContextSchema = z.object({
  authType: z.enum(AUTH_TYPES),
  sub: z.string().min(1),
  username: z.string().min(1),
  roles: z.array(z.enum(ROLES)),
  branches: z.array(z.string().min(1)),
  scopes: z.array(z.string()),
  clientId: z.string().min(1),
  sessionId: z.string().min(1),
  tokenId: z.string().min(1),
  expiresAt: z.number().int().positive(),
});

/** The authorizer's `context`: plain JSON values (HTTP API simple responses allow arrays). */
export const toAuthorizerContext = (context: RoleContext): Record<string, unknown> => ({ ...context });

/**
 * Read and validate the role context of an event. A missing or malformed context means the
 * route was reached without the authorizer (a deployment mistake): that is a 401, never an allow.
 */
export const readRoleContext = (event: { requestContext?: unknown }): RoleContext => {
  const requestContext = event.requestContext as { authorizer?: { lambda?: unknown } } | undefined;
  const parsed = roleContextSchema.safeParse(requestContext?.authorizer?.lambda);
  if (!parsed.success) {
    throw new UnauthorizedError('missing_role_context', 'Missing or invalid credentials', { cause: parsed.error });
  }
  return parsed.data;
};

/**
 * The gateway's port to Cognito (AWS, or cognito-local), through the AWS SDK v3. Cognito's
 * many ways of refusing credentials all become one `invalid_credentials` 401, so that nobody
 * can tell an unknown user from a wrong password (the emulator even answers a wrong password
 * with `InvalidPasswordException` where AWS says `NotAuthorizedException`).
 */
import {
  AdminAddUserToGroupCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  AdminListGroupsForUserCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RevokeTokenCommand,
  type AttributeType,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { awsErrorName, ServiceUnavailableError, TooManyRequestsError, UnauthorizedError } from '../errors';
import { isRole, type Role } from '../policy/route-policy';

export interface IssuedTokens {
  accessToken: string;
  idToken: string;
  /** Absent on refresh: the refresh token stays the same. */
  refreshToken?: string;
  /** Seconds; absent where the issuer does not say (cognito-local). */
  expiresIn?: number;
}

export interface DirectoryUser {
  username: string;
  sub: string;
  email?: string;
  enabled: boolean;
  status: string;
  createdAt?: string;
}

export interface IdentityProvider {
  passwordLogin(username: string, password: string): Promise<IssuedTokens>;
  refresh(refreshToken: string): Promise<IssuedTokens>;
  /** Revoke a refresh token (and, on AWS, the access tokens issued from it). */
  revokeRefreshToken(refreshToken: string): Promise<void>;
  getUser(username: string): Promise<DirectoryUser | undefined>;
  listUsers(limit: number, paginationToken?: string): Promise<{ users: DirectoryUser[]; nextToken?: string }>;
  rolesOf(username: string): Promise<Role[]>;
  /** Make the user's groups exactly `roles` (other, non-role groups are left alone). */
  setRoles(username: string, roles: readonly Role[]): Promise<void>;
  disableUser(username: string): Promise<void>;
  enableUser(username: string): Promise<void>;
  /** Invalidate every refresh token of the user (AWS; cognito-local answers "Unsupported"). */
  globalSignOut(username: string): Promise<void>;
}

/** Every way Cognito refuses a username/password pair, on AWS and in the emulator. */
const CREDENTIAL_FAILURES = new Set([
  'NotAuthorizedException',
  'UserNotFoundException',
  'InvalidPasswordException',
  'PasswordResetRequiredException',
  'UserNotConfirmedException',
  'InvalidParameterException',
]);
const RATE_LIMITED = new Set(['TooManyRequestsException', 'LimitExceededException', 'TooManyFailedAttemptsException']);

/**
 * What the gateway's pre-token-generation trigger throws to refuse tokens to a user who is cut
 * off (functions/cognito-events). Cognito answers `UserLambdaValidationException` with the
 * message in it; any other trigger failure means the trigger could not decide (its database
 * down): no tokens, and a 503 rather than a wrong-password answer.
 */
export const TRIGGER_REFUSAL = 'access_refused';
/** The trigger could not be run (AWS; the emulator adds one more "Exception"). */
const TRIGGER_UNAVAILABLE = new Set(['UnexpectedLambdaException', 'UnexpectedLambdaExceptionException']);

const triggerUnavailable = (cause: unknown) =>
  new ServiceUnavailableError('identity_unavailable', 'Sign-in is unavailable right now, try again later', { cause });

export const invalidCredentials = (cause?: unknown) =>
  new UnauthorizedError('invalid_credentials', 'Invalid username or password', { cause });

export const invalidRefreshToken = (cause?: unknown) =>
  new UnauthorizedError('invalid_refresh_token', 'The refresh token is invalid, expired or revoked', { cause });

const toTokens = (result: AuthenticationResultType | undefined, requireRefresh: boolean): IssuedTokens | undefined => {
  if (!result?.AccessToken || !result.IdToken || (requireRefresh && !result.RefreshToken)) return undefined;
  return {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    ...(result.RefreshToken ? { refreshToken: result.RefreshToken } : {}),
    ...(typeof result.ExpiresIn === 'number' ? { expiresIn: result.ExpiresIn } : {}),
  };
};

const attribute = (attributes: AttributeType[] | undefined, name: string): string | undefined =>
  attributes?.find((a) => a.Name === name)?.Value;

export const toDirectoryUser = (user: {
  Username?: string;
  Attributes?: AttributeType[];
  UserAttributes?: AttributeType[];
  Enabled?: boolean;
  UserStatus?: string;
  UserCreateDate?: Date;
}): DirectoryUser | undefined => {
  const attributes = user.Attributes ?? user.UserAttributes;
  const sub = attribute(attributes, 'sub');
  if (!user.Username || !sub) return undefined;
  const email = attribute(attributes, 'email');
  return {
    username: user.Username,
    sub,
    ...(email ? { email } : {}),
    enabled: user.Enabled !== false,
    status: user.UserStatus ?? 'UNKNOWN',
    ...(user.UserCreateDate ? { createdAt: new Date(user.UserCreateDate).toISOString() } : {}),
  };
};

/** The user's roles: their Cognito groups that are roles of the route policy. */
export const listRoles = async (client: CognitoIdentityProviderClient, userPoolId: string, username: string): Promise<Role[]> => {
  const roles: Role[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: username, ...(nextToken ? { NextToken: nextToken } : {}) }),
    );
    for (const group of page.Groups ?? []) if (isRole(group.GroupName)) roles.push(group.GroupName);
    nextToken = page.NextToken;
  } while (nextToken);
  return roles;
};

export const createCognitoIdentityProvider = (
  client: CognitoIdentityProviderClient,
  config: { userPoolId: string; clientId: string },
): IdentityProvider => {
  /** One InitiateAuth call; every way Cognito refuses the credential becomes `refused`. */
  const initiateAuth = async (
    flow: 'USER_PASSWORD_AUTH' | 'REFRESH_TOKEN_AUTH',
    parameters: Record<string, string>,
    refused: (cause: unknown) => Error,
    rateLimited: (cause: unknown) => TooManyRequestsError,
  ) => {
    try {
      return await client.send(new InitiateAuthCommand({ AuthFlow: flow, ClientId: config.clientId, AuthParameters: parameters }));
    } catch (error) {
      const name = awsErrorName(error);
      if (name && CREDENTIAL_FAILURES.has(name)) throw refused(error);
      if (name && RATE_LIMITED.has(name)) throw rateLimited(error);
      if (name === 'UserLambdaValidationException') {
        throw (error as Error).message.includes(TRIGGER_REFUSAL) ? refused(error) : triggerUnavailable(error);
      }
      if (name && TRIGGER_UNAVAILABLE.has(name)) throw triggerUnavailable(error);
      throw error;
    }
  };

  const rolesOf = (username: string): Promise<Role[]> => listRoles(client, config.userPoolId, username);

  return {
    async passwordLogin(username, password) {
      const result = await initiateAuth(
        'USER_PASSWORD_AUTH',
        { USERNAME: username, PASSWORD: password },
        invalidCredentials,
        (cause) => new TooManyRequestsError('too_many_attempts', 'Too many sign-in attempts, try again later', { cause }),
      );
      if (result.ChallengeName) {
        // The password was right, but Cognito wants more (new password, MFA) than this API offers.
        throw new UnauthorizedError('challenge_required', `Sign-in needs a step this API does not support (${result.ChallengeName})`);
      }
      const tokens = toTokens(result.AuthenticationResult, true);
      if (!tokens) throw new Error('Cognito returned no tokens');
      return tokens;
    },

    async refresh(refreshToken) {
      const result = await initiateAuth(
        'REFRESH_TOKEN_AUTH',
        { REFRESH_TOKEN: refreshToken },
        invalidRefreshToken,
        (cause) => new TooManyRequestsError('too_many_requests', 'Too many requests, try again later', { cause }),
      );
      const tokens = toTokens(result.AuthenticationResult, false);
      if (!tokens) throw invalidRefreshToken();
      return tokens;
    },

    async revokeRefreshToken(refreshToken) {
      await client.send(new RevokeTokenCommand({ ClientId: config.clientId, Token: refreshToken }));
    },

    async getUser(username) {
      try {
        const result = await client.send(new AdminGetUserCommand({ UserPoolId: config.userPoolId, Username: username }));
        return toDirectoryUser(result);
      } catch (error) {
        if (awsErrorName(error) === 'UserNotFoundException') return undefined;
        throw error;
      }
    },

    async listUsers(limit, paginationToken) {
      const result = await client.send(
        new ListUsersCommand({
          UserPoolId: config.userPoolId,
          Limit: limit,
          ...(paginationToken ? { PaginationToken: paginationToken } : {}),
        }),
      );
      return {
        users: (result.Users ?? []).map(toDirectoryUser).filter((u): u is DirectoryUser => u !== undefined),
        ...(result.PaginationToken ? { nextToken: result.PaginationToken } : {}),
      };
    },

    rolesOf,

    async setRoles(username, roles) {
      const current = await rolesOf(username);
      const UserPoolId = config.userPoolId;
      for (const role of roles.filter((r) => !current.includes(r))) {
        await client.send(new AdminAddUserToGroupCommand({ UserPoolId, Username: username, GroupName: role }));
      }
      for (const role of current.filter((r) => !roles.includes(r))) {
        await client.send(new AdminRemoveUserFromGroupCommand({ UserPoolId, Username: username, GroupName: role }));
      }
    },

    async disableUser(username) {
      await client.send(new AdminDisableUserCommand({ UserPoolId: config.userPoolId, Username: username }));
    },

    async enableUser(username) {
      await client.send(new AdminEnableUserCommand({ UserPoolId: config.userPoolId, Username: username }));
    },

    async globalSignOut(username) {
      await client.send(new AdminUserGlobalSignOutCommand({ UserPoolId: config.userPoolId, Username: username }));
    },
  };
};

/**
 * The gateway's port to Cognito (AWS, or cognito-local), through the AWS SDK v3. Cognito's
 * many ways of refusing credentials all become one `invalid_credentials` 401, so that nobody
 * can tell an unknown user from a wrong password (the emulator even answers a wrong password
 * with `InvalidPasswordException` where AWS says `NotAuthorizedException`).
 */
import {
  AdminAddUserToGroupCommand,
  AdminDisableUserCommand,
  AdminSetUserMFAPreferenceCommand,
  AssociateSoftwareTokenCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  ChangePasswordCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  ForgotPasswordCommand,
  ResendConfirmationCodeCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  AdminListGroupsForUserCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RevokeTokenCommand,
  type AttributeType,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { awsErrorName, isTransientError, BadRequestError, ConflictError, GatewayError, ServiceUnavailableError, TooManyRequestsError, UnauthorizedError } from '../errors';
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
  /** Whether Cognito asks this user for an authenticator app's code at login. */
  mfaEnabled?: boolean;
}

/** Cognito wants a new password before it issues tokens: a user created with a temporary one. */
export interface NewPasswordChallenge {
  challenge: 'NEW_PASSWORD_REQUIRED';
  /** Cognito's challenge session, answered with `respondToNewPassword`. */
  session: string;
  username: string;
}

/** The password was right and the user has MFA on: Cognito wants a code from their authenticator app. */
export interface MfaChallenge {
  challenge: 'SOFTWARE_TOKEN_MFA';
  /** Cognito's challenge session, answered with `respondToSoftwareTokenMfa`. */
  session: string;
  username: string;
}

export type LoginChallenge = NewPasswordChallenge | MfaChallenge;

export const isChallenge = (result: IssuedTokens | LoginChallenge): result is LoginChallenge => 'challenge' in result;

export interface IdentityProvider {
  /** Tokens, or the challenge of a user whose password is temporary or who has MFA on. */
  passwordLogin(username: string, password: string): Promise<IssuedTokens | LoginChallenge>;
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
  // ---- first login, passwords, sign-up (the auth service)
  /** Answer the new-password challenge: tokens, with the new password set. */
  respondToNewPassword(username: string, session: string, newPassword: string): Promise<IssuedTokens>;
  /** Change the password of the user whose access token this is (Cognito checks the token). */
  changePassword(accessToken: string, currentPassword: string, newPassword: string): Promise<void>;
  /** Send a reset code. Resolves for unknown users too: it never tells whether the user exists. */
  forgotPassword(username: string): Promise<void>;
  confirmForgotPassword(username: string, code: string, newPassword: string): Promise<void>;
  /** Self-service sign-up with the email as username. An existing email resolves too (its code is sent again). */
  signUp(email: string, password: string): Promise<void>;
  confirmSignUp(email: string, code: string): Promise<void>;
  /** Add the user to a role's group (other groups are left alone). */
  addRole(username: string, role: Role): Promise<void>;
  // ---- two-factor sign-in (TOTP), each with the user's own access token but the admin reset
  /** A new authenticator secret (base32) for the token's user; MFA stays as it was until verified. */
  associateSoftwareToken(accessToken: string): Promise<string>;
  /** Check a code of the secret just associated and mark it verified (`invalid_code` if wrong). */
  verifySoftwareToken(accessToken: string, code: string, deviceName?: string): Promise<void>;
  /** Turn the token's user's TOTP MFA on (preferred) or off. */
  setSoftwareTokenMfa(accessToken: string, enabled: boolean): Promise<void>;
  /** Turn a user's TOTP MFA off as an administrator (a lost device). */
  adminDisableSoftwareTokenMfa(username: string): Promise<void>;
  /** Answer login's SOFTWARE_TOKEN_MFA challenge: tokens, or `invalid_credentials` for a wrong code. */
  respondToSoftwareTokenMfa(username: string, session: string, code: string): Promise<IssuedTokens>;
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
const isTransientName = (name: string) => isTransientError(name);

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

/** The password does not meet the user pool's policy (Cognito's own words in `details`). */
export const weakPassword = (cause?: unknown) =>
  new BadRequestError('weak_password', "The new password does not meet the password policy", cause instanceof Error && cause.message ? [cause.message] : [], { cause });

export const invalidCode = (cause?: unknown) => new BadRequestError('invalid_code', 'The code is wrong, or was not sent to this user', [], { cause });

export const expiredCode = (cause?: unknown) => new BadRequestError('expired_code', 'The code has expired: ask for a new one', [], { cause });

export const tooManyAttempts = (cause?: unknown) => new TooManyRequestsError('too_many_attempts', 'Too many attempts, try again later', { cause });

export const invalidChallengeSession = (cause?: unknown) =>
  new UnauthorizedError('invalid_session', 'The sign-in session is invalid, used or expired: log in again', { cause });

export const invalidCurrentPassword = (cause?: unknown) =>
  new BadRequestError('invalid_current_password', 'The current password is wrong', [], { cause });

/**
 * Cognito's answers to the code and password flows (reset, sign-up confirmation, new password),
 * as stable errors; `refused` is what a wrong code or an unknown user becomes (the same answer,
 * so nobody can probe for accounts). Anything else is rethrown: transient failures become 503.
 */
const codeFlowError = (error: unknown, refused: (cause: unknown) => Error): Error => {
  const name = awsErrorName(error);
  switch (name) {
    case 'CodeMismatchException':
    case 'UserNotFoundException':
    case 'NotAuthorizedException':
      return refused(error);
    case 'ExpiredCodeException':
      return expiredCode(error);
    case 'InvalidPasswordException':
      return weakPassword(error);
    case 'InvalidParameterException':
      return new BadRequestError('invalid_request', 'Cognito refused the request as malformed', [], { cause: error });
    case 'UserLambdaValidationException':
      return (error as Error).message.includes(TRIGGER_REFUSAL) ? refused(error) : triggerUnavailable(error);
    default:
      if (name && RATE_LIMITED.has(name)) return tooManyAttempts(error);
      if (name && TRIGGER_UNAVAILABLE.has(name)) return triggerUnavailable(error);
      return error as Error;
  }
};

/**
 * Cognito's answers to setting up or changing TOTP MFA with the user's access token: a wrong
 * code is `invalid_code` (400: nothing changed); a token Cognito refuses (signed out there) a
 * 401; the pool or user not set up for it a 409; limits a 429.
 */
const mfaError = (error: unknown): Error => {
  if (error instanceof GatewayError) return error;
  const name = awsErrorName(error);
  switch (name) {
    case 'CodeMismatchException':
    case 'EnableSoftwareTokenMFAException':
      return invalidCode(error);
    case 'NotAuthorizedException':
      return new UnauthorizedError('invalid_token', 'Missing or invalid credentials', { cause: error });
    case 'SoftwareTokenMFANotFoundException':
    case 'InvalidParameterException':
      return new ConflictError('mfa_not_set_up', 'Set up an authenticator first (POST /auth/mfa/setup)', { cause: error });
    default:
      return codeFlowError(error, invalidCode);
  }
};

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
  UserMFASettingList?: string[];
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
    ...(user.UserMFASettingList ? { mfaEnabled: user.UserMFASettingList.includes('SOFTWARE_TOKEN_MFA') } : {}),
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
      if (result.ChallengeName === 'NEW_PASSWORD_REQUIRED' && result.Session) {
        // A temporary password: the user picks their own before any token (POST /auth/new-password).
        return { challenge: 'NEW_PASSWORD_REQUIRED', session: result.Session, username: result.ChallengeParameters?.USER_ID_FOR_SRP ?? username };
      }
      if (result.ChallengeName === 'SOFTWARE_TOKEN_MFA' && result.Session) {
        // MFA on: no tokens until a code from the user's authenticator app (POST /auth/mfa).
        return { challenge: 'SOFTWARE_TOKEN_MFA', session: result.Session, username: result.ChallengeParameters?.USER_ID_FOR_SRP ?? username };
      }
      if (result.ChallengeName) {
        // The password was right, but Cognito wants more (MFA) than this API offers.
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

    async respondToNewPassword(username, session, newPassword) {
      try {
        const result = await client.send(
          new RespondToAuthChallengeCommand({
            ClientId: config.clientId,
            ChallengeName: 'NEW_PASSWORD_REQUIRED',
            Session: session,
            ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
          }),
        );
        const tokens = toTokens(result.AuthenticationResult, true);
        if (!tokens) throw new UnauthorizedError('challenge_required', `Sign-in needs a step this API does not support (${result.ChallengeName ?? 'none'})`);
        return tokens;
      } catch (error) {
        throw codeFlowError(error, invalidChallengeSession);
      }
    },

    async changePassword(accessToken, currentPassword, newPassword) {
      try {
        await client.send(new ChangePasswordCommand({ AccessToken: accessToken, PreviousPassword: currentPassword, ProposedPassword: newPassword }));
      } catch (error) {
        const name = awsErrorName(error);
        // AWS: a wrong current password is NotAuthorizedException and a weak new one
        // InvalidPasswordException ("does not conform to policy"); cognito-local answers a wrong
        // current password with InvalidPasswordException.
        if (name === 'NotAuthorizedException') throw invalidCurrentPassword(error);
        if (name === 'InvalidPasswordException' && !/conform|policy/i.test((error as Error).message ?? '')) throw invalidCurrentPassword(error);
        throw codeFlowError(error, invalidCurrentPassword);
      }
    },

    async forgotPassword(username) {
      try {
        await client.send(new ForgotPasswordCommand({ ClientId: config.clientId, Username: username }));
      } catch (error) {
        const name = awsErrorName(error);
        // Unknown, unconfirmed or without a verified email: the same silence as a code sent.
        if (name && !isTransientName(name)) return;
        throw error;
      }
    },

    async confirmForgotPassword(username, code, newPassword) {
      try {
        await client.send(new ConfirmForgotPasswordCommand({ ClientId: config.clientId, Username: username, ConfirmationCode: code, Password: newPassword }));
      } catch (error) {
        throw codeFlowError(error, invalidCode);
      }
    },

    async signUp(email, password) {
      try {
        await client.send(
          new SignUpCommand({ ClientId: config.clientId, Username: email, Password: password, UserAttributes: [{ Name: 'email', Value: email }] }),
        );
      } catch (error) {
        if (awsErrorName(error) !== 'UsernameExistsException') throw codeFlowError(error, invalidCode);
        // The same answer as for a new email. An unconfirmed one gets its code again; a
        // confirmed one nothing (Cognito refuses to resend), both silently.
        try {
          await client.send(new ResendConfirmationCodeCommand({ ClientId: config.clientId, Username: email }));
        } catch {
          /* no enumeration: the caller learns nothing either way */
        }
      }
    },

    async confirmSignUp(email, code) {
      try {
        await client.send(new ConfirmSignUpCommand({ ClientId: config.clientId, Username: email, ConfirmationCode: code }));
      } catch (error) {
        throw codeFlowError(error, invalidCode);
      }
    },

    async addRole(username, role) {
      await client.send(new AdminAddUserToGroupCommand({ UserPoolId: config.userPoolId, Username: username, GroupName: role }));
    },

    async associateSoftwareToken(accessToken) {
      try {
        const result = await client.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }));
        if (!result.SecretCode) throw new Error('Cognito returned no secret');
        return result.SecretCode;
      } catch (error) {
        throw mfaError(error);
      }
    },

    async verifySoftwareToken(accessToken, code, deviceName) {
      try {
        const result = await client.send(
          new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: code, ...(deviceName ? { FriendlyDeviceName: deviceName } : {}) }),
        );
        if (result.Status !== 'SUCCESS') throw invalidCode();
      } catch (error) {
        throw mfaError(error);
      }
    },

    async setSoftwareTokenMfa(accessToken, enabled) {
      try {
        await client.send(
          new SetUserMFAPreferenceCommand({ AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled } }),
        );
      } catch (error) {
        throw mfaError(error);
      }
    },

    async adminDisableSoftwareTokenMfa(username) {
      await client.send(
        new AdminSetUserMFAPreferenceCommand({
          UserPoolId: config.userPoolId,
          Username: username,
          SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
        }),
      );
    },

    async respondToSoftwareTokenMfa(username, session, code) {
      try {
        const result = await client.send(
          new RespondToAuthChallengeCommand({
            ClientId: config.clientId,
            ChallengeName: 'SOFTWARE_TOKEN_MFA',
            Session: session,
            ChallengeResponses: { USERNAME: username, SOFTWARE_TOKEN_MFA_CODE: code },
          }),
        );
        const tokens = toTokens(result.AuthenticationResult, true);
        if (!tokens) throw new UnauthorizedError('challenge_required', `Sign-in needs a step this API does not support (${result.ChallengeName ?? 'none'})`);
        return tokens;
      } catch (error) {
        const name = awsErrorName(error);
        // A wrong code answers as a wrong password does; a session Cognito no longer knows
        // (expired, or spent by its own attempt limit on AWS) asks for a new login.
        if (name === 'CodeMismatchException' || name === 'UserNotFoundException' || name === 'InvalidParameterException') throw invalidCredentials(error);
        if (name === 'NotAuthorizedException' || name === 'ExpiredCodeException') throw invalidChallengeSession(error);
        throw codeFlowError(error, invalidCredentials);
      }
    },
  };
};

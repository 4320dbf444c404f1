/**
 * User administration in Cognito (AWS, or cognito-local): create a user, delete one, list the
 * members of a role's group. Beside `IdentityProvider` (lib/identity/cognito.ts), which serves
 * logins and the existing user administration, so that the users service alone carries it.
 * Cognito's refusals become the gateway's stable errors: an existing user 409 `user_exists`, a
 * password the pool refuses 400 `weak_password`, never a 500.
 */
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  ListUsersInGroupCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { awsErrorName, BadRequestError, ConflictError, TooManyRequestsError } from '../errors';
import type { Role } from '../policy/route-policy';
import { toDirectoryUser, type DirectoryUser } from './cognito';

export interface NewUser {
  /** The username is the email address, as for the seeded users. */
  email: string;
  /**
   * A password the admin hands over: Cognito then sends no invitation and asks for a new
   * password at the first login. Without one Cognito makes one and sends the invitation.
   */
  temporaryPassword?: string;
}

export interface UserAdministration {
  createUser(user: NewUser): Promise<DirectoryUser>;
  /** True if the user was deleted, false if there was no such user. */
  deleteUser(username: string): Promise<boolean>;
  /** A page of the members of the role's group. */
  listUsersInRole(role: Role, limit: number, nextToken?: string): Promise<{ users: DirectoryUser[]; nextToken?: string }>;
}

export const createCognitoUserAdministration = (client: CognitoIdentityProviderClient, config: { userPoolId: string }): UserAdministration => ({
  async createUser({ email, temporaryPassword }) {
    try {
      const result = await client.send(
        new AdminCreateUserCommand({
          UserPoolId: config.userPoolId,
          Username: email,
          UserAttributes: [
            { Name: 'email', Value: email },
            // The admin vouches for the address: the invitation and password resets go there.
            { Name: 'email_verified', Value: 'true' },
          ],
          ...(temporaryPassword === undefined
            ? { DesiredDeliveryMediums: ['EMAIL'] }
            : // The admin hands the password over; a message would carry it a second time.
              { TemporaryPassword: temporaryPassword, MessageAction: 'SUPPRESS' }),
        }),
      );
      const user = result.User && toDirectoryUser(result.User);
      if (!user) throw new Error('Cognito created a user without a sub');
      return user;
    } catch (error) {
      const name = awsErrorName(error);
      if (name === 'UsernameExistsException' || name === 'AliasExistsException') {
        throw new ConflictError('user_exists', 'A user with this email already exists', { cause: error });
      }
      if (name === 'InvalidPasswordException') {
        throw new BadRequestError('weak_password', 'The temporary password does not meet the password policy', [(error as Error).message], { cause: error });
      }
      if (name === 'InvalidParameterException') {
        throw new BadRequestError('invalid_body', 'The request body is invalid', [(error as Error).message], { cause: error });
      }
      if (name === 'CodeDeliveryFailureException') {
        throw new BadRequestError('invitation_not_delivered', 'The invitation could not be delivered to this address', [], { cause: error });
      }
      if (name === 'LimitExceededException' || name === 'TooManyRequestsException') {
        throw new TooManyRequestsError('too_many_requests', 'Too many requests, try again later', { cause: error });
      }
      throw error;
    }
  },

  async deleteUser(username) {
    try {
      await client.send(new AdminDeleteUserCommand({ UserPoolId: config.userPoolId, Username: username }));
      return true;
    } catch (error) {
      if (awsErrorName(error) === 'UserNotFoundException') return false;
      throw error;
    }
  },

  async listUsersInRole(role, limit, nextToken) {
    const result = await client.send(
      new ListUsersInGroupCommand({ UserPoolId: config.userPoolId, GroupName: role, Limit: limit, ...(nextToken ? { NextToken: nextToken } : {}) }),
    );
    return {
      users: (result.Users ?? []).map(toDirectoryUser).filter((u): u is DirectoryUser => u !== undefined),
      ...(result.NextToken ? { nextToken: result.NextToken } : {}),
    };
  },
});

/**
 * How the Cognito port (lib/identity/cognito.ts) maps Cognito's answers to the MFA calls, by the
 * exception names AWS documents for them: the emulator cannot produce most of them (it has no
 * attempt limits), so the port is fed each name here. What reaches the client is the stable code.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { GatewayError } from '../../lib/errors';
import { createCognitoIdentityProvider } from '../../lib/identity/cognito';

/** A port whose every Cognito call fails with `name` (as the SDK throws them: an Error with that name). */
const portFailingWith = (name: string) =>
  createCognitoIdentityProvider(
    { send: () => Promise.reject(Object.assign(new Error(`${name} from Cognito`), { name, $metadata: {} })) } as unknown as CognitoIdentityProviderClient,
    { userPoolId: 'us-east-1_pool', clientId: 'client' },
  );

const refusedWith = (code: string, status: number) => (error: unknown) => {
  assert.ok(error instanceof GatewayError, `a GatewayError, not ${String(error)}`);
  assert.deepEqual([error.code, error.statusCode], [code, status]);
  return true;
};

describe("the SOFTWARE_TOKEN_MFA challenge's answers", () => {
  const cases: [string, string, number][] = [
    ['CodeMismatchException', 'invalid_credentials', 401],
    ['NotAuthorizedException', 'invalid_session', 401],
    ['ExpiredCodeException', 'invalid_session', 401],
    ['TooManyFailedAttemptsException', 'too_many_attempts', 429],
    ['LimitExceededException', 'too_many_attempts', 429],
    ['TooManyRequestsException', 'too_many_attempts', 429],
  ];
  for (const [name, code, status] of cases) {
    it(`answers ${name} with ${status} ${code}`, async () => {
      await assert.rejects(portFailingWith(name).respondToSoftwareTokenMfa('alice', 'session', '123456'), refusedWith(code, status));
    });
  }
});

describe('setting MFA up and changing it with the user\'s token', () => {
  it('answers a wrong code with 400 invalid_code, nothing changed', async () => {
    for (const name of ['CodeMismatchException', 'EnableSoftwareTokenMFAException']) {
      await assert.rejects(portFailingWith(name).verifySoftwareToken('token', '123456'), refusedWith('invalid_code', 400), name);
    }
  });

  it('answers a token Cognito refuses with 401, no association with 409, limits with 429', async () => {
    await assert.rejects(portFailingWith('NotAuthorizedException').associateSoftwareToken('token'), refusedWith('invalid_token', 401));
    await assert.rejects(portFailingWith('SoftwareTokenMFANotFoundException').setSoftwareTokenMfa('token', true), refusedWith('mfa_not_set_up', 409));
    await assert.rejects(portFailingWith('TooManyRequestsException').verifySoftwareToken('token', '123456'), refusedWith('too_many_attempts', 429));
  });

  it('lets a dependency failure through as itself (the HTTP adapter makes it a 503)', async () => {
    await assert.rejects(portFailingWith('InternalErrorException').associateSoftwareToken('token'), (error: Error) => error.name === 'InternalErrorException');
  });
});

/**
 * Wiring of the Cognito event functions: configuration and clients, built once per container.
 * Two Lambda functions share this module (serverless.yml): `cognitoTrigger` (the user pool's
 * pre-token-generation trigger) and `cognitoSync` (EventBridge rule on Cognito's CloudTrail
 * management events).
 */
import type { EventBridgeEvent, PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { createCognitoClient, createDocumentClient } from '../../lib/aws';
import { cognitoApiConfig, dataConfig } from '../../lib/config';
import { createDynamoAccessStore } from '../../lib/access/store';
import { awsErrorName } from '../../lib/errors';
import { listRoles } from '../../lib/identity/cognito';
import { createLogger } from '../../lib/observability';
import { createCognitoEvents, type CloudTrailDetail } from './service';

const data = dataConfig();
const cognito = createCognitoClient(cognitoApiConfig());
const logger = createLogger('cognito-events');

const events = createCognitoEvents({
  accessStore: createDynamoAccessStore(createDocumentClient(data), data),
  rolesOf: (userPoolId, username) => listRoles(cognito, userPoolId, username),
  userOf: async (userPoolId, username) => {
    try {
      const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
      const sub = user.UserAttributes?.find((a) => a.Name === 'sub')?.Value;
      if (!sub) return undefined;
      return { sub, ...(user.UserCreateDate ? { createdAtMs: user.UserCreateDate.getTime() } : {}) };
    } catch (error) {
      if (awsErrorName(error) === 'UserNotFoundException') return undefined;
      throw error;
    }
  },
  // Set for the sync function; the trigger is only ever invoked by its own pool.
  ...(process.env.COGNITO_USER_POOL_ID ? { userPoolId: process.env.COGNITO_USER_POOL_ID } : {}),
  logger,
});

export const trigger = (event: PreTokenGenerationTriggerEvent): Promise<PreTokenGenerationTriggerEvent> => events.preTokenGeneration(event);

export const sync = async (event: EventBridgeEvent<'AWS API Call via CloudTrail', CloudTrailDetail>) => events.syncEvent(event);

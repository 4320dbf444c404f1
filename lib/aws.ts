/**
 * AWS SDK v3 clients, built from configuration. Locally the endpoints point at dynalite and
 * cognito-local; on AWS they are unset and the SDK's defaults apply. Timeouts are explicit so
 * that a stuck dependency ends a request quickly instead of hanging it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DataConfig, IdentityConfig } from './config';

export const createDocumentClient = (config: DataConfig): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      maxAttempts: config.maxAttempts,
      requestHandler: { requestTimeout: config.requestTimeoutMs, connectionTimeout: config.requestTimeoutMs },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );

export const createCognitoClient = (config: Pick<IdentityConfig, 'region' | 'cognitoEndpoint'>): CognitoIdentityProviderClient =>
  new CognitoIdentityProviderClient({
    region: config.region,
    ...(config.cognitoEndpoint ? { endpoint: config.cognitoEndpoint } : {}),
    maxAttempts: 2,
    requestHandler: { requestTimeout: 3000, connectionTimeout: 1000 },
  });

/** Wiring of the auth service: configuration and clients, built once per container. */
import { createCognitoClient, createDocumentClient } from '../../lib/aws';
import { dataConfig, identityConfig, sessionConfig, signUpConfig } from '../../lib/config';
import { createDynamoAccessStore } from '../../lib/access/store';
import { createCognitoIdentityProvider } from '../../lib/identity/cognito';
import { createAuthService } from './service';

const identity = identityConfig();
const data = dataConfig();
export const handler = createAuthService({
  identity: createCognitoIdentityProvider(createCognitoClient(identity), identity),
  accessStore: createDynamoAccessStore(createDocumentClient(data), data),
  config: { ...sessionConfig(), signUp: signUpConfig() },
});

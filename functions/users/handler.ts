/** Wiring of the users service: configuration and clients, built once per container. */
import { createCognitoClient, createDocumentClient } from '../../lib/aws';
import { dataConfig, identityConfig } from '../../lib/config';
import { createDynamoAccessStore } from '../../lib/access/store';
import { createCognitoIdentityProvider } from '../../lib/identity/cognito';
import { createUsersService } from './service';

const identity = identityConfig();
const data = dataConfig();
export const handler = createUsersService({
  identity: createCognitoIdentityProvider(createCognitoClient(identity), identity),
  accessStore: createDynamoAccessStore(createDocumentClient(data), data),
});

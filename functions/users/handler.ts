/** Wiring of the users service: configuration and clients, built once per container. */
import { createCognitoClient, createDocumentClient } from '../../lib/aws';
import { dataConfig, identityConfig } from '../../lib/config';
import { createDynamoAccessStore } from '../../lib/access/store';
import { createCognitoIdentityProvider } from '../../lib/identity/cognito';
import { createCognitoUserAdministration } from '../../lib/identity/user-admin';
import { createDynamoBranchStore } from '../../lib/branches/store';
import { createUsersService } from './service';

const identity = identityConfig();
const data = dataConfig();
const cognito = createCognitoClient(identity);
const documents = createDocumentClient(data);
export const handler = createUsersService({
  identity: createCognitoIdentityProvider(cognito, identity),
  admin: createCognitoUserAdministration(cognito, identity),
  branches: createDynamoBranchStore(documents, data.tables.branches),
  accessStore: createDynamoAccessStore(documents, data),
});

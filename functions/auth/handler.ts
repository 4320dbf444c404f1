/** Wiring of the auth service: configuration and clients, built once per container. */
import { createCognitoClient, createDocumentClient } from '../../lib/aws';
import { dataConfig, identityConfig, mfaConfig, sessionConfig, signUpConfig } from '../../lib/config';
import { createDynamoAccessStore, createDynamoMfaRecords } from '../../lib/access/store';
import { createSecretBox } from '../../lib/access/secret-box';
import { createCognitoIdentityProvider } from '../../lib/identity/cognito';
import { createAuthService } from './service';

const identity = identityConfig();
const data = dataConfig();
const mfa = mfaConfig();
const documents = createDocumentClient(data);
export const handler = createAuthService({
  identity: createCognitoIdentityProvider(createCognitoClient(identity), identity),
  accessStore: createDynamoAccessStore(documents, data),
  mfa: createDynamoMfaRecords(documents, data, createSecretBox(mfa.secretKey)),
  config: { ...sessionConfig(), signUp: signUpConfig(), mfaIssuer: mfa.issuer },
});

/** Wiring of the auth service: configuration and clients, built once per container. */
import { createCognitoClient, createDocumentClient } from '../../lib/aws';
import { dataConfig, identityConfig, mfaConfig, secretVaultConfig, sessionConfig, signUpConfig, webSessionConfig } from '../../lib/config';
import { createDynamoAccessStore, createDynamoMfaRecords } from '../../lib/access/store';
import { createSecretVault, localKeyWrapper } from '../../lib/secrets/vault';
import { createKmsClient, kmsKeyWrapper } from '../../lib/secrets/kms';
import { createCognitoIdentityProvider } from '../../lib/identity/cognito';
import { createAuthService } from './service';

const identity = identityConfig();
const data = dataConfig();
const mfa = mfaConfig();
const secrets = secretVaultConfig();
const documents = createDocumentClient(data);
// One vault seals every secret kept at rest: KMS on AWS; the local stack's own key under .local.
const vault = createSecretVault(secrets.kind === 'kms' ? kmsKeyWrapper(createKmsClient(secrets.region), secrets.keyId) : localKeyWrapper(secrets.key));
export const handler = createAuthService({
  identity: createCognitoIdentityProvider(createCognitoClient(identity), identity),
  accessStore: createDynamoAccessStore(documents, data),
  mfa: createDynamoMfaRecords(documents, data, vault),
  config: { ...sessionConfig(), signUp: signUpConfig(), mfaIssuer: mfa.issuer },
  webSessions: { vault, config: webSessionConfig() },
});

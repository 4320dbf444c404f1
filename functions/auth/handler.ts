/** Wiring of the auth service: configuration and clients, built once per container. */
import { createCognitoClient, createDocumentClient } from '../../lib/aws';
import { dataConfig, identityConfig, mfaConfig, sessionConfig, signUpConfig, tokenVaultConfig, webSessionConfig } from '../../lib/config';
import { createDynamoAccessStore, createDynamoMfaRecords } from '../../lib/access/store';
import { createSecretBox } from '../../lib/access/secret-box';
import { createTokenVault, localKeyWrapper } from '../../lib/sessions/token-vault';
import { createKmsClient, kmsKeyWrapper } from '../../lib/sessions/kms';
import { createCognitoIdentityProvider } from '../../lib/identity/cognito';
import { createAuthService } from './service';

const identity = identityConfig();
const data = dataConfig();
const mfa = mfaConfig();
const vault = tokenVaultConfig();
const documents = createDocumentClient(data);
export const handler = createAuthService({
  identity: createCognitoIdentityProvider(createCognitoClient(identity), identity),
  accessStore: createDynamoAccessStore(documents, data),
  mfa: createDynamoMfaRecords(documents, data, createSecretBox(mfa.secretKey)),
  config: { ...sessionConfig(), signUp: signUpConfig(), mfaIssuer: mfa.issuer },
  webSessions: {
    // KMS on AWS; the local stack's own key under .local (lib/config.ts tokenVaultConfig).
    vault: createTokenVault(vault.kind === 'kms' ? kmsKeyWrapper(createKmsClient(vault.region), vault.keyId) : localKeyWrapper(vault.key)),
    config: webSessionConfig(),
  },
});

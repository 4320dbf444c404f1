/** Wiring of the auth service: configuration and clients, built once per container. */
import { createCognitoClient, createDocumentClient } from '../../lib/aws';
import { dataConfig, identityConfig, sessionConfig, signUpConfig, tokenVaultConfig, webSessionConfig } from '../../lib/config';
import { createTokenVault, localKeyWrapper } from '../../lib/sessions/token-vault';
import { createKmsClient, kmsKeyWrapper } from '../../lib/sessions/kms';
import { createDynamoAccessStore } from '../../lib/access/store';
import { createCognitoIdentityProvider } from '../../lib/identity/cognito';
import { createAuthService } from './service';

const identity = identityConfig();
const data = dataConfig();
const vault = tokenVaultConfig();
export const handler = createAuthService({
  identity: createCognitoIdentityProvider(createCognitoClient(identity), identity),
  accessStore: createDynamoAccessStore(createDocumentClient(data), data),
  config: { ...sessionConfig(), signUp: signUpConfig() },
  webSessions: {
    // KMS on AWS; the local stack's own key under .local (lib/config.ts tokenVaultConfig).
    vault: createTokenVault(vault.kind === 'kms' ? kmsKeyWrapper(createKmsClient(vault.region), vault.keyId) : localKeyWrapper(vault.key)),
    config: webSessionConfig(),
  },
});

/**
 * The authorizer's authenticators, in the order they are asked. The first that recognises the
 * credential decides: a role context or a denial. A new kind of credential is a file of its own
 * in this folder and one line below.
 */
import type { StructuredLogger } from '../../lib/metrics';
import { createApiKeyRing } from '../../lib/access/api-keys';
import type { SnapshotReader } from '../../lib/access/records';
import type { Clock } from '../../lib/clock';
import type { AuthorizerConfig } from '../../lib/config';
import type { AccessTokenVerifier } from '../adapters/jwt-verifier';
import { createApiKeyAuthenticator } from './api-key';
import { createJwtAuthenticator } from './jwt';
import type { Authenticator } from './types';

export * from './types';

export interface AuthenticatorDeps {
  verifier: AccessTokenVerifier;
  accessStore: SnapshotReader;
  logger: StructuredLogger;
  config: AuthorizerConfig;
  clock: Clock;
}

export const createAuthenticators = (deps: AuthenticatorDeps): readonly Authenticator[] => [
  createApiKeyAuthenticator({ ...deps, apiKeys: createApiKeyRing(deps.config.apiKeyMacKeys), mfaRequiredRoles: deps.config.mfaRequiredRoles }),
  createJwtAuthenticator({
    ...deps,
    machineClients: deps.config.machineClients,
    resourceServerId: deps.config.resourceServerId,
    mfaRequiredRoles: deps.config.mfaRequiredRoles,
  }),
];

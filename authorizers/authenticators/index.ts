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
import { createSessionAuthenticator, type LastSeenToucher } from './session';
import type { Authenticator } from './types';

export * from './types';

export interface AuthenticatorDeps {
  verifier: AccessTokenVerifier;
  accessStore: SnapshotReader;
  logger: StructuredLogger;
  config: AuthorizerConfig;
  clock: Clock;
  /** Where browser sessions' "last seen" is written; without one it is never moved (a session then ends its idle time after sign-in). */
  lastSeen?: LastSeenToucher;
}

const NO_TOUCH: LastSeenToucher = { touch: () => Promise.resolve(false) };

export const createAuthenticators = (deps: AuthenticatorDeps): readonly Authenticator[] => [
  // First: a session cookie next to a bearer token, or a session id as one, is refused before
  // the bearer's authenticators could accept the token.
  createSessionAuthenticator({
    ...deps,
    lastSeen: deps.lastSeen ?? NO_TOUCH,
    idleSeconds: deps.config.sessionIdleSeconds,
    mfaRequiredRoles: deps.config.mfaRequiredRoles,
  }),
  createApiKeyAuthenticator({ ...deps, apiKeys: createApiKeyRing(deps.config.apiKeyMacKeys), mfaRequiredRoles: deps.config.mfaRequiredRoles }),
  createJwtAuthenticator({
    ...deps,
    machineClients: deps.config.machineClients,
    resourceServerId: deps.config.resourceServerId,
    mfaRequiredRoles: deps.config.mfaRequiredRoles,
  }),
];

/**
 * Personal API keys: the MAC first (a mistyped, altered or made-up key costs no read), then the
 * key's record and its owner's (constant-time secret check, expiry, revocation, the owner's
 * cut-offs). A key acts as its owner, as the owner is now, within its scopes.
 */
import type { StructuredLogger } from '../../lib/metrics';
import { looksLikeApiKey, type ApiKeyRing } from '../../lib/access/api-keys';
import { apiKeyRefusal, type SnapshotReader } from '../../lib/access/records';
import { epochSeconds, type Clock } from '../../lib/clock';
import { deny, mustSetUpMfa, type AuditPrincipal, type Authenticator } from './types';

export const createApiKeyAuthenticator = (deps: {
  apiKeys: Pick<ApiKeyRing, 'parse'>;
  accessStore: Pick<SnapshotReader, 'apiKey'>;
  logger: StructuredLogger;
  clock: Clock;
  /** Roles whose holders' keys work only for MFA's setup routes until the owner turns MFA on. */
  mfaRequiredRoles?: readonly string[];
}): Authenticator => ({
  async authenticate({ credential, cost }) {
    if (credential === undefined || !looksLikeApiKey(credential)) return undefined;
    const apiKey = deps.apiKeys.parse(credential);
    if (!apiKey) return deny(401, 'malformed_api_key');
    let snapshot;
    try {
      snapshot = await deps.accessStore.apiKey(apiKey.id, cost);
    } catch (error) {
      deps.logger.error('access records unavailable', { errorName: (error as Error)?.name });
      return deny(401, 'access_store_unavailable', { authType: 'api_key', keyId: apiKey.id });
    }
    const refused = apiKeyRefusal(snapshot, apiKey.secret, epochSeconds(deps.clock()));
    const { key, owner } = snapshot;
    if (refused || !key || !owner) {
      // Without the right secret, the log names the key id presented and nothing it stores.
      const principal: AuditPrincipal =
        key && refused !== 'bad_api_key_secret'
          ? { authType: 'api_key', sub: key.owner, username: key.ownerUsername, keyId: key.id }
          : { authType: 'api_key', keyId: apiKey.id };
      return deny(401, refused ?? 'unknown_api_key', principal);
    }
    const roles = owner.roles ?? [];
    return {
      authType: 'api_key',
      sub: owner.sub,
      username: owner.username,
      roles,
      branches: owner.branches,
      scopes: key.scopes,
      keyId: key.id,
      expiresAt: key.expiresAt,
      ...(mustSetUpMfa(roles, owner, deps.mfaRequiredRoles ?? []) ? { mfaRequired: true as const } : {}),
    };
  },
});

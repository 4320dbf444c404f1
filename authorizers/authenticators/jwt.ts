/**
 * JWTs: a user's Cognito access token, or a machine client's client-credentials token. The
 * signature and claims by aws-jwt-verify; for a user, the gateway's access records (session
 * revoked? a cut-off after the login? managed branches), as the authorizer's view holds them.
 */
import type { StructuredLogger } from '../../lib/metrics';
import { revocationReason, type SnapshotReader } from '../../lib/access/records';
import type { MachineClientConfig } from '../../lib/config';
import { isRole } from '../../lib/policy/route-policy';
import { gatewayScopes, verificationFailureReason, type AccessTokenVerifier } from '../adapters/jwt-verifier';
import { deny, mustSetUpMfa, type AuditPrincipal, type Authenticator } from './types';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export const createJwtAuthenticator = (deps: {
  verifier: AccessTokenVerifier;
  accessStore: Pick<SnapshotReader, 'snapshot'>;
  logger: StructuredLogger;
  machineClients: readonly MachineClientConfig[];
  resourceServerId: string;
  /** Roles whose holders may call only MFA's setup routes until their record says MFA is on. */
  mfaRequiredRoles?: readonly string[];
}): Authenticator => {
  const { verifier, accessStore, logger } = deps;
  const machineClients = new Map(deps.machineClients.map((client) => [client.clientId, client]));

  return {
    async authenticate({ credential, cost }) {
      if (credential === undefined || !JWT.test(credential)) return undefined;
      let verified;
      try {
        verified = await verifier.verify(credential);
      } catch (error) {
        const reason = verificationFailureReason(error);
        if (reason === 'jwks_unavailable') logger.error('key set unavailable', { errorName: (error as Error)?.name });
        return deny(401, reason);
      }

      if (verified.kind === 'client') {
        const { claims } = verified;
        const client = machineClients.get(claims.client_id);
        if (!client) return deny(401, 'unknown_client');
        return {
          authType: 'client',
          sub: claims.sub,
          username: client.name,
          roles: [...client.roles],
          branches: [...client.branches],
          scopes: gatewayScopes(claims.scope, deps.resourceServerId),
          clientId: claims.client_id,
          tokenId: claims.jti,
          expiresAt: claims.exp,
        };
      }

      const { claims } = verified;
      const sessionId = claims.origin_jti ?? claims.jti;
      const principal: AuditPrincipal = { authType: 'user', sub: claims.sub, username: claims.username, clientId: claims.client_id, sessionId };
      let snapshot;
      try {
        snapshot = await accessStore.snapshot(claims.sub, sessionId, cost);
      } catch (error) {
        logger.error('access records unavailable', { errorName: (error as Error)?.name });
        return deny(401, 'access_store_unavailable', principal);
      }
      const revoked = revocationReason(snapshot, { issuedAt: claims.iat, authTime: claims.auth_time });
      if (revoked) return deny(401, revoked, principal);
      const roles = (claims['cognito:groups'] ?? []).filter(isRole);
      return {
        authType: 'user',
        sub: claims.sub,
        username: claims.username,
        roles,
        branches: snapshot.user?.branches ?? [],
        // A user's own token is limited by roles, not scopes.
        scopes: [],
        clientId: claims.client_id,
        sessionId,
        tokenId: claims.jti,
        expiresAt: claims.exp,
        ...(mustSetUpMfa(roles, snapshot.user, deps.mfaRequiredRoles ?? []) ? { mfaRequired: true as const } : {}),
      };
    },
  };
};

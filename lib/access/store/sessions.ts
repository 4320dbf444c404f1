/**
 * `session#<sid>` and `refresh#<hash>` records: which login a refresh token belongs to, the
 * access tokens refreshed from it (where the issuer has no `origin_jti`), and logouts.
 */
import { createHash } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsErrorName } from '../../errors';
import { epochSeconds } from '../../clock';
import { REFRESH, SESSION, toSession, type SessionRecord } from '../records';
import type { AccessTable } from './table';

/** The session was ended before this call (logout): refuse, never re-open it. */
export class SessionRevokedError extends Error {
  constructor() {
    super('Session has been revoked');
    this.name = 'SessionRevokedError';
  }
}

export const hashRefreshToken = (refreshToken: string): string =>
  createHash('sha256').update(refreshToken, 'utf8').digest('hex');

export interface SessionRecords {
  /** Remember which session a refresh token belongs to. */
  recordLogin(input: { sessionId: string; sub: string; refreshToken: string; issuedAt: number; expiresAt: number }): Promise<void>;
  /** The session a refresh token was issued for, if it was issued at a gateway login. */
  sessionForRefreshToken(refreshToken: string): Promise<SessionRecord | undefined>;
  /**
   * Attach the access token issued by a refresh to its login's session. Fails with
   * `SessionRevokedError` if that session was revoked meanwhile (atomic with the revocation).
   */
  linkRefreshedToken(input: { rootSessionId: string; sessionId: string; sub: string; tokenExpiresAt: number; sessionExpiresAt: number }): Promise<void>;
  /** Revoke a session, its login session and every token linked to it. */
  revokeSession(input: { sessionId: string; sub: string; expiresAt: number }): Promise<void>;
}

export const createSessionRecords = (table: AccessTable): SessionRecords => {
  const markRevoked = async (sessionId: string, sub: string, expiresAt: number, revokedAt: number) =>
    toSession(
      (
        await table.client.send(
          new UpdateCommand({
            TableName: table.name,
            Key: { pk: SESSION + sessionId },
            // Never shorten a record's life: it must outlast every token it revokes.
            UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now), #sub = :sub, expiresAt = :exp',
            ConditionExpression: 'attribute_not_exists(expiresAt) OR expiresAt <= :exp',
            ExpressionAttributeNames: { '#sub': 'sub' },
            ExpressionAttributeValues: { ':now': revokedAt, ':sub': sub, ':exp': expiresAt },
            ReturnValues: 'ALL_NEW',
          }),
        )
      ).Attributes,
    );

  const revokeKeepingExpiry = async (sessionId: string, sub: string, expiresAt: number, revokedAt: number) => {
    try {
      return await markRevoked(sessionId, sub, expiresAt, revokedAt);
    } catch (error) {
      if (awsErrorName(error) !== 'ConditionalCheckFailedException') throw error;
      // The record already lives longer than asked: only set revokedAt.
      const result = await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: SESSION + sessionId },
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
          ExpressionAttributeValues: { ':now': revokedAt },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toSession(result.Attributes);
    }
  };


  return {
    async recordLogin({ sessionId, sub, refreshToken, issuedAt, expiresAt }) {
      await table.client.send(
        new PutCommand({
          TableName: table.name,
          Item: { pk: REFRESH + hashRefreshToken(refreshToken), sessionId, sub, issuedAt, expiresAt },
        }),
      );
    },

    async sessionForRefreshToken(refreshToken) {
      const link = await table.get(REFRESH + hashRefreshToken(refreshToken));
      if (!link || typeof link.sessionId !== 'string') return undefined;
      const session = toSession(await table.get(SESSION + link.sessionId)) ?? { sessionId: link.sessionId, children: [] };
      return {
        ...session,
        ...(typeof link.sub === 'string' ? { sub: link.sub } : {}),
        ...(typeof link.issuedAt === 'number' ? { issuedAt: link.issuedAt } : {}),
      };
    },

    async linkRefreshedToken({ rootSessionId, sessionId, sub, tokenExpiresAt, sessionExpiresAt }) {
      if (sessionId === rootSessionId) {
        // The issuer keeps one session id across refreshes (Cognito's origin_jti): nothing to
        // link, but a revoked session must not be refreshed.
        const root = toSession(await table.get(SESSION + rootSessionId));
        if (root?.revokedAt !== undefined) throw new SessionRevokedError();
        return;
      }
      const applied = await table.conditionally(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: SESSION + rootSessionId },
          // The login's record lives as long as its refresh token can (a logout lengthens it).
          UpdateExpression: 'ADD children :child SET #sub = :sub, expiresAt = if_not_exists(expiresAt, :sessionExp)',
          ConditionExpression: 'attribute_not_exists(revokedAt)',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':child': new Set([sessionId]), ':sub': sub, ':sessionExp': sessionExpiresAt },
        }),
      );
      if (!applied) throw new SessionRevokedError();
      // UPDATE, not PUT: a concurrent logout may already have marked this record revoked.
      await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: SESSION + sessionId },
          UpdateExpression: 'SET parent = :root, #sub = :sub, expiresAt = if_not_exists(expiresAt, :exp)',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':root': rootSessionId, ':sub': sub, ':exp': tokenExpiresAt },
        }),
      );
    },

    async revokeSession({ sessionId, sub, expiresAt }) {
      const revokedAt = epochSeconds();
      const own = await revokeKeepingExpiry(sessionId, sub, expiresAt, revokedAt);
      let root = own;
      if (own?.parent) root = await revokeKeepingExpiry(own.parent, sub, expiresAt, revokedAt);
      const others = (root?.children ?? []).filter((child) => child !== sessionId);
      await Promise.all(others.map((child) => revokeKeepingExpiry(child, sub, expiresAt, revokedAt)));
      await table.changed([sessionId, ...(own?.parent ? [own.parent] : []), ...others].map((id) => SESSION + id));
    },
  };
};

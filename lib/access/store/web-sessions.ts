/**
 * `websession#<sha256 of the session id>` records: browser sessions (lib/sessions/web-session.ts).
 * The authorizer reads them through its view; every write here but the creation is announced on
 * the change log (a new record was never read, absent, by anyone who matters: its id is new, but
 * it is announced too, so a view that read the key absent drops that). The authorizer's own
 * write, "last seen", is not announced: a stale copy only ends a session sooner, and a kept
 * record is re-read within the view's record age (a minute).
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toWebSession, WEBSESSION, type Item, type WebSessionRecord } from '../records';
import type { SealedSecret } from '../../secrets/vault';
import type { AccessTable } from './table';

export interface StoredWebSession extends WebSessionRecord {
  /** The Cognito tokens, sealed (lib/secrets/vault.ts), bound to `websession#<hash>#tokens`. */
  tokens: unknown;
  /** When the stored access token expires, epoch seconds. */
  accessExpiresAt: number;
}

export interface WebSessionRecords {
  /** A new session: the record's facts, `now` as its creation and first "last seen". */
  createWebSession(
    input: Omit<WebSessionRecord, 'createdAt' | 'lastSeenAt' | 'revokedAt'> & { now: number; tokens: SealedSecret; accessExpiresAt: number },
  ): Promise<void>;
  /** The session's record with its sealed tokens; undefined when absent or past its lifetime. */
  getWebSession(hash: string): Promise<StoredWebSession | undefined>;
  /** New sealed tokens after a refresh; false when the session was revoked meanwhile. */
  replaceWebSessionTokens(input: { hash: string; tokens: SealedSecret; accessExpiresAt: number }): Promise<boolean>;
  /** End the session (its first end is kept); the change log carries it to every authorizer. */
  revokeWebSession(input: { hash: string; now: number }): Promise<void>;
}

const toStored = (item: Item | undefined): StoredWebSession | undefined => {
  const session = toWebSession(item);
  if (!session || !item || typeof item.accessExpiresAt !== 'number') return undefined;
  return { ...session, tokens: item.tokens, accessExpiresAt: item.accessExpiresAt };
};

export const createWebSessionRecords = (table: AccessTable): WebSessionRecords => ({
  async createWebSession(input) {
    const pk = WEBSESSION + input.hash;
    await table.client.send(
      new PutCommand({
        TableName: table.name,
        Item: {
          pk,
          sub: input.sub,
          username: input.username,
          roles: input.roles,
          authTime: input.authTime,
          rolesTakenAt: input.rolesTakenAt,
          createdAt: input.now,
          lastSeenAt: input.now,
          expiresAt: input.expiresAt,
          tokens: input.tokens,
          accessExpiresAt: input.accessExpiresAt,
        },
        // 256 random bits never repeat; if they did, never take over another session.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await table.changed([pk]);
  },

  async getWebSession(hash) {
    return toStored(await table.get(WEBSESSION + hash));
  },

  async replaceWebSessionTokens({ hash, tokens, accessExpiresAt }) {
    const pk = WEBSESSION + hash;
    const applied = await table.conditionally(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk },
        UpdateExpression: 'SET tokens = :tokens, accessExpiresAt = :exp',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':tokens': tokens, ':exp': accessExpiresAt },
      }),
    );
    if (applied) await table.changed([pk]);
    return applied;
  },

  async revokeWebSession({ hash, now }) {
    const pk = WEBSESSION + hash;
    await table.conditionally(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk },
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
    await table.changed([pk]);
  },
});

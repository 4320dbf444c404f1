/**
 * The gateway's own access records, in one DynamoDB table (`ACCESS_TABLE`, key `pk`):
 *
 * - `user#<sub>`      the user's gateway record: which branches they manage (written by
 *                     operators and the local seed, never from a request); `disabled`; and
 *                     `notBefore`: tokens issued at or before this second are refused (sign out
 *                     everywhere, roles changed, disabled), with `notBeforeReason`.
 * - `session#<sid>`   a session: `revokedAt` once logged out; `parent` / `children` link the
 *                     access tokens of one login where the issuer gives each refreshed token a
 *                     new `jti` and no `origin_jti` (cognito-local).
 * - `refresh#<hash>`  SHA-256 of a refresh token issued at login → its session.
 *
 * Records that end carry `expiresAt` (epoch seconds), the table's TTL attribute on AWS. Where
 * TTL does not run (dynalite), expired records are ignored in code.
 *
 * This module reads and writes them with the AWS SDK for the services. The authorizer reads
 * them with `lib/dynamodb-lite.ts` (one strongly consistent BatchGetItem, so a logout is seen by
 * the very next request); their types and the revocation rule live in `lib/access-records.ts`.
 */
import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { awsErrorName } from './errors';
import {
  REFRESH,
  SESSION,
  USER,
  live,
  nowSeconds,
  snapshotFromItems,
  toSession,
  toUser,
  type Item,
  type SessionRecord,
  type SnapshotReader,
  type UserProfile,
  type UserRecord,
  type UserRevocationReason,
} from './access-records';

export * from './access-records';

/** The session was ended before this call (logout): refuse, never re-open it. */
export class SessionRevokedError extends Error {
  constructor() {
    super('Session has been revoked');
    this.name = 'SessionRevokedError';
  }
}

export interface AccessStore extends SnapshotReader {
  getUser(sub: string): Promise<UserRecord | undefined>;
  getUsers(subs: readonly string[]): Promise<Map<string, UserRecord>>;
  /** Create or update a user's profile (branches); keeps their revocation state. */
  putUser(user: UserProfile): Promise<void>;
  /**
   * Refuse every token of the user issued up to now, for `reason`; `disabled` also marks the
   * account disabled (true) or enabled again (false, old tokens stay refused).
   */
  revokeUserTokens(input: { sub: string; username: string; reason: UserRevocationReason; disabled?: boolean }): Promise<UserRecord>;
  setDisabled(input: { sub: string; username: string; disabled: false }): Promise<void>;
  /** Remember which session a refresh token belongs to. */
  recordLogin(input: { sessionId: string; sub: string; refreshToken: string; issuedAt: number; expiresAt: number }): Promise<void>;
  /** The session a refresh token was issued for, if it was issued at a gateway login. */
  sessionForRefreshToken(refreshToken: string): Promise<SessionRecord | undefined>;
  /**
   * Attach the access token issued by a refresh to its login's session. Fails with
   * `SessionRevokedError` if that session was revoked meanwhile (atomic with the revocation).
   */
  linkRefreshedToken(input: { rootSessionId: string; sessionId: string; sub: string; tokenExpiresAt: number }): Promise<void>;
  /** Revoke a session, its login session and every token linked to it. */
  revokeSession(input: { sessionId: string; sub: string; expiresAt: number }): Promise<void>;
}

export const hashRefreshToken = (refreshToken: string): string =>
  createHash('sha256').update(refreshToken, 'utf8').digest('hex');

export const createDynamoAccessStore = (client: DynamoDBDocumentClient, tableName: string): AccessStore => {
  const batchGet = async (keys: string[]): Promise<Map<string, Item>> => {
    const found = new Map<string, Item>();
    let pending: Record<string, unknown>[] = [...new Set(keys)].map((pk) => ({ pk }));
    // BatchGetItem may leave keys unprocessed under throttling: retry a bounded number of
    // times, then fail (the authorizer denies on failure).
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt === 3) throw new Error('Access records could not be read completely');
      const result = await client.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[tableName] ?? []) {
        if (typeof item.pk === 'string') found.set(item.pk, item);
      }
      pending = (result.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    return found;
  };

  const getItem = async (pk: string): Promise<Item | undefined> =>
    live((await client.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }))).Item);

  const markRevoked = async (sessionId: string, sub: string, expiresAt: number, revokedAt: number) =>
    toSession(
      (
        await client.send(
          new UpdateCommand({
            TableName: tableName,
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
      const result = await client.send(
        new UpdateCommand({
          TableName: tableName,
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
    async snapshot(sub, sessionId) {
      return snapshotFromItems(await batchGet([USER + sub, SESSION + sessionId]), sub, sessionId);
    },

    async getUser(sub) {
      return toUser(await getItem(USER + sub));
    },

    async getUsers(subs) {
      const users = new Map<string, UserRecord>();
      for (let i = 0; i < subs.length; i += 100) {
        const items = await batchGet(subs.slice(i, i + 100).map((sub) => USER + sub));
        for (const item of items.values()) {
          const user = toUser(item);
          if (user) users.set(user.sub, user);
        }
      }
      return users;
    },

    async putUser(user) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: USER + user.sub },
          UpdateExpression: 'SET #sub = :sub, username = :username, branches = :branches',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': user.sub, ':username': user.username, ':branches': [...user.branches] },
        }),
      );
    },

    async revokeUserTokens({ sub, username, reason, disabled }) {
      const result = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: USER + sub },
          UpdateExpression:
            'SET #sub = :sub, username = if_not_exists(username, :username), branches = if_not_exists(branches, :none), ' +
            'notBefore = :now, notBeforeReason = :reason' +
            (disabled === undefined ? '' : ', disabled = :disabled'),
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: {
            ':sub': sub,
            ':username': username,
            ':none': [],
            ':now': nowSeconds(),
            ':reason': reason,
            ...(disabled === undefined ? {} : { ':disabled': disabled }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toUser(result.Attributes)!;
    },

    async setDisabled({ sub, username, disabled }) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: USER + sub },
          UpdateExpression: 'SET #sub = :sub, username = if_not_exists(username, :username), branches = if_not_exists(branches, :none), disabled = :disabled',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': sub, ':username': username, ':none': [], ':disabled': disabled },
        }),
      );
    },

    async recordLogin({ sessionId, sub, refreshToken, issuedAt, expiresAt }) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: REFRESH + hashRefreshToken(refreshToken), sessionId, sub, issuedAt, expiresAt },
        }),
      );
    },

    async sessionForRefreshToken(refreshToken) {
      const link = await getItem(REFRESH + hashRefreshToken(refreshToken));
      if (!link || typeof link.sessionId !== 'string') return undefined;
      const session = toSession(await getItem(SESSION + link.sessionId)) ?? { sessionId: link.sessionId, children: [] };
      return {
        ...session,
        ...(typeof link.sub === 'string' ? { sub: link.sub } : {}),
        ...(typeof link.issuedAt === 'number' ? { issuedAt: link.issuedAt } : {}),
      };
    },

    async linkRefreshedToken({ rootSessionId, sessionId, sub, tokenExpiresAt }) {
      if (sessionId === rootSessionId) {
        // The issuer keeps one session id across refreshes (Cognito's origin_jti): nothing to
        // link, but a revoked session must not be refreshed.
        const root = toSession(await getItem(SESSION + rootSessionId));
        if (root?.revokedAt !== undefined) throw new SessionRevokedError();
        return;
      }
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: SESSION + rootSessionId },
            UpdateExpression: 'ADD children :child SET #sub = :sub',
            ConditionExpression: 'attribute_not_exists(revokedAt)',
            ExpressionAttributeNames: { '#sub': 'sub' },
            ExpressionAttributeValues: { ':child': new Set([sessionId]), ':sub': sub },
          }),
        );
      } catch (error) {
        if (awsErrorName(error) === 'ConditionalCheckFailedException') throw new SessionRevokedError();
        throw error;
      }
      // UPDATE, not PUT: a concurrent logout may already have marked this record revoked.
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: SESSION + sessionId },
          UpdateExpression: 'SET parent = :root, #sub = :sub, expiresAt = if_not_exists(expiresAt, :exp)',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':root': rootSessionId, ':sub': sub, ':exp': tokenExpiresAt },
        }),
      );
    },

    async revokeSession({ sessionId, sub, expiresAt }) {
      const revokedAt = nowSeconds();
      const own = await revokeKeepingExpiry(sessionId, sub, expiresAt, revokedAt);
      let root = own;
      if (own?.parent) root = await revokeKeepingExpiry(own.parent, sub, expiresAt, revokedAt);
      const others = (root?.children ?? []).filter((child) => child !== sessionId);
      await Promise.all(others.map((child) => revokeKeepingExpiry(child, sub, expiresAt, revokedAt)));
    },
  };
};


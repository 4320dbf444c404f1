/**
 * The gateway's own access records, in one DynamoDB table (`ACCESS_TABLE`, key `pk`):
 *
 * - `user#<sub>`      the user's gateway record: which branches they manage (written by
 *                     operators and the local seed, never from a request); their roles as
 *                     last read from Cognito (`roles`, versioned by `rolesSyncedAt`, ms);
 *                     `disabled` (versioned by `disabledVersion`, ms); and one cut-off per
 *                     kind (`signedOutAt`, `disabledAt`, `rolesChangedAt`, `deletedAt`: epoch
 *                     seconds, each only ever raised; see `lib/access/records.ts`).
 * - `username#<name>` which `sub` a username belongs to, for events that name only the
 *                     username (a user deleted in Cognito can no longer be looked up there).
 * - `session#<sid>`   a session: `revokedAt` once logged out; `parent` / `children` link the
 *                     access tokens of one login where the issuer gives each refreshed token a
 *                     new `jti` and no `origin_jti` (cognito-local).
 * - `refresh#<hash>`  SHA-256 of a refresh token issued at login → its session.
 * - `apikey#<id>`     a personal API key: owner, name, scopes, SHA-256 of the secret, expiry,
 *                     `revokedAt` once deleted. The owner's `user#` record lists the ids of
 *                     their live keys (`apiKeys`), which bounds how many they may hold.
 *
 * Records that end carry `expiresAt` (epoch seconds), the table's TTL attribute on AWS. Where
 * TTL does not run (dynalite), expired records are ignored in code.
 *
 * This module reads and writes them with the AWS SDK for the services. The authorizer reads
 * them with `authorizers/adapters/dynamodb-lite.ts` (one strongly consistent BatchGetItem, so a logout is seen by
 * the very next request); their types and the revocation rule live in `lib/access/records.ts`.
 */
import { createHash } from 'node:crypto';
import type { Role } from '../policy/route-policy';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { awsErrorName } from '../errors';
import {
  APIKEY,
  REFRESH,
  USERNAME,
  SESSION,
  USER,
  live,
  readApiKey,
  nowSeconds,
  stringList,
  toApiKey,
  snapshotFromItems,
  toSession,
  toUser,
  type ApiKeyRecord,
  type Item,
  type SessionRecord,
  type SnapshotReader,
  type UserProfile,
  type CutOffKind,
  type UserRecord,
} from './records';

export * from './records';

/** The owner already holds the most live keys allowed. */
export class TooManyApiKeysError extends Error {
  constructor(readonly limit: number) {
    super(`At most ${limit} live API keys per user`);
    this.name = 'TooManyApiKeysError';
  }
}

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
   * Raise one of the user's cut-offs to `at` (epoch seconds): every login (or token, for
   * `rolesChangedAt`) at or before it is refused. A cut-off already at or past `at` stays as it
   * is: cut-offs only move forward, whatever order the events arrive in.
   */
  raiseCutOff(input: { sub: string; username: string; kind: CutOffKind; at: number }): Promise<void>;
  /**
   * Mark the user disabled or enabled again, unless a later change of the flag was already
   * recorded (`versionMs`: when the change was made, epoch ms). Enabling keeps `disabledAt`:
   * what the disable cut off stays cut off. False when a later change won.
   */
  setDisabled(input: { sub: string; username: string; disabled: boolean; versionMs: number }): Promise<boolean>;
  /**
   * Record the user's roles as read from Cognito at `versionMs` (epoch ms, taken before the
   * reading), unless a later reading was already recorded, or (with `unlessChangedSince`, epoch
   * seconds) a role change was recorded at or after that second: the change's own writes are
   * then the truth. False when nothing was written.
   */
  syncRoles(input: { sub: string; username: string; roles: readonly Role[]; versionMs: number; unlessChangedSince?: number }): Promise<boolean>;
  /** Remember which `sub` a username belongs to. */
  recordUsername(input: { sub: string; username: string }): Promise<void>;
  /** The `sub` last recorded for a username. */
  subForUsername(username: string): Promise<string | undefined>;
  /**
   * Store a new key and list it under its owner, whose current roles are recorded with it.
   * Fails with `TooManyApiKeysError` when the owner already lists `maxLive` keys.
   */
  createApiKey(input: { key: ApiKeyRecord; ownerRoles: readonly Role[]; maxLive: number }): Promise<void>;
  /** The owner's live keys (neither revoked nor expired), newest first; drops dead ids from the list. */
  listApiKeys(owner: string): Promise<ApiKeyRecord[]>;
  /** Revoke one of the owner's live keys; false when the owner has no such live key. */
  revokeApiKey(input: { owner: string; keyId: string }): Promise<boolean>;
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

/**
 * The start of every update of a `user#` record: it exists afterwards, with its sub, and keeps
 * the username and branches it had (values `:sub`, `:username`, `:none`; name `#sub`).
 */
const ENSURE_USER = 'SET #sub = :sub, username = if_not_exists(username, :username), branches = if_not_exists(branches, :none)';

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

  /** Send a conditional update; false when its condition did not hold. */
  const conditionally = async (command: UpdateCommand): Promise<boolean> => {
    try {
      await client.send(command);
      return true;
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
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

  const store: AccessStore = {
    async snapshot(sub, sessionId) {
      return snapshotFromItems(await batchGet([USER + sub, SESSION + sessionId]), sub, sessionId);
    },

    apiKey: (keyId) => readApiKey(getItem, keyId),

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

    async raiseCutOff({ sub, username, kind, at }) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: USER + sub },
            UpdateExpression: `${ENSURE_USER}, #kind = :at`,
            ConditionExpression: 'attribute_not_exists(#kind) OR #kind < :at',
            ExpressionAttributeNames: { '#sub': 'sub', '#kind': kind },
            ExpressionAttributeValues: { ':sub': sub, ':username': username, ':none': [], ':at': at },
          }),
        );
      } catch (error) {
        // The cut-off is already at or past `at`: nothing to raise.
        if (awsErrorName(error) !== 'ConditionalCheckFailedException') throw error;
      }
    },

    async setDisabled({ sub, username, disabled, versionMs }) {
      return conditionally(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: USER + sub },
          UpdateExpression: `${ENSURE_USER}, disabled = :disabled, disabledVersion = :version`,
          ConditionExpression: 'attribute_not_exists(disabledVersion) OR disabledVersion <= :version',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': sub, ':username': username, ':none': [], ':disabled': disabled, ':version': versionMs },
        }),
      );
    },

    async syncRoles({ sub, username, roles, versionMs, unlessChangedSince }) {
      return conditionally(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: USER + sub },
          UpdateExpression: `${ENSURE_USER}, #roles = :roles, rolesSyncedAt = :version`,
          ConditionExpression:
            '(attribute_not_exists(rolesSyncedAt) OR rolesSyncedAt < :version)' +
            (unlessChangedSince === undefined ? '' : ' AND (attribute_not_exists(rolesChangedAt) OR rolesChangedAt < :since)'),
          ExpressionAttributeNames: { '#sub': 'sub', '#roles': 'roles' },
          ExpressionAttributeValues: {
            ':sub': sub,
            ':username': username,
            ':none': [],
            ':roles': [...roles],
            ':version': versionMs,
            ...(unlessChangedSince === undefined ? {} : { ':since': unlessChangedSince }),
          },
        }),
      );
    },

    async recordUsername({ sub, username }) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: USERNAME + username, sub, username } }));
    },

    async subForUsername(username) {
      const item = await getItem(USERNAME + username);
      return typeof item?.sub === 'string' ? item.sub : undefined;
    },

    async createApiKey({ key, ownerRoles, maxLive }) {
      const list = () =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: USER + key.owner },
            // Roles are the trigger's and the role changes' to keep current; the creating
            // token's groups only fill in a record that has none yet.
            UpdateExpression: `${ENSURE_USER}, #roles = if_not_exists(#roles, :roles) ADD apiKeys :id`,
            // Atomic with the count: two concurrent creations cannot both take the last slot.
            ConditionExpression: 'attribute_not_exists(apiKeys) OR size(apiKeys) < :max',
            ExpressionAttributeNames: { '#sub': 'sub', '#roles': 'roles' },
            ExpressionAttributeValues: {
              ':sub': key.owner,
              ':username': key.ownerUsername,
              ':none': [],
              ':roles': [...ownerRoles],
              ':id': new Set([key.id]),
              ':max': maxLive,
            },
          }),
        );
      try {
        await list();
      } catch (error) {
        if (awsErrorName(error) !== 'ConditionalCheckFailedException') throw error;
        // The list may hold keys that expired or were never completed: drop them and try once more.
        await store.listApiKeys(key.owner);
        try {
          await list();
        } catch (retryError) {
          if (awsErrorName(retryError) === 'ConditionalCheckFailedException') throw new TooManyApiKeysError(maxLive);
          throw retryError;
        }
      }
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: APIKEY + key.id,
            owner: key.owner,
            ownerUsername: key.ownerUsername,
            name: key.name,
            scopes: [...key.scopes],
            secretHash: key.secretHash,
            createdAt: key.createdAt,
            expiresAt: key.expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async listApiKeys(owner) {
      const item = await getItem(USER + owner);
      const ids = stringList(item?.apiKeys);
      if (ids.length === 0) return [];
      const items = await batchGet(ids.map((id) => APIKEY + id));
      const now = nowSeconds();
      const keys: ApiKeyRecord[] = [];
      const dead: string[] = [];
      for (const id of ids) {
        const key = toApiKey(items.get(APIKEY + id));
        if (key && key.owner === owner && key.revokedAt === undefined && key.expiresAt > now) keys.push(key);
        else dead.push(id);
      }
      if (dead.length > 0) {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: USER + owner },
            UpdateExpression: 'DELETE apiKeys :dead',
            ExpressionAttributeValues: { ':dead': new Set(dead) },
          }),
        );
      }
      return keys.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
    },

    async revokeApiKey({ owner, keyId }) {
      const now = nowSeconds();
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: APIKEY + keyId },
            // The record stays until it expires, so the key is refused as revoked, not unknown.
            UpdateExpression: 'SET revokedAt = :now',
            ConditionExpression: 'attribute_exists(pk) AND #owner = :owner AND attribute_not_exists(revokedAt) AND expiresAt > :now',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':now': now, ':owner': owner },
          }),
        );
      } catch (error) {
        if (awsErrorName(error) === 'ConditionalCheckFailedException') return false;
        throw error;
      }
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: USER + owner },
          UpdateExpression: 'DELETE apiKeys :id',
          ExpressionAttributeValues: { ':id': new Set([keyId]) },
        }),
      );
      return true;
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
  return store;
};

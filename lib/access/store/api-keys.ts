/**
 * `apikey#<id>` records, and the owner's list of live key ids on their `user#` record (which
 * bounds how many they may hold, in the same conditional write that adds one).
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsErrorName } from '../../errors';
import { epochSeconds } from '../../clock';
import type { Role } from '../../policy/route-policy';
import { APIKEY, USER, stringList, toApiKey, type ApiKeyRecord } from '../records';
import { ENSURE_USER, type AccessTable } from './table';

/** The owner already holds the most live keys allowed. */
export class TooManyApiKeysError extends Error {
  constructor(readonly limit: number) {
    super(`At most ${limit} live API keys per user`);
    this.name = 'TooManyApiKeysError';
  }
}

export interface ApiKeyRecords {
  /**
   * Store a new key and list it under its owner (whose roles fill in a record that has none).
   * Fails with `TooManyApiKeysError` when the owner already lists `maxLive` keys.
   */
  createApiKey(input: { key: ApiKeyRecord; ownerRoles: readonly Role[]; maxLive: number }): Promise<void>;
  /** The owner's live keys (neither revoked nor expired), newest first; drops dead ids from the list. */
  listApiKeys(owner: string): Promise<ApiKeyRecord[]>;
  /** Revoke one of the owner's live keys; false when the owner has no such live key. */
  revokeApiKey(input: { owner: string; keyId: string }): Promise<boolean>;
}

export const createApiKeyRecords = (table: AccessTable): ApiKeyRecords => {
  const records: ApiKeyRecords = {
    async createApiKey({ key, ownerRoles, maxLive }) {
      const list = () =>
        table.client.send(
          new UpdateCommand({
            TableName: table.name,
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
      // The record first, then the owner's list: a listing that runs in between never finds a
      // listed id without its record (it would take it for dead and drop it from the list).
      await table.client.send(
        new PutCommand({
          TableName: table.name,
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
      const refuse = async () => {
        // Over the limit: the record never becomes usable (its secret was never shown).
        await table.client.send(
          new UpdateCommand({
            TableName: table.name,
            Key: { pk: APIKEY + key.id },
            UpdateExpression: 'SET revokedAt = :now',
            ExpressionAttributeValues: { ':now': key.createdAt },
          }),
        );
        throw new TooManyApiKeysError(maxLive);
      };
      try {
        await list();
      } catch (error) {
        if (awsErrorName(error) !== 'ConditionalCheckFailedException') throw error;
        // The list may hold keys that expired or were revoked: drop them and try once more.
        await records.listApiKeys(key.owner);
        try {
          await list();
        } catch (retryError) {
          if (awsErrorName(retryError) === 'ConditionalCheckFailedException') return refuse();
          throw retryError;
        }
      }
      // The owner's record may have taken its first roles; the key's record is new.
      await table.changed([APIKEY + key.id, USER + key.owner]);
    },

    async listApiKeys(owner) {
      const item = await table.get(USER + owner);
      const ids = stringList(item?.apiKeys);
      if (ids.length === 0) return [];
      const items = await table.batchGet(ids.map((id) => APIKEY + id));
      const now = epochSeconds();
      const keys: ApiKeyRecord[] = [];
      const dead: string[] = [];
      for (const id of ids) {
        const key = toApiKey(items.get(APIKEY + id));
        if (key && key.owner === owner && key.revokedAt === undefined && key.expiresAt > now) keys.push(key);
        else dead.push(id);
      }
      if (dead.length > 0) {
        await table.client.send(
          new UpdateCommand({
            TableName: table.name,
            Key: { pk: USER + owner },
            UpdateExpression: 'DELETE apiKeys :dead',
            ExpressionAttributeValues: { ':dead': new Set(dead) },
          }),
        );
      }
      return keys.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
    },

    async revokeApiKey({ owner, keyId }) {
      const now = epochSeconds();
      const revoked = await table.conditionally(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: APIKEY + keyId },
          // The record stays until it expires, so the key is refused as revoked, not unknown.
          UpdateExpression: 'SET revokedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND #owner = :owner AND attribute_not_exists(revokedAt) AND expiresAt > :now',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      );
      if (!revoked) return false;
      await table.changed([APIKEY + keyId]);
      await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: USER + owner },
          UpdateExpression: 'DELETE apiKeys :id',
          ExpressionAttributeValues: { ':id': new Set([keyId]) },
        }),
      );
      return true;
    },
  };
  return records;
};

/**
 * `user#<sub>` and `username#<name>` records: a user's branches, the roles Cognito last gave
 * them, the disabled flag, and one cut-off per kind that only ever moves forward.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Role } from '../../policy/route-policy';
import { USER, USERNAME, toUser, type CutOffKind, type UserProfile, type UserRecord } from '../records';
import { ENSURE_USER, type AccessTable } from './table';

export interface UserRecords {
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
  /**
   * Record whether the user has MFA on, unless a later change was already recorded
   * (`versionMs`, epoch ms). Announced on the change log: the authorizer's view learns it within
   * the revocation bound. False when a later change won.
   */
  setMfa(input: { sub: string; username: string; enabled: boolean; versionMs: number }): Promise<boolean>;
  /** Remember which `sub` a username belongs to. */
  recordUsername(input: { sub: string; username: string }): Promise<void>;
  /** The `sub` last recorded for a username. */
  subForUsername(username: string): Promise<string | undefined>;
}

export const createUserRecords = (table: AccessTable): UserRecords => ({
    async getUser(sub) {
      return toUser(await table.get(USER + sub));
    },

    async getUsers(subs) {
      const users = new Map<string, UserRecord>();
      for (let i = 0; i < subs.length; i += 100) {
        const items = await table.batchGet(subs.slice(i, i + 100).map((sub) => USER + sub));
        for (const item of items.values()) {
          const user = toUser(item);
          if (user) users.set(user.sub, user);
        }
      }
      return users;
    },

    async putUser(user) {
      await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: USER + user.sub },
          UpdateExpression: 'SET #sub = :sub, username = :username, branches = :branches',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': user.sub, ':username': user.username, ':branches': [...user.branches] },
        }),
      );
      await table.changed([USER + user.sub]);
    },

    async raiseCutOff({ sub, username, kind, at }) {
      // Not applied when the cut-off is already at or past `at`: nothing to raise, nothing changed.
      const applied = await table.conditionally(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: USER + sub },
          UpdateExpression: `${ENSURE_USER}, #kind = :at`,
          ConditionExpression: 'attribute_not_exists(#kind) OR #kind < :at',
          ExpressionAttributeNames: { '#sub': 'sub', '#kind': kind },
          ExpressionAttributeValues: { ':sub': sub, ':username': username, ':none': [], ':at': at },
        }),
      );
      if (applied) await table.changed([USER + sub]);
    },

    async setDisabled({ sub, username, disabled, versionMs }) {
      const applied = await table.conditionally(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: USER + sub },
          UpdateExpression: `${ENSURE_USER}, disabled = :disabled, disabledVersion = :version`,
          ConditionExpression: 'attribute_not_exists(disabledVersion) OR disabledVersion <= :version',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': sub, ':username': username, ':none': [], ':disabled': disabled, ':version': versionMs },
        }),
      );
      if (applied) await table.changed([USER + sub]);
      return applied;
    },

    async syncRoles({ sub, username, roles, versionMs, unlessChangedSince }) {
      const applied = await table.conditionally(
        new UpdateCommand({
          TableName: table.name,
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
      if (applied) await table.changed([USER + sub]);
      return applied;
    },

    async setMfa({ sub, username, enabled, versionMs }) {
      const applied = await table.conditionally(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: USER + sub },
          UpdateExpression: `${ENSURE_USER}, mfaEnabled = :enabled, mfaChangedAt = :version`,
          ConditionExpression: 'attribute_not_exists(mfaChangedAt) OR mfaChangedAt <= :version',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': sub, ':username': username, ':none': [], ':enabled': enabled, ':version': versionMs },
        }),
      );
      if (applied) await table.changed([USER + sub]);
      return applied;
    },

    async recordUsername({ sub, username }) {
      await table.client.send(new PutCommand({ TableName: table.name, Item: { pk: USERNAME + username, sub, username } }));
    },

    async subForUsername(username) {
      const item = await table.get(USERNAME + username);
      return typeof item?.sub === 'string' ? item.sub : undefined;
    },
});

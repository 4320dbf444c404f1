/**
 * The gateway's own access records, in one DynamoDB table (`ACCESS_TABLE`, key `pk`):
 *
 * - `user#<sub>`      the user's gateway record: which branches they manage (written by an
 *                     admin through the users service, and the local seed; never from the
 *                     manager's own request); their roles as
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
 * - `challenge#<hash>` SHA-256 of a new-password challenge session handed out at login → its
 *                     username; taken once (`challenges.ts`).
 * - `mfa#<sub>`, `totp#<hash>`, `mfafail#<hash>`: two-factor sign-in (`mfa.ts`): the sealed
 *                     authenticator secret, codes already used, wrong codes counted.
 * - `websession#<hash>` a browser session: SHA-256 of its cookie's id → the user, the roles and
 *                     login time its tokens carry, `lastSeenAt`, `expiresAt` (absolute),
 *                     `revokedAt` once signed out, and its Cognito tokens sealed
 *                     (`web-sessions.ts`, lib/sessions/).
 * - `apikey#<id>`     a personal API key: owner, name, scopes, SHA-256 of the secret, expiry,
 *                     `revokedAt` once deleted. The owner's `user#` record lists the ids of
 *                     their live keys (`apiKeys`), which bounds how many they may hold.
 *
 * Every write to a `user#`, `session#`, `websession#` or `apikey#` record is followed by an entry in the access
 * change log (`ACCESS_CHANGES_TABLE`, lib/access/change-log.ts), which is how warm authorizers
 * learn of it within the revocation bound.
 *
 * Records that end carry `expiresAt` (epoch seconds), the table's TTL attribute on AWS. Where
 * TTL does not run (dynalite), expired records are ignored in code.
 *
 * This folder reads and writes them with the AWS SDK for the services, one module per record
 * kind (`users.ts`, `sessions.ts`, `api-keys.ts`) over one table port (`table.ts`). The authorizer reads
 * them with `authorizers/adapters/dynamodb-lite.ts` (strongly consistent BatchGetItem) through
 * its view (`authorizers/adapters/access-view.ts`); their types and the revocation rule live in
 * `lib/access/records.ts`.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DataConfig } from '../../config';
import { SESSION, USER, readApiKey, readWebSession, snapshotFromItems, type SnapshotReader } from '../records';
import { createApiKeyRecords, type ApiKeyRecords } from './api-keys';
import { createSessionRecords, type SessionRecords } from './sessions';
import { createChallengeRecords, type ChallengeRecords } from './challenges';
import { createWebSessionRecords, type WebSessionRecords } from './web-sessions';
import { createChangeLogWriter } from './change-log';
import { createMfaRecords, type MfaRecords } from './mfa';
import { createAccessTable } from './table';
import type { SecretVault } from '../../secrets/vault';
import { createUserRecords, type UserRecords } from './users';

export * from '../records';
export { TooManyApiKeysError, type ApiKeyRecords } from './api-keys';
export { SessionRevokedError, hashRefreshToken, type SessionRecords } from './sessions';
export type { UserRecords } from './users';
export type { ChallengeRecords, ChallengeName } from './challenges';
export type { MfaRecords } from './mfa';
export type { StoredWebSession, WebSessionRecords } from './web-sessions';

/** Every record kind, and the authorizer's reads (which the services' tests use too). */
export interface AccessStore extends SnapshotReader, UserRecords, SessionRecords, ApiKeyRecords, ChallengeRecords, WebSessionRecords {}

/** The access table (`tables.access`) and the change log every write to it is announced on. */
export type AccessStoreTables = { tables: Pick<DataConfig['tables'], 'access'> } & Pick<DataConfig, 'changeLog'>;

export const createDynamoAccessStore = (client: DynamoDBDocumentClient, config: AccessStoreTables): AccessStore => {
  const table = createAccessTable(client, config.tables.access, createChangeLogWriter(client, config.changeLog));
  return {
    ...createUserRecords(table),
    ...createSessionRecords(table),
    ...createApiKeyRecords(table),
    ...createChallengeRecords(table),
    ...createWebSessionRecords(table),
    snapshot: async (sub, sessionId) => snapshotFromItems(await table.batchGet([USER + sub, SESSION + sessionId]), sub, sessionId),
    apiKey: (keyId) => readApiKey((pk) => table.get(pk), keyId),
    webSession: (hash) => readWebSession((pk) => table.get(pk), hash),
  };
};

/**
 * The two-factor records (`mfa.ts`), for the services that set MFA up: only they hold the secret
 * vault that seals authenticator secrets (lib/secrets/vault.ts).
 */
export const createDynamoMfaRecords = (client: DynamoDBDocumentClient, config: AccessStoreTables, vault: SecretVault): MfaRecords =>
  createMfaRecords(createAccessTable(client, config.tables.access, createChangeLogWriter(client, config.changeLog)), vault);

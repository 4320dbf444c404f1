/**
 * What the gateway keeps for two-factor sign-in, beside the `user#` record's `mfaEnabled`:
 *
 * - `mfa#<sub>`        the user's authenticator secret, sealed by the secret vault
 *                      (lib/secrets/vault.ts), bound to the record and the field
 *                      (`mfa#<sub>#pending`, `mfa#<sub>#secret`): `pending` from setup until a
 *                      code verifies it, then `secret`. The gateway needs it only to check the
 *                      code that turns MFA off (Cognito checks the others and has no call for
 *                      that one). A value that does not open counts as none kept.
 * - `totp#<hash>`      a code used by a user (SHA-256 of username and code), until it can no
 *                      longer be valid: AWS refuses a code used twice, cognito-local does not, so
 *                      the gateway refuses it itself, on login, on verify and on turning MFA off.
 * - `mfafail#<hash>`   wrong codes of a user in the current window (SHA-256 of the username and
 *                      the window): past the limit, every code is refused until the window ends.
 *
 * The authorizer reads none of these, so they are not announced on the change log.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsErrorName } from '../../errors';
import { SealedSecretError, type SealedSecret, type SecretVault } from '../../secrets/vault';
import type { AccessTable } from './table';

export const MFA = 'mfa#';
export const TOTP = 'totp#';
export const MFA_FAILURES = 'mfafail#';

/** Wrong codes a user may give in one window before every code is refused until it ends. */
export const MFA_MAX_FAILURES = 5;
export const MFA_FAILURE_WINDOW_SECONDS = 15 * 60;

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0'), 'utf8').digest('hex');

export interface MfaRecords {
  /** Keep a secret just associated at setup, not yet verified (replaces an earlier pending one). */
  keepPendingSecret(input: { sub: string; secret: string }): Promise<void>;
  /** The pending secret becomes the user's secret (after Cognito verified a code of it); false when none was pending. */
  activatePendingSecret(input: { sub: string }): Promise<boolean>;
  /** The user's verified secret, opened; undefined when none is kept or it does not open. */
  activeSecret(sub: string): Promise<string | undefined>;
  /** Forget the user's secrets (MFA off, or reset by an admin). */
  forgetSecrets(sub: string): Promise<void>;
  /** True the first time this user uses this code (until `expiresAt`, epoch seconds); false for a replay. */
  useCode(input: { username: string; code: string; now: number; expiresAt: number }): Promise<boolean>;
  /** Whether the user has given too many wrong codes in the current window. */
  tooManyFailures(input: { username: string; now: number }): Promise<boolean>;
  /** Count a wrong code of the user in the current window. */
  recordFailure(input: { username: string; now: number }): Promise<void>;
}

export const createMfaRecords = (table: AccessTable, vault: SecretVault): MfaRecords => {
  /** A kept value that does not open (altered, moved from another record, another key) counts as none kept. */
  const open = async (sealed: unknown, context: string): Promise<string | undefined> => {
    if (sealed === undefined) return undefined;
    try {
      return await vault.open(sealed as SealedSecret, context);
    } catch (error) {
      if (error instanceof SealedSecretError) return undefined;
      throw error;
    }
  };
  const failureKey = (username: string, now: number) => MFA_FAILURES + hash(username, String(Math.floor(now / MFA_FAILURE_WINDOW_SECONDS)));
  const windowEnd = (now: number) => (Math.floor(now / MFA_FAILURE_WINDOW_SECONDS) + 1) * MFA_FAILURE_WINDOW_SECONDS;
  return {
    async keepPendingSecret({ sub, secret }) {
      const pk = MFA + sub;
      await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk },
          UpdateExpression: 'SET pending = :pending',
          ExpressionAttributeValues: { ':pending': await vault.seal(secret, `${pk}#pending`) },
        }),
      );
    },

    async activatePendingSecret({ sub }) {
      const pk = MFA + sub;
      const item = (await table.client.send(new GetCommand({ TableName: table.name, Key: { pk }, ConsistentRead: true }))).Item;
      const pending = await open(item?.pending, `${pk}#pending`);
      if (pending === undefined) return false;
      await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk },
          UpdateExpression: 'SET secret = :secret REMOVE pending',
          ExpressionAttributeValues: { ':secret': await vault.seal(pending, `${pk}#secret`) },
        }),
      );
      return true;
    },

    async activeSecret(sub) {
      const pk = MFA + sub;
      const item = await table.get(pk);
      return open(item?.secret, `${pk}#secret`);
    },

    async forgetSecrets(sub) {
      await table.client.send(new DeleteCommand({ TableName: table.name, Key: { pk: MFA + sub } }));
    },

    async useCode({ username, code, now, expiresAt }) {
      // A record whose time is over (dynalite keeps expired items) is used again as new.
      const pk = TOTP + hash(username, code);
      try {
        await table.client.send(
          new PutCommand({
            TableName: table.name,
            Item: { pk, expiresAt },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        return true;
      } catch (error) {
        if (awsErrorName(error) === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },

    async tooManyFailures({ username, now }) {
      const item = await table.get(failureKey(username, now));
      return typeof item?.failures === 'number' && item.failures >= MFA_MAX_FAILURES;
    },

    async recordFailure({ username, now }) {
      await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: failureKey(username, now) },
          UpdateExpression: 'ADD failures :one SET expiresAt = :end',
          ExpressionAttributeValues: { ':one': 1, ':end': windowEnd(now) },
        }),
      );
    },
  };
};

/**
 * `challenge#<hash>` records: the new-password challenges the gateway handed out at login
 * (SHA-256 of Cognito's challenge session → the username, until `expiresAt`). `POST
 * /auth/new-password` takes one, once, for the username it was issued to: Cognito's session
 * lasts minutes and AWS checks it, but cognito-local answers any session, and answers the same
 * one twice. The authorizer never reads these, so they are not announced on the change log.
 */
import { createHash } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccessTable } from './table';

export const CHALLENGE = 'challenge#';

/** How long a challenge may be answered: Cognito's session lasts 3 minutes by default. */
export const CHALLENGE_TTL_SECONDS = 180;

const key = (session: string) => CHALLENGE + createHash('sha256').update(session, 'utf8').digest('hex');

export interface ChallengeRecords {
  recordChallenge(input: { session: string; username: string; expiresAt: number }): Promise<void>;
  /** True once per challenge: issued by the gateway for this username, not expired, not taken before. */
  takeChallenge(input: { session: string; username: string; now: number }): Promise<boolean>;
}

export const createChallengeRecords = (table: AccessTable): ChallengeRecords => ({
  async recordChallenge({ session, username, expiresAt }) {
    await table.client.send(new PutCommand({ TableName: table.name, Item: { pk: key(session), username, expiresAt } }));
  },
  takeChallenge: ({ session, username, now }) =>
    table.conditionally(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: key(session) },
        UpdateExpression: 'SET takenAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND username = :username AND expiresAt > :now AND attribute_not_exists(takenAt)',
        ExpressionAttributeValues: { ':now': now, ':username': username },
      }),
    ),
});

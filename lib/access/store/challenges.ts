/**
 * `challenge#<hash>` records: the challenges the gateway handed out at login (SHA-256 of
 * Cognito's challenge session → the username and the challenge's name, until `expiresAt`).
 * `POST /auth/new-password` and `POST /auth/mfa` each take one of their own kind, once, for the
 * username it was issued to: Cognito's session lasts minutes and AWS checks it, but cognito-local
 * answers any session, of any challenge, and answers the same one twice (an MFA session answered
 * as a new-password one would skip the code there). The authorizer never reads these, so they
 * are not announced on the change log.
 */
import { createHash } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccessTable } from './table';

export const CHALLENGE = 'challenge#';

/** How long a challenge may be answered: Cognito's session lasts 3 minutes by default. */
export const CHALLENGE_TTL_SECONDS = 180;

const key = (session: string) => CHALLENGE + createHash('sha256').update(session, 'utf8').digest('hex');

/** The challenges login hands out: a temporary password's, and MFA's. */
export type ChallengeName = 'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA';

export interface ChallengeRecords {
  recordChallenge(input: { session: string; username: string; expiresAt: number; challenge: ChallengeName }): Promise<void>;
  /** True once per challenge: issued by the gateway for this username and kind, not expired, not taken before. */
  takeChallenge(input: { session: string; username: string; now: number; challenge: ChallengeName }): Promise<boolean>;
}

export const createChallengeRecords = (table: AccessTable): ChallengeRecords => ({
  async recordChallenge({ session, username, expiresAt, challenge }) {
    await table.client.send(new PutCommand({ TableName: table.name, Item: { pk: key(session), username, expiresAt, challenge } }));
  },
  takeChallenge: ({ session, username, now, challenge }) =>
    table.conditionally(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: key(session) },
        UpdateExpression: 'SET takenAt = :now',
        ConditionExpression:
          'attribute_exists(pk) AND username = :username AND expiresAt > :now AND attribute_not_exists(takenAt) AND ' +
          // Records from before challenges were named are new-password ones.
          (challenge === 'NEW_PASSWORD_REQUIRED' ? '(attribute_not_exists(challenge) OR challenge = :challenge)' : 'challenge = :challenge'),
        ExpressionAttributeValues: { ':now': now, ':username': username, ':challenge': challenge },
      }),
    ),
});

/**
 * The services' side of the access change log (lib/access/change-log.ts): after a record the
 * authorizer decides on is written, one entry per read shard says which records changed.
 *
 * The record is written first and the entry after, dated when the record write had returned, so
 * a reader that sees the entry knows that every copy it read before that moment may be stale.
 * If writing the entry took longer than half the readers' look-back (`OVERLAP_MS`), a reader may
 * have moved past its date while it was still invisible: it is written again, dated now.
 * If it cannot be written at all, the call fails (the caller answers 5xx and the change is
 * retried); warm authorizers then still read the record again within `ACCESS_RECORD_MAX_AGE_MS`.
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../../clock';
import {
  CHANGE_RETENTION_SECONDS,
  MAX_KEYS_PER_ENTRY,
  changeBucket,
  changePartition,
  changeSortKey,
  type ChangeLogConfig,
} from '../change-log';
import { ACCESS_VIEW_DEFAULTS } from '../../config';

const WRITE_ATTEMPTS = 4;

export interface ChangeLogWriter {
  /** Record that these access records changed; resolves once every shard holds the entry. */
  changed(pks: readonly string[]): Promise<void>;
}

export const createChangeLogWriter = (client: DynamoDBDocumentClient, config: ChangeLogConfig, clock: Clock = systemClock): ChangeLogWriter => {
  const writeEntry = async (keys: readonly string[]): Promise<void> => {
    const at = clock();
    const id = randomBytes(8).toString('hex');
    const item = (shard: number) => ({
      pk: changePartition(changeBucket(at), shard),
      sk: changeSortKey(at, id),
      at,
      keys: [...keys],
      expiresAt: Math.floor(at / 1000) + CHANGE_RETENTION_SECONDS,
    });
    const shards = Array.from({ length: config.shards }, (_, shard) => shard);
    for (let i = 0; i < shards.length; i += 25) {
      let pending = shards.slice(i, i + 25).map((shard) => ({ PutRequest: { Item: item(shard) } }));
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        if (attempt > WRITE_ATTEMPTS) throw new Error('The access change log could not be written completely');
        if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [config.table]: pending } }));
        pending = (result.UnprocessedItems?.[config.table] ?? []) as typeof pending;
      }
    }
    // Readers look back OVERLAP_MS behind their last poll: an entry that became visible later
    // than half of that after its date might be missed by one of them. Date it again.
    if (clock() - at > ACCESS_VIEW_DEFAULTS.overlapMs / 2) await writeEntry(keys);
  };

  return {
    async changed(pks) {
      const unique = [...new Set(pks)];
      for (let i = 0; i < unique.length; i += MAX_KEYS_PER_ENTRY) await writeEntry(unique.slice(i, i + MAX_KEYS_PER_ENTRY));
    },
  };
};

/**
 * The access change log: how a revocation reaches every warm authorizer within
 * `REVOCATION_MAX_STALENESS_MS` without a database read per request.
 *
 * Every write to a record the authorizer decides on (`user#`, `session#`, `apikey#`) is followed
 * by one log entry naming the records it changed. A warm authorizer keeps the records it has read
 * (authorizers/adapters/access-view.ts) and, at most once per bound, asks the log what changed
 * since it last asked; each record named there that it read before the change is dropped, and
 * read again the next time a decision needs it.
 *
 * Table `ACCESS_CHANGES_TABLE`, key `pk` (partition) + `sk` (sort), TTL on `expiresAt`:
 *
 *   pk  `<bucket>#<shard>`   bucket = floor(epoch ms / 60,000): one partition per minute and
 *                            shard, so no partition grows without end and old ones go cold
 *   sk  `<epoch ms, 15 digits>#<random id>`: a reader asks for `sk > <its cursor>`
 *   at       epoch ms (the writer's clock, taken after the record write returned)
 *   keys     the changed records' `pk`s (at most `MAX_KEYS_PER_ENTRY`)
 *   expiresAt  epoch seconds, `CHANGE_RETENTION_SECONDS` later
 *
 * Reads are sharded, writes are copied: a change is written to every one of the
 * `ACCESS_CHANGES_SHARDS` partitions of its minute, and each authorizer container reads one,
 * chosen at random when it starts. Revocations are rare and reads are many (every warm container,
 * every second), so a change costs `shards` small writes and a poll costs one small read on a
 * partition that only 1/shards of the containers read. README, "The change log at scale", has
 * the numbers.
 *
 * No AWS SDK here: this module is part of the authorizer's bundle.
 */
import type { Item } from './records';

/** The width of one log partition in time. */
export const CHANGE_BUCKET_MS = 60_000;
/** How long an entry is kept: far longer than any reader looks back (`overlapMs`, a resync). */
export const CHANGE_RETENTION_SECONDS = 3600;
/** Entries name at most this many records; a larger change is written as several entries. */
export const MAX_KEYS_PER_ENTRY = 100;

export interface ChangeLogConfig {
  /** `ACCESS_CHANGES_TABLE`. */
  table: string;
  /** `ACCESS_CHANGES_SHARDS`: copies of each entry, one per read shard. */
  shards: number;
}

export interface ChangeEntry {
  /** When the change was made (epoch ms, the writer's clock, after its record write). */
  at: number;
  /** The `pk`s of the records it changed. */
  keys: string[];
}

export const changeBucket = (atMs: number): number => Math.floor(atMs / CHANGE_BUCKET_MS);

export const changePartition = (bucket: number, shard: number): string => `${bucket}#${shard}`;

/** Sort keys order by time; `changeSortKey(ms, '')` is the cursor just before every entry of that ms. */
export const changeSortKey = (atMs: number, id: string): string => `${String(Math.max(0, Math.floor(atMs))).padStart(15, '0')}#${id}`;

/** An entry as stored, or undefined for an item that is not one. */
export const toChangeEntry = (item: Item): ChangeEntry | undefined => {
  const { at, keys } = item;
  if (typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  const list = keys instanceof Set ? [...keys] : Array.isArray(keys) ? keys : undefined;
  if (!list) return undefined;
  return { at, keys: list.filter((key): key is string => typeof key === 'string') };
};

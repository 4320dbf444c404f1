/**
 * A warm authorizer's view of the access records: no database read per decision, and every
 * change seen within `maxStalenessMs` (REVOCATION_MAX_STALENESS_MS, the revocation bound).
 *
 * - The records a decision needs (`user#`, `session#`, `apikey#`, `websession#`; absent ones too) are read once,
 *   strongly consistent, and kept (bounded: authorizers/adapters/bounded-map.ts).
 * - Before a decision, if the view last asked the change log (lib/access/change-log.ts) more than
 *   `maxStalenessMs` ago, it asks now: one Query on its shard of the log, for the entries since
 *   its last poll (minus `overlapMs`, for writers' clocks and late entries). Each record an entry
 *   names that was read before the entry's date (plus `skewMs`) is dropped. One poll at a time.
 *   Past half the bound, a decision starts the next poll and does not wait for it; only a
 *   decision that finds the whole bound passed waits.
 * - A decision is only ever made on kept records when the last poll that succeeded started at
 *   most `maxStalenessMs` ago. The rule that follows: a change whose writer answered at time R is
 *   in the log by R; every poll started after R sees it; every decision after R + bound uses a
 *   poll started after R.
 * - The log cannot be read (error, timeout): the view does not decide on kept records. It reads
 *   the records for that decision, as strict mode does, and the decision is made on them; if
 *   they cannot be read either, the authenticator denies. Never an allow on stale state.
 * - A container that has not polled for `resyncAfterMs` forgets everything rather than reading
 *   the log back; no record is used more than `recordMaxAgeMs` after it was read, log or not.
 * - A read that was under way while a poll finished is used for its decision but not kept: the
 *   poll may have dropped the record while the read's older answer was on its way.
 *
 * No dependencies beyond the small DynamoDB reader: this is part of the authorizer's bundle.
 */
import { changeBucket, changePartition, changeSortKey, toChangeEntry, type ChangeLogConfig } from '../../lib/access/change-log';
import {
  SESSION,
  USER,
  live,
  readApiKey,
  readWebSession,
  snapshotFromItems,
  toSession,
  toUser,
  type AccessSnapshot,
  type Item,
  type ReadCost,
  type SessionRecord,
  type SnapshotReader,
  type UserRecord,
} from '../../lib/access/records';
import { systemClock, type Clock } from '../../lib/clock';
import { ACCESS_VIEW_DEFAULTS, type AuthorizerConfig, type DataConfig } from '../../lib/config';
import type { StructuredLogger } from '../../lib/metrics';
import { createBoundedMap } from './bounded-map';
import { createLiteSnapshotReader, type AfterQueryReader, type BatchGetReader } from './dynamodb-lite';

export interface AccessViewOptions {
  reader: BatchGetReader & AfterQueryReader;
  /** `ACCESS_TABLE`. */
  table: string;
  changeLog: ChangeLogConfig;
  maxStalenessMs: number;
  logger: Pick<StructuredLogger, 'warn'>;
  clock?: Clock;
  /** Which read shard of the log this container polls; random by default. */
  shard?: number;
  overlapMs?: number;
  skewMs?: number;
  resyncAfterMs?: number;
  recordMaxAgeMs?: number;
  maxEntries?: number;
}

export interface AccessViewStats {
  /** Record reads (BatchGetItem round trips). */
  reads: number;
  /** Change-log queries. */
  polls: number;
  pollFailures: number;
  /** Kept records dropped because the log named them. */
  dropped: number;
  /** Records currently kept. */
  kept: number;
}

export interface AccessView extends SnapshotReader {
  stats(): AccessViewStats;
}

interface Kept {
  /** undefined: the record did not exist when read. */
  item: Item | undefined;
  /** The record parsed, once, frozen (null: not a record of its kind). */
  user?: UserRecord | null;
  session?: SessionRecord | null;
  /** When its read started (this container's clock). */
  readAt: number;
}

/** Parsed records are shared by every decision that uses them: nobody may change them. */
const freeze = <T extends object>(record: T | undefined): T | undefined => {
  if (!record) return record;
  for (const value of Object.values(record)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(record);
};

export const createAccessView = (options: AccessViewOptions): AccessView => {
  const { reader, table, changeLog, maxStalenessMs, logger } = options;
  const clock = options.clock ?? systemClock;
  const overlapMs = options.overlapMs ?? ACCESS_VIEW_DEFAULTS.overlapMs;
  const skewMs = options.skewMs ?? ACCESS_VIEW_DEFAULTS.skewMs;
  const resyncAfterMs = options.resyncAfterMs ?? ACCESS_VIEW_DEFAULTS.resyncAfterMs;
  const recordMaxAgeMs = options.recordMaxAgeMs ?? ACCESS_VIEW_DEFAULTS.recordMaxAgeMs;
  const maxEntries = options.maxEntries ?? ACCESS_VIEW_DEFAULTS.maxEntries;
  const shard = options.shard ?? Math.floor(Math.random() * changeLog.shards);
  if (!(maxStalenessMs > 0)) throw new Error('The access view needs a positive maxStalenessMs; 0 is strict mode (read every decision)');

  const kept = createBoundedMap<string, Kept>({ maxEntries });
  /** When the last successful poll started; undefined before the first. */
  let polledAt: number | undefined;
  /** Successful polls so far: a read that saw this change under way is not kept. */
  let generation = 0;
  let polling: Promise<boolean> | undefined;
  const stats = { reads: 0, polls: 0, pollFailures: 0, dropped: 0 };

  const applyEntries = (items: readonly Item[]) => {
    for (const item of items) {
      const entry = toChangeEntry(item);
      if (!entry) continue;
      for (const key of entry.keys) {
        const record = kept.get(key);
        if (record && record.readAt <= entry.at + skewMs) {
          kept.delete(key);
          stats.dropped += 1;
        }
      }
    }
  };

  const poll = (): Promise<boolean> => {
    polling ??= pollOnce().finally(() => {
      polling = undefined;
    });
    return polling;
  };

  const pollOnce = async (): Promise<boolean> => {
    const started = clock();
    try {
      if (polledAt === undefined || started - polledAt > resyncAfterMs) {
        // Nothing kept can be trusted after a gap this long, and nothing needs the log: every
        // record read from now on is read after whatever changed before.
        kept.clear();
      } else {
        const from = polledAt - overlapMs;
        const after = changeSortKey(from, '');
        for (let bucket = changeBucket(from); bucket <= changeBucket(started + skewMs); bucket += 1) {
          stats.polls += 1;
          applyEntries(await reader.queryAfter(changeLog.table, changePartition(bucket, shard), after));
        }
      }
      polledAt = started;
      generation += 1;
      return true;
    } catch (error) {
      stats.pollFailures += 1;
      logger.warn('access change log unavailable', { errorName: (error as Error)?.name });
      return false;
    }
  };

  /**
   * The time now, if kept records may decide (the last good poll started within the bound);
   * undefined if not. Past half the bound, it also starts the next poll without the decision
   * waiting for it: under steady traffic no decision waits on the log. (A decision made meanwhile
   * uses the previous poll, still within the bound; a Lambda frozen between invocations finishes
   * the poll when it thaws, and a decision that finds the bound passed waits for that same poll.)
   */
  const freshNow = (): number | undefined => {
    if (polledAt === undefined) return undefined;
    const now = clock();
    if (now - polledAt > maxStalenessMs) return undefined;
    if (!polling && now - polledAt > maxStalenessMs / 2) void poll();
    return now;
  };

  /** A kept record young enough to use. */
  const usable = (pk: string, now: number): Kept | undefined => {
    const record = kept.get(pk);
    return record && now - record.readAt <= recordMaxAgeMs ? record : undefined;
  };

  /** Whether kept records may decide: fresh now, or after the poll this decision waits for. */
  const fresh = async (cost: ReadCost | undefined): Promise<boolean> => {
    if (freshNow() !== undefined) return true;
    const before = stats.polls;
    const ok = await poll();
    // The decision that waited for the poll is charged with its queries.
    if (cost) cost.polls += stats.polls - before;
    return ok;
  };

  /** Every record from what is kept, when the view is fresh and keeps them all: no await at all. */
  const keptOnly = (pks: readonly string[]): Map<string, Item> | undefined => {
    const now = freshNow();
    if (now === undefined) return undefined;
    const found = new Map<string, Item>();
    for (const pk of pks) {
      const record = usable(pk, now);
      if (!record) return undefined;
      if (record.item) found.set(pk, record.item);
    }
    return found;
  };

  const read = async (pks: readonly string[], cost: ReadCost | undefined): Promise<Map<string, Item>> => {
    const trusted = await fresh(cost);
    const now = clock();
    const found = new Map<string, Item>();
    const missing: string[] = [];
    for (const pk of pks) {
      const record = trusted ? usable(pk, now) : undefined;
      if (!record) missing.push(pk);
      else if (record.item) found.set(pk, record.item);
    }
    if (missing.length === 0) return found;

    const readAt = clock();
    const readGeneration = generation;
    stats.reads += 1;
    if (cost) cost.reads += 1;
    const items = await reader.batchGet(table, missing);
    const keep = trusted && generation === readGeneration;
    for (const pk of missing) {
      const item = items.get(pk);
      if (item) found.set(pk, item);
      if (keep) kept.set(pk, { item, readAt });
    }
    return found;
  };

  /** The snapshot from kept records alone, parsed once per read: the warm path, no await. */
  const keptSnapshot = (sub: string, sessionId: string): AccessSnapshot | undefined => {
    const now = freshNow();
    if (now === undefined) return undefined;
    const userKept = usable(USER + sub, now);
    const sessionKept = userKept && usable(SESSION + sessionId, now);
    if (!userKept || !sessionKept) return undefined;
    if (userKept.user === undefined) userKept.user = freeze(toUser(userKept.item)) ?? null;
    const snapshot: AccessSnapshot = {};
    if (userKept.user) snapshot.user = userKept.user;
    // Whether a session record has expired depends on the time: checked every decision.
    if (live(sessionKept.item)) {
      if (sessionKept.session === undefined) sessionKept.session = freeze(toSession(sessionKept.item)) ?? null;
      if (sessionKept.session) snapshot.session = sessionKept.session;
    }
    return snapshot;
  };

  return {
    snapshot: (sub, sessionId, cost) => {
      const warm = keptSnapshot(sub, sessionId);
      if (warm) return Promise.resolve(warm);
      return read([USER + sub, SESSION + sessionId], cost).then((items) => snapshotFromItems(items, sub, sessionId));
    },
    apiKey: (keyId, cost) => readApiKey(async (pk) => (keptOnly([pk]) ?? (await read([pk], cost))).get(pk), keyId),
    webSession: (hash, cost) => readWebSession(async (pk) => (keptOnly([pk]) ?? (await read([pk], cost))).get(pk), hash),
    stats: () => ({ ...stats, kept: kept.size }),
  };
};

/**
 * What the authorizer decides on: the warm view (the default), or, with `maxStalenessMs` 0
 * (strict), a read of the records for every decision.
 */
export const accessRecords = (
  reader: BatchGetReader & AfterQueryReader,
  data: { tables: Pick<DataConfig['tables'], 'access'> } & Pick<DataConfig, 'changeLog'>,
  config: Pick<AuthorizerConfig, 'maxStalenessMs'>,
  logger: Pick<StructuredLogger, 'warn'>,
): SnapshotReader =>
  config.maxStalenessMs === 0
    ? createLiteSnapshotReader(reader, data.tables.access)
    : createAccessView({ reader, table: data.tables.access, changeLog: data.changeLog, maxStalenessMs: config.maxStalenessMs, logger });

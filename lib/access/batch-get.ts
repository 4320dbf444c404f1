/**
 * The one BatchGetItem loop, for the services' SDK client and the authorizer's own reader:
 * DynamoDB may leave keys unprocessed under load; they are asked for again, a bounded number of
 * times, and then the read fails (the authorizer denies on failure). No AWS SDK here: this
 * module is part of the authorizer's bundle.
 */
import type { Item } from './records';

export const BATCH_GET_ATTEMPTS = 3;

/** One BatchGetItem call: the items it returned and the keys it left unprocessed. */
export type BatchGetPage = (pks: readonly string[]) => Promise<{ items: readonly Item[]; unprocessed: readonly string[] }>;

export const batchGetAll = async (pks: readonly string[], page: BatchGetPage, attempts = BATCH_GET_ATTEMPTS): Promise<Map<string, Item>> => {
  const found = new Map<string, Item>();
  let pending = [...new Set(pks)];
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    if (attempt > attempts) throw new Error('Access records could not be read completely');
    const { items, unprocessed } = await page(pending);
    for (const item of items) if (typeof item.pk === 'string') found.set(item.pk, item);
    pending = [...unprocessed];
  }
  return found;
};

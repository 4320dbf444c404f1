/**
 * The authorizer's view of the access records (authorizers/adapters/access-view.ts) against an
 * in-process dynalite: the services' real store writes records and change-log entries, the
 * authorizer's real small reader reads and polls. Real time, with a short bound (150 ms), so the
 * entries' dates and the view's reads share one clock as they do on AWS.
 *
 * What is held: a kept record costs no read; every change the store makes is seen once the
 * bound has passed, whatever its kind and order; a change that was never announced still
 * arrives within the record age limit; an unreadable log never lets a decision use kept
 * records; strict mode reads every time.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { accessRecords, createAccessView, type AccessView } from '../../authorizers/adapters/access-view';
import { createBatchGetReader, type AfterQueryReader, type BatchGetReader } from '../../authorizers/adapters/dynamodb-lite';
import { changeBucket, changePartition, changeSortKey } from '../../lib/access/change-log';
import { APIKEY, SESSION, USER, revocationReason, type ReadCost } from '../../lib/access/records';
import { epochSeconds } from '../../lib/clock';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';

let table: LocalAccessTable;
let reader: BatchGetReader & AfterQueryReader;
beforeAll(async () => {
  table = await startAccessTable('access', { shards: 2 });
  reader = createBatchGetReader(
    { region: 'us-east-1', endpoint: table.endpoint, requestTimeoutMs: 2000, maxAttempts: 1 },
    { credentials: () => ({ accessKeyId: 'x', secretAccessKey: 'x' }) },
  );
});
afterAll(() => table.stop());

const BOUND_MS = 150;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pastBound = () => sleep(BOUND_MS + 30);
const silent = { warn: () => undefined };

const view = (options: Partial<Parameters<typeof createAccessView>[0]> = {}): AccessView =>
  createAccessView({
    reader,
    table: table.tableName,
    changeLog: { table: table.changesTableName, shards: 2 },
    maxStalenessMs: BOUND_MS,
    logger: silent,
    // Writers and the view share this process's clock: no skew to allow for (the default, 1 s,
    // would drop, once, every record read within a second after a change; tested below).
    skewMs: 0,
    ...options,
  });

const newUser = async (branches: string[] = ['1']) => {
  const id = randomUUID().slice(0, 8);
  const user = { sub: `sub-${id}`, username: `user-${id}@example.com`, branches };
  await table.store.putUser(user);
  return user;
};

/** A decision's snapshot, its round trips (record reads and log queries), and its record reads alone. */
const snapshotCost = async (accessView: AccessView, sub: string, sessionId: string) => {
  const cost: ReadCost = { reads: 0, polls: 0 };
  const before = accessView.stats();
  const snapshot = await accessView.snapshot(sub, sessionId, cost);
  const after = accessView.stats();
  assert.equal(cost.reads, after.reads - before.reads, 'the decision is charged with every read it waited for');
  // A poll started ahead of the bound runs without the decision waiting: not charged to it.
  assert.ok(cost.polls <= after.polls - before.polls, 'charged only with polls that ran');
  return { snapshot, reads: cost.reads, roundTrips: cost.reads + cost.polls };
};

describe('the access view', () => {
  it('reads a principal once, then decides on what it kept with no read', async () => {
    const user = await newUser();
    const accessView = view();
    const first = await snapshotCost(accessView, user.sub, 'session-a');
    assert.equal(first.reads, 1);
    assert.deepEqual(first.snapshot.user?.branches, ['1']);
    for (let i = 0; i < 20; i += 1) assert.equal((await snapshotCost(accessView, user.sub, 'session-a')).reads, 0);
    await pastBound();
    // A poll of the log, no record read: nothing changed.
    const polled = await snapshotCost(accessView, user.sub, 'session-a');
    // One poll: one query, two when its look-back spans a minute boundary.
    assert.equal(polled.reads, 0);
    assert.ok(polled.roundTrips >= 1 && polled.roundTrips <= 2, `${polled.roundTrips} queries`);
    assert.ok(accessView.stats().polls >= 1);
  });

  it('sees a logout once the bound has passed, re-reading only the record that changed', async () => {
    const user = await newUser();
    const other = await newUser();
    const accessView = view();
    await snapshotCost(accessView, user.sub, 'session-b');
    await snapshotCost(accessView, other.sub, 'session-other');
    await table.store.revokeSession({ sessionId: 'session-b', sub: user.sub, expiresAt: epochSeconds() + 3600 });
    await pastBound();
    const after = await snapshotCost(accessView, user.sub, 'session-b');
    assert.equal(after.reads, 1);
    assert.ok(after.snapshot.session?.revokedAt !== undefined, 'the revoked session is seen');
    assert.equal((await snapshotCost(accessView, other.sub, 'session-other')).reads, 0, 'another user is not read again');
  });

  it('sees each kind of user change once the bound has passed: disable, enable, role change, branches', async () => {
    const user = await newUser(['1']);
    const accessView = view();
    const token = { issuedAt: epochSeconds() - 10, authTime: epochSeconds() - 10 };
    const decide = async () => revocationReason((await accessView.snapshot(user.sub, 'session-c')), token);
    assert.equal(await decide(), undefined);

    // As the users service disables: the cut-off, then the flag.
    await table.store.raiseCutOff({ sub: user.sub, username: user.username, kind: 'disabledAt', at: epochSeconds() });
    await table.store.setDisabled({ sub: user.sub, username: user.username, disabled: true, versionMs: Date.now() });
    await pastBound();
    assert.equal(await decide(), 'user_disabled');

    await table.store.setDisabled({ sub: user.sub, username: user.username, disabled: false, versionMs: Date.now() });
    await pastBound();
    // The disable's cut-off stays: this login was made before it.
    assert.equal(await decide(), 'user_disabled');

    const fresh = { issuedAt: epochSeconds() + 1, authTime: epochSeconds() + 1 };

    assert.equal(revocationReason(await accessView.snapshot(user.sub, 'session-c2'), fresh), undefined);
    await table.store.raiseCutOff({ sub: user.sub, username: user.username, kind: 'rolesChangedAt', at: epochSeconds() + 1 });
    await pastBound();
    assert.equal(revocationReason(await accessView.snapshot(user.sub, 'session-c2'), fresh), 'roles_changed');

    await table.store.putUser({ ...user, branches: ['2'] });
    await pastBound();
    assert.deepEqual((await accessView.snapshot(user.sub, 'session-c2')).user?.branches, ['2']);
  });

  it("sees an API key's revocation and its owner's sign-out once the bound has passed", async () => {
    const owner = await newUser();
    const id = randomUUID().replace(/-/g, '').slice(0, 20);
    const createdAt = epochSeconds() - 5;
    await table.store.createApiKey({
      key: { id, owner: owner.sub, ownerUsername: owner.username, name: 'k', scopes: ['profile:read'], secretHash: 'x', createdAt, expiresAt: createdAt + 3600 },
      ownerRoles: ['customer'],
      maxLive: 10,
    });
    const accessView = view();
    assert.equal((await accessView.apiKey(id)).key?.revokedAt, undefined);
    const cost: ReadCost = { reads: 0, polls: 0 };
    await accessView.apiKey(id, cost);
    assert.equal(cost.reads, 0, 'a kept key and owner cost no read');

    await table.store.raiseCutOff({ sub: owner.sub, username: owner.username, kind: 'signedOutAt', at: epochSeconds() });
    await pastBound();
    assert.ok((await accessView.apiKey(id)).owner?.signedOutAt !== undefined);

    assert.equal(await table.store.revokeApiKey({ owner: owner.sub, keyId: id }), true);
    await pastBound();
    assert.ok((await accessView.apiKey(id)).key?.revokedAt !== undefined);
  });

  it("keeps a browser session and its user with no read per decision, and sees its sign-out and its user's disable once the bound has passed", async () => {
    const owner = await newUser();
    const hash = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
    const now = epochSeconds();
    const sealed = { v: 1 as const, key: 'k', iv: 'i', data: 'd', tag: 't' };
    await table.store.createWebSession({ hash, sub: owner.sub, username: owner.username, roles: ['customer'], authTime: now - 5, rolesTakenAt: now - 5, now, expiresAt: now + 3600, tokens: sealed, accessExpiresAt: now + 3600 });
    const accessView = view();
    const first = await accessView.webSession(hash);
    assert.equal(first.session?.sub, owner.sub);
    assert.deepEqual(first.user?.branches, ['1']);
    const cost: ReadCost = { reads: 0, polls: 0 };
    await accessView.webSession(hash, cost);
    assert.equal(cost.reads, 0, 'a kept session and user cost no read');

    await table.store.revokeWebSession({ hash, now: epochSeconds() });
    await pastBound();
    assert.ok((await accessView.webSession(hash)).session?.revokedAt !== undefined);

    await table.store.raiseCutOff({ sub: owner.sub, username: owner.username, kind: 'disabledAt', at: epochSeconds() });
    await pastBound();
    assert.ok((await accessView.webSession(hash)).user?.disabledAt !== undefined);
  });

  it("reads again a record read within the writers' clock skew after a change (it may predate it), until a read is clear of it", async () => {
    const user = await newUser();
    const accessView = view({ skewMs: 1000 });
    assert.equal((await snapshotCost(accessView, user.sub, 'session-skew')).reads, 1);
    await pastBound();
    // putUser's entry is dated less than 1 s before this view's read: read again.
    assert.equal((await snapshotCost(accessView, user.sub, 'session-skew')).reads, 1);
    await sleep(1050);
    await snapshotCost(accessView, user.sub, 'session-skew');
    await pastBound();
    assert.equal((await snapshotCost(accessView, user.sub, 'session-skew')).reads, 0);
  });

  it('keeps a record the log never named only for the record age limit', async () => {
    const user = await newUser(['1']);
    const accessView = view({ recordMaxAgeMs: 800 });
    await accessView.snapshot(user.sub, 'session-d');
    // Written behind the store's back: no log entry.
    await table.set(USER + user.sub, { branches: ['9'] });
    await pastBound();
    assert.deepEqual((await accessView.snapshot(user.sub, 'session-d')).user?.branches, ['1'], 'kept: nothing announced it');
    await sleep(850);
    assert.deepEqual((await accessView.snapshot(user.sub, 'session-d')).user?.branches, ['9'], 'read again past the age limit');
  });

  it('applies an entry that became visible after a poll had passed its date (a slow writer)', async () => {
    const user = await newUser(['1']);
    const accessView = view({ shard: 0 });
    await accessView.snapshot(user.sub, 'session-e');
    await table.set(USER + user.sub, { branches: ['5'] });
    const at = Date.now();
    await pastBound();
    await accessView.snapshot(user.sub, 'session-e'); // polls past `at`: nothing there yet
    // The entry, dated before the poll that just ran, becomes visible only now.
    await table.documents.send(
      new PutCommand({
        TableName: table.changesTableName,
        Item: { pk: changePartition(changeBucket(at), 0), sk: changeSortKey(at, 'late'), at, keys: [USER + user.sub], expiresAt: epochSeconds() + 3600 },
      }),
    );
    await pastBound();
    assert.deepEqual((await accessView.snapshot(user.sub, 'session-e')).user?.branches, ['5']);
  });

  it('never decides on kept records while the log cannot be read: each decision reads, and a failed read fails', async () => {
    const user = await newUser();
    let logDown = false;
    let recordsDown = false;
    const flaky: BatchGetReader & AfterQueryReader = {
      batchGet: (t, pks) => (recordsDown ? Promise.reject(new Error('ProvisionedThroughputExceededException')) : reader.batchGet(t, pks)),
      queryAfter: (t, pk, after) => (logDown ? Promise.reject(new Error('ServiceUnavailable')) : reader.queryAfter(t, pk, after)),
    };
    const warnings: string[] = [];
    const accessView = view({ reader: flaky, logger: { warn: (message) => warnings.push(message) } });
    await accessView.snapshot(user.sub, 'session-f');
    await pastBound();
    logDown = true;
    await table.store.revokeSession({ sessionId: 'session-f', sub: user.sub, expiresAt: epochSeconds() + 3600 });
    for (let i = 0; i < 3; i += 1) {
      const { snapshot, reads } = await snapshotCost(accessView, user.sub, 'session-f');
      assert.equal(reads, 1, 'read for this decision');
      assert.ok(snapshot.session?.revokedAt !== undefined, 'the revocation is seen without the log');
    }
    assert.ok(warnings.includes('access change log unavailable'));
    recordsDown = true;
    await assert.rejects(accessView.snapshot(user.sub, 'session-f'));
    recordsDown = false;
    logDown = false;
    assert.ok((await accessView.snapshot(user.sub, 'session-f')).session?.revokedAt !== undefined);
  });

  it('starts the next poll past half the bound without making the decision wait for it', async () => {
    const user = await newUser();
    const slowLog: BatchGetReader & AfterQueryReader = {
      batchGet: (t, pks) => reader.batchGet(t, pks),
      queryAfter: async (t, pk, after) => {
        await sleep(120);
        return reader.queryAfter(t, pk, after);
      },
    };
    const accessView = view({ reader: slowLog });
    await accessView.snapshot(user.sub, 'session-ahead'); // first poll (a resync: no query) and the read
    await sleep(BOUND_MS / 2 + 20);
    const started = Date.now();
    const { reads, roundTrips } = await snapshotCost(accessView, user.sub, 'session-ahead');
    // The query takes 120 ms: a decision that waited for it would take at least that.
    assert.ok(Date.now() - started < 100, `the decision waited ${Date.now() - started} ms`);
    assert.deepEqual([reads, roundTrips], [0, 0]);
    await sleep(150);
    // Its queries (two when the look-back spans a minute boundary) ran meanwhile.
    assert.ok(accessView.stats().polls >= 1, 'the poll ran meanwhile');
  });

  it('forgets everything after a long gap without polls instead of reading the log back', async () => {
    const user = await newUser(['1']);
    const accessView = view({ resyncAfterMs: 250 });
    await accessView.snapshot(user.sub, 'session-g');
    await table.set(USER + user.sub, { branches: ['7'] }); // not announced
    await sleep(300);
    const pollsBefore = accessView.stats().polls;
    assert.deepEqual((await accessView.snapshot(user.sub, 'session-g')).user?.branches, ['7']);
    assert.equal(accessView.stats().polls, pollsBefore, 'no query: a resync needs none');
  });

  it('strict mode (REVOCATION_MAX_STALENESS_MS=0) reads the records for every decision', async () => {
    const user = await newUser();
    const strict = accessRecords(reader, { tables: { access: table.tableName }, changeLog: { table: table.changesTableName, shards: 2 } }, { maxStalenessMs: 0 }, silent);
    for (let i = 0; i < 3; i += 1) {
      const cost: ReadCost = { reads: 0, polls: 0 };
      await strict.snapshot(user.sub, 's', cost);
      assert.equal(cost.reads, 1);
    }
  });

  it('matches a strict read after every step of a random sequence of changes, once the bound has passed', async () => {
    const seed = Date.now() % 100_000;
    let state = seed;
    const random = () => ((state = (state * 48_271) % 2_147_483_647) / 2_147_483_647);
    const users = [await newUser(['1']), await newUser(['2'])];
    const sessions = ['seq-1', 'seq-2', 'seq-3'];
    const accessView = view();
    const strict = accessRecords(reader, { tables: { access: table.tableName }, changeLog: { table: table.changesTableName, shards: 2 } }, { maxStalenessMs: 0 }, silent);
    const steps: string[] = [];
    for (let step = 0; step < 12; step += 1) {
      const user = users[Math.floor(random() * users.length)]!;
      const session = sessions[Math.floor(random() * sessions.length)]!;
      const action = Math.floor(random() * 5);
      if (action === 0) await table.store.revokeSession({ sessionId: session, sub: user.sub, expiresAt: epochSeconds() + 3600 });
      if (action === 1) await table.store.raiseCutOff({ sub: user.sub, username: user.username, kind: 'signedOutAt', at: epochSeconds() });
      if (action === 2) await table.store.setDisabled({ sub: user.sub, username: user.username, disabled: random() < 0.5, versionMs: Date.now() });
      if (action === 3) await table.store.putUser({ ...user, branches: [String(1 + Math.floor(random() * 3))] });
      if (action === 4) await table.store.syncRoles({ sub: user.sub, username: user.username, roles: random() < 0.5 ? ['customer'] : ['branch-manager'], versionMs: Date.now() });
      steps.push(`${action}:${user.sub}:${session}`);
      await pastBound();
      for (const u of users) {
        for (const s of sessions) {
          assert.deepEqual(await accessView.snapshot(u.sub, s), await strict.snapshot(u.sub, s), `seed ${seed}, after ${steps.join(' ')}: ${u.sub}/${s}`);
        }
      }
    }
  });
});

describe('the change log written by the store', () => {
  it('copies each change to every read shard, naming the records it changed', async () => {
    const user = await newUser();
    const sessionId = `shard-check-${randomUUID()}`;
    await table.store.revokeSession({ sessionId, sub: user.sub, expiresAt: epochSeconds() + 3600 });
    const entries = (await table.changes()).filter((item) => JSON.stringify(item.keys).includes(sessionId));
    assert.equal(entries.length, 2);
    assert.deepEqual(new Set(entries.map((entry) => String(entry.pk).split('#')[1])), new Set(['0', '1']));
    for (const entry of entries) assert.deepEqual(entry.keys, [SESSION + sessionId]);
  });

  it('announces nothing when a conditional write changed nothing (a cut-off already further ahead)', async () => {
    const user = await newUser();
    await table.store.raiseCutOff({ sub: user.sub, username: user.username, kind: 'signedOutAt', at: epochSeconds() + 100 });
    const count = async () => (await table.changes()).filter((item) => JSON.stringify(item.keys).includes(user.sub)).length;
    const before = await count();
    await table.store.raiseCutOff({ sub: user.sub, username: user.username, kind: 'signedOutAt', at: epochSeconds() });
    assert.equal(await count(), before);
  });

  it('names an API key and its owner when the key is made', async () => {
    const owner = await newUser();
    const id = randomUUID().replace(/-/g, '').slice(0, 20);
    const createdAt = epochSeconds();
    await table.store.createApiKey({
      key: { id, owner: owner.sub, ownerUsername: owner.username, name: 'k', scopes: ['profile:read'], secretHash: 'x', createdAt, expiresAt: createdAt + 3600 },
      ownerRoles: ['customer'],
      maxLive: 10,
    });
    const entry = (await table.changes()).find((item) => JSON.stringify(item.keys).includes(id));
    assert.deepEqual(entry?.keys, [APIKEY + id, USER + owner.sub]);
  });
});

/**
 * The access store (lib/access/store/) by record kind: sessions, API keys, users. The real
 * `createDynamoAccessStore` against an in-process dynalite, so conditional writes, set updates
 * and BatchGetItem are DynamoDB's own. The pure rules and the snapshot cache are in
 * access-store.test.ts; the trigger's and the event sync's use of the store in
 * cognito-events.test.ts.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  APIKEY,
  REFRESH,
  SESSION,
  SessionRevokedError,
  TooManyApiKeysError,
  USER,
  CUT_OFF_KINDS,
  hashRefreshToken,
  stringList,
  type ApiKeyRecord,
  type Item,
} from '../../lib/access/store';
import { epochSeconds } from '../../lib/clock';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';

let table: LocalAccessTable;
beforeAll(async () => {
  table = await startAccessTable();
});
afterAll(() => table.stop());

const store = () => table.store;
const now = () => epochSeconds();
const DAY = 86_400;

const newUser = () => {
  const id = randomUUID().slice(0, 8);
  return { sub: `sub-${id}`, username: `user-${id}@example.com` };
};
const newSessionId = () => `jti-${randomUUID()}`;

/** The attributes of a stored record that the test is about. */
const pick = (item: Item | undefined, ...names: string[]) => Object.fromEntries(names.map((name) => [name, item?.[name]]));

/** A complete key record of `owner`, live for 30 days unless overridden. */
const keyRecord = (owner: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id: randomBytes(10).toString('hex'),
  owner,
  ownerUsername: `${owner}@example.com`,
  name: 'a key',
  scopes: ['profile:read'],
  secretHash: randomBytes(32).toString('hex'),
  createdAt: now(),
  expiresAt: now() + 30 * DAY,
  ...overrides,
});
const withoutId = ({ id: _id, ...rest }: ApiKeyRecord) => rest;

/** The ids the owner's `user#` record lists, sorted. */
const listedIds = async (owner: string) => stringList((await table.raw(USER + owner))?.apiKeys).sort();

describe('sessions', () => {
  it('finds the session a refresh token was issued for, with its user and login time, and stores only the token\'s hash', async () => {
    // Prepare
    const { sub } = newUser();
    const sessionId = newSessionId();
    const refreshToken = `rt-${randomUUID()}`;
    // Act
    await store().recordLogin({ sessionId, sub, refreshToken, issuedAt: 1_700_000_000, expiresAt: now() + DAY });
    // Assess
    assert.deepEqual(await store().sessionForRefreshToken(refreshToken), { sessionId, sub, issuedAt: 1_700_000_000, children: [] });
    assert.equal(await store().sessionForRefreshToken(`rt-${randomUUID()}`), undefined);
    const stored = await table.raw(REFRESH + hashRefreshToken(refreshToken));
    assert.ok(stored, 'the link is keyed by the hash');
    assert.ok(!JSON.stringify(stored).includes(refreshToken), 'the refresh token itself is stored nowhere');
  });

  it('links a refreshed token to its login: the login lists it, it names the login, and it lives as long as the token', async () => {
    const { sub } = newUser();
    const [root, child] = [newSessionId(), newSessionId()];
    const refreshToken = `rt-${randomUUID()}`;
    const t = now();
    await store().recordLogin({ sessionId: root, sub, refreshToken, issuedAt: t, expiresAt: t + DAY });

    await store().linkRefreshedToken({ rootSessionId: root, sessionId: child, sub, tokenExpiresAt: t + 3600, sessionExpiresAt: t + DAY });

    assert.deepEqual((await store().sessionForRefreshToken(refreshToken))?.children, [child]);
    assert.deepEqual(pick(await table.raw(SESSION + child), 'parent', 'sub', 'expiresAt'), { parent: root, sub, expiresAt: t + 3600 });
    assert.equal((await table.raw(SESSION + root))?.expiresAt, t + DAY, "the login's record expires with its refresh token, never stays forever");
  });

  it('refuses to link a token to a login revoked before (SessionRevokedError), and records no child', async () => {
    const { sub } = newUser();
    const [root, child] = [newSessionId(), newSessionId()];
    await store().linkRefreshedToken({ rootSessionId: root, sessionId: newSessionId(), sub, tokenExpiresAt: now() + 3600, sessionExpiresAt: now() + DAY });
    await store().revokeSession({ sessionId: root, sub, expiresAt: now() + DAY });

    await assert.rejects(
      store().linkRefreshedToken({ rootSessionId: root, sessionId: child, sub, tokenExpiresAt: now() + 3600, sessionExpiresAt: now() + DAY }),
      SessionRevokedError,
    );

    assert.ok(!stringList((await table.raw(SESSION + root))?.children).includes(child));
    assert.equal(await table.raw(SESSION + child), undefined);
  });

  it('with one session id across refreshes (origin_jti): links nothing, and refuses once that session is revoked', async () => {
    const { sub } = newUser();
    const sessionId = newSessionId();
    await store().linkRefreshedToken({ rootSessionId: sessionId, sessionId, sub, tokenExpiresAt: now() + 3600, sessionExpiresAt: now() + DAY });
    assert.equal(await table.raw(SESSION + sessionId), undefined, 'nothing to link');

    await store().revokeSession({ sessionId, sub, expiresAt: now() + DAY });

    await assert.rejects(store().linkRefreshedToken({ rootSessionId: sessionId, sessionId, sub, tokenExpiresAt: now() + 3600, sessionExpiresAt: now() + DAY }), SessionRevokedError);
  });

  it('revokes, from any one token of a login, that token, the login and every token refreshed from it; other logins stay', async () => {
    // Prepare: one login with three refreshed tokens, and another login of the same user
    const { sub } = newUser();
    const [root, a, b, c, other] = [newSessionId(), newSessionId(), newSessionId(), newSessionId(), newSessionId()];
    for (const child of [a, b, c]) await store().linkRefreshedToken({ rootSessionId: root, sessionId: child, sub, tokenExpiresAt: now() + 3600, sessionExpiresAt: now() + DAY });
    await store().linkRefreshedToken({ rootSessionId: other, sessionId: newSessionId(), sub, tokenExpiresAt: now() + 3600, sessionExpiresAt: now() + DAY });
    // Act
    await store().revokeSession({ sessionId: b, sub, expiresAt: now() + DAY });
    // Assess
    for (const sessionId of [root, a, b, c]) {
      assert.notEqual((await store().snapshot(sub, sessionId)).session?.revokedAt, undefined, `${sessionId} is revoked`);
    }
    assert.equal((await store().snapshot(sub, other)).session?.revokedAt, undefined);
  });

  it('never shortens a record\'s life when revoking, and keeps the first revocation time', async () => {
    // Prepare: a refreshed token's record that lives 10 days, revoked once already at 1234
    const { sub } = newUser();
    const [root, child] = [newSessionId(), newSessionId()];
    const t = now();
    await store().linkRefreshedToken({ rootSessionId: root, sessionId: child, sub, tokenExpiresAt: t + 10 * DAY, sessionExpiresAt: t + 10 * DAY });
    await table.set(SESSION + child, { revokedAt: 1234 });
    // Act: revoke asking for 1 day only
    await store().revokeSession({ sessionId: child, sub, expiresAt: t + DAY });
    // Assess
    assert.deepEqual(pick(await table.raw(SESSION + child), 'expiresAt', 'revokedAt'), { expiresAt: t + 10 * DAY, revokedAt: 1234 });
    assert.equal((await table.raw(SESSION + root))?.expiresAt, t + 10 * DAY, "the login's record keeps the longer life it had");

    await store().revokeSession({ sessionId: child, sub, expiresAt: t + 20 * DAY });

    assert.deepEqual(pick(await table.raw(SESSION + child), 'expiresAt', 'revokedAt'), { expiresAt: t + 20 * DAY, revokedAt: 1234 }, 'a longer life is taken');
  });

  it('reads an expired record as absent: a session, a refresh token\'s link, an API key', async () => {
    const { sub } = newUser();
    const sessionId = newSessionId();
    const refreshToken = `rt-${randomUUID()}`;
    await table.put({ pk: SESSION + sessionId, sub, revokedAt: now() - 100, children: new Set(['x']), expiresAt: now() - 1 });
    await store().recordLogin({ sessionId, sub, refreshToken, issuedAt: now() - 100, expiresAt: now() - 1 });
    const key = keyRecord(sub, { expiresAt: now() - 1 });
    await table.put({ pk: APIKEY + key.id, ...withoutId(key) });

    assert.equal((await store().snapshot(sub, sessionId)).session, undefined);
    assert.equal(await store().sessionForRefreshToken(refreshToken), undefined);
    assert.deepEqual(await store().apiKey(key.id), {});
  });

  it('snapshot reads the user and the session in one BatchGetItem', async () => {
    // Prepare
    const user = newUser();
    const [root, child] = [newSessionId(), newSessionId()];
    await store().putUser({ ...user, branches: ['7'] });
    await store().raiseCutOff({ ...user, kind: 'signedOutAt', at: 1000 });
    await store().linkRefreshedToken({ rootSessionId: root, sessionId: child, sub: user.sub, tokenExpiresAt: now() + 3600, sessionExpiresAt: now() + DAY });
    await store().revokeSession({ sessionId: child, sub: user.sub, expiresAt: now() + DAY });
    const before = table.sent.length;
    // Act
    const snapshot = await store().snapshot(user.sub, child);
    // Assess
    assert.deepEqual(table.sent.slice(before), ['BatchGetItemCommand']);
    assert.deepEqual(snapshot.user, { ...user, branches: ['7'], signedOutAt: 1000 });
    assert.equal(snapshot.session?.sessionId, child);
    assert.equal(snapshot.session?.parent, root);
    assert.equal(typeof snapshot.session?.revokedAt, 'number');
    assert.deepEqual(await store().snapshot('sub-nobody', 'no-session'), {});
  });
});

describe('API keys', () => {
  it('stores a key, lists it under its owner, and reads it back by id with its owner', async () => {
    const user = newUser();
    const key = keyRecord(user.sub, { ownerUsername: user.username });

    await store().createApiKey({ key, ownerRoles: ['customer'], maxLive: 20 });

    assert.deepEqual(await listedIds(user.sub), [key.id]);
    assert.deepEqual(await store().listApiKeys(user.sub), [key]);
    assert.deepEqual(await store().apiKey(key.id), { key, owner: { ...user, branches: [], roles: ['customer'] } });
  });

  it('fills in the owner\'s roles only when none are recorded: the roles the trigger recorded win', async () => {
    const fresh = newUser();
    await store().createApiKey({ key: keyRecord(fresh.sub), ownerRoles: ['branch-manager'], maxLive: 20 });
    assert.deepEqual((await store().getUser(fresh.sub))?.roles, ['branch-manager']);

    const known = newUser();
    await store().putUser({ ...known, branches: ['3'] });
    await store().syncRoles({ ...known, roles: ['customer'], versionMs: Date.now() });
    await store().createApiKey({ key: keyRecord(known.sub), ownerRoles: ['admin'], maxLive: 20 });
    const record = await store().getUser(known.sub);
    assert.deepEqual(record?.roles, ['customer']);
    assert.deepEqual(record?.branches, ['3'], 'the profile is kept');
  });

  it('refuses a key beyond maxLive with TooManyApiKeysError, and leaves nothing of it usable or listed', async () => {
    const { sub } = newUser();
    const held = [keyRecord(sub), keyRecord(sub)];
    for (const key of held) await store().createApiKey({ key, ownerRoles: [], maxLive: 2 });
    const third = keyRecord(sub);

    await assert.rejects(store().createApiKey({ key: third, ownerRoles: [], maxLive: 2 }), (error: unknown) => {
      assert.ok(error instanceof TooManyApiKeysError);
      assert.equal(error.limit, 2);
      return true;
    });

    assert.deepEqual(await listedIds(sub), held.map((key) => key.id).sort());
    // Written before the owner's list (so a concurrent listing never drops a live key), then revoked.
    assert.notEqual((await table.raw(APIKEY + third.id))?.revokedAt, undefined);
    assert.equal((await store().apiKey(third.id)).key?.revokedAt !== undefined, true);
  });

  it("keeps a new key listed when a listing of the owner's keys runs between the creation's two writes", async () => {
    // Prepare: the first write of the creation is followed at once by a listing (as a
    // concurrent GET /api-keys would be), before the creation's second write
    const { sub } = newUser();
    const key = keyRecord(sub);
    let armed = true;
    table.documents.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        if (armed) {
          armed = false;
          await store().listApiKeys(sub);
        }
        return result;
      },
      { step: 'initialize', name: 'listBetweenWrites' },
    );
    try {
      // Act
      await store().createApiKey({ key, ownerRoles: [], maxLive: 20 });
    } finally {
      table.documents.middlewareStack.remove('listBetweenWrites');
    }
    // Assess
    assert.deepEqual(await listedIds(sub), [key.id]);
    assert.deepEqual((await store().listApiKeys(sub)).map((listed) => listed.id), [key.id]);
  });

  it('gives the last free slots to exactly as many of several concurrent creations', async () => {
    // Prepare: 1 of 3 slots taken
    const { sub } = newUser();
    await store().createApiKey({ key: keyRecord(sub), ownerRoles: [], maxLive: 3 });
    // Act: 6 creations at once
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => store().createApiKey({ key: keyRecord(sub), ownerRoles: [], maxLive: 3 })));
    // Assess
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 2);
    for (const result of results) if (result.status === 'rejected') assert.ok(result.reason instanceof TooManyApiKeysError);
    assert.equal((await listedIds(sub)).length, 3);
    assert.equal((await store().listApiKeys(sub)).length, 3);
  });

  it('frees the slots of revoked, expired and never-completed keys when the list is full', async () => {
    // Prepare: a full list of 4: one live key, one revoked, one expired, one id whose record was never written
    const { sub } = newUser();
    const [live, revoked, expired] = [keyRecord(sub), keyRecord(sub), keyRecord(sub)];
    for (const key of [live, revoked, expired]) await store().createApiKey({ key, ownerRoles: [], maxLive: 4 });
    await table.set(APIKEY + revoked.id, { revokedAt: now() });
    await table.set(APIKEY + expired.id, { expiresAt: now() - 1 });
    await table.set(USER + sub, { apiKeys: new Set([...(await listedIds(sub)), 'feedfacefeedfacefeed']) });
    const next = keyRecord(sub);
    // Act
    await store().createApiKey({ key: next, ownerRoles: [], maxLive: 4 });
    // Assess
    assert.deepEqual(await listedIds(sub), [live.id, next.id].sort());
  });

  it('lists the owner\'s live keys newest first, leaving out and unlisting revoked, expired and other owners\' keys', async () => {
    const { sub } = newUser();
    const [old, newest, middle] = [keyRecord(sub, { createdAt: now() - 300 }), keyRecord(sub, { createdAt: now() - 100 }), keyRecord(sub, { createdAt: now() - 200 })];
    const [revoked, expired] = [keyRecord(sub), keyRecord(sub)];
    for (const key of [old, newest, middle, revoked, expired]) await store().createApiKey({ key, ownerRoles: [], maxLive: 20 });
    await store().revokeApiKey({ owner: sub, keyId: revoked.id });
    await table.set(APIKEY + expired.id, { expiresAt: now() - 1 });
    const someoneElses = keyRecord(newUser().sub);
    await store().createApiKey({ key: someoneElses, ownerRoles: [], maxLive: 20 });
    await table.set(USER + sub, { apiKeys: new Set([...(await listedIds(sub)), someoneElses.id]) });

    const listed = await store().listApiKeys(sub);

    assert.deepEqual(listed.map((key) => key.id), [newest.id, middle.id, old.id]);
    assert.deepEqual(await listedIds(sub), [old.id, newest.id, middle.id].sort(), 'dead ids are dropped from the list');
    assert.deepEqual(await store().listApiKeys(newUser().sub), []);
  });

  it('revokes only the owner\'s own live key: false for someone else\'s, a revoked, an expired or an unknown key', async () => {
    // Prepare
    const [owner, other] = [newUser(), newUser()];
    const [key, expired] = [keyRecord(owner.sub), keyRecord(owner.sub)];
    for (const k of [key, expired]) await store().createApiKey({ key: k, ownerRoles: [], maxLive: 20 });
    await table.set(APIKEY + expired.id, { expiresAt: now() - 1 });
    // Act / Assess
    assert.equal(await store().revokeApiKey({ owner: other.sub, keyId: key.id }), false, "someone else's");
    assert.equal((await store().apiKey(key.id)).key?.revokedAt, undefined);
    assert.equal(await store().revokeApiKey({ owner: owner.sub, keyId: expired.id }), false, 'expired');
    assert.equal(await store().revokeApiKey({ owner: owner.sub, keyId: 'feedfacefeedfacefeed' }), false, 'unknown');
    assert.equal(await table.raw(APIKEY + 'feedfacefeedfacefeed'), undefined, 'an unknown id creates no record');

    const before = now();
    assert.equal(await store().revokeApiKey({ owner: owner.sub, keyId: key.id }), true);
    const revokedAt = (await store().apiKey(key.id)).key?.revokedAt ?? 0;
    assert.ok(revokedAt >= before && revokedAt <= now(), 'the record stays, marked revoked now');
    assert.ok(!(await listedIds(owner.sub)).includes(key.id), 'its slot is free');
    assert.equal(await store().revokeApiKey({ owner: owner.sub, keyId: key.id }), false, 'already revoked');
  });

  it('reads a key, then its owner: no owner for a key whose owner has no record, nothing for an unknown key', async () => {
    const user = newUser();
    await store().putUser({ ...user, branches: ['1'] });
    await store().raiseCutOff({ ...user, kind: 'signedOutAt', at: 5000 });
    const key = keyRecord(user.sub);
    await store().createApiKey({ key, ownerRoles: ['branch-manager'], maxLive: 20 });
    const orphan = keyRecord(newUser().sub);
    await table.put({ pk: APIKEY + orphan.id, ...withoutId(orphan) });
    const before = table.sent.length;

    assert.deepEqual(await store().apiKey(key.id), { key, owner: { ...user, branches: ['1'], roles: ['branch-manager'], signedOutAt: 5000 } });
    assert.deepEqual(table.sent.slice(before), ['GetItemCommand', 'GetItemCommand'], 'the key, then its owner');
    assert.deepEqual(await store().apiKey(orphan.id), { key: orphan });
    assert.deepEqual(await store().apiKey('feedfacefeedfacefeed'), {});
  });
});

describe('users', () => {
  it('putUser writes the profile and keeps the cut-offs, roles and disabled flag', async () => {
    // Prepare
    const user = newUser();
    await store().raiseCutOff({ ...user, kind: 'signedOutAt', at: 100 });
    await store().raiseCutOff({ ...user, kind: 'disabledAt', at: 200 });
    await store().setDisabled({ ...user, disabled: true, versionMs: 200_000 });
    await store().syncRoles({ ...user, roles: ['admin'], versionMs: 300_000 });
    // Act
    await store().putUser({ sub: user.sub, username: 'renamed', branches: ['1', '2'] });
    // Assess
    assert.deepEqual(await store().getUser(user.sub), {
      sub: user.sub,
      username: 'renamed',
      branches: ['1', '2'],
      roles: ['admin'],
      rolesSyncedAt: 300_000,
      disabled: true,
      signedOutAt: 100,
      disabledAt: 200,
    });
    await store().putUser({ ...user, branches: [] });
    assert.deepEqual((await store().getUser(user.sub))?.branches, [], 'the branches are replaced, not merged');
  });

  it('getUsers reads more than 100 users, in pages of at most 100 keys, and leaves out unknown subs', async () => {
    // Prepare: 150 users, written 25 to a request
    const users = Array.from({ length: 150 }, (_, i) => ({ ...newUser(), branches: [String(i)] }));
    for (let i = 0; i < users.length; i += 25) {
      const batch = users.slice(i, i + 25).map((user) => ({ PutRequest: { Item: { pk: USER + user.sub, ...user } } }));
      await table.documents.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: batch } }));
    }
    const subs = [...users.map((user) => user.sub), 'sub-unknown-1', 'sub-unknown-2'];
    const pages: number[] = [];
    const measure = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      const input = (args as { input: { RequestItems?: Record<string, { Keys: unknown[] }> } }).input;
      pages.push(input.RequestItems?.[table.tableName]?.Keys.length ?? 0);
      return next(args);
    };
    table.documents.middlewareStack.add(measure as never, { step: 'initialize', name: 'measureBatchGet' });
    try {
      // Act
      const found = await store().getUsers(subs);
      // Assess
      assert.equal(found.size, 150);
      for (const [i, user] of users.entries()) assert.deepEqual(found.get(user.sub)?.branches, [String(i)]);
      assert.deepEqual(pages, [100, 52]);
    } finally {
      table.documents.middlewareStack.remove('measureBatchGet');
    }
  });

  it('raises each kind of cut-off only forward (a lower or equal value changes nothing), each on its own', async () => {
    const user = newUser();
    for (const [i, kind] of CUT_OFF_KINDS.entries()) {
      const at = 2000 + i;
      await store().raiseCutOff({ ...user, kind, at });
      await store().raiseCutOff({ ...user, kind, at: at - 1000 });
      assert.equal((await store().getUser(user.sub))?.[kind], at, `${kind}: a lower value changes nothing`);
      await store().raiseCutOff({ ...user, kind, at });
      assert.equal((await store().getUser(user.sub))?.[kind], at, `${kind}: the same value changes nothing, and is no error`);
    }
    await store().raiseCutOff({ ...user, kind: 'rolesChangedAt', at: 9000 });
    const record = await store().getUser(user.sub);
    assert.deepEqual(pick(record as unknown as Item, ...CUT_OFF_KINDS), { signedOutAt: 2000, disabledAt: 2001, rolesChangedAt: 9000, deletedAt: 2003 });
  });

  it('creates a missing user record on a cut-off, and never overwrites an existing profile with it', async () => {
    const fresh = newUser();
    await store().raiseCutOff({ ...fresh, kind: 'deletedAt', at: 10 });
    assert.deepEqual(await store().getUser(fresh.sub), { ...fresh, branches: [], deletedAt: 10 });

    const known = newUser();
    await store().putUser({ ...known, branches: ['4'] });
    await store().raiseCutOff({ sub: known.sub, username: 'HIDDEN_DUE_TO_SECURITY_REASONS', kind: 'signedOutAt', at: 10 });
    assert.deepEqual(await store().getUser(known.sub), { ...known, branches: ['4'], signedOutAt: 10 });
  });

  it('sets the disabled flag by version: a later change applies, an earlier one is refused; enabling keeps disabledAt', async () => {
    const user = newUser();
    await store().raiseCutOff({ ...user, kind: 'disabledAt', at: 1000 });
    assert.equal(await store().setDisabled({ ...user, disabled: true, versionMs: 1_000_000 }), true);
    assert.equal((await store().getUser(user.sub))?.disabled, true);

    assert.equal(await store().setDisabled({ ...user, disabled: false, versionMs: 1_000_500 }), true);
    assert.equal(await store().setDisabled({ ...user, disabled: true, versionMs: 1_000_400 }), false, 'an older disable arriving late');

    const record = await store().getUser(user.sub);
    assert.equal(record?.disabled, undefined);
    assert.equal(record?.disabledAt, 1000);
    assert.equal((await table.raw(USER + user.sub))?.disabledVersion, 1_000_500);
  });

  it('records roles only from a newer reading, and not over a role change at or after unlessChangedSince', async () => {
    const user = newUser();
    assert.equal(await store().syncRoles({ ...user, roles: ['customer'], versionMs: 5000 }), true);
    assert.equal(await store().syncRoles({ ...user, roles: ['admin'], versionMs: 5000 }), false, 'the same reading time is not newer');
    await store().raiseCutOff({ ...user, kind: 'rolesChangedAt', at: 100 });

    assert.equal(await store().syncRoles({ ...user, roles: ['admin'], versionMs: 6000, unlessChangedSince: 100 }), false, 'a change at that second');
    assert.equal(await store().syncRoles({ ...user, roles: ['admin'], versionMs: 6000, unlessChangedSince: 99 }), false, 'a change after it');
    assert.deepEqual(pick((await store().getUser(user.sub)) as unknown as Item, 'roles', 'rolesSyncedAt'), { roles: ['customer'], rolesSyncedAt: 5000 });

    assert.equal(await store().syncRoles({ ...user, roles: ['admin'], versionMs: 6000, unlessChangedSince: 101 }), true, 'a change before it');
    assert.equal(await store().syncRoles({ ...user, roles: ['branch-manager'], versionMs: 7000 }), true, 'without the condition, role changes do not matter');
    assert.deepEqual(pick((await store().getUser(user.sub)) as unknown as Item, 'roles', 'rolesSyncedAt'), { roles: ['branch-manager'], rolesSyncedAt: 7000 });
  });

  it('remembers which sub a username belongs to, the latest one when a username is reused', async () => {
    const user = newUser();
    assert.equal(await store().subForUsername(user.username), undefined);
    await store().recordUsername(user);
    assert.equal(await store().subForUsername(user.username), user.sub);

    await store().recordUsername({ sub: 'sub-successor', username: user.username });
    assert.equal(await store().subForUsername(user.username), 'sub-successor');
  });
});

/**
 * The keys service's flows (functions/keys/flows.ts): create, list, revoke, with a real key ring
 * (tests/unit/fixtures.ts) and the real access store on an in-process dynalite. The stored
 * records are read back as they are, to see what is kept and what never is.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createKeysFlows, MAX_LIVE_KEYS } from '../../functions/keys/flows';
import { APIKEY, stringList, USER } from '../../lib/access/store';
import { epochSeconds } from '../../lib/clock';
import { GatewayError } from '../../lib/errors';
import type { UserRoleContext } from '../../lib/policy/role-context';
import type { Role, Scope } from '../../lib/policy/route-policy';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';
import { recordingLogger, roleContext, testKeyRing } from './fixtures';

let table: LocalAccessTable;
beforeAll(async () => {
  table = await startAccessTable();
});
afterAll(() => table.stop());

const DAY = 86_400;
const ring = testKeyRing();

const setup = (options: { clockOffsetMs?: number } = {}) => {
  const { logger, lines } = recordingLogger('keys');
  const clock = () => Date.now() + (options.clockOffsetMs ?? 0);
  return { flows: createKeysFlows({ accessStore: table.store, apiKeys: ring, logger, clock }), lines, clock };
};

/** A user of our own, signed in with their own token. */
const newCaller = (roles: Role[] = ['customer']): UserRoleContext => {
  const id = randomUUID().slice(0, 8);
  return roleContext({ sub: `sub-${id}`, username: `user-${id}@example.com`, roles }) as UserRoleContext;
};

const isCode = (code: string, status: number) => (error: unknown) => {
  assert.ok(error instanceof GatewayError, `a GatewayError, not ${String(error)}`);
  assert.equal(error.code, code);
  assert.equal(error.statusCode, status);
  return true;
};

const input = (scopes: Scope[] = ['profile:read'], name = 'ci') => ({ name, scopes, expiresInDays: 30 });

describe('create', () => {
  it('answers the key once, in a form the ring verifies, and stores only the SHA-256 of its secret', async () => {
    // Prepare
    const { flows, clock, lines } = setup();
    const caller = newCaller(['branch-manager']);
    // Act
    const answer = await flows.create(caller, { name: 'inventory sync', scopes: ['inventory:read'], expiresInDays: 7 });
    // Assess: the answer
    const parsed = ring.parse(answer.key);
    assert.ok(parsed, 'the ring parses and verifies the key');
    assert.equal(parsed.id, answer.id);
    const createdAt = Date.parse(answer.createdAt) / 1000;
    assert.ok(Math.abs(createdAt - epochSeconds(clock())) <= 1);
    assert.deepEqual(answer, {
      id: parsed.id,
      name: 'inventory sync',
      scopes: ['inventory:read'],
      createdAt: new Date(createdAt * 1000).toISOString(),
      expiresAt: new Date((createdAt + 7 * DAY) * 1000).toISOString(),
      key: answer.key,
    });
    // Assess: the record
    const stored = await table.raw(APIKEY + answer.id);
    assert.equal(stored?.secretHash, createHash('sha256').update(parsed.secret, 'utf8').digest('hex'));
    assert.deepEqual(Object.keys(stored ?? {}).sort(), ['createdAt', 'expiresAt', 'name', 'owner', 'ownerUsername', 'pk', 'scopes', 'secretHash']);
    const text = JSON.stringify(stored);
    assert.ok(!text.includes(answer.key) && !text.includes(parsed.secret), 'neither the key nor its secret is stored');
    assert.deepEqual(stringList((await table.raw(USER + caller.sub))?.apiKeys), [answer.id], 'listed under its owner');
    assert.ok(!JSON.stringify(lines).includes(parsed.secret), 'nor logged');
  });

  it('records the creator\'s roles as the roles the key acts with, where none are recorded yet', async () => {
    const { flows } = setup();
    const caller = newCaller(['branch-manager']);

    await flows.create(caller, input());

    assert.deepEqual((await table.store.getUser(caller.sub))?.roles, ['branch-manager']);
  });

  it('refuses scopes beyond the owner\'s roles with 403 scope_not_granted, naming them, and stores nothing', async () => {
    const { flows } = setup();
    const caller = newCaller(['customer']);

    const refused = await flows.create(caller, input(['profile:read', 'catalog:write', 'inventory:read'])).catch((error: unknown) => error);

    assert.ok(isCode('scope_not_granted', 403)(refused));
    assert.match((refused as Error).message, /catalog:write, inventory:read/);
    assert.equal(await table.raw(USER + caller.sub), undefined);
  });

  it(`refuses the ${MAX_LIVE_KEYS + 1}st live key with 409 too_many_api_keys; revoking one frees a slot`, async () => {
    // Prepare: the most live keys a user may hold
    const { flows } = setup();
    const caller = newCaller();
    const held = [];
    for (let i = 0; i < MAX_LIVE_KEYS; i += 1) held.push(await flows.create(caller, input(['profile:read'], `key ${i}`)));
    // Act / Assess
    await assert.rejects(flows.create(caller, input()), isCode('too_many_api_keys', 409));
    assert.equal((await flows.list(caller)).items.length, MAX_LIVE_KEYS);

    await flows.revoke(caller, held[0]!.id);
    await flows.create(caller, input());
    assert.equal((await flows.list(caller)).items.length, MAX_LIVE_KEYS);
  });
});

describe('list', () => {
  it('lists the caller\'s live keys newest first, each without its key, secret or hash', async () => {
    // Prepare: two keys a few seconds apart, one revoked, and someone else's
    const caller = newCaller();
    const older = await setup({ clockOffsetMs: -5000 }).flows.create(caller, input(['profile:read'], 'older'));
    const { flows } = setup();
    const newer = await flows.create(caller, input(['profile:read'], 'newer'));
    const revoked = await flows.create(caller, input(['profile:read'], 'revoked'));
    await flows.revoke(caller, revoked.id);
    await flows.create(newCaller(), input());
    // Act
    const listed = await flows.list(caller);
    // Assess
    const withoutKey = ({ key: _key, ...rest }: typeof newer) => rest;
    assert.deepEqual(listed, { items: [withoutKey(newer), withoutKey(older)] });
    const text = JSON.stringify(listed);
    for (const key of [older, newer]) {
      const hash = (await table.raw(APIKEY + key.id))?.secretHash as string;
      assert.ok(!text.includes(key.key) && !text.includes(ring.parse(key.key)!.secret) && !text.includes(hash));
    }
  });

  it('leaves out a key that has expired', async () => {
    // Prepare: a 30-day key made 31 days ago
    const caller = newCaller();
    const expired = await setup({ clockOffsetMs: -31 * DAY * 1000 }).flows.create(caller, input());
    const { flows } = setup();
    // Act / Assess
    assert.deepEqual(await flows.list(caller), { items: [] });
    await assert.rejects(flows.revoke(caller, expired.id), isCode('api_key_not_found', 404));
  });
});

describe('revoke', () => {
  it('revokes the caller\'s own key once; another user\'s key, an unknown id and a revoked key answer 404 api_key_not_found', async () => {
    // Prepare
    const { flows } = setup();
    const [owner, other] = [newCaller(), newCaller()];
    const key = await flows.create(owner, input());
    // Act / Assess
    await assert.rejects(flows.revoke(other, key.id), isCode('api_key_not_found', 404));
    assert.equal((await table.store.apiKey(key.id)).key?.revokedAt, undefined, "someone else's revoke changed nothing");
    await assert.rejects(flows.revoke(owner, 'feedfacefeedfacefeed'), isCode('api_key_not_found', 404));

    await flows.revoke(owner, key.id);
    assert.equal(typeof (await table.store.apiKey(key.id)).key?.revokedAt, 'number');
    await assert.rejects(flows.revoke(owner, key.id), isCode('api_key_not_found', 404));
  });
});

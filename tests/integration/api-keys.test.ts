/**
 * Personal API keys over HTTP: create one with a user's token, call with it as a bearer, watch
 * it follow its owner, revoke it. Tests that change a user's state work on a user of their own.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  afterRevocationBound,
  assertNoInternals,
  call,
  createUser,
  eventually,
  gatewayLog,
  login,
  loginAs,
  refusedWithinBound,
  stack,
  type Session,
} from '../support/client';
import { createChangeLogWriter } from '../../lib/access/store/change-log';
import { LOCAL_STAGE, REGION, tableNames, type SeedUser } from '../../scripts/local/settings';

const fresh = (roles: SeedUser['roles'], branches: string[] = []) =>
  createUser({ username: `keys-${randomUUID().slice(0, 8)}@example.com`, password: 'Test-Passw0rd!-k', roles, branches });

const signIn = async (user: SeedUser): Promise<string> => {
  const answer = await loginAs(user);
  assert.equal(answer.status, 200, answer.text);
  return (answer.body as { accessToken: string }).accessToken;
};

interface CreatedKey {
  id: string;
  key: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
}

const createKey = async (token: string, body: Record<string, unknown> = { name: 'test key', scopes: ['inventory:read'], expiresInDays: 30 }) => {
  const answer = await call<CreatedKey>('POST', '/api-keys', { token, body });
  assert.equal(answer.status, 201, answer.text);
  return answer.body;
};

const status = async (method: string, path: string, token: string, body?: unknown) =>
  (await call(method, path, { token, ...(body === undefined ? {} : { body }) })).status;

/** A key's secret: the 43 characters after `gwk_<id>_` (it may itself contain "_"). */
const secretOf = (key: string) => key.slice('gwk_'.length + 20 + 1, 'gwk_'.length + 20 + 1 + 43);
/** A key's tail: `<MAC key version><MAC>`, after the secret. */
const tailOf = (key: string) => key.slice('gwk_'.length + 20 + 1 + 43 + 1);

/**
 * The stack's ACCESS_CHANGES_SHARDS: serverless.yml's `params.default.accessChangeShards` (no
 * stage overrides it; the authorizers read one shard each, so an entry must reach them all).
 */
const changeLogShards = (): number => {
  const yml = readFileSync(path.join(__dirname, '..', '..', 'serverless.yml'), 'utf8');
  const shards = Number(/^\s+accessChangeShards:\s*(\d+)\s*$/m.exec(yml)?.[1]);
  assert.ok(Number.isInteger(shards) && shards > 0, 'serverless.yml params.default.accessChangeShards');
  return shards;
};

/**
 * Moves a key's expiry, as time passing would (the emulated table has no clock of its own). A
 * write behind the access store's back: it is announced on the access change log as the store
 * announces its own writes, so warm authorizers drop the key's record within the revocation bound.
 */
const expireKey = async (keyId: string) => {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack().dynamodbUrl, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  await client.send(
    new UpdateCommand({
      TableName: tableNames(LOCAL_STAGE).access,
      Key: { pk: `apikey#${keyId}` },
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
    }),
  );
  await createChangeLogWriter(client, { table: tableNames(LOCAL_STAGE).accessChanges, shards: changeLogShards() }).changed([`apikey#${keyId}`]);
  client.destroy();
};

describe('personal API keys', () => {
  let manager: Session;
  let admin: Session;
  let customer: Session;

  beforeAll(async () => {
    [manager, admin, customer] = [await login('manager'), await login('admin'), await login('customer')];
  });

  describe('create', () => {
    it('returns 201 with the key once, its id, name, scopes and expiry', async () => {
      const before = Date.now();
      const created = await createKey(manager.accessToken, { name: 'stock report', scopes: ['inventory:read'], expiresInDays: 7 });
      assert.match(created.key, /^gwk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}_[a-z0-9]{1,8}[A-Za-z0-9_-]{24}$/);
      assert.equal(created.key.split('_')[1], created.id);
      assert.equal(created.name, 'stock report');
      assert.deepEqual(created.scopes, ['inventory:read']);
      const expiresIn = Date.parse(created.expiresAt) - before;
      assert.ok(Math.abs(expiresIn - 7 * 86_400_000) < 60_000, `expires in ${expiresIn} ms`);
    });

    it('defaults to 30 days when no expiry is given', async () => {
      const created = await createKey(customer.accessToken, { name: 'profile', scopes: ['profile:read'] });
      assert.ok(Math.abs(Date.parse(created.expiresAt) - Date.parse(created.createdAt) - 30 * 86_400_000) < 2000);
    });

    const badBodies: [string, unknown][] = [
      ['an unknown scope', { name: 'k', scopes: ['inventory:delete'], expiresInDays: 30 }],
      ['a scope without its resource name', { name: 'k', scopes: ['read'], expiresInDays: 30 }],
      ['empty scopes', { name: 'k', scopes: [], expiresInDays: 30 }],
      ['missing scopes', { name: 'k', expiresInDays: 30 }],
      ['a repeated scope', { name: 'k', scopes: ['inventory:read', 'inventory:read'] }],
      ['an expiry of 0 days', { name: 'k', scopes: ['inventory:read'], expiresInDays: 0 }],
      ['an expiry of 366 days', { name: 'k', scopes: ['inventory:read'], expiresInDays: 366 }],
      ['a fractional expiry', { name: 'k', scopes: ['inventory:read'], expiresInDays: 1.5 }],
      ['an expiry as a string', { name: 'k', scopes: ['inventory:read'], expiresInDays: '30' }],
      ['a missing name', { scopes: ['inventory:read'] }],
      ['a blank name', { name: '   ', scopes: ['inventory:read'] }],
      ['a name of 65 characters', { name: 'x'.repeat(65), scopes: ['inventory:read'] }],
      ['an unknown field', { name: 'k', scopes: ['inventory:read'], owner: 'someone-else' }],
      ['a body that is an array', [{ name: 'k', scopes: ['inventory:read'] }]],
    ];
    for (const [what, body] of badBodies) {
      it(`returns 400 with a reason for ${what}`, async () => {
        const answer = await call('POST', '/api-keys', { token: manager.accessToken, body });
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.body.error, 'invalid_body');
        assert.ok(Array.isArray(answer.body.details) && answer.body.details.length > 0, answer.text);
        assertNoInternals(answer);
      });
    }

    it('returns 400 for a body that is not JSON', async () => {
      const answer = await call('POST', '/api-keys', { token: manager.accessToken, rawBody: '{"name":', headers: { 'content-type': 'application/json' } });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_json');
    });

    it("returns 403 when a customer asks for a scope beyond the customer's roles", async () => {
      const answer = await call('POST', '/api-keys', { token: customer.accessToken, body: { name: 'k', scopes: ['inventory:read'] } });
      assert.equal(answer.status, 403, answer.text);
      assert.equal(answer.body.error, 'scope_not_granted');
    });

    it('returns 401 without a token', async () => {
      assert.equal((await call('POST', '/api-keys', { body: { name: 'k', scopes: ['profile:read'] } })).status, 401);
    });

    it('returns 409 once the owner holds 20 live keys, and accepts a new one after a delete', async () => {
      const user = await fresh(['customer']);
      const token = await signIn(user);
      const keys = [];
      for (let i = 0; i < 20; i += 1) keys.push(await createKey(token, { name: `k${i}`, scopes: ['profile:read'], expiresInDays: 1 }));
      const refused = await call('POST', '/api-keys', { token, body: { name: 'one too many', scopes: ['profile:read'] } });
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.body.error, 'too_many_api_keys');
      assert.equal(await status('DELETE', `/api-keys/${keys[0]!.id}`, token), 204);
      await createKey(token, { name: 'replacement', scopes: ['profile:read'] });
    });
  });

  describe('use', () => {
    it("reads the manager's branch with a manager's inventory:read key", async () => {
      const { key } = await createKey(manager.accessToken);
      const answer = await call('GET', '/branches/1/products', { token: key });
      assert.equal(answer.status, 200, answer.text);
      assert.ok(Array.isArray(answer.body.items));
    });

    it("returns 403 when a manager's key reads another branch", async () => {
      const { key } = await createKey(manager.accessToken);
      const answer = await call('GET', '/branches/2/products', { token: key });
      assert.equal(answer.status, 403);
      assertNoInternals(answer);
    });

    it('returns 403 for a route outside the key scopes, even one the owner may call', async () => {
      const { key } = await createKey(manager.accessToken);
      assert.equal(await status('PUT', '/branches/1/products/espresso-beans', key, { quantity: 5 }), 403);
      assert.equal(await status('GET', '/users/me', key), 403);
    });

    it('writes stock with an inventory:write key, recorded as the owner', async () => {
      const { key } = await createKey(manager.accessToken, { name: 'till', scopes: ['inventory:write'] });
      const answer = await call('POST', '/branches/1/products/filter-papers/adjustments', { token: key, body: { delta: 1, reason: 'key test' } });
      assert.equal(answer.status, 200, answer.text);
    });

    it('answers /users/me as the owner, saying it is a key', async () => {
      const { key, id } = await createKey(customer.accessToken, { name: 'me', scopes: ['profile:read'] });
      const answer = await call('GET', '/users/me', { token: key });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.username, customer.user.username);
      assert.equal(answer.body.authType, 'api_key');
      assert.equal(answer.body.keyId, id);
      assert.deepEqual(answer.body.scopes, ['profile:read']);
    });

    it("returns 403 when an admin's key with users:read lists users but a customer's cannot exist", async () => {
      const { key } = await createKey(admin.accessToken, { name: 'directory', scopes: ['users:read'] });
      assert.equal(await status('GET', '/users', key), 200);
    });

    it('returns 403 when a key is used to create, list or delete keys', async () => {
      const { key, id } = await createKey(admin.accessToken, { name: 'all', scopes: ['profile:read', 'catalog:write', 'inventory:read', 'inventory:write', 'users:read'] });
      const minted = await call('POST', '/api-keys', { token: key, body: { name: 'child', scopes: ['profile:read'] } });
      assert.equal(minted.status, 403, minted.text);
      assert.equal(await status('GET', '/api-keys', key), 403);
      assert.equal(await status('DELETE', `/api-keys/${id}`, key), 403);
    });

    it('returns 403 when a key is used to log out or change users', async () => {
      const { key } = await createKey(admin.accessToken, { name: 'all', scopes: ['profile:read', 'catalog:write', 'inventory:read', 'inventory:write', 'users:read'] });
      assert.equal(await status('POST', '/auth/logout', key), 403);
      assert.equal(await status('PUT', `/users/${encodeURIComponent(customer.user.username)}/roles`, key, { roles: ['admin'] }), 403);
      assert.equal(await status('POST', `/users/${encodeURIComponent(customer.user.username)}/disable`, key), 403);
    });

    it('returns 401 for a mistyped key, a made-up key and a key in the query string', async () => {
      const { key } = await createKey(manager.accessToken);
      const last = key.at(-1) === '0' ? '1' : '0';
      assert.equal(await status('GET', '/branches/1/products', key.slice(0, -1) + last), 401);
      const madeUp = `gwk_${'0'.repeat(20)}_${'A'.repeat(43)}_${tailOf(key).slice(0, -24)}${'B'.repeat(24)}`;
      assert.equal(await status('GET', '/branches/1/products', madeUp), 401);
      assert.equal((await call('GET', `/branches/1/products?access_token=${key}`)).status, 401);
    });

    it('returns 401 for a right id with a wrong secret', async () => {
      const { key } = await createKey(manager.accessToken);
      const other = await createKey(manager.accessToken);
      // Same id, another key's secret and MAC: a well-formed key that is not this one (the MAC,
      // made over the other id, refuses it before any read).
      const [, id] = key.split('_');
      const forged = `gwk_${id}_${secretOf(other.key)}_${tailOf(other.key)}`;
      assert.equal(await status('GET', '/branches/1/products', forged), 401);
    });
  });

  describe("the key follows its owner", () => {
    it('loses the branch when the owner loses the branch-manager role, within the revocation bound', async () => {
      const user = await fresh(['branch-manager'], ['1']);
      const { key } = await createKey(await signIn(user));
      assert.equal(await status('GET', '/branches/1/products', key), 200);
      const demoted = await call('PUT', `/users/${encodeURIComponent(user.username)}/roles`, { token: admin.accessToken, body: { roles: ['customer'] } });
      assert.equal(demoted.status, 200, demoted.text);
      await refusedWithinBound('GET', '/branches/1/products', key, 403);
      assert.equal(await status('GET', '/branches/1/products', key), 403);
    });

    it('stops working when the owner is disabled, and stays refused after they are enabled again', async () => {
      const user = await fresh(['branch-manager'], ['1']);
      const { key } = await createKey(await signIn(user));
      assert.equal(await status('GET', '/branches/1/products', key), 200);
      assert.equal((await call('POST', `/users/${encodeURIComponent(user.username)}/disable`, { token: admin.accessToken })).status, 204);
      await refusedWithinBound('GET', '/branches/1/products', key, 401);
      assert.equal((await call('POST', `/users/${encodeURIComponent(user.username)}/enable`, { token: admin.accessToken })).status, 204);
      // Past the bound, so every authorizer has seen the enable: the key stays refused.
      await afterRevocationBound();
      assert.equal(await status('GET', '/branches/1/products', key), 401);
    });

    it('stops working within the revocation bound when the owner signs out everywhere', async () => {
      const user = await fresh(['branch-manager'], ['1']);
      const token = await signIn(user);
      const { key } = await createKey(token);
      assert.equal(await status('GET', '/branches/1/products', key), 200);
      assert.equal((await call('POST', '/auth/logout', { token, body: { everywhere: true } })).status, 204);
      await refusedWithinBound('GET', '/branches/1/products', key, 401);
      assert.equal(await status('GET', '/branches/1/products', key), 401);
    });

    it('keeps working when the owner logs out of one session', async () => {
      const user = await fresh(['branch-manager'], ['1']);
      const token = await signIn(user);
      const { key } = await createKey(token);
      assert.equal(await status('GET', '/branches/1/products', key), 200);
      assert.equal((await call('POST', '/auth/logout', { token })).status, 204);
      await refusedWithinBound('GET', '/users/me', token, 401);
      // Past the bound: had the logout reached the key, every authorizer would refuse it by now.
      await afterRevocationBound();
      assert.equal(await status('GET', '/branches/1/products', key), 200);
    });
  });

  describe('list and revoke', () => {
    it("lists the caller's live keys, newest first, without any secret", async () => {
      const user = await fresh(['branch-manager'], ['1']);
      const token = await signIn(user);
      const first = await createKey(token, { name: 'first', scopes: ['inventory:read'] });
      const second = await createKey(token, { name: 'second', scopes: ['profile:read', 'inventory:write'] });
      const answer = await call('GET', '/api-keys', { token });
      assert.equal(answer.status, 200);
      assert.deepEqual(
        answer.body.items.map((k: CreatedKey) => k.id).sort(),
        [first.id, second.id].sort(),
      );
      for (const item of answer.body.items) assert.deepEqual(Object.keys(item).sort(), ['createdAt', 'expiresAt', 'id', 'name', 'scopes']);
      for (const key of [first.key, second.key]) {
        assert.equal(answer.text.includes(secretOf(key)), false, 'a secret was listed');
      }
    });

    it('refuses a revoked key with 401 within the revocation bound and drops it from the list', async () => {
      const user = await fresh(['branch-manager'], ['1']);
      const token = await signIn(user);
      const { key, id } = await createKey(token);
      assert.equal(await status('GET', '/branches/1/products', key), 200);
      assert.equal(await status('DELETE', `/api-keys/${id}`, token), 204);
      await refusedWithinBound('GET', '/branches/1/products', key, 401);
      const reuse = await call('GET', '/branches/1/products', { token: key });
      assert.equal(reuse.status, 401);
      assert.equal(reuse.headers.get('www-authenticate') !== null || reuse.status === 401, true);
      assert.deepEqual((await call('GET', '/api-keys', { token })).body.items, []);
      assert.equal(await status('DELETE', `/api-keys/${id}`, token), 404, 'a second delete finds nothing');
      assert.ok(await eventually(async () => (await gatewayLog()).some((l) => l.reason === 'api_key_revoked' && l.principal?.keyId === id)));
    });

    it("returns 404 for another user's key id and leaves that key working", async () => {
      const { key, id } = await createKey(manager.accessToken);
      assert.equal(await status('GET', '/branches/1/products', key), 200);
      const answer = await call('DELETE', `/api-keys/${id}`, { token: admin.accessToken });
      assert.equal(answer.status, 404);
      assert.equal(answer.body.error, 'api_key_not_found');
      // Past the bound: had the key been revoked, every authorizer would refuse it by now.
      await afterRevocationBound();
      assert.equal(await status('GET', '/branches/1/products', key), 200);
    });

    it('returns 400 for a key id that is not one', async () => {
      for (const bad of ['nope', '0123456789ABCDEF0123', `${'a'.repeat(21)}`]) {
        const answer = await call('DELETE', `/api-keys/${bad}`, { token: manager.accessToken });
        assert.equal(answer.status, 400, bad);
        assert.equal(answer.body.error, 'invalid_path');
      }
    });

    it('refuses an expired key with 401 within the revocation bound and leaves it out of the list', async () => {
      const user = await fresh(['branch-manager'], ['1']);
      const token = await signIn(user);
      const { key, id } = await createKey(token, { name: 'short', scopes: ['inventory:read'], expiresInDays: 1 });
      assert.equal(await status('GET', '/branches/1/products', key), 200);
      await expireKey(id);
      await refusedWithinBound('GET', '/branches/1/products', key, 401);
      assert.equal(await status('GET', '/branches/1/products', key), 401);
      assert.deepEqual((await call('GET', '/api-keys', { token })).body.items, []);
      assert.ok(await eventually(async () => (await gatewayLog()).some((l) => l.reason === 'api_key_expired' && l.principal?.keyId === id)));
    });
  });

  describe('audit', () => {
    it('records every key decision with authType api_key and the key id, never the key', async () => {
      const { key, id } = await createKey(manager.accessToken);
      await call('GET', '/branches/1/products', { token: key });
      await call('GET', '/branches/2/products', { token: key });
      const lines = async () => (await gatewayLog()).filter((l) => l.message === 'authorizer decision' && l.principal?.keyId === id);
      assert.ok(await eventually(async () => (await lines()).length >= 2), 'both decisions are logged');
      const decisions = await lines();
      assert.ok(decisions.some((l) => l.decision === 'allow' && l.principal.authType === 'api_key'));
      assert.ok(decisions.some((l) => l.decision === 'deny' && l.reason === 'branch_not_managed'));
      const secret = secretOf(key);
      assert.equal(secret.length, 43);
      assert.equal((await gatewayLog()).some((l) => JSON.stringify(l).includes(secret)), false, 'a key secret reached the log');
    });
  });
});

/**
 * Branches (issue 12, "Branches"): created by an admin, listed a page at a time (an admin sees
 * every branch, a manager their own), read by an admin or the branch's manager; the stock
 * routes answer 404 on a branch that does not exist.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { assertNoInternals, call, login, type Session } from '../support/client';

let admin: Session;
let manager: Session;
let customer: Session;
beforeAll(async () => {
  [admin, manager, customer] = await Promise.all([login('admin'), login('manager'), login('customer')]);
});

const newId = () => `b-${randomUUID().slice(0, 8)}`;

describe('POST /branches', () => {
  it('creates a branch (201, location), refuses the same id again (409), and the new branch has empty stock', async () => {
    const branchId = newId();
    const created = await call('POST', '/branches', { token: admin.accessToken, body: { branchId, name: '  Harbour  ' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), `/branches/${branchId}`);
    assert.equal(created.body.branchId, branchId);
    assert.equal(created.body.name, 'Harbour');
    assert.ok(!Number.isNaN(Date.parse(created.body.createdAt)));

    const again = await call('POST', '/branches', { token: admin.accessToken, body: { branchId, name: 'Other' } });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error, 'branch_exists');
    assert.equal((await call('GET', `/branches/${branchId}`, { token: admin.accessToken })).body.name, 'Harbour');

    const stock = await call('GET', `/branches/${branchId}/products`, { token: admin.accessToken });
    assert.equal(stock.status, 200, stock.text);
    assert.deepEqual(stock.body.items, []);
  });

  it('answers 400 with details for a bad body, 403 to anyone but an admin', async () => {
    for (const body of [{ branchId: 'a b', name: 'x' }, { branchId: newId() }, { branchId: newId(), name: '' }, { branchId: newId(), name: 'x', extra: 1 }]) {
      const answer = await call('POST', '/branches', { token: admin.accessToken, body });
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.body.error, 'invalid_body');
      assert.ok(answer.body.details.length > 0);
      assertNoInternals(answer);
    }
    for (const session of [manager, customer]) {
      assert.equal((await call('POST', '/branches', { token: session.accessToken, body: { branchId: newId(), name: 'x' } })).status, 403);
    }
  });
});

describe('GET /branches', () => {
  it('pages through every branch for an admin', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const answer = await call('GET', `/branches?limit=1${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`, { token: admin.accessToken });
      assert.equal(answer.status, 200, answer.text);
      assert.ok(answer.body.items.length <= 1);
      seen.push(...answer.body.items.map((b: { branchId: string }) => b.branchId));
      nextToken = answer.body.nextToken;
    } while (nextToken);
    assert.ok(seen.includes('1') && seen.includes('2'), seen.join());
    assert.equal(new Set(seen).size, seen.length);
  });

  it('shows a manager their own branches only, and a customer nothing (403)', async () => {
    const answer = await call('GET', '/branches', { token: manager.accessToken });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.items.map((b: { branchId: string }) => b.branchId), ['1']);
    assert.equal(answer.body.nextToken, undefined);
    assert.equal((await call('GET', '/branches', { token: customer.accessToken })).status, 403);
    assert.equal((await call('GET', '/branches?nextToken=garbage', { token: manager.accessToken })).status, 400);
  });
});

describe('GET /branches/{branchId}', () => {
  it("answers the branch to an admin and to its manager, 403 to another branch's manager, 404 for an unknown branch", async () => {
    const own = await call('GET', '/branches/1', { token: manager.accessToken });
    assert.equal(own.status, 200, own.text);
    assert.equal(own.body.branchId, '1');
    assert.equal(typeof own.body.name, 'string');
    assert.equal((await call('GET', '/branches/2', { token: admin.accessToken })).status, 200);
    assert.equal((await call('GET', '/branches/2', { token: manager.accessToken })).status, 403);
    assert.equal((await call('GET', '/branches/1', { token: customer.accessToken })).status, 403);
    const unknown = await call('GET', '/branches/no-such-branch', { token: admin.accessToken });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'branch_not_found');
  });

  it('answers 404 on the stock routes of a branch that does not exist (admin; a manager is refused first)', async () => {
    const token = admin.accessToken;
    assert.equal((await call('GET', '/branches/no-such-branch/products', { token })).status, 404);
    assert.equal((await call('PUT', '/branches/no-such-branch/products/moka-pot', { token, body: { quantity: 1 } })).status, 404);
    assert.equal((await call('POST', '/branches/no-such-branch/products/moka-pot/adjustments', { token, body: { delta: 1, reason: 'x' } })).status, 404);
    assert.equal((await call('GET', '/branches/no-such-branch/products', { token: manager.accessToken })).status, 403);
  });
});

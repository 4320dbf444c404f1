/**
 * No lost stock: adjustments are atomic, never take stock below zero, and a thousand of them
 * fired concurrently through the gateway add up exactly.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { call, login, type Session } from '../support/client';

describe('stock adjustments', () => {
  let manager: Session;
  let admin: Session;

  beforeAll(async () => {
    [manager, admin] = await Promise.all([login('manager'), login('admin')]);
  });

  const adjust = (productId: string, delta: number, token = manager.accessToken) =>
    call('POST', `/branches/1/products/${productId}/adjustments`, { token, body: { delta, reason: 'test' } });

  it('adds and removes stock and answers the new quantity', async () => {
    assert.equal((await call('PUT', '/branches/1/products/milk-jug', { token: manager.accessToken, body: { quantity: 10 } })).status, 200);
    const taken = await adjust('milk-jug', -4);
    assert.equal(taken.status, 200, taken.text);
    assert.equal(taken.body.quantity, 6);
    const delivered = await adjust('milk-jug', 5);
    assert.equal(delivered.body.quantity, 11);
  });

  it('answers 409 and changes nothing when stock would go below zero', async () => {
    await call('PUT', '/branches/1/products/milk-jug', { token: manager.accessToken, body: { quantity: 2 } });
    const answer = await adjust('milk-jug', -3);
    assert.equal(answer.status, 409);
    assert.equal(answer.body.error, 'insufficient_stock');
    const list = await call('GET', '/branches/1/products', { token: manager.accessToken });
    assert.equal(list.body.items.find((i: { productId: string }) => i.productId === 'milk-jug').quantity, 2);
  });

  for (const [what, body] of [
    ['a zero delta', { delta: 0, reason: 'x' }],
    ['a fractional delta', { delta: 1.5, reason: 'x' }],
    ['no reason', { delta: 1 }],
    ['an empty reason', { delta: 1, reason: ' ' }],
    ['a delta as a string', { delta: '1', reason: 'x' }],
  ] as const) {
    it(`answers 400 to ${what}`, async () => {
      const answer = await call('POST', '/branches/1/products/milk-jug/adjustments', { token: manager.accessToken, body });
      assert.equal(answer.status, 400, answer.text);
    });
  }

  it('answers 404 to adjusting a product that does not exist', async () => {
    assert.equal((await adjust('no-such-product', 1)).status, 404);
  });

  it('loses nothing under 1000 adjustments, 10 at a time: the final quantity is the sum of the accepted ones', async () => {
    const initial = 100;
    assert.equal((await call('PUT', '/branches/1/products/moka-pot', { token: admin.accessToken, body: { quantity: initial } })).status, 200);
    // Deltas summing to less than zero overall, so some removals must be refused with 409.
    const deltas = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 4 : -3));
    const outcomes: { delta: number; status: number }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < deltas.length) {
        const delta = deltas[next++]!;
        const answer = await adjust('moka-pot', delta, next % 2 === 0 ? manager.accessToken : admin.accessToken);
        outcomes.push({ delta, status: answer.status });
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));

    const statuses = new Set(outcomes.map((o) => o.status));
    // Under concurrency serverless-offline very rarely fails an authorizer invocation inside
    // its worker threads without running our code (no decision is logged), and answers 401.
    // Such a request never reaches the service, so it cannot change the stock; it is counted
    // and bounded here, not treated as applied.
    const unauthenticated = outcomes.filter((o) => o.status === 401).length;
    assert.ok(unauthenticated <= 10, `${unauthenticated} of 1000 answered 401`);
    assert.ok([...statuses].every((s) => s === 200 || s === 409 || s === 401), `only 200, 409 (and rare 401), got ${[...statuses].join(',')}`);
    const accepted = outcomes.filter((o) => o.status === 200).reduce((sum, o) => sum + o.delta, 0);
    assert.ok(outcomes.some((o) => o.status === 409), 'some removals were refused');
    const list = await call('GET', '/branches/1/products', { token: admin.accessToken });
    const final = list.body.items.find((i: { productId: string }) => i.productId === 'moka-pot').quantity;
    assert.equal(final, initial + accepted);
    assert.ok(final >= 0);
  });
});

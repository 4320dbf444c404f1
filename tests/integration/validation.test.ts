/**
 * Bad input to the services: every case answers a 4xx with a reason and nothing internal,
 * never a 500.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { assertNoInternals, call, login, type Session } from '../support/client';

describe('bad input', () => {
  let admin: Session;
  let manager: Session;

  beforeAll(async () => {
    [admin, manager] = await Promise.all([login('admin'), login('manager')]);
  });

  const badProducts: [string, unknown][] = [
    ['a missing name', { priceCents: 100 }],
    ['an empty name', { name: '  ', priceCents: 100 }],
    ['a negative price', { name: 'x', priceCents: -1 }],
    ['a fractional price', { name: 'x', priceCents: 1.5 }],
    ['a price as a string', { name: 'x', priceCents: '100' }],
    ['a lowercase currency', { name: 'x', priceCents: 1, currency: 'eur' }],
    ['a client-chosen id', { productId: 'mine', name: 'x', priceCents: 1 }],
  ];
  for (const [what, body] of badProducts) {
    it(`answers 400 to a product with ${what}`, async () => {
      const answer = await call('POST', '/products', { token: admin.accessToken, body });
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.body.error, 'invalid_body');
      assert.ok(answer.body.details.length > 0);
      assertNoInternals(answer);
    });
  }

  // serverless-offline hands a JSON scalar body to the function already parsed ("x" arrives as
  // x, null as no body); API Gateway passes it raw. Either way it is a 400 with a reason.
  for (const [what, body] of [['a JSON string', 'product'], ['null', null]] as const) {
    it(`answers 400 to a product that is ${what}`, async () => {
      const answer = await call('POST', '/products', { token: admin.accessToken, body });
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.body.error, /^invalid_(body|json)$/);
      assertNoInternals(answer);
    });
  }

  it('answers 400 to a body over 64 KiB', async () => {
    const answer = await call('POST', '/products', { token: admin.accessToken, body: { name: 'x', description: 'y'.repeat(70_000), priceCents: 1 } });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'body_too_large');
  });

  const badStock: [string, unknown][] = [
    ['a negative quantity', { quantity: -1 }],
    ['a fractional quantity', { quantity: 2.5 }],
    ['a quantity as a string', { quantity: '3' }],
    ['no quantity', {}],
    ['an extra field', { quantity: 1, branchId: '2' }],
    ['an absurd quantity', { quantity: 1e12 }],
  ];
  for (const [what, body] of badStock) {
    it(`answers 400 to stock with ${what}`, async () => {
      const answer = await call('PUT', '/branches/1/products/espresso-beans', { token: manager.accessToken, body });
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.body.error, 'invalid_body');
      assertNoInternals(answer);
    });
  }

  it('answers 400 to stock sent as invalid JSON', async () => {
    const answer = await call('PUT', '/branches/1/products/espresso-beans', {
      token: manager.accessToken,
      rawBody: '{"quantity": 1,,}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_json');
  });

  it('answers 404 to stock of a product that does not exist', async () => {
    const answer = await call('PUT', '/branches/1/products/no-such-product', { token: manager.accessToken, body: { quantity: 1 } });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error, 'product_not_found');
  });

  it('answers 404 to an admin reading a branch that does not exist', async () => {
    const answer = await call('GET', '/branches/99/products', { token: admin.accessToken });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error, 'branch_not_found');
  });

  it('answers 403, not 404, to a manager probing a branch that does not exist', async () => {
    const answer = await call('GET', '/branches/99/products', { token: manager.accessToken });
    assert.equal(answer.status, 403);
  });

  it('answers 403 to a manager of branch 1 asking for branch "01"', async () => {
    const answer = await call('GET', '/branches/01/products', { token: manager.accessToken });
    assert.equal(answer.status, 403);
  });

  it('answers 400 to a product id that cannot exist', async () => {
    const answer = await call('GET', `/products/${encodeURIComponent('bad id!')}`);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_path');
  });

  it('answers 400 to a listing limit that is not a number, and to a forged page token', async () => {
    const limit = await call('GET', '/products?limit=abc');
    const token = await call('GET', '/products?nextToken=bm90LWpzb24');
    assert.equal(limit.status, 400);
    assert.equal(limit.body.error, 'invalid_query');
    assert.equal(token.status, 400);
    assert.equal(token.body.error, 'invalid_query');
  });

  it('pages through the catalog with the tokens it hands out', async () => {
    const seen = new Set<string>();
    let nextToken: string | undefined;
    do {
      const answer = await call('GET', `/products?limit=2${nextToken ? `&nextToken=${nextToken}` : ''}`);
      assert.equal(answer.status, 200);
      for (const item of answer.body.items) seen.add(item.productId);
      nextToken = answer.body.nextToken;
    } while (nextToken);
    for (const id of ['espresso-beans', 'filter-papers', 'moka-pot', 'milk-jug']) assert.ok(seen.has(id), id);
  });

  it('answers 400 to a users listing limit above 60', async () => {
    const answer = await call('GET', '/users?limit=61', { token: admin.accessToken });
    assert.equal(answer.status, 400);
  });
});

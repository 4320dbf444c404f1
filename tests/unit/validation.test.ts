import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { BadRequestError } from '../../lib/errors';
import { decodePageToken, encodePageToken, limitSchema, pathId } from '../../lib/http/validation';

const isBadRequest = (code: string) => (error: unknown) => error instanceof BadRequestError && error.code === code;

describe('pathId', () => {
  it('returns an identifier made of letters, digits, "-" and "_"', () => {
    assert.equal(pathId({ productId: 'Espresso_beans-1' }, 'productId'), 'Espresso_beans-1');
    assert.equal(pathId({ productId: 'x'.repeat(64) }, 'productId'), 'x'.repeat(64));
  });

  for (const bad of ['', 'a b', '../etc', 'a/b', '%31', 'x'.repeat(65), 'é', '1\n']) {
    it(`refuses ${JSON.stringify(bad)} with invalid_path naming the parameter`, () => {
      assert.throws(
        () => pathId({ productId: bad }, 'productId'),
        (error: unknown) => isBadRequest('invalid_path')(error) && (error as BadRequestError).details[0]!.startsWith('productId: '),
      );
    });
  }

  it('refuses a missing parameter with invalid_path', () => {
    assert.throws(() => pathId({}, 'branchId'), isBadRequest('invalid_path'));
  });
});

describe('page tokens', () => {
  it('decodes what it encoded', () => {
    const token = encodePageToken({ productId: 'espresso-beans' });
    assert.deepEqual(decodePageToken(token, ['productId']), { productId: 'espresso-beans' });
  });

  it('decodes a composite key', () => {
    const token = encodePageToken({ branchId: '1', productId: 'milk' });
    assert.deepEqual(decodePageToken(token, ['branchId', 'productId']), { branchId: '1', productId: 'milk' });
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const BAD_TOKENS: Record<string, string> = {
    'not base64 JSON': 'garbage!!',
    'JSON null': encode(null),
    'a JSON array': encode(['espresso-beans']),
    'a JSON string': encode('espresso-beans'),
    'another key name': encode({ pk: 'user#admin' }),
    'an extra key': encode({ productId: 'a', pk: 'b' }),
    'no keys': encode({}),
    'a number value': encode({ productId: 7 }),
    'a value that is not an identifier': encode({ productId: 'user#admin' }),
  };
  for (const [name, token] of Object.entries(BAD_TOKENS)) {
    it(`refuses a token holding ${name} with invalid_query`, () => {
      assert.throws(() => decodePageToken(token, ['productId']), isBadRequest('invalid_query'));
    });
  }
});

describe('limitSchema', () => {
  const schema = limitSchema(100, 50);

  it('defaults to the fallback and reads integers within [1, max]', () => {
    assert.equal(schema.parse(undefined), 50);
    assert.equal(schema.parse('1'), 1);
    assert.equal(schema.parse('100'), 100);
  });

  for (const bad of ['0', '101', '-1', '1.5', 'ten', '', ' 5', '1e2', '12345']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.equal(schema.safeParse(bad).success, false);
    });
  }
});

import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  BadRequestError,
  ConfigurationError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  awsErrorName,
  isGatewayError,
} from '../../lib/errors';

describe('gateway errors', () => {
  it('carry the HTTP status of their class and their class name', () => {
    const cases = [
      [new BadRequestError('invalid_body', 'bad'), 400, 'BadRequestError'],
      [new UnauthorizedError(), 401, 'UnauthorizedError'],
      [new ForbiddenError(), 403, 'ForbiddenError'],
      [new NotFoundError(), 404, 'NotFoundError'],
      [new ConflictError(), 409, 'ConflictError'],
      [new TooManyRequestsError(), 429, 'TooManyRequestsError'],
      [new ServiceUnavailableError(), 503, 'ServiceUnavailableError'],
    ] as const;
    for (const [error, status, name] of cases) {
      assert.equal(error.statusCode, status, name);
      assert.equal(error.name, name);
      assert.equal(isGatewayError(error), true, name);
    }
  });

  it('serialise to error and message only, never the cause or the stack', () => {
    // Prepare
    const error = new ForbiddenError('nope', 'Not for you', { cause: new Error('secret detail') });
    // Act
    const json = JSON.stringify(error);
    // Assess
    assert.deepEqual(JSON.parse(json), { error: 'nope', message: 'Not for you' });
    assert.doesNotMatch(json, /secret|stack/);
    assert.equal((error.cause as Error).message, 'secret detail', 'the cause stays available to the server');
  });

  it('include details of a bad request only when there are some', () => {
    assert.deepEqual(new BadRequestError('invalid_body', 'bad').toJSON(), { error: 'invalid_body', message: 'bad' });
    assert.deepEqual(new BadRequestError('invalid_body', 'bad', ['name: required']).toJSON(), {
      error: 'invalid_body',
      message: 'bad',
      details: ['name: required'],
    });
  });

  it('do not count plain errors or configuration errors as gateway errors', () => {
    assert.equal(isGatewayError(new Error('x')), false);
    assert.equal(isGatewayError(new ConfigurationError('x')), false);
    assert.equal(new ConfigurationError('x').name, 'ConfigurationError');
  });
});

describe('awsErrorName', () => {
  it('reads the name of an error-like object and nothing else', () => {
    assert.equal(awsErrorName(Object.assign(new Error('x'), { name: 'ThrottlingException' })), 'ThrottlingException');
    assert.equal(awsErrorName({ name: 'NotAuthorizedException' }), 'NotAuthorizedException');
    assert.equal(awsErrorName({ name: 42 }), undefined);
    assert.equal(awsErrorName(null), undefined);
    assert.equal(awsErrorName('ThrottlingException'), undefined);
  });
});

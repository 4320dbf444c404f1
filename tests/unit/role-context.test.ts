import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { ForbiddenError, UnauthorizedError } from '../../lib/errors';
import { readRoleContext, requireSessionContext, requireUserContext, toAuthorizerContext } from '../../lib/policy/role-context';
import { MANAGER_OF_1, roleContext } from './fixtures';

const eventWith = (lambda: unknown) => ({ requestContext: { authorizer: { lambda } } });

const assertMissingContext = (event: { requestContext?: unknown }) =>
  assert.throws(
    () => readRoleContext(event),
    (error: unknown) => error instanceof UnauthorizedError && error.statusCode === 401 && error.code === 'missing_role_context',
  );

describe('readRoleContext', () => {
  it('returns the context the authorizer built, unchanged', () => {
    assert.deepEqual(readRoleContext(eventWith(toAuthorizerContext(MANAGER_OF_1))), MANAGER_OF_1);
  });

  it('refuses an event without requestContext, authorizer or lambda with missing_role_context', () => {
    assertMissingContext({});
    assertMissingContext({ requestContext: {} });
    assertMissingContext({ requestContext: { authorizer: {} } });
    assertMissingContext(eventWith(null));
  });

  it('never reads the unverified claims serverless-offline puts in authorizer.jwt', () => {
    assertMissingContext({ requestContext: { authorizer: { jwt: { claims: { ...MANAGER_OF_1 } } } } });
  });

  const BAD_FIELDS: Record<string, Record<string, unknown>> = {
    'an unknown role': { roles: ['root'] },
    'roles as a string': { roles: 'admin' },
    'an empty branch id': { branches: [''] },
    'an empty sub': { sub: '' },
    'another auth type': { authType: 'service' },
    'an empty session id': { sessionId: '' },
    'a zero expiry': { expiresAt: 0 },
    'a fractional expiry': { expiresAt: 1.5 },
    'an expiry as a string': { expiresAt: '1893456000' },
    'mfaRequired other than true': { mfaRequired: false },
    'mfaRequired as a string': { mfaRequired: 'true' },
    'a missing client id': { clientId: undefined },
  };
  for (const [name, fields] of Object.entries(BAD_FIELDS)) {
    it(`refuses a context with ${name} with missing_role_context`, () => {
      assertMissingContext(eventWith({ ...roleContext(), ...fields }));
    });
  }
});

describe('mfaRequired in the role context', () => {
  it('carries it through when true, and leaves it out otherwise', () => {
    const pending = roleContext({ roles: ['admin'], mfaRequired: true });
    assert.deepEqual(readRoleContext(eventWith(toAuthorizerContext(pending))), pending);
    assert.equal('mfaRequired' in readRoleContext(eventWith(toAuthorizerContext(roleContext()))), false);
  });
});

describe('a browser session in the role context', () => {
  const session = { authType: 'session', sub: 'sub-1', username: 'user-1', roles: ['customer'], branches: [], scopes: [], sessionId: 'a'.repeat(64), expiresAt: 1_893_456_000 };

  it('is read with its session hash, and refused without one', () => {
    assert.deepEqual(readRoleContext(eventWith(session)), session);
    const { sessionId: _hash, ...withoutHash } = session;
    assertMissingContext(eventWith(withoutHash));
  });

  it('is refused by the routes of a user token, and is the only caller the routes of a session take', () => {
    const context = readRoleContext(eventWith(session));
    assert.throws(() => requireUserContext(context), (error: unknown) => error instanceof ForbiddenError && error.code === 'user_token_required');
    assert.equal(requireSessionContext(context).sessionId, session.sessionId);
    for (const other of [roleContext(), roleContext({ authType: 'api_key', keyId: 'k' }), roleContext({ authType: 'client' })]) {
      assert.throws(() => requireSessionContext(other), (error: unknown) => error instanceof ForbiddenError && error.code === 'session_required', other.authType);
    }
  });
});

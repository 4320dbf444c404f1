/**
 * The pure parts of the access store: the revocation rule and the optional snapshot cache in
 * front of any AccessStore (here a fake; the DynamoDB store is covered by the integration suite).
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { loginCutOff, revocationReason, toUser, type AccessSnapshot, type UserRecord } from '../../lib/access/store';

const ISSUED_AT = 1_893_452_400;
const user = (fields: Partial<UserRecord> = {}): UserRecord => ({ sub: 'sub-1', username: 'alice', branches: [], ...fields });

const at = (issuedAt: number, authTime = issuedAt) => ({ issuedAt, authTime });

describe('revocationReason', () => {
  it('finds nothing to refuse without records, or with records that revoke nothing', () => {
    assert.equal(revocationReason({}, at(ISSUED_AT)), undefined);
    assert.equal(revocationReason({ user: user(), session: { sessionId: 's', children: [] } }, at(ISSUED_AT)), undefined);
  });

  it('refuses every token of a disabled user with user_disabled', () => {
    assert.equal(revocationReason({ user: user({ disabled: true }) }, at(ISSUED_AT)), 'user_disabled');
  });

  it('refuses every token of a deleted user with user_deleted, before anything else', () => {
    assert.equal(revocationReason({ user: user({ deletedAt: ISSUED_AT - 100, disabled: true }) }, at(ISSUED_AT)), 'user_deleted');
  });

  it('refuses a login at or before each cut-off, by its kind', () => {
    assert.equal(revocationReason({ user: user({ signedOutAt: ISSUED_AT }) }, at(ISSUED_AT)), 'user_signed_out');
    assert.equal(revocationReason({ user: user({ rolesChangedAt: ISSUED_AT + 5 }) }, at(ISSUED_AT)), 'roles_changed');
    assert.equal(revocationReason({ user: user({ disabledAt: ISSUED_AT }) }, at(ISSUED_AT)), 'user_disabled');
  });

  it('dates sign-outs and disables by the login (auth_time), so a later refresh does not escape them', () => {
    const refreshedLater = at(ISSUED_AT + 600, ISSUED_AT);
    assert.equal(revocationReason({ user: user({ signedOutAt: ISSUED_AT + 10 }) }, refreshedLater), 'user_signed_out');
    assert.equal(revocationReason({ user: user({ disabledAt: ISSUED_AT + 10 }) }, refreshedLater), 'user_disabled');
  });

  it('dates role changes by the token (iat): a token refreshed after the change carries the new groups', () => {
    assert.equal(revocationReason({ user: user({ rolesChangedAt: ISSUED_AT + 10 }) }, at(ISSUED_AT + 600, ISSUED_AT)), undefined);
    assert.equal(revocationReason({ user: user({ rolesChangedAt: ISSUED_AT + 10 }) }, at(ISSUED_AT + 10, ISSUED_AT)), 'roles_changed');
  });

  it('accepts a login after every cut-off', () => {
    assert.equal(revocationReason({ user: user({ signedOutAt: ISSUED_AT - 1, disabledAt: ISSUED_AT - 1, rolesChangedAt: ISSUED_AT - 1 }) }, at(ISSUED_AT)), undefined);
  });

  it('keeps a stronger cut-off whatever weaker one comes later: a role change after a sign-out reopens nothing', () => {
    const signedOutThenRolesChanged = user({ signedOutAt: ISSUED_AT + 10, rolesChangedAt: ISSUED_AT + 20 });
    assert.equal(revocationReason({ user: signedOutThenRolesChanged }, at(ISSUED_AT)), 'user_signed_out');
    assert.equal(revocationReason({ user: signedOutThenRolesChanged }, at(ISSUED_AT + 30, ISSUED_AT)), 'user_signed_out');
  });

  it('refuses a revoked session with session_revoked', () => {
    assert.equal(revocationReason({ session: { sessionId: 's', revokedAt: 1, children: [] } }, at(ISSUED_AT)), 'session_revoked');
  });

  it('reports the user-level reason before the session', () => {
    const snapshot: AccessSnapshot = {
      user: user({ signedOutAt: ISSUED_AT }),
      session: { sessionId: 's', revokedAt: 1, children: [] },
    };
    assert.equal(revocationReason(snapshot, at(ISSUED_AT)), 'user_signed_out');
  });
});

describe('loginCutOff', () => {
  it('ignores role changes (they never end a login, only the tokens that carry old groups)', () => {
    assert.equal(loginCutOff(user({ rolesChangedAt: ISSUED_AT + 5 }), ISSUED_AT), undefined);
  });

  it('keeps refusing logins before a disable after the user is enabled again', () => {
    assert.equal(loginCutOff(user({ disabled: false, disabledAt: ISSUED_AT }), ISSUED_AT), 'user_disabled');
    assert.equal(loginCutOff(user({ disabled: false, disabledAt: ISSUED_AT }), ISSUED_AT + 1), undefined);
  });
});

describe('toUser', () => {
  it('reads each cut-off kind and the versioned roles', () => {
    const record = toUser({ sub: 's', username: 'u', branches: ['1'], roles: ['customer', 'nonsense'], rolesSyncedAt: 5, signedOutAt: 10, disabledAt: 11, rolesChangedAt: 12, deletedAt: 13 });
    assert.deepEqual(record, { sub: 's', username: 'u', branches: ['1'], roles: ['customer'], rolesSyncedAt: 5, signedOutAt: 10, disabledAt: 11, rolesChangedAt: 12, deletedAt: 13 });
  });

  it('reads a record from before per-kind cut-offs (notBefore with its reason) as the matching kind, never weaker', () => {
    assert.equal(toUser({ sub: 's', username: 'u', notBefore: 10, notBeforeReason: 'disabled' })?.disabledAt, 10);
    assert.equal(toUser({ sub: 's', username: 'u', notBefore: 10, notBeforeReason: 'roles_changed' })?.rolesChangedAt, 10);
    assert.equal(toUser({ sub: 's', username: 'u', notBefore: 10 })?.signedOutAt, 10);
    assert.equal(toUser({ sub: 's', username: 'u', notBefore: 10, notBeforeReason: 'signed_out', signedOutAt: 20 })?.signedOutAt, 20);
  });
});



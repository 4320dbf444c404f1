/**
 * The pure parts of the access store: the revocation rule and the optional snapshot cache in
 * front of any AccessStore (here a fake; the DynamoDB store is covered by the integration suite).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { revocationReason, withSnapshotCache, type AccessSnapshot, type AccessStore, type UserRecord } from '../../lib/access-store';

const ISSUED_AT = 1_893_452_400;
const user = (fields: Partial<UserRecord> = {}): UserRecord => ({ sub: 'sub-1', username: 'alice', branches: [], ...fields });

describe('revocationReason', () => {
  it('finds nothing to refuse without records, or with records that revoke nothing', () => {
    assert.equal(revocationReason({}, ISSUED_AT), undefined);
    assert.equal(revocationReason({ user: user(), session: { sessionId: 's', children: [] } }, ISSUED_AT), undefined);
  });

  it('refuses every token of a disabled user with user_disabled', () => {
    assert.equal(revocationReason({ user: user({ disabled: true }) }, ISSUED_AT), 'user_disabled');
  });

  it('refuses a token issued at or before notBefore, by the recorded reason', () => {
    assert.equal(revocationReason({ user: user({ notBefore: ISSUED_AT, notBeforeReason: 'signed_out' }) }, ISSUED_AT), 'user_signed_out');
    assert.equal(revocationReason({ user: user({ notBefore: ISSUED_AT + 5, notBeforeReason: 'roles_changed' }) }, ISSUED_AT), 'roles_changed');
    assert.equal(revocationReason({ user: user({ notBefore: ISSUED_AT, notBeforeReason: 'disabled' }) }, ISSUED_AT), 'user_disabled');
    assert.equal(revocationReason({ user: user({ notBefore: ISSUED_AT }) }, ISSUED_AT), 'user_signed_out');
  });

  it('accepts a token issued after notBefore', () => {
    assert.equal(revocationReason({ user: user({ notBefore: ISSUED_AT - 1, notBeforeReason: 'roles_changed' }) }, ISSUED_AT), undefined);
  });

  it('refuses a revoked session with session_revoked', () => {
    assert.equal(revocationReason({ session: { sessionId: 's', revokedAt: 1, children: [] } }, ISSUED_AT), 'session_revoked');
  });

  it('reports the user-level reason before the session', () => {
    const snapshot: AccessSnapshot = {
      user: user({ notBefore: ISSUED_AT, notBeforeReason: 'signed_out' }),
      session: { sessionId: 's', revokedAt: 1, children: [] },
    };
    assert.equal(revocationReason(snapshot, ISSUED_AT), 'user_signed_out');
  });
});

const unused = async (): Promise<never> => {
  throw new Error('not used');
};

/** A store whose snapshot answers from `answers` in turn (an Error is thrown); counts reads. */
const countingStore = (...answers: (AccessSnapshot | Error)[]) => {
  const reads: string[] = [];
  const store: AccessStore = {
    snapshot: async (sub, sessionId) => {
      reads.push(`${sub}/${sessionId}`);
      const answer = answers[Math.min(reads.length - 1, answers.length - 1)] ?? {};
      if (answer instanceof Error) throw answer;
      return answer;
    },
    apiKey: unused,
    getUser: async () => user(),
    getUsers: unused,
    putUser: unused,
    revokeUserTokens: unused,
    syncRoles: unused,
    createApiKey: unused,
    listApiKeys: unused,
    revokeApiKey: unused,
    setDisabled: unused,
    recordLogin: unused,
    sessionForRefreshToken: unused,
    linkRefreshedToken: unused,
    revokeSession: unused,
  };
  return { store, reads };
};

describe('withSnapshotCache', () => {
  it('returns the store itself when the TTL is 0 (no cache)', () => {
    const { store } = countingStore();
    assert.equal(withSnapshotCache(store, { ttlSeconds: 0 }), store);
  });

  it('reuses a read within the TTL and reads again once it has passed', async () => {
    // Prepare
    let clock = 0;
    const revoked: AccessSnapshot = { session: { sessionId: 's', revokedAt: 1, children: [] } };
    const { store, reads } = countingStore({}, revoked);
    const cached = withSnapshotCache(store, { ttlSeconds: 5, now: () => clock });
    // Act + Assess
    assert.deepEqual(await cached.snapshot('sub-1', 's'), {});
    clock = 4_999;
    assert.deepEqual(await cached.snapshot('sub-1', 's'), {});
    assert.equal(reads.length, 1);
    clock = 5_000;
    assert.deepEqual(await cached.snapshot('sub-1', 's'), revoked);
    assert.equal(reads.length, 2);
  });

  it('keeps separate entries per user and session', async () => {
    const { store, reads } = countingStore();
    const cached = withSnapshotCache(store, { ttlSeconds: 60, now: () => 0 });
    await cached.snapshot('sub-1', 's1');
    await cached.snapshot('sub-1', 's2');
    await cached.snapshot('sub-2', 's1');
    await cached.snapshot('sub-1', 's1');
    assert.deepEqual(reads, ['sub-1/s1', 'sub-1/s2', 'sub-2/s1']);
  });

  it('never caches a failed read', async () => {
    const { store, reads } = countingStore(new Error('throttled'), {});
    const cached = withSnapshotCache(store, { ttlSeconds: 60, now: () => 0 });
    await assert.rejects(cached.snapshot('sub-1', 's'), /throttled/);
    assert.deepEqual(await cached.snapshot('sub-1', 's'), {});
    assert.equal(reads.length, 2);
  });

  it('holds at most maxEntries, evicting the oldest', async () => {
    const { store, reads } = countingStore();
    const cached = withSnapshotCache(store, { ttlSeconds: 60, maxEntries: 2, now: () => 0 });
    await cached.snapshot('a', 's');
    await cached.snapshot('b', 's');
    await cached.snapshot('c', 's');
    await cached.snapshot('b', 's');
    await cached.snapshot('a', 's');
    assert.deepEqual(reads, ['a/s', 'b/s', 'c/s', 'a/s']);
  });

  it('passes the other methods through to the store', async () => {
    const { store } = countingStore();
    const cached = withSnapshotCache(store, { ttlSeconds: 60 });
    assert.deepEqual(await cached.getUser('sub-1'), user());
  });
});

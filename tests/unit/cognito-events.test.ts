/**
 * The Cognito trigger, the Cognito event sync and the role change, against the real access
 * store on an in-process dynalite (real conditional writes), with Cognito itself a fake.
 */
import { afterAll, beforeAll, beforeEach, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import type { AccessStore } from '../../lib/access/store';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';
import type { IdentityProvider } from '../../lib/identity/cognito';
import type { Role } from '../../lib/policy/route-policy';
import { createCognitoEvents, type CognitoCloudTrailEvent } from '../../functions/cognito-events/service';
import { createUsersService } from '../../functions/users/service';
import { createLogger } from '../../lib/observability';

const POOL = 'us-east-1_TestPool';
const logger = createLogger('test');
logger.setLogLevel('SILENT');

let table: LocalAccessTable;
let store: AccessStore;

beforeAll(async () => {
  table = await startAccessTable();
  store = table.store;
});

afterAll(() => table.stop());

/** Cognito's groups, as a fake directory the tests change. */
let groups: Map<string, Role[]>;
/** Cognito's users now, by username, as a fake directory the tests change. */
let directory: Map<string, { sub: string; createdAtMs?: number }>;
beforeEach(() => {
  groups = new Map();
  directory = new Map();
});

const newUser = () => {
  const id = randomUUID().slice(0, 8);
  return { sub: `sub-${id}`, username: `user-${id}@example.com` };
};

const events = (now: () => number = Date.now) =>
  createCognitoEvents({
    accessStore: store,
    rolesOf: async (_pool, username) => [...(groups.get(username) ?? [])],
    userOf: async (_pool, username) => directory.get(username),
    userPoolId: POOL,
    logger,
    now,
  });

const triggerEvent = (user: { sub: string; username: string }, groupsInEvent?: string[]): PreTokenGenerationTriggerEvent =>
  ({
    version: '1',
    triggerSource: 'TokenGeneration_Authentication',
    region: 'us-east-1',
    userPoolId: POOL,
    userName: user.username,
    callerContext: { awsSdkVersion: 'x', clientId: 'client' },
    request: { userAttributes: { sub: user.sub }, groupConfiguration: groupsInEvent ? { groupsToOverride: groupsInEvent } : {} },
    response: { claimsOverrideDetails: {} },
  }) as unknown as PreTokenGenerationTriggerEvent;

const trailEvent = (eventName: string, fields: { username?: string; sub?: string; time?: string; errorCode?: string; pool?: string }): CognitoCloudTrailEvent =>
  ({
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.cognito-idp',
    time: fields.time ?? new Date().toISOString(),
    detail: {
      eventSource: 'cognito-idp.amazonaws.com',
      eventName,
      eventTime: fields.time ?? new Date().toISOString(),
      requestParameters: { userPoolId: fields.pool ?? POOL, username: fields.username ?? 'HIDDEN_DUE_TO_SECURITY_REASONS' },
      ...(fields.sub ? { additionalEventData: { sub: fields.sub } } : {}),
      ...(fields.errorCode ? { errorCode: fields.errorCode } : {}),
    },
  }) as unknown as CognitoCloudTrailEvent;

describe('access store cut-offs', () => {
  it('only ever raises a cut-off: a lower value, however late it arrives, leaves it where it was', async () => {
    const user = newUser();
    await store.raiseCutOff({ ...user, kind: 'signedOutAt', at: 2000 });
    await store.raiseCutOff({ ...user, kind: 'signedOutAt', at: 1000 });
    assert.equal((await store.getUser(user.sub))?.signedOutAt, 2000);
    await store.raiseCutOff({ ...user, kind: 'signedOutAt', at: 3000 });
    assert.equal((await store.getUser(user.sub))?.signedOutAt, 3000);
  });

  it('keeps each kind apart: a role change never touches the sign-out or the disable', async () => {
    const user = newUser();
    await store.raiseCutOff({ ...user, kind: 'signedOutAt', at: 2000 });
    await store.raiseCutOff({ ...user, kind: 'disabledAt', at: 2100 });
    await store.raiseCutOff({ ...user, kind: 'rolesChangedAt', at: 5000 });
    assert.deepEqual(
      (({ signedOutAt, disabledAt, rolesChangedAt }) => ({ signedOutAt, disabledAt, rolesChangedAt }))((await store.getUser(user.sub))!),
      { signedOutAt: 2000, disabledAt: 2100, rolesChangedAt: 5000 },
    );
  });

  it('applies the latest change of the disabled flag, whatever order the changes arrive in', async () => {
    const user = newUser();
    assert.equal(await store.setDisabled({ ...user, disabled: false, versionMs: 2000 }), true);
    assert.equal(await store.setDisabled({ ...user, disabled: true, versionMs: 1000 }), false);
    assert.equal((await store.getUser(user.sub))?.disabled, undefined);
  });

  it('keeps the newest reading of the roles', async () => {
    const user = newUser();
    await store.syncRoles({ ...user, roles: ['admin'], versionMs: 2000 });
    assert.equal(await store.syncRoles({ ...user, roles: ['customer'], versionMs: 1000 }), false);
    assert.deepEqual((await store.getUser(user.sub))?.roles, ['admin']);
  });
});

describe('pre-token-generation trigger', () => {
  it('records the groups Cognito gives in the event as the roles, and the username', async () => {
    const user = newUser();
    await events().preTokenGeneration(triggerEvent(user, ['branch-manager', 'not-a-role']));
    assert.deepEqual((await store.getUser(user.sub))?.roles, ['branch-manager']);
    assert.equal(await store.subForUsername(user.username), user.sub);
  });

  it('reads the groups from Cognito when the event has none (cognito-local)', async () => {
    const user = newUser();
    groups.set(user.username, ['customer']);
    await events().preTokenGeneration(triggerEvent(user));
    assert.deepEqual((await store.getUser(user.sub))?.roles, ['customer']);
  });

  for (const [what, cutOff] of [
    ['disabled', async (u: { sub: string; username: string }) => store.setDisabled({ ...u, disabled: true, versionMs: Date.now() })],
    ['deleted', async (u: { sub: string; username: string }) => store.raiseCutOff({ ...u, kind: 'deletedAt', at: 1 })],
  ] as const) {
    it(`refuses tokens to a ${what} user with the refusal the gateway maps to invalid credentials`, async () => {
      const user = newUser();
      await cutOff(user);
      await assert.rejects(events().preTokenGeneration(triggerEvent(user, [])), /access_refused/);
    });
  }

  it('fails (no tokens) when the records cannot be read', async () => {
    const broken = createCognitoEvents({
      accessStore: { ...store, getUser: async () => Promise.reject(new Error('database down')) },
      rolesOf: async () => [],
      userOf: async () => undefined,
      logger,
    });
    await assert.rejects(broken.preTokenGeneration(triggerEvent(newUser(), [])), /database down/);
  });

  it('leaves the roles to a role change made in the last few seconds', async () => {
    const user = newUser();
    await store.raiseCutOff({ ...user, kind: 'rolesChangedAt', at: Math.floor(Date.now() / 1000) });
    await store.syncRoles({ ...user, roles: ['customer'], versionMs: Date.now() - 1 });
    await events(() => Date.now() + 10).preTokenGeneration(triggerEvent(user, ['admin']));
    assert.deepEqual((await store.getUser(user.sub))?.roles, ['customer']);
  });
});

describe('role change through the gateway, with a login racing it', () => {
  it('ends with the new roles recorded and the racing token refused, even when the login read the old groups', async () => {
    const user = newUser();
    groups.set(user.username, ['branch-manager']);
    const trigger = events();
    let racingTrigger: Promise<unknown> | undefined;
    const identity: Partial<IdentityProvider> = {
      getUser: async () => ({ ...user, enabled: true, status: 'CONFIRMED' }),
      rolesOf: async (username) => [...(groups.get(username) ?? [])],
      setRoles: async (username, roles) => {
        // A login reads the old groups just before Cognito changes them; its trigger writes late.
        const stale = triggerEvent(user, ['branch-manager']);
        groups.set(username, [...roles]);
        racingTrigger = new Promise((resolve) => setTimeout(resolve, 50)).then(() => trigger.preTokenGeneration(stale));
      },
    };
    const unused = () => Promise.reject(new Error('not used by a role change'));
    const service = createUsersService(
      { identity: identity as IdentityProvider, admin: { createUser: unused, deleteUser: unused, listUsersInRole: unused }, branches: { getBranches: unused }, accessStore: store },
      logger,
    );
    const before = Math.floor(Date.now() / 1000);
    const answer = await service(
      {
        routeKey: 'PUT /users/{username}/roles',
        rawPath: `/users/${user.username}/roles`,
        pathParameters: { username: user.username },
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ roles: ['customer'] }),
        isBase64Encoded: false,
        requestContext: {
          requestId: 'r',
          authorizer: { lambda: { authType: 'user', sub: 'admin-sub', username: 'admin', roles: ['admin'], branches: [], scopes: [], clientId: 'c', sessionId: 's', tokenId: 't', expiresAt: 4_000_000_000 } },
        },
      } as never,
      {} as never,
    );
    assert.equal((answer as { statusCode: number }).statusCode, 200);
    await racingTrigger;
    const record = await store.getUser(user.sub);
    assert.deepEqual(record?.roles, ['customer'], 'the racing login did not write the old roles back');
    assert.ok((record?.rolesChangedAt ?? 0) >= before, 'the cut-off covers a token issued while the change ran');
  });
});

describe('Cognito event sync', () => {
  it('applies a disable made in Cognito, dated by the event, and keeps it through an enable', async () => {
    const user = newUser();
    const time = '2026-12-02T10:00:05Z';
    assert.deepEqual(await events().syncEvent(trailEvent('AdminDisableUser', { sub: user.sub, time })), { applied: true, event: 'AdminDisableUser', sub: user.sub });
    await events().syncEvent(trailEvent('AdminEnableUser', { sub: user.sub, time: '2026-12-02T10:00:09Z' }));
    const record = await store.getUser(user.sub);
    assert.equal(record?.disabled, undefined);
    assert.equal(record?.disabledAt, Date.parse(time) / 1000);
  });

  it('ignores an enable that arrives after a later disable (events out of order)', async () => {
    const user = newUser();
    await events().syncEvent(trailEvent('AdminDisableUser', { sub: user.sub, time: '2026-12-02T10:00:09Z' }));
    await events().syncEvent(trailEvent('AdminEnableUser', { sub: user.sub, time: '2026-12-02T10:00:05Z' }));
    assert.equal((await store.getUser(user.sub))?.disabled, true);
  });

  it('finds the user by username through the recorded pointer when CloudTrail hides the sub (a deleted user)', async () => {
    const user = newUser();
    await store.recordUsername(user);
    assert.equal((await events().syncEvent(trailEvent('AdminDeleteUser', { username: user.username }))).applied, true);
    assert.notEqual((await store.getUser(user.sub))?.deletedAt, undefined);
  });

  it('applies a late event to the user who had the username then, not to someone re-created under it since', async () => {
    const old = newUser();
    await store.recordUsername(old);
    // Deleted at 10:00:05; the same email signed up again at 10:01 and signed in (the pointer moved).
    const reborn = { sub: `${old.sub}-new`, username: old.username };
    directory.set(old.username, { sub: reborn.sub, createdAtMs: Date.parse('2026-12-02T10:01:00Z') });
    await store.recordUsername(reborn);
    const outcome = await events().syncEvent(trailEvent('AdminDeleteUser', { username: old.username, time: '2026-12-02T10:00:05Z' }));
    // The pointer names the new user too: nobody is left to apply it to. Reported, never applied to them.
    assert.deepEqual(outcome, { applied: false, reason: 'unresolved_user' });
    assert.equal((await store.getUser(reborn.sub))?.deletedAt, undefined);
  });

  it('applies a late event through the pointer when it still names the earlier user', async () => {
    const old = newUser();
    await store.recordUsername(old);
    directory.set(old.username, { sub: `${old.sub}-new`, createdAtMs: Date.parse('2026-12-02T10:01:00Z') });
    assert.equal((await events().syncEvent(trailEvent('AdminDeleteUser', { username: old.username, time: '2026-12-02T10:00:05Z' }))).applied, true);
    assert.notEqual((await store.getUser(old.sub))?.deletedAt, undefined);
    assert.equal(await store.getUser(`${old.sub}-new`), undefined);
  });

  it('applies an event to the user Cognito has now when they existed at its time', async () => {
    const user = newUser();
    directory.set(user.username, { sub: user.sub, createdAtMs: Date.parse('2026-12-01T00:00:00Z') });
    await events().syncEvent(trailEvent('AdminUserGlobalSignOut', { username: user.username, time: '2026-12-02T10:00:05Z' }));
    assert.equal((await store.getUser(user.sub))?.signedOutAt, Date.parse('2026-12-02T10:00:05Z') / 1000);
  });

  it('applies a global sign-out made in Cognito as a sign-out cut-off at the event time', async () => {
    const user = newUser();
    await events().syncEvent(trailEvent('AdminUserGlobalSignOut', { sub: user.sub, time: '2026-12-02T10:00:05Z' }));
    assert.equal((await store.getUser(user.sub))?.signedOutAt, Date.parse('2026-12-02T10:00:05Z') / 1000);
  });

  it('records the roles Cognito has now after a group change, and cuts off the tokens from before it', async () => {
    const user = newUser();
    await store.recordUsername(user);
    groups.set(user.username, ['customer']);
    await events().syncEvent(trailEvent('AdminRemoveUserFromGroup', { username: user.username, time: '2026-12-02T10:00:05Z' }));
    const record = await store.getUser(user.sub);
    assert.deepEqual(record?.roles, ['customer']);
    assert.equal(record?.rolesChangedAt, Date.parse('2026-12-02T10:00:05Z') / 1000);
  });

  for (const [what, event, reason] of [
    ['a call that failed', trailEvent('AdminDisableUser', { sub: 'sub-x', errorCode: 'UserNotFoundException' }), 'call_failed'],
    ['another user pool', trailEvent('AdminDisableUser', { sub: 'sub-x', pool: 'us-east-1_Other' }), 'other_pool'],
    ['a call that is not synced', trailEvent('AdminGetUser', { sub: 'sub-x' }), 'not_synced'],
    ['a user it cannot identify', trailEvent('AdminDisableUser', {}), 'unresolved_user'],
  ] as const) {
    it(`changes nothing for ${what}`, async () => {
      assert.deepEqual(await events().syncEvent(event), { applied: false, reason });
      assert.equal(await store.getUser('sub-x'), undefined);
    });
  }
});

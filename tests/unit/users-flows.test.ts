/**
 * The users service's flows (functions/users/flows.ts): me, list, disable, enable and the role
 * change, with Cognito a fake directory (tests/support/fake-identity.ts) and the real access
 * store on an in-process dynalite. What the gateway's records hold is read back from the store.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createUsersFlows } from '../../functions/users/flows';
import { USER, type UserRecord } from '../../lib/access/store';
import { epochSeconds } from '../../lib/clock';
import { GatewayError } from '../../lib/errors';
import type { RoleContext } from '../../lib/policy/role-context';
import { startAccessTable, type LocalAccessTable } from '../support/access-table';
import { FakeIdentity, movableClock, type FakeAccount } from '../support/fake-identity';
import { fakeBranches, fakeUserAdministration } from '../support/fake-user-admin';
import { recordingLogger, roleContext } from './fixtures';

let table: LocalAccessTable;
beforeAll(async () => {
  table = await startAccessTable();
});
afterAll(() => table.stop());

const setup = () => {
  const clock = movableClock();
  const directory = new FakeIdentity({ clock });
  const { logger, lines } = recordingLogger('users');
  const admin_ = fakeUserAdministration(directory);
  const flows = createUsersFlows({ identity: directory, admin: admin_, branches: fakeBranches(['1', '2']), accessStore: table.store, logger, clock });
  const admin = directory.add(['admin']);
  return { clock, directory, flows, lines, admin, adminApi: admin_, caller: callerFor(admin) };
};

/** The role context of a user's own token. */
const callerFor = (account: FakeAccount, overrides: Partial<RoleContext> = {}): RoleContext =>
  roleContext({ sub: account.sub, username: account.username, roles: account.groups, ...overrides });

const isCode = (code: string, status: number) => (error: unknown) => {
  assert.ok(error instanceof GatewayError, `a GatewayError, not ${String(error)}`);
  assert.equal(error.code, code);
  assert.equal(error.statusCode, status);
  return true;
};

describe('disable', () => {
  it('raises disabledAt to now and sets the flag before Cognito disables the user, then signs them out at Cognito', async () => {
    // Prepare: read the gateway's record at the moment Cognito disables the user
    const { flows, directory, caller, clock } = setup();
    const user = directory.add(['customer']);
    let whenCognitoDisables: UserRecord | undefined;
    directory.meanwhile.disableUser = async () => {
      whenCognitoDisables ??= await table.store.getUser(user.sub);
    };
    const before = clock();
    // Act
    await flows.disable(caller, user.username);
    // Assess
    const second = whenCognitoDisables?.disabledAt ?? 0;
    assert.ok(second >= epochSeconds(before) && second <= epochSeconds(clock()), 'disabledAt is now');
    assert.equal(whenCognitoDisables?.disabled, true);
    const version = (await table.raw(USER + user.sub))?.disabledVersion as number;
    assert.ok(version >= before && version <= clock(), 'the flag is versioned by the clock, in ms');
    assert.equal(user.enabled, false, 'disabled in Cognito');
    assert.equal(directory.count('disableUser'), 1);
    assert.deepEqual(directory.calls.filter((call) => call.method === 'globalSignOut'), [{ method: 'globalSignOut', arg: user.username }]);
  });

  it('refuses an admin disabling their own account with 409 cannot_disable_self, changing nothing', async () => {
    const { flows, directory, admin, caller } = setup();

    await assert.rejects(flows.disable(caller, admin.username), isCode('cannot_disable_self', 409));

    assert.equal(await table.store.getUser(admin.sub), undefined);
    assert.equal(admin.enabled, true);
    assert.equal(directory.count('disableUser'), 0);
  });

  it('still disables when Cognito\'s global sign-out fails, and logs global_sign_out_failed', async () => {
    const { flows, directory, caller, lines } = setup();
    const user = directory.add(['customer']);
    directory.fail.globalSignOut = () => Object.assign(new Error('Unsupported'), { name: 'UnsupportedOperationException' });

    await flows.disable(caller, user.username);

    assert.equal((await table.store.getUser(user.sub))?.disabled, true);
    assert.deepEqual(
      lines.filter((line) => line.level === 'error').map((line) => (line.extra[0] as { code: string }).code),
      ['global_sign_out_failed'],
    );
  });
});

describe('enable', () => {
  it('enables the user in Cognito and clears the flag, keeping disabledAt: what the disable cut off stays cut off', async () => {
    // Prepare
    const { flows, directory, caller, clock } = setup();
    const user = directory.add(['customer']);
    await flows.disable(caller, user.username);
    const disabledAt = (await table.store.getUser(user.sub))?.disabledAt;
    clock.advance(2000);
    // Act
    await flows.enable(caller, user.username);
    // Assess
    const record = await table.store.getUser(user.sub);
    assert.equal(record?.disabled, undefined);
    assert.equal(record?.disabledAt, disabledAt);
    assert.equal(user.enabled, true);
  });
});

describe('changeRoles', () => {
  it('refuses an admin removing their own admin role with 409 cannot_remove_own_admin, changing nothing', async () => {
    const { flows, directory, admin, caller } = setup();

    await assert.rejects(flows.changeRoles(caller, admin.username, ['customer']), isCode('cannot_remove_own_admin', 409));

    assert.equal(await table.store.getUser(admin.sub), undefined);
    assert.deepEqual(admin.groups, ['admin']);
    assert.equal(directory.count('setRoles'), 0);
  });

  it('lets an admin change their own roles when admin stays', async () => {
    const { flows, admin, caller } = setup();

    assert.deepEqual(await flows.changeRoles(caller, admin.username, ['admin', 'customer']), { username: admin.username, sub: admin.sub, roles: ['admin', 'customer'] });

    assert.deepEqual(admin.groups, ['admin', 'customer']);
  });

  it('cuts old tokens off before and after Cognito\'s change, recording only the kept roles before and the new roles after', async () => {
    // Prepare: Cognito's change takes a second; read the gateway's record at its start
    const { flows, directory, caller, clock } = setup();
    const user = directory.add(['branch-manager', 'customer']);
    const startedAt = clock();
    let whenCognitoChanges: UserRecord | undefined;
    directory.meanwhile.setRoles = async () => {
      whenCognitoChanges = await table.store.getUser(user.sub);
      clock.advance(1000);
    };
    // Act
    const answer = await flows.changeRoles(caller, user.username, ['customer', 'admin']);
    // Assess
    assert.deepEqual(answer, { username: user.username, sub: user.sub, roles: ['customer', 'admin'] });
    const first = whenCognitoChanges?.rolesChangedAt ?? 0;
    assert.ok(first >= epochSeconds(startedAt) && first <= epochSeconds(startedAt) + 1, 'the first cut-off is at the start');
    assert.deepEqual(whenCognitoChanges?.roles, ['customer'], 'before: only the kept roles, never the new ones');
    const after = await table.store.getUser(user.sub);
    assert.ok((after?.rolesChangedAt ?? 0) > first, 'the second cut-off is after Cognito\'s change');
    assert.deepEqual(after?.roles, ['customer', 'admin']);
    assert.ok((after?.rolesSyncedAt ?? 0) > (whenCognitoChanges?.rolesSyncedAt ?? Infinity), 'the new roles are a later reading');
    assert.deepEqual(user.groups, ['customer', 'admin']);
  });
});

describe('unknown users', () => {
  it('answers 404 user_not_found to a disable, an enable or a role change of a user Cognito does not know, writing nothing', async () => {
    const { flows, caller } = setup();
    const before = table.sent.length;

    await assert.rejects(flows.disable(caller, 'nobody@example.com'), isCode('user_not_found', 404));
    await assert.rejects(flows.enable(caller, 'nobody@example.com'), isCode('user_not_found', 404));
    await assert.rejects(flows.changeRoles(caller, 'nobody@example.com', ['customer']), isCode('user_not_found', 404));

    assert.equal(table.sent.length, before);
  });
});

describe('list', () => {
  it('answers a page of the directory with each user\'s roles from Cognito and branches from the gateway\'s records', async () => {
    // Prepare
    const { flows, directory, admin } = setup();
    const manager = directory.add(['branch-manager']);
    const customer = directory.add(['customer']);
    await table.store.putUser({ sub: manager.sub, username: manager.username, branches: ['1', '2'] });
    // Act
    const first = await flows.list({ limit: 2 });
    const second = await flows.list({ limit: 2, nextToken: first.nextToken });
    // Assess
    const row = (account: FakeAccount, branches: string[]) => ({
      username: account.username,
      sub: account.sub,
      email: account.email,
      enabled: true,
      status: 'CONFIRMED',
      roles: account.groups,
      branches,
    });
    assert.deepEqual(first, { items: [row(admin, []), row(manager, ['1', '2'])], nextToken: '2' });
    assert.deepEqual(second, { items: [row(customer, [])] });
  });

  it('asks Cognito for at most 5 users\' groups at once', async () => {
    const { flows, directory } = setup();
    for (let i = 0; i < 11; i += 1) directory.add(['customer']);

    const page = await flows.list({ limit: 12 });

    assert.equal(page.items.length, 12);
    assert.equal(directory.count('rolesOf'), 12);
    assert.equal(directory.maxConcurrentRoleReads, 5);
  });
});

describe('me', () => {
  it('answers a user with their profile, roles and branches from the role context', async () => {
    const { flows, directory } = setup();
    const manager = directory.add(['branch-manager']);

    const me = await flows.me(callerFor(manager, { branches: ['3'] }));

    assert.deepEqual(me, {
      sub: manager.sub,
      username: manager.username,
      email: manager.email,
      roles: ['branch-manager'],
      branches: ['3'],
      authType: 'user',
      mfa: { enabled: false, setupRequired: false },
    });
  });

  it('answers an API key with its id and scopes too', async () => {
    const { flows, directory } = setup();
    const owner = directory.add(['customer']);

    const me = await flows.me(callerFor(owner, { authType: 'api_key', keyId: 'feedfacefeedfacefeed', scopes: ['profile:read'] }));

    assert.deepEqual(me, {
      sub: owner.sub,
      username: owner.username,
      email: owner.email,
      roles: ['customer'],
      branches: [],
      authType: 'api_key',
      keyId: 'feedfacefeedfacefeed',
      scopes: ['profile:read'],
      mfa: { enabled: false, setupRequired: false },
    });
  });

  it('answers a machine client as the gateway knows it, without asking the directory', async () => {
    const { flows, directory } = setup();

    const me = await flows.me(roleContext({ authType: 'client', sub: 'partner', username: 'partner', clientId: 'partner', roles: [], branches: ['1'], scopes: ['inventory:read'] }));

    assert.deepEqual(me, { authType: 'client', clientId: 'partner', name: 'partner', roles: [], branches: ['1'], scopes: ['inventory:read'] });
    assert.equal(directory.count('getUser'), 0);
  });

  it('answers 401 user_not_found when the directory no longer has the caller, or has that username with another sub', async () => {
    const { flows, directory } = setup();
    const user = directory.add(['customer']);

    await assert.rejects(flows.me(callerFor(user, { username: 'gone@example.com' })), isCode('user_not_found', 401));
    await assert.rejects(flows.me(callerFor(user, { sub: 'sub-of-an-earlier-user' })), isCode('user_not_found', 401));
  });
});

describe('create', () => {
  it('makes the user in Cognito with their roles, then records their branches and roles in the gateway', async () => {
    const { flows, directory, caller } = setup();

    const created = await flows.create(caller, { email: 'new@example.com', roles: ['branch-manager'], branches: ['2'], temporaryPassword: 'Temporary-Passw0rd!' });

    assert.deepEqual(directory.accounts.get('new@example.com')?.groups, ['branch-manager']);
    const record = await table.store.getUser(created.sub);
    assert.deepEqual(record?.branches, ['2']);
    assert.deepEqual(record?.roles, ['branch-manager']);
    assert.deepEqual({ ...created, sub: undefined }, { username: 'new@example.com', sub: undefined, email: 'new@example.com', roles: ['branch-manager'], branches: ['2'], status: 'FORCE_CHANGE_PASSWORD' });
  });

  it('refuses branches for a user who is no branch manager, and unknown branches, before creating anything', async () => {
    const { flows, directory, caller } = setup();
    const before = directory.accounts.size;

    await assert.rejects(flows.create(caller, { email: 'a@example.com', roles: ['customer'], branches: ['1'] }), isCode('not_a_branch_manager', 400));
    await assert.rejects(flows.create(caller, { email: 'b@example.com', roles: ['branch-manager'], branches: ['1', '9'] }), isCode('unknown_branch', 400));

    assert.equal(directory.accounts.size, before);
  });

  it('deletes the user from Cognito again when their groups cannot be set, so that the call can be repeated', async () => {
    const { flows, directory, caller, adminApi } = setup();
    directory.fail.setRoles = () => Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });

    await assert.rejects(flows.create(caller, { email: 'half@example.com', roles: ['customer'] }), /Rate exceeded/);

    assert.deepEqual(adminApi.deleted, ['half@example.com']);
    assert.equal(directory.accounts.has('half@example.com'), false);
  });
});

describe('setBranches', () => {
  it("replaces the manager's branches on their record and announces the change", async () => {
    const { flows, directory, caller } = setup();
    const manager = directory.add(['branch-manager']);

    const answer = await flows.setBranches(caller, manager.username, ['1', '2']);

    assert.deepEqual(answer, { username: manager.username, sub: manager.sub, branches: ['1', '2'] });
    assert.deepEqual((await table.store.getUser(manager.sub))?.branches, ['1', '2']);
    assert.deepEqual(await flows.setBranches(caller, manager.username, []), { username: manager.username, sub: manager.sub, branches: [] });
  });

  it('refuses branches for a user without the branch-manager role (but lets them be emptied), and unknown branches', async () => {
    const { flows, directory, caller } = setup();
    const customer = directory.add(['customer']);
    const manager = directory.add(['branch-manager']);

    await assert.rejects(flows.setBranches(caller, customer.username, ['1']), isCode('not_a_branch_manager', 400));
    await flows.setBranches(caller, customer.username, []);
    await assert.rejects(flows.setBranches(caller, manager.username, ['no-such-branch']), isCode('unknown_branch', 400));
    await assert.rejects(flows.setBranches(caller, 'nobody@example.com', []), isCode('user_not_found', 404));
  });
});

describe('remove', () => {
  it('raises deletedAt before Cognito deletes the user', async () => {
    const { flows, directory, caller, adminApi, clock } = setup();
    const user = directory.add(['customer']);
    const before = epochSeconds(clock());

    await flows.remove(caller, user.username);

    const record = await table.store.getUser(user.sub);
    assert.ok((record?.deletedAt ?? 0) >= before);
    assert.deepEqual(adminApi.deleted, [user.username]);
  });

  it('refuses an admin deleting themselves and the last admin (409), and leaves them untouched', async () => {
    const { flows, directory, admin, caller, adminApi } = setup();
    // A caller whose token still says admin, though the directory's only admin is `admin`.
    const other = directory.add(['customer']);

    await assert.rejects(flows.remove(caller, admin.username), isCode('cannot_delete_self', 409));
    await assert.rejects(flows.remove(callerFor(other, { roles: ['admin'] }), admin.username), isCode('last_admin', 409));
    assert.deepEqual(adminApi.deleted, []);
    assert.equal((await table.store.getUser(admin.sub))?.deletedAt, undefined);

    const second = directory.add(['admin']);
    await flows.remove(caller, second.username);
    assert.deepEqual(adminApi.deleted, [second.username]);
  });
});

describe('resetMfa (a lost authenticator)', () => {
  it("cuts the user's sessions off before Cognito turns MFA off, records MFA off, and signs them out at Cognito", async () => {
    const { flows, directory, caller, clock } = setup();
    const user = directory.add(['customer'], { mfaEnabled: true, totpVerified: true });
    await table.store.setMfa({ sub: user.sub, username: user.username, enabled: true, versionMs: clock() - 1000 });
    let whenCognitoResets: UserRecord | undefined;
    directory.meanwhile.adminDisableSoftwareTokenMfa = async () => {
      whenCognitoResets ??= await table.store.getUser(user.sub);
    };
    const before = clock();
    await flows.resetMfa(caller, user.username);
    assert.ok((whenCognitoResets?.signedOutAt ?? 0) >= epochSeconds(before), 'signedOutAt raised first');
    assert.equal(user.mfaEnabled, false, 'off at Cognito');
    assert.equal((await table.store.getUser(user.sub))?.mfaEnabled, undefined, 'off in the record');
    assert.deepEqual(directory.calls.filter((call) => call.method === 'globalSignOut'), [{ method: 'globalSignOut', arg: user.username }]);
  });

  it("refuses an admin's own reset (409 cannot_reset_own_mfa: that takes a code) and an unknown user (404)", async () => {
    const { flows, admin, caller, directory } = setup();
    await assert.rejects(flows.resetMfa(caller, admin.username), isCode('cannot_reset_own_mfa', 409));
    await assert.rejects(flows.resetMfa(caller, 'nobody@example.com'), isCode('user_not_found', 404));
    assert.equal(directory.count('adminDisableSoftwareTokenMfa'), 0);
  });
});

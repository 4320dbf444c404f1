/**
 * Users administered through the gateway (issue 12, "Users"): create, read, branches, delete and
 * the filtered list, over HTTP against the local stack. Branch changes and deletions are
 * revocations: they reach every authorizer within the revocation bound, for the user's tokens
 * and their API keys alike (tests/support/client.ts).
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  afterRevocationBound,
  assertNoInternals,
  call,
  freshUser,
  login,
  loginAs,
  mailFor,
  refusedWithinBound,
  statusOf,
  tokensOf,
  withinRevocationBound,
  type Session,
} from '../support/client';

const email = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
const TEMPORARY = 'Temporary-Passw0rd!';

const createKey = async (accessToken: string, scopes: string[]) => {
  const answer = await call('POST', '/api-keys', { token: accessToken, body: { name: 'people test', scopes } });
  assert.equal(answer.status, 201, answer.text);
  return answer.body.key as string;
};

let admin: Session;
beforeAll(async () => {
  admin = await login('admin');
});

const asAdmin = (method: string, path: string, body?: unknown) => call(method, path, { token: admin.accessToken, ...(body === undefined ? {} : { body }) });

describe('POST /users', () => {
  it('creates a branch manager with branches, whom GET /users/{username} then shows, and who can log in with those rights', async () => {
    const address = email('new-manager');
    const since = Date.now();
    const created = await asAdmin('POST', '/users', { email: address, roles: ['branch-manager'], branches: ['2'], temporaryPassword: TEMPORARY });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), `/users/${encodeURIComponent(address)}`);
    assert.equal(created.body.username, address);
    assert.equal(created.body.email, address);
    assert.deepEqual(created.body.roles, ['branch-manager']);
    assert.deepEqual(created.body.branches, ['2']);
    assert.equal(created.body.status, 'FORCE_CHANGE_PASSWORD');
    assert.match(created.body.sub, /\S/);

    const read = await asAdmin('GET', `/users/${encodeURIComponent(address)}`);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(
      { ...read.body, createdAt: undefined },
      {
        username: address,
        sub: created.body.sub,
        email: address,
        roles: ['branch-manager'],
        branches: ['2'],
        enabled: true,
        status: 'FORCE_CHANGE_PASSWORD',
        createdAt: undefined,
        mfa: { enabled: false },
      },
    );
    assert.ok(!Number.isNaN(Date.parse(read.body.createdAt)), read.text);

    // No invitation when the admin hands the password over; the first login answers the challenge.
    await assert.rejects(mailFor(address, since, 1000), /no message/);
    const challenge = await loginAs({ username: address, password: TEMPORARY });
    assert.equal(challenge.body.challenge, 'NEW_PASSWORD_REQUIRED', challenge.text);
    const chosen = await call('POST', '/auth/new-password', { body: { username: address, session: challenge.body.session, newPassword: 'Chosen-Passw0rd!' } });
    assert.equal(chosen.status, 200, chosen.text);
    const { accessToken } = chosen.body as { accessToken: string };
    assert.equal(await statusOf('GET', '/branches/2/products', accessToken), 200);
    assert.equal(await statusOf('GET', '/branches/1/products', accessToken), 403);
  });

  it('invites the user when no temporary password is given (Cognito makes one and sends it)', async () => {
    const created = await asAdmin('POST', '/users', { email: email('invited'), roles: ['customer'] });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.branches, []);
    assert.equal(created.body.status, 'FORCE_CHANGE_PASSWORD');
  });

  it('answers 409 for an existing user, and changes nothing', async () => {
    const answer = await asAdmin('POST', '/users', { email: 'manager@example.com', roles: ['customer'], temporaryPassword: TEMPORARY });
    assert.equal(answer.status, 409, answer.text);
    assert.equal(answer.body.error, 'user_exists');
    const manager = await asAdmin('GET', '/users/manager@example.com');
    assert.deepEqual(manager.body.roles, ['branch-manager']);
  });

  it('answers 400 with details for bad input: unknown role, branches for a non-manager, unknown branch, weak password, no email', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ email: email('x'), roles: ['root'] }, 'invalid_body', /roles\.0: must be one of admin, branch-manager, customer/],
      [{ email: email('x'), roles: ['customer'], branches: ['1'] }, 'not_a_branch_manager', /branches: must be empty/],
      [{ email: email('x'), roles: ['branch-manager'], branches: ['no-such-branch'] }, 'unknown_branch', /no branch "no-such-branch"/],
      [{ email: email('x'), roles: ['customer'], temporaryPassword: 'short' }, 'invalid_body', /temporaryPassword: must be at least 12 characters/],
      [{ email: email('x'), roles: ['customer'], temporaryPassword: 'alllowercase-but-long' }, 'invalid_body', /temporaryPassword: must contain an upper-case letter/],
      [{ email: 'not-an-email', roles: ['customer'] }, 'invalid_body', /email: must be an email address/],
      [{ email: email('x'), roles: [] }, 'invalid_body', /roles: must name at least one role/],
      [{ email: email('x'), roles: ['customer'], extra: true }, 'invalid_body', /extra/],
    ];
    for (const [body, code, detail] of cases) {
      const answer = await asAdmin('POST', '/users', body);
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(answer.body.error, code, answer.text);
      assert.match(answer.body.details.join('\n'), detail);
      assertNoInternals(answer);
    }
  });
});

describe('GET /users/{username}', () => {
  it('answers 404 for an unknown user', async () => {
    const answer = await asAdmin('GET', '/users/nobody@example.com');
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error, 'user_not_found');
  });
});

describe('PUT /users/{username}/branches', () => {
  it("opens an added branch and closes a removed one within the bound, for the manager's token and API key", async () => {
    const manager = await freshUser('branches', ['branch-manager'], ['1']);
    const { accessToken } = await tokensOf(manager);
    const key = await createKey(accessToken, ['inventory:read']);
    for (const credential of [accessToken, key]) {
      assert.equal(await statusOf('GET', '/branches/1/products', credential), 200);
      assert.equal(await statusOf('GET', '/branches/2/products', credential), 403);
    }

    const changed = await asAdmin('PUT', `/users/${encodeURIComponent(manager.username)}/branches`, { branches: ['2'] });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.body.branches, ['2']);
    assert.equal(changed.body.username, manager.username);

    for (const credential of [accessToken, key]) {
      await refusedWithinBound('GET', '/branches/1/products', credential, 403);
      await withinRevocationBound(async () => (await statusOf('GET', '/branches/2/products', credential)) === 200, 'branch 2 opening');
    }
    await afterRevocationBound();
    assert.equal(await statusOf('GET', '/branches/1/products', key), 403);
    assert.equal(await statusOf('GET', '/branches/2/products', accessToken), 200);

    const read = await asAdmin('GET', `/users/${encodeURIComponent(manager.username)}`);
    assert.deepEqual(read.body.branches, ['2']);
    const listed = await asAdmin('GET', '/users?role=branch-manager&branch=2&limit=60');
    assert.equal(listed.status, 200, listed.text);
    assert.ok(listed.body.items.some((u: { username: string }) => u.username === manager.username), listed.text);
    assert.ok(listed.body.items.every((u: { roles: string[]; branches: string[] }) => u.roles.includes('branch-manager') && u.branches.includes('2')), listed.text);
  });

  it('answers 400 for an unknown branch and for branches of a user who is no branch manager, 404 for an unknown user', async () => {
    const unknownBranch = await asAdmin('PUT', '/users/manager@example.com/branches', { branches: ['1', 'nowhere'] });
    assert.equal(unknownBranch.status, 400, unknownBranch.text);
    assert.equal(unknownBranch.body.error, 'unknown_branch');
    assert.deepEqual(unknownBranch.body.details, ['branches: there is no branch "nowhere"']);
    const customer = await asAdmin('PUT', '/users/customer@example.com/branches', { branches: ['1'] });
    assert.equal(customer.status, 400, customer.text);
    assert.equal(customer.body.error, 'not_a_branch_manager');
    const repeated = await asAdmin('PUT', '/users/manager@example.com/branches', { branches: ['1', '1'] });
    assert.equal(repeated.status, 400, repeated.text);
    assert.equal((await asAdmin('PUT', '/users/nobody@example.com/branches', { branches: [] })).status, 404);
    // Nothing changed for the seeded manager.
    assert.deepEqual((await asAdmin('GET', '/users/manager@example.com')).body.branches, ['1']);
  });
});

describe('DELETE /users/{username}', () => {
  it("refuses the user's tokens and keys within the bound, and their login then answers like an unknown user's", async () => {
    const doomed = await freshUser('deleted', ['customer']);
    const { accessToken } = await tokensOf(doomed);
    const key = await createKey(accessToken, ['profile:read']);
    assert.equal(await statusOf('GET', '/users/me', key), 200);

    const deleted = await asAdmin('DELETE', `/users/${encodeURIComponent(doomed.username)}`);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    await refusedWithinBound('GET', '/users/me', accessToken, 401);
    await refusedWithinBound('GET', '/users/me', key, 401);

    const asDeleted = await loginAs(doomed);
    const asUnknown = await loginAs({ username: `nobody-${randomUUID().slice(0, 8)}@example.com`, password: doomed.password });
    assert.equal(asDeleted.status, 401);
    assert.deepEqual({ status: asDeleted.status, body: asDeleted.body }, { status: asUnknown.status, body: asUnknown.body });
    assert.equal((await asAdmin('GET', `/users/${encodeURIComponent(doomed.username)}`)).status, 404);
    assert.equal((await asAdmin('DELETE', `/users/${encodeURIComponent(doomed.username)}`)).status, 404);
  });

  it('refuses an admin deleting themselves (409), and answers 404 for an unknown user', async () => {
    const self = await asAdmin('DELETE', `/users/${encodeURIComponent(admin.user.username)}`);
    assert.equal(self.status, 409, self.text);
    assert.equal(self.body.error, 'cannot_delete_self');
    assert.equal((await asAdmin('DELETE', '/users/nobody@example.com')).status, 404);
    assert.equal(await statusOf('GET', '/users/me', admin.accessToken), 200);
  });
});

describe('GET /users filters', () => {
  it('lists the members of a role (cognito-local answers them in one page: it ignores Limit)', async () => {
    const admins = await asAdmin('GET', '/users?role=admin&limit=60');
    assert.equal(admins.status, 200, admins.text);
    assert.ok(admins.body.items.some((u: { username: string }) => u.username === admin.user.username), admins.text);
    for (const user of admins.body.items) assert.ok(user.roles.includes('admin'));
    const customers = await asAdmin('GET', '/users?role=customer&limit=60');
    assert.ok(customers.body.items.some((u: { username: string }) => u.username === 'customer@example.com'));
    assert.ok(customers.body.items.every((u: { roles: string[] }) => u.roles.includes('customer')));
  });

  it('answers 400 for an unknown role or a bad branch id', async () => {
    // (A page token Cognito did not issue is a 400 too where Cognito refuses it: cognito-local ignores page tokens.)
    for (const query of ['role=root', 'branch=a%20b', 'limit=61']) {
      const answer = await asAdmin('GET', `/users?${query}`);
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      assertNoInternals(answer);
    }
  });
});

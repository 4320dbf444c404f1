/**
 * User administration (lib/identity/user-admin.ts) over a FakeIdentity's accounts, and a
 * branch directory from a list of ids, for unit tests of the users flows.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../lib/errors';
import type { DirectoryUser } from '../../lib/identity/cognito';
import type { UserAdministration } from '../../lib/identity/user-admin';
import type { BranchStore } from '../../lib/branches/store';
import type { FakeIdentity } from './fake-identity';

export const fakeUserAdministration = (directory: FakeIdentity): UserAdministration & { deleted: string[] } => {
  const deleted: string[] = [];
  const view = (username: string): DirectoryUser => {
    const account = directory.accounts.get(username)!;
    return { username, sub: account.sub, ...(account.email ? { email: account.email } : {}), enabled: account.enabled, status: 'FORCE_CHANGE_PASSWORD' };
  };
  return {
    deleted,
    async createUser({ email, temporaryPassword }) {
      if (directory.accounts.has(email)) throw new ConflictError('user_exists', 'A user with this email already exists');
      directory.add([], { username: email, email, sub: `sub-${randomUUID().slice(0, 8)}`, password: temporaryPassword ?? 'invited' });
      return view(email);
    },
    async deleteUser(username) {
      deleted.push(username);
      return directory.accounts.delete(username);
    },
    async listUsersInRole(role, limit, nextToken) {
      const members = [...directory.accounts.values()].filter((account) => account.groups.includes(role));
      const start = nextToken === undefined ? 0 : Number(nextToken);
      const users = members.slice(start, start + limit).map((account) => view(account.username));
      return start + limit < members.length ? { users, nextToken: String(start + limit) } : { users };
    },
  };
};

export const fakeBranches = (ids: readonly string[]): Pick<BranchStore, 'getBranches'> => ({
  async getBranches(wanted) {
    return new Map(wanted.filter((id) => ids.includes(id)).map((id) => [id, { branchId: id, name: `Branch ${id}` }]));
  },
});

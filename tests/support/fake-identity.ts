/**
 * An in-memory Cognito behind the gateway's `IdentityProvider` port, for unit tests of the flows
 * that talk to it (functions/auth, functions/users). It issues well-formed but unsigned JWTs (the
 * flows only decode what Cognito hands them over TLS, they never verify it) dated by the test's
 * clock, keeps a directory with groups, and records every call.
 *
 * - `originJti: true` issues like Cognito on AWS: every token of a login carries that login's
 *   `origin_jti`. `false` issues like cognito-local: no `origin_jti`, a new `jti` per refresh.
 * - Like cognito-local, `globalSignOut` ends no refresh token: what a sign-out everywhere ends is
 *   the gateway's cut-off alone.
 * - `movableClock()` is a clock for the fake and the flows to share, which the test moves forward.
 * - `fail.<method>` makes that method throw what it returns; `meanwhile.<method>` runs inside it, at the moment
 *   Cognito has decided but not yet answered (what happens elsewhere in between).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { epochSeconds, systemClock, type Clock } from '../../lib/clock';
import {
  invalidChallengeSession,
  invalidCode,
  invalidCredentials,
  invalidCurrentPassword,
  invalidRefreshToken,
  type DirectoryUser,
  type IdentityProvider,
  type IssuedTokens,
  type LoginChallenge,
} from '../../lib/identity/cognito';
import { base32Encode, totp } from './totp';
import type { Role } from '../../lib/policy/route-policy';

export interface FakeAccount {
  sub: string;
  username: string;
  password: string;
  email?: string;
  groups: Role[];
  /** Cognito's own enabled flag (the gateway's is on its `user#` record). */
  enabled: boolean;
  /** A temporary password: login answers the new-password challenge. */
  temporary?: boolean;
  /** The code last sent (reset or sign-up confirmation), and whether the account is confirmed. */
  code?: string;
  unconfirmed?: boolean;
  /** TOTP: the associated secret, whether a code verified it, whether login asks for a code. */
  totpSecret?: string;
  totpVerified?: boolean;
  mfaEnabled?: boolean;
}

/** The claims of an access token the fake issued. */
export interface AccessClaims {
  sub: string;
  username: string;
  'cognito:groups': Role[];
  token_use: 'access';
  client_id: string;
  iat: number;
  exp: number;
  auth_time: number;
  jti: string;
  origin_jti?: string;
}

type Method = keyof IdentityProvider;

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** A JWT with these claims and a placeholder signature: well-formed, not signed. */
export const unsignedJwt = (payload: Record<string, unknown>): string => `${base64url({ alg: 'RS256', kid: 'fake' })}.${base64url(payload)}.unsigned`;

/** The claims of a JWT, unverified. */
export const claimsOf = <T = AccessClaims>(jwt: string): T => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as T;

export const TOKEN_LIFETIME_SECONDS = 3600;

/**
 * A clock for the flows and the fake to share: real time plus an offset the test moves forward
 * (never back). Close to real time, so that records, which the store dates by real time, expire
 * as they would.
 */
export const movableClock = () => {
  let offset = 0;
  const clock = () => Date.now() + offset;
  return Object.assign(clock, {
    advance(ms: number) {
      offset += Math.max(0, ms);
    },
    /** Move on to `msLeft` milliseconds before the end of a second. */
    toEndOfSecond(msLeft: number) {
      offset += (2000 - msLeft - (clock() % 1000)) % 1000;
    },
  });
};

export class FakeIdentity implements IdentityProvider {
  readonly accounts = new Map<string, FakeAccount>();
  /** Every call, oldest first: the method and its first argument. */
  readonly calls: { method: Method; arg: unknown }[] = [];
  /** A method's failure: it throws what this returns (nothing: no failure this time). */
  readonly fail: Partial<Record<Method, () => Error | undefined>> = {};
  readonly meanwhile: Partial<Record<Method, () => Promise<void>>> = {};
  /** The most `rolesOf` calls that were running at once. */
  maxConcurrentRoleReads = 0;
  private concurrentRoleReads = 0;
  /** Refresh token → the login it belongs to. */
  private readonly grants = new Map<string, { username: string; authTime: number; originJti: string }>();
  private readonly clock: Clock;
  private readonly originJti: boolean;
  private readonly expiresIn: number | undefined;

  constructor(options: { clock?: Clock; originJti?: boolean; expiresIn?: number } = {}) {
    this.clock = options.clock ?? systemClock;
    this.originJti = options.originJti ?? false;
    this.expiresIn = options.expiresIn;
  }

  /** A new account (unique sub and username) with these groups. */
  add(groups: Role[] = ['customer'], overrides: Partial<FakeAccount> = {}): FakeAccount {
    const id = randomUUID().slice(0, 8);
    const account: FakeAccount = { sub: `sub-${id}`, username: `user-${id}@example.com`, password: `pw-${id}`, email: `user-${id}@example.com`, groups, enabled: true, ...overrides };
    this.accounts.set(account.username, account);
    return account;
  }

  /** How many times `method` was called. */
  count(method: Method): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  /** Challenge session → the username it was issued for (Cognito answers each once). */
  private readonly challenges = new Map<string, string>();

  async passwordLogin(username: string, password: string): Promise<IssuedTokens | LoginChallenge> {
    await this.enter('passwordLogin', username);
    const account = this.accounts.get(username);
    if (!account || account.password !== password || !account.enabled || account.unconfirmed) throw invalidCredentials();
    if (account.temporary) {
      const session = `challenge-${randomUUID()}`;
      this.challenges.set(session, username);
      return { challenge: 'NEW_PASSWORD_REQUIRED', session, username };
    }
    if (account.mfaEnabled) {
      const session = `mfa-${randomUUID()}`;
      this.challenges.set(session, username);
      return { challenge: 'SOFTWARE_TOKEN_MFA', session, username };
    }
    return this.issue(account);
  }

  /** A code of the account's secret now or a step either side, as Cognito checks them. */
  private codeMatches(account: FakeAccount, code: string): boolean {
    const secret = account.totpSecret;
    if (!secret) return false;
    const now = this.clock();
    return [-1, 0, 1].some((steps) => totp(secret, { atMs: now, steps }) === code);
  }

  private accountOfToken(accessToken: string): FakeAccount {
    const sub = claimsOf<{ sub?: string }>(accessToken).sub;
    const account = [...this.accounts.values()].find((a) => a.sub === sub);
    if (!account) throw invalidCredentials();
    return account;
  }

  async associateSoftwareToken(accessToken: string): Promise<string> {
    await this.enter('associateSoftwareToken', undefined);
    const account = this.accountOfToken(accessToken);
    account.totpSecret = base32Encode(randomBytes(20));
    account.totpVerified = false;
    return account.totpSecret;
  }

  async verifySoftwareToken(accessToken: string, code: string): Promise<void> {
    await this.enter('verifySoftwareToken', code);
    const account = this.accountOfToken(accessToken);
    if (!this.codeMatches(account, code)) throw invalidCode();
    account.totpVerified = true;
  }

  async setSoftwareTokenMfa(accessToken: string, enabled: boolean): Promise<void> {
    await this.enter('setSoftwareTokenMfa', enabled);
    const account = this.accountOfToken(accessToken);
    if (enabled && !account.totpVerified) throw Object.assign(new Error('not verified'), { name: 'InvalidParameterException' });
    account.mfaEnabled = enabled;
  }

  async adminDisableSoftwareTokenMfa(username: string): Promise<void> {
    await this.enter('adminDisableSoftwareTokenMfa', username);
    const account = this.account(username);
    await this.meanwhile.adminDisableSoftwareTokenMfa?.();
    account.mfaEnabled = false;
  }

  async respondToSoftwareTokenMfa(username: string, session: string, code: string): Promise<IssuedTokens> {
    await this.enter('respondToSoftwareTokenMfa', username);
    const account = this.accounts.get(username);
    if (!account || this.challenges.get(session) !== username) throw invalidChallengeSession();
    if (!this.codeMatches(account, code)) throw invalidCredentials();
    this.challenges.delete(session);
    return this.issue(account);
  }

  async respondToNewPassword(username: string, session: string, newPassword: string): Promise<IssuedTokens> {
    await this.enter('respondToNewPassword', username);
    const account = this.accounts.get(username);
    if (!account || this.challenges.get(session) !== username) throw invalidChallengeSession();
    this.challenges.delete(session);
    account.password = newPassword;
    account.temporary = false;
    return this.issue(account);
  }

  async changePassword(accessToken: string, currentPassword: string, newPassword: string): Promise<void> {
    await this.enter('changePassword', undefined);
    const sub = claimsOf<{ sub?: string }>(accessToken).sub;
    const account = [...this.accounts.values()].find((a) => a.sub === sub);
    if (!account || account.password !== currentPassword) throw invalidCurrentPassword();
    account.password = newPassword;
  }

  async forgotPassword(username: string): Promise<void> {
    await this.enter('forgotPassword', username);
    const account = this.accounts.get(username);
    if (account) account.code = String(100000 + Math.floor(Math.random() * 900000));
  }

  async confirmForgotPassword(username: string, code: string, newPassword: string): Promise<void> {
    await this.enter('confirmForgotPassword', username);
    const account = this.accounts.get(username);
    if (!account?.code || account.code !== code) throw invalidCode();
    account.code = undefined;
    account.password = newPassword;
  }

  async signUp(email: string, password: string): Promise<void> {
    await this.enter('signUp', email);
    const code = String(100000 + Math.floor(Math.random() * 900000));
    const existing = this.accounts.get(email);
    if (existing) {
      if (existing.unconfirmed) existing.code = code;
      return;
    }
    this.add([], { username: email, email, password, unconfirmed: true, code });
  }

  async confirmSignUp(email: string, code: string): Promise<void> {
    await this.enter('confirmSignUp', email);
    const account = this.accounts.get(email);
    if (!account?.unconfirmed || account.code !== code) throw invalidCode();
    account.unconfirmed = false;
    account.code = undefined;
  }

  async addRole(username: string, role: Role): Promise<void> {
    await this.enter('addRole', username);
    const account = this.account(username);
    if (!account.groups.includes(role)) account.groups = [...account.groups, role];
  }

  private async issue(account: FakeAccount): Promise<IssuedTokens> {
    const username = account.username;
    const authTime = epochSeconds(this.clock());
    const refreshToken = `rt-${randomUUID()}`;
    const originJti = randomUUID();
    this.grants.set(refreshToken, { username, authTime, originJti });
    await this.meanwhile.passwordLogin?.();
    return { ...this.tokens(account, authTime, originJti), refreshToken };
  }

  async refresh(refreshToken: string): Promise<IssuedTokens> {
    await this.enter('refresh', undefined);
    const grant = this.grants.get(refreshToken);
    const account = grant && this.accounts.get(grant.username);
    if (!grant || !account?.enabled) throw invalidRefreshToken();
    await this.meanwhile.refresh?.();
    return this.tokens(account, grant.authTime, grant.originJti);
  }

  async revokeRefreshToken(refreshToken: string): Promise<void> {
    await this.enter('revokeRefreshToken', undefined);
    this.grants.delete(refreshToken);
  }

  async getUser(username: string): Promise<DirectoryUser | undefined> {
    await this.enter('getUser', username);
    const account = this.accounts.get(username);
    return account && this.directoryUser(account);
  }

  async listUsers(limit: number, paginationToken?: string): Promise<{ users: DirectoryUser[]; nextToken?: string }> {
    await this.enter('listUsers', limit);
    const start = paginationToken === undefined ? 0 : Number(paginationToken);
    const all = [...this.accounts.values()];
    const users = all.slice(start, start + limit).map((account) => this.directoryUser(account));
    return start + limit < all.length ? { users, nextToken: String(start + limit) } : { users };
  }

  async rolesOf(username: string): Promise<Role[]> {
    await this.enter('rolesOf', username);
    this.concurrentRoleReads += 1;
    this.maxConcurrentRoleReads = Math.max(this.maxConcurrentRoleReads, this.concurrentRoleReads);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return [...(this.accounts.get(username)?.groups ?? [])];
    } finally {
      this.concurrentRoleReads -= 1;
    }
  }

  async setRoles(username: string, roles: readonly Role[]): Promise<void> {
    await this.enter('setRoles', username);
    await this.meanwhile.setRoles?.();
    this.account(username).groups = [...roles];
  }

  async disableUser(username: string): Promise<void> {
    await this.enter('disableUser', username);
    await this.meanwhile.disableUser?.();
    this.account(username).enabled = false;
  }

  async enableUser(username: string): Promise<void> {
    await this.enter('enableUser', username);
    this.account(username).enabled = true;
  }

  async globalSignOut(username: string): Promise<void> {
    await this.enter('globalSignOut', username);
  }

  /** Record the call, then fail it if the test asked for that. */
  private async enter(method: Method, arg: unknown): Promise<void> {
    this.calls.push({ method, arg });
    const failure = this.fail[method]?.();
    if (failure) throw failure;
  }

  private account(username: string): FakeAccount {
    const account = this.accounts.get(username);
    if (!account) throw Object.assign(new Error('User does not exist.'), { name: 'UserNotFoundException' });
    return account;
  }

  private directoryUser(account: FakeAccount): DirectoryUser {
    return {
      username: account.username,
      sub: account.sub,
      ...(account.email ? { email: account.email } : {}),
      enabled: account.enabled,
      status: 'CONFIRMED',
      mfaEnabled: account.mfaEnabled === true,
    };
  }

  private tokens(account: FakeAccount, authTime: number, originJti: string): IssuedTokens {
    const iat = epochSeconds(this.clock());
    const exp = iat + TOKEN_LIFETIME_SECONDS;
    const access: AccessClaims = {
      sub: account.sub,
      username: account.username,
      'cognito:groups': [...account.groups],
      token_use: 'access',
      client_id: 'users-client',
      iat,
      exp,
      auth_time: authTime,
      jti: randomUUID(),
      ...(this.originJti ? { origin_jti: originJti } : {}),
    };
    return {
      accessToken: unsignedJwt({ ...access }),
      idToken: unsignedJwt({ sub: account.sub, 'cognito:username': account.username, token_use: 'id', iat, exp, auth_time: authTime }),
      ...(this.expiresIn === undefined ? {} : { expiresIn: this.expiresIn }),
    };
  }
}

/**
 * The gateway's access records as data: their types, keys and parsing, and the revocation rule. No AWS SDK here: this module is part of the
 * authorizer's bundle. `lib/access/store.ts` reads and writes the records with the SDK;
 * `authorizers/adapters/dynamodb-lite.ts` is the authorizer's own small reader.
 */

import { secretMatches } from './api-keys';
import { isRole, isScope, type Role, type Scope } from '../policy/route-policy';

/**
 * The kinds of cut-off a user record keeps. Each is its own high-water mark (epoch seconds)
 * that only ever moves forward: a later, weaker event (an enable, a role change) never
 * lowers or clears what a stronger one (a sign-out everywhere, a disable) set.
 *
 * - `signedOutAt`    sign out everywhere: every login at or before it ends (user tokens by
 *                    their `auth_time`, which a refresh keeps; API keys by `createdAt`).
 * - `disabledAt`     the last disable: like `signedOutAt`, and kept after an enable.
 * - `rolesChangedAt` a role change: tokens issued (`iat`) at or before it carry the old groups.
 *                    API keys are not cut off: they act with the owner's current roles.
 * - `deletedAt`      the user was deleted: nothing of theirs passes again.
 */
export const CUT_OFF_KINDS = ['signedOutAt', 'disabledAt', 'rolesChangedAt', 'deletedAt'] as const;
export type CutOffKind = (typeof CUT_OFF_KINDS)[number];

export interface UserRecord {
  sub: string;
  username: string;
  branches: string[];
  /**
   * The user's roles as the gateway last learnt them from Cognito (the pre-token-generation
   * trigger, a role change through the gateway, the Cognito event sync). API keys act with
   * these; users' own tokens carry their groups.
   */
  roles?: Role[];
  /** Epoch milliseconds of the reading of Cognito's groups that `roles` reflects. */
  rolesSyncedAt?: number;
  disabled?: boolean;
  /**
   * Whether the user signs in with a code from an authenticator app (TOTP MFA), as the gateway
   * last set it (`mfaChangedAt`: epoch ms of that change, which orders the writes). A role in
   * `MFA_REQUIRED_ROLES` opens only the routes that set it up while this is not true.
   */
  mfaEnabled?: boolean;
  mfaChangedAt?: number;
  signedOutAt?: number;
  disabledAt?: number;
  rolesChangedAt?: number;
  deletedAt?: number;
}

export interface UserProfile {
  sub: string;
  username: string;
  branches: string[];
}

export interface SessionRecord {
  sessionId: string;
  /** The user the session belongs to, where recorded. */
  sub?: string;
  /** When the login's tokens were issued (epoch seconds), where known. */
  issuedAt?: number;
  revokedAt?: number;
  parent?: string;
  children: string[];
  expiresAt?: number;
}

export interface AccessSnapshot {
  user?: UserRecord;
  session?: SessionRecord;
}

export interface ApiKeySnapshot {
  key?: ApiKeyRecord;
  /** The key's owner's record. */
  owner?: UserRecord;
}

/** What one decision cost in database round trips; readers add theirs (the audit line reports them). */
export interface ReadCost {
  /** Reads of access records (BatchGetItem). */
  reads: number;
  /** Queries of the access change log that the decision waited for. */
  polls: number;
}

/** What the authorizer decides on: read per decision (strict) or through its view. */
export interface SnapshotReader {
  /** The user's record and the session's state (one round trip when read). */
  snapshot(sub: string, sessionId: string, cost?: ReadCost): Promise<AccessSnapshot>;
  /** An API key's record, then its owner's (two round trips when read: the second needs the first). */
  apiKey(keyId: string, cost?: ReadCost): Promise<ApiKeySnapshot>;
  /** A browser session's record by the hash of its id, then its user's (as `apiKey`). */
  webSession(hash: string, cost?: ReadCost): Promise<WebSessionSnapshot>;
}

export const USER = 'user#';
export const SESSION = 'session#';
export const REFRESH = 'refresh#';
export const APIKEY = 'apikey#';
export const USERNAME = 'username#';
/** `websession#<sha256 of the session id>`: a browser session (lib/sessions/web-session.ts). */
export const WEBSESSION = 'websession#';


export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export type Item = Record<string, unknown>;

export const live = (item: Item | undefined): Item | undefined =>
  item && !(typeof item.expiresAt === 'number' && item.expiresAt < nowSeconds()) ? item : undefined;

export const stringList = (value: unknown): string[] => {
  if (value instanceof Set) return [...value].filter((v): v is string => typeof v === 'string');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
};

const epoch = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

const later = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

/** Records written before cut-offs were kept per kind: one `notBefore` with its reason. */
const LEGACY_REASON: Record<string, CutOffKind> = { signed_out: 'signedOutAt', disabled: 'disabledAt', roles_changed: 'rolesChangedAt' };

export const toUser = (item: Item | undefined): UserRecord | undefined => {
  if (!item || typeof item.sub !== 'string' || typeof item.username !== 'string') return undefined;
  const cutOffs: Partial<Record<CutOffKind, number>> = {};
  for (const kind of CUT_OFF_KINDS) {
    const at = epoch(item[kind]);
    if (at !== undefined) cutOffs[kind] = at;
  }
  const legacy = epoch(item.notBefore);
  if (legacy !== undefined) {
    // An unknown or missing reason is read as the strongest cut-off a login can have.
    const kind = LEGACY_REASON[String(item.notBeforeReason)] ?? 'signedOutAt';
    cutOffs[kind] = later(cutOffs[kind], legacy);
  }
  const rolesSyncedAt = epoch(item.rolesSyncedAt);
  return {
    sub: item.sub,
    username: item.username,
    branches: stringList(item.branches),
    ...(item.roles instanceof Set || Array.isArray(item.roles) ? { roles: stringList(item.roles).filter(isRole) } : {}),
    ...(rolesSyncedAt !== undefined ? { rolesSyncedAt } : {}),
    ...(item.disabled === true ? { disabled: true } : {}),
    ...(item.mfaEnabled === true ? { mfaEnabled: true } : {}),
    ...(epoch(item.mfaChangedAt) !== undefined ? { mfaChangedAt: epoch(item.mfaChangedAt) } : {}),
    ...cutOffs,
  };
};

export const toSession = (item: Item | undefined): SessionRecord | undefined => {
  if (!item || typeof item.pk !== 'string') return undefined;
  return {
    sessionId: item.pk.slice(SESSION.length),
    ...(typeof item.sub === 'string' ? { sub: item.sub } : {}),
    ...(typeof item.revokedAt === 'number' ? { revokedAt: item.revokedAt } : {}),
    ...(typeof item.parent === 'string' ? { parent: item.parent } : {}),
    children: stringList(item.children),
    ...(typeof item.expiresAt === 'number' ? { expiresAt: item.expiresAt } : {}),
  };
};

export interface ApiKeyRecord {
  id: string;
  /** The owner's `sub`: the key acts for them. */
  owner: string;
  ownerUsername: string;
  name: string;
  scopes: Scope[];
  secretHash: string;
  /** Epoch seconds. */
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
}

/** A stored record, or undefined when the item is not a complete key record. */
export const toApiKey = (item: Record<string, unknown> | undefined): ApiKeyRecord | undefined => {
  if (!item || typeof item.pk !== 'string' || !item.pk.startsWith(APIKEY)) return undefined;
  const { owner, ownerUsername, name, secretHash, createdAt, expiresAt, revokedAt } = item;
  if (typeof owner !== 'string' || typeof ownerUsername !== 'string' || typeof name !== 'string' || typeof secretHash !== 'string') return undefined;
  if (typeof createdAt !== 'number' || typeof expiresAt !== 'number') return undefined;
  return {
    id: item.pk.slice(APIKEY.length),
    owner,
    ownerUsername,
    name,
    // Unknown scopes (from a newer or older version) grant nothing.
    scopes: stringList(item.scopes).filter(isScope),
    secretHash,
    createdAt,
    expiresAt,
    ...(typeof revokedAt === 'number' ? { revokedAt } : {}),
  };
};

/** The snapshot from the items a read returned, keyed by `pk`. */
export const snapshotFromItems = (items: ReadonlyMap<string, Item>, sub: string, sessionId: string): AccessSnapshot => {
  const user = toUser(items.get(USER + sub));
  const session = toSession(live(items.get(SESSION + sessionId)));
  const snapshot: AccessSnapshot = {};
  if (user) snapshot.user = user;
  if (session) snapshot.session = session;
  return snapshot;
};

/** Why a token is refused by the gateway's records, if it is. */
export type LoginCutOff = 'user_deleted' | 'user_disabled' | 'user_signed_out';
export type RevocationReason = LoginCutOff | 'roles_changed' | 'session_revoked';

const atOrBefore = (time: number, cutOff: number | undefined): boolean => cutOff !== undefined && time <= cutOff;

/**
 * Why the user's own record refuses a login made at `authTime` (epoch seconds): deleted,
 * disabled now, or a sign-out everywhere or a disable at or after that login. Whoever issued
 * the token, and however often it was refreshed since: `auth_time` is the login's.
 */
export const loginCutOff = (user: UserRecord | undefined, authTime: number): LoginCutOff | undefined => {
  if (!user) return undefined;
  if (user.deletedAt !== undefined) return 'user_deleted';
  if (user.disabled || atOrBefore(authTime, user.disabledAt)) return 'user_disabled';
  if (atOrBefore(authTime, user.signedOutAt)) return 'user_signed_out';
  return undefined;
};

/** The facts of a user's access token the revocation rule reads. */
export interface TokenTimes {
  /** When this token was issued (`iat`). */
  issuedAt: number;
  /** When the login it descends from happened (`auth_time`; a refresh keeps it). */
  authTime: number;
}

/**
 * The one revocation rule, for every credential that stands for a user's login (an access
 * token, a browser session): the login's cut-offs (by when the login happened), then a role
 * change at or after the roles it carries were taken, then its own logout.
 */
export const loginRevocation = (
  user: UserRecord | undefined,
  login: { authTime: number; rolesTakenAt: number; revokedAt?: number | undefined },
): RevocationReason | undefined => {
  const cutOff = loginCutOff(user, login.authTime);
  if (cutOff) return cutOff;
  if (atOrBefore(login.rolesTakenAt, user?.rolesChangedAt)) return 'roles_changed';
  if (login.revokedAt !== undefined) return 'session_revoked';
  return undefined;
};

/**
 * Users' access tokens: the rule above, the token's groups taken when it was issued (`iat`),
 * its session's logout.
 */
export const revocationReason = (snapshot: AccessSnapshot, token: TokenTimes): RevocationReason | undefined =>
  loginRevocation(snapshot.user, { authTime: token.authTime, rolesTakenAt: token.issuedAt, revokedAt: snapshot.session?.revokedAt });

/**
 * A browser session (`websession#<sha256 of its id>`): the opaque cookie's record. The Cognito
 * tokens it stands for stay here, sealed (lib/secrets/vault.ts); the authorizer never
 * opens them: it decides on the record's facts.
 */
export interface WebSessionRecord {
  /** SHA-256 (hex) of the session id: the id itself is never stored. */
  hash: string;
  sub: string;
  username: string;
  /** The user's groups when the session's tokens were issued. */
  roles: Role[];
  /** When the login happened (the tokens' `auth_time`), epoch seconds. */
  authTime: number;
  /** When `roles` were taken (the tokens' `iat`), epoch seconds: a role change at or after it ends the session. */
  rolesTakenAt: number;
  /** Epoch seconds. */
  createdAt: number;
  /** Last use as far as the gateway wrote it down (at most once a minute), epoch seconds. */
  lastSeenAt: number;
  /** The absolute end (createdAt + the configured lifetime), epoch seconds. */
  expiresAt: number;
  revokedAt?: number;
}

export interface WebSessionSnapshot {
  session?: WebSessionRecord;
  /** The session's user's record. */
  user?: UserRecord;
}

const epochField = (item: Item, name: string): number | undefined => epoch(item[name]);

export const toWebSession = (item: Item | undefined): WebSessionRecord | undefined => {
  if (!item || typeof item.pk !== 'string' || !item.pk.startsWith(WEBSESSION)) return undefined;
  const { sub, username } = item;
  const authTime = epochField(item, 'authTime');
  const rolesTakenAt = epochField(item, 'rolesTakenAt');
  const createdAt = epochField(item, 'createdAt');
  const lastSeenAt = epochField(item, 'lastSeenAt');
  const expiresAt = epochField(item, 'expiresAt');
  if (typeof sub !== 'string' || typeof username !== 'string') return undefined;
  if (authTime === undefined || rolesTakenAt === undefined || createdAt === undefined || lastSeenAt === undefined || expiresAt === undefined) return undefined;
  const revokedAt = epochField(item, 'revokedAt');
  return {
    hash: item.pk.slice(WEBSESSION.length),
    sub,
    username,
    roles: stringList(item.roles).filter(isRole),
    authTime,
    rolesTakenAt,
    createdAt,
    lastSeenAt,
    expiresAt,
    ...(revokedAt !== undefined ? { revokedAt } : {}),
  };
};

/** The browser session's read: its record, then, if there is one, its user's (as `readApiKey`). */
export const readWebSession = async (read: (pk: string) => Promise<Item | undefined>, hash: string): Promise<WebSessionSnapshot> => {
  const session = toWebSession(await read(WEBSESSION + hash));
  if (!session) return {};
  const user = toUser(await read(USER + session.sub));
  return user ? { session, user } : { session };
};

export type WebSessionRefusal = 'unknown_session' | 'session_expired' | 'session_idle' | RevocationReason;

/**
 * Why a browser session is refused, if it is: unknown, past its absolute lifetime, idle longer
 * than `idleSeconds` since it was last seen, then the one rule above (the login's cut-offs, a
 * role change, its own logout).
 */
export const webSessionRefusal = (snapshot: WebSessionSnapshot, now: number, idleSeconds: number): WebSessionRefusal | undefined => {
  const { session, user } = snapshot;
  if (!session) return 'unknown_session';
  if (session.expiresAt <= now) return 'session_expired';
  if (session.lastSeenAt + idleSeconds <= now) return 'session_idle';
  return loginRevocation(user, { authTime: session.authTime, rolesTakenAt: session.rolesTakenAt, revokedAt: session.revokedAt });
};

/** The API key read: the key's record, then, if there is one, its owner's. */
export const readApiKey = async (read: (pk: string) => Promise<Item | undefined>, keyId: string): Promise<ApiKeySnapshot> => {
  const key = toApiKey(await read(APIKEY + keyId));
  if (!key) return {};
  const owner = toUser(await read(USER + key.owner));
  return owner ? { key, owner } : { key };
};

export type ApiKeyRefusal =
  | 'unknown_api_key'
  | 'bad_api_key_secret'
  | 'api_key_revoked'
  | 'api_key_expired'
  | 'owner_unknown'
  | 'user_deleted'
  | 'user_disabled'
  | 'user_signed_out';

/**
 * Why an API key is refused, if it is. The secret is checked before anything about the key is
 * revealed; then the key's own state; then its owner's, which the key follows as if it were a
 * login made when the key was created: a deleted or disabled owner, or one who signed out
 * everywhere or was disabled after the key was made, takes the key down for good. A role
 * change does not: the key keeps working with the owner's new, current roles.
 */
export const apiKeyRefusal = (snapshot: ApiKeySnapshot, secret: string, now: number = nowSeconds()): ApiKeyRefusal | undefined => {
  const { key, owner } = snapshot;
  if (!key) return 'unknown_api_key';
  if (!secretMatches(secret, key.secretHash)) return 'bad_api_key_secret';
  if (key.revokedAt !== undefined) return 'api_key_revoked';
  if (key.expiresAt <= now) return 'api_key_expired';
  if (!owner) return 'owner_unknown';
  return loginCutOff(owner, key.createdAt);
};

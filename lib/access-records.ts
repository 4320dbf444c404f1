/**
 * The gateway's access records as data: their types, keys and parsing, the revocation rule,
 * and the authorizer's optional snapshot cache. No AWS SDK here: this module is part of the
 * authorizer's bundle. `lib/access-store.ts` reads and writes the records with the SDK;
 * `lib/dynamodb-lite.ts` is the authorizer's own small reader.
 */

import { secretMatches } from './api-keys';
import { isRole, isScope, type Role, type Scope } from './route-policy';

export type UserRevocationReason = 'signed_out' | 'roles_changed' | 'disabled';

export interface UserRecord {
  sub: string;
  username: string;
  branches: string[];
  /**
   * The user's roles as the gateway last saw them (at login, key creation, or a role change
   * through the gateway). API keys act with these; users' own tokens carry their groups.
   */
  roles?: Role[];
  disabled?: boolean;
  /** Epoch seconds: every token with `iat` at or before it is refused. */
  notBefore?: number;
  notBeforeReason?: UserRevocationReason;
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

/** What the authorizer reads per decision. */
export interface SnapshotReader {
  /** One round trip: the user's record and the session's state. */
  snapshot(sub: string, sessionId: string): Promise<AccessSnapshot>;
  /** An API key's record, then its owner's (two round trips: the second needs the first). */
  apiKey(keyId: string): Promise<ApiKeySnapshot>;
}

export const USER = 'user#';
export const SESSION = 'session#';
export const REFRESH = 'refresh#';
export const APIKEY = 'apikey#';


export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export type Item = Record<string, unknown>;

export const live = (item: Item | undefined): Item | undefined =>
  item && !(typeof item.expiresAt === 'number' && item.expiresAt < nowSeconds()) ? item : undefined;

export const stringList = (value: unknown): string[] => {
  if (value instanceof Set) return [...value].filter((v): v is string => typeof v === 'string');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
};

const REVOCATION_REASONS: readonly string[] = ['signed_out', 'roles_changed', 'disabled'];

export const toUser = (item: Item | undefined): UserRecord | undefined => {
  if (!item || typeof item.sub !== 'string' || typeof item.username !== 'string') return undefined;
  return {
    sub: item.sub,
    username: item.username,
    branches: stringList(item.branches),
    ...(item.roles instanceof Set || Array.isArray(item.roles) ? { roles: stringList(item.roles).filter(isRole) } : {}),
    ...(item.disabled === true ? { disabled: true } : {}),
    ...(typeof item.notBefore === 'number' ? { notBefore: item.notBefore } : {}),
    ...(typeof item.notBeforeReason === 'string' && REVOCATION_REASONS.includes(item.notBeforeReason)
      ? { notBeforeReason: item.notBeforeReason as UserRevocationReason }
      : {}),
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
  return { ...(user ? { user } : {}), ...(session ? { session } : {}) };
};

/** Why a token is refused by the gateway's records, if it is. */
export type RevocationReason = 'user_disabled' | 'user_signed_out' | 'roles_changed' | 'session_revoked';

/**
 * The one rule for revocation, used by the authorizer (access tokens) and by refresh (refresh
 * tokens, by the time their login was issued): a disabled user, a token issued at or before the
 * user's `notBefore`, or a revoked session.
 */
export const revocationReason = (snapshot: AccessSnapshot, issuedAt: number): RevocationReason | undefined => {
  const { user, session } = snapshot;
  if (user?.disabled) return 'user_disabled';
  if (user?.notBefore !== undefined && issuedAt <= user.notBefore) {
    if (user.notBeforeReason === 'disabled') return 'user_disabled';
    return user.notBeforeReason === 'roles_changed' ? 'roles_changed' : 'user_signed_out';
  }
  if (session?.revokedAt !== undefined) return 'session_revoked';
  return undefined;
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
  | 'user_disabled'
  | 'user_signed_out';

/**
 * Why an API key is refused, if it is. The secret is checked before anything about the key is
 * revealed; then the key's own state; then its owner's, which the key follows: a disabled
 * owner, or one who signed out everywhere after the key was made, takes the key down too. A
 * role change does not: the key keeps working with the owner's new, current roles.
 */
export const apiKeyRefusal = (snapshot: ApiKeySnapshot, secret: string, now: number = nowSeconds()): ApiKeyRefusal | undefined => {
  const { key, owner } = snapshot;
  if (!key) return 'unknown_api_key';
  if (!secretMatches(secret, key.secretHash)) return 'bad_api_key_secret';
  if (key.revokedAt !== undefined) return 'api_key_revoked';
  if (key.expiresAt <= now) return 'api_key_expired';
  if (!owner) return 'owner_unknown';
  if (owner.disabled) return 'user_disabled';
  if (owner.notBefore !== undefined && key.createdAt <= owner.notBefore && owner.notBeforeReason !== 'roles_changed') {
    return owner.notBeforeReason === 'disabled' ? 'user_disabled' : 'user_signed_out';
  }
  return undefined;
};

/**
 * An optional, bounded cache of the authorizer's snapshot read (`REVOCATION_CACHE_SECONDS`).
 * A revocation can then take up to `ttlSeconds` to reach a warm container that cached the
 * snapshot; 0 (the default) disables the cache. Failed reads are never cached.
 */
export const withSnapshotCache = <T extends SnapshotReader>(store: T, options: { ttlSeconds: number; maxEntries?: number; now?: () => number }): T => {
  if (options.ttlSeconds <= 0) return store;
  const ttlMs = options.ttlSeconds * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; value: unknown }>();
  const cached = async <V>(key: string, read: () => Promise<V>): Promise<V> => {
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.value as V;
    const value = await read();
    cache.delete(key);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(key, { at: now(), value });
    return value;
  };
  return {
    ...store,
    snapshot: (sub, sessionId) => cached(`s\u0000${sub}\u0000${sessionId}`, () => store.snapshot(sub, sessionId)),
    apiKey: (keyId) => cached(`k\u0000${keyId}`, () => store.apiKey(keyId)),
  };
};

/**
 * A bounded cache of successful token verifications, for the authorizer: a client sends the
 * same access token many times to a warm container, and checking its RS256 signature again
 * each time is the largest cost of a decision once the access records are cached.
 *
 * A decorator over `AccessTokenVerifier`: a token string seen before, verified by the inner
 * verifier less than `maxAgeSeconds` ago and not yet expired, answers with the claims of that
 * verification; anything else goes to the inner verifier. What a cached entry can never outlive:
 *
 *   - the token: an entry is used only while `now < exp`; from `exp` on, the token goes to the
 *     inner verifier again, which refuses it with `token_expired`.
 *   - the verifier: an entry is used for at most `maxAgeSeconds` (300); then the token is
 *     verified again, so whatever the verifier would refuse by then (a key it no longer holds,
 *     say) is refused within that bound. The verifier's own key set cache is unchanged by this:
 *     aws-jwt-verify keeps a fetched JWKS for the container's life and fetches it again only
 *     for an unknown `kid`.
 *   - revocation: not cached here. The access records (sign-out, disabled user, revoked session)
 *     are read for every decision, or at most `REVOCATION_CACHE_SECONDS` old through
 *     `withSnapshotCache` (default 0: read every time). A revoked token reaches the same
 *     `session_revoked` / `user_signed_out` denial, cached verification or not.
 *   - a policy change: not cached here. The route decision (`decideAccess`) runs on every request
 *     with the deployed route policy; a deploy starts new containers with empty caches anyway.
 *
 * Only successes are remembered: a failure is answered by the inner verifier every time, so the
 * reason code (expired, bad signature, unknown key) is always its own. The key is the exact
 * token string: another token, even one byte apart, is another entry. Entries are frozen, so
 * no caller can change what the next one gets. Bounded in entries and in the tokens' total
 * length (a token may be up to 8 KB; its claims are smaller than it), in two generations
 * (authorizers/adapters/bounded-map.ts): a token in use stays, the ones not seen for a while go. Only tokens the verifier accepted get in, so callers cannot fill it with their own.
 * No dependencies: this is part of the authorizer's bundle.
 */
import { VERIFICATION_CACHE_DEFAULTS } from '../../lib/config';
import type { AccessTokenVerifier, VerifiedToken } from './jwt-verifier';
import { createBoundedMap } from './bounded-map';

export interface VerificationCacheOptions {
  /** Most tokens remembered; the least recently used goes first. 0 turns the cache off. Default 10,000. */
  maxEntries?: number;
  /** Most characters of tokens remembered, all entries together. Default 16 MiB. */
  maxTokenChars?: number;
  /** Longest a verification is reused without checking the signature again, in seconds. Default 300. */
  maxAgeSeconds?: number;
  /** The clock, epoch milliseconds (tests pass their own). */
  now?: () => number;
}


const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
};

export const withVerificationCache = (verifier: AccessTokenVerifier, options: VerificationCacheOptions = {}): AccessTokenVerifier => {
  const maxEntries = options.maxEntries ?? VERIFICATION_CACHE_DEFAULTS.maxEntries;
  if (maxEntries <= 0) return verifier;
  const maxTokenChars = options.maxTokenChars ?? VERIFICATION_CACHE_DEFAULTS.maxTokenChars;
  const maxAgeMs = (options.maxAgeSeconds ?? VERIFICATION_CACHE_DEFAULTS.maxAgeSeconds) * 1000;
  const now = options.now ?? Date.now;
  /** token -> the verification and until when (epoch ms, exclusive) it may be reused. */
  const entries = createBoundedMap<string, { until: number; verified: VerifiedToken }>({
    maxEntries,
    maxWeight: maxTokenChars,
    weigh: (token) => token.length,
  });

  return {
    verify: async (token) => {
      const hit = entries.get(token);
      if (hit) {
        if (now() < hit.until) return hit.verified;
        entries.delete(token);
      }
      const verified = deepFreeze(await verifier.verify(token));
      const at = now();
      const until = Math.min(verified.claims.exp * 1000, at + maxAgeMs);
      if (at < until) entries.set(token, { until, verified });
      return verified;
    },
    hydrate: () => verifier.hydrate(),
  };
};

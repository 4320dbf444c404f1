/**
 * The verifier's key set cache (aws-jwt-verify's `JwksCache`), with the bounds its
 * SimpleJwksCache + SimplePenaltyBox lack. That pair keeps a fetched set for the container's
 * life, and its penalty box is per key set URL: each lookup of an unknown `kid` closes it for
 * another wait, so bogus kids every few seconds keep it closed, and a token signed with a key
 * Cognito rotated in is refused (`WaitPeriodNotYetEndedJwkError`) for as long as they come.
 * Here:
 *
 *   - A key rotated in is found within `minRefetchMs`: a lookup for a `kid` the set lacks fetches
 *     the set again unless a fetch started less than `minRefetchMs` ago. That limit is the time
 *     since the last fetch, not a penalty a failure restarts: bogus kids cannot push a refetch
 *     further away, they only cost one fetch per `minRefetchMs` per container. Within it, an
 *     unknown `kid` fails at once (`KidNotFoundInJwksError`) with no network call.
 *   - A key removed is refused within `maxAgeMs`: a lookup in an older set waits for a refetch
 *     (not a background one: Lambda freezes a container once it has answered, so a background
 *     fetch would not finish), and a successful fetch replaces the set, so a key it lacks is
 *     gone at once.
 *   - An issuer that cannot be reached: the set keeps answering for its known keys while
 *     refetches (at most one per `minRefetchMs`) fail, up to `maxStaleMs` after its fetch; from
 *     then on every lookup fails until a fetch succeeds (fail closed: `jwks_unavailable`).
 *
 * Ages count from the start of the fetch that brought the set. Concurrent lookups share one fetch
 * in flight. `now` is the clock (tests pass their own). Part of the authorizer's bundle: no
 * dependencies beyond aws-jwt-verify.
 */
import type { Fetcher } from 'aws-jwt-verify/https';
import { assertIsJwks, findJwkInJwks, type Jwks, type JwksCache, type JwkWithKid } from 'aws-jwt-verify/jwk';
import type { JwtHeader } from 'aws-jwt-verify/jwt-model';
import { JwksNotAvailableInCacheError, JwksValidationError, JwtWithoutValidKidError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';

export interface JwksCacheOptions {
  fetcher: Fetcher;
  /** Least time between two fetches of a key set that lookups start, in ms. Default 5 s. */
  minRefetchMs?: number;
  /** Age from which a lookup refetches the set before answering, in ms. Default 10 min. */
  maxAgeMs?: number;
  /**
   * Age from which the set is no longer used at all, in ms. Default 1 h. Below `maxAgeMs` it
   * simply leaves no grace: the set is never used past it.
   */
  maxStaleMs?: number;
  /** The clock, epoch milliseconds. */
  now?: () => number;
}

interface Entry {
  jwks?: Jwks;
  /** When the fetch that brought `jwks` started (or when it was added). */
  fetchedAt: number;
  /** When the last fetch started, whatever its outcome. */
  triedAt: number;
  fetching?: Promise<Jwks>;
}

const parseJwks = (body: ArrayBuffer): Jwks => {
  let jwks: Parameters<typeof assertIsJwks>[0];
  try {
    jwks = JSON.parse(new TextDecoder('utf8', { fatal: true }).decode(body)) as typeof jwks;
  } catch {
    throw new JwksValidationError('JWKS is not JSON');
  }
  assertIsJwks(jwks);
  return jwks;
};

const kidOf = ({ header }: { header: JwtHeader }): string => {
  if (typeof header.kid !== 'string') throw new JwtWithoutValidKidError('JWT header has no valid kid');
  return header.kid;
};

const jwkIn = (jwks: Jwks, kid: string): JwkWithKid => {
  const jwk = findJwkInJwks(jwks, kid);
  if (!jwk) throw new KidNotFoundInJwksError(`No JWK for kid ${kid}`);
  return jwk;
};

/**
 * A factory, not a class as aws-jwt-verify's own caches: its state stays in local variables,
 * which the minifier shortens (the authorizer's bundle has a 60 KB budget).
 */
export const createJwksCache = ({
  fetcher,
  minRefetchMs = 5_000,
  maxAgeMs = 600_000,
  maxStaleMs = 3_600_000,
  now = Date.now,
}: JwksCacheOptions): JwksCache => {
  const entries = new Map<string, Entry>();
  const entryOf = (jwksUri: string): Entry => {
    let entry = entries.get(jwksUri);
    if (!entry) entries.set(jwksUri, (entry = { fetchedAt: -Infinity, triedAt: -Infinity }));
    return entry;
  };
  /** A fetch is in flight (to share) or none started within `minRefetchMs`. */
  const due = (entry: Entry, at: number) => entry.fetching !== undefined || at - entry.triedAt >= minRefetchMs;
  const unavailable = (jwksUri: string) => new JwksNotAvailableInCacheError(`No usable JWKS for ${jwksUri}`);

  /** Fetches the set (sharing a fetch in flight) and keeps it; as SimpleJwksCache, never rate limited (hydrate). */
  const getJwks = (jwksUri: string): Promise<Jwks> => {
    const entry = entryOf(jwksUri);
    if (!entry.fetching) {
      const startedAt = (entry.triedAt = now());
      entry.fetching = fetcher
        .fetch(jwksUri)
        .then(parseJwks)
        .then((jwks) => {
          entry.jwks = jwks;
          entry.fetchedAt = startedAt;
          return jwks;
        })
        .finally(() => {
          entry.fetching = undefined;
        });
    }
    return entry.fetching;
  };

  return {
    getJwks,

    addJwks: (jwksUri, jwks) => {
      const entry = entryOf(jwksUri);
      entry.jwks = jwks;
      entry.fetchedAt = now();
    },

    // A synchronous caller cannot wait for a refetch: it gets a set younger than `maxAgeMs` or
    // nothing (lookups through getJwk, or hydrate, refresh it).
    getCachedJwk: (jwksUri, decomposedJwt) => {
      const kid = kidOf(decomposedJwt);
      const entry = entryOf(jwksUri);
      if (!entry.jwks || now() - entry.fetchedAt >= maxAgeMs) throw unavailable(jwksUri);
      return jwkIn(entry.jwks, kid);
    },

    getJwk: async (jwksUri, decomposedJwt) => {
      const kid = kidOf(decomposedJwt);
      const entry = entryOf(jwksUri);
      const at = now();
      const jwks = at - entry.fetchedAt < maxStaleMs ? entry.jwks : undefined;
      const known = jwks && findJwkInJwks(jwks, kid);
      if (known && at - entry.fetchedAt < maxAgeMs) return known;
      if (due(entry, at)) {
        let fetched: Jwks;
        try {
          fetched = await getJwks(jwksUri);
        } catch (error) {
          // The issuer is unavailable: a key of a set within `maxStaleMs` still answers.
          if (known) return known;
          throw error;
        }
        return jwkIn(fetched, kid);
      }
      if (known) return known; // older than maxAgeMs, but the last refetch failed moments ago
      if (!jwks) throw unavailable(jwksUri);
      return jwkIn(jwks, kid); // an unknown kid within the refetch interval: no network call
    },
  };
};

/**
 * Property-style: random sequences of {sign in, sign out, sign out everywhere, disable, enable,
 * role change, refresh, key create, key revoke} for one user, made over HTTP, and after every
 * step each of the user's tokens and keys checked against a small reference model of what must
 * pass. The model knows only the order of events (each step runs in a second of its own, so
 * "before the cut-off" is "an earlier step"):
 *
 *   a login passes while it is later than the last sign-out everywhere and the last disable,
 *     the user is not disabled, and its session was not logged out;
 *   its access token also needs to be later than the last role change;
 *   a key passes while it is not revoked, later than the last sign-out everywhere and the last
 *     disable, and the user is not disabled. Role changes never touch keys or logins.
 *
 * A change reaches every authorizer within the revocation bound (tests/support/client.ts), so
 * after every step the checks wait past it: from then on the model's verdict must hold exactly.
 *
 * The seed is printed; set REVOCATION_SEED to replay a sequence.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { REVOCATION_BOUND_MS, REVOCATION_MARGIN_MS, afterRevocationBound, call, createUser, login, type Session } from '../support/client';

const STEPS = Number(process.env.REVOCATION_STEPS ?? 16);
const SEQUENCES = Number(process.env.REVOCATION_SEQUENCES ?? 2);
/** Each step takes its second, the wait past the revocation bound and the checks: a test's time. */
const TIMEOUT_MS = 30_000 + STEPS * (1000 + REVOCATION_BOUND_MS + REVOCATION_MARGIN_MS + 2000);

/** A small seeded PRNG (mulberry32), so a failing sequence can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Wait until just past the next second boundary, so the next step owns its second. */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 30));

interface ModelSession {
  name: string;
  accessToken: string;
  refreshToken: string;
  /** Step of the login, and of the access token's issue (a refresh renews it). */
  loginAt: number;
  tokenAt: number;
  loggedOut: boolean;
}

interface ModelKey {
  name: string;
  key: string;
  id: string;
  createdAt: number;
  revoked: boolean;
}

interface Model {
  disabled: boolean;
  signedOutAt: number;
  disabledAt: number;
  rolesChangedAt: number;
  sessions: ModelSession[];
  keys: ModelKey[];
}

const loginPasses = (m: Model, s: ModelSession) => !m.disabled && !s.loggedOut && s.loginAt > m.signedOutAt && s.loginAt > m.disabledAt;
const tokenPasses = (m: Model, s: ModelSession) => loginPasses(m, s) && s.tokenAt > m.rolesChangedAt;
const keyPasses = (m: Model, k: ModelKey) => !m.disabled && !k.revoked && k.createdAt > m.signedOutAt && k.createdAt > m.disabledAt;

type Op = 'signIn' | 'signOut' | 'signOutEverywhere' | 'disable' | 'enable' | 'roleChange' | 'refresh' | 'keyCreate' | 'keyRevoke';
const OPS: readonly Op[] = ['signIn', 'signIn', 'signOut', 'signOutEverywhere', 'disable', 'enable', 'enable', 'roleChange', 'refresh', 'keyCreate', 'keyCreate', 'keyRevoke'];

describe('revocation sequences against a reference model', () => {
  let admin: Session;

  beforeAll(async () => {
    admin = await login('admin');
  });

  for (let n = 0; n < SEQUENCES; n += 1) {
    const seed = Number(process.env.REVOCATION_SEED ?? Math.floor(Math.random() * 2 ** 31)) + n;
    it(`lets exactly what the model allows pass after every step (seed ${seed}, ${STEPS} steps)`, async () => {
      const random = prng(seed);
      const pick = <T>(items: readonly T[]): T | undefined => (items.length === 0 ? undefined : items[Math.floor(random() * items.length)]);
      const user = await createUser({ username: `seq-${randomUUID().slice(0, 8)}@example.com`, password: 'Test-Passw0rd!-x', roles: ['customer'], branches: [] });
      const path = `/users/${encodeURIComponent(user.username)}`;
      const model: Model = { disabled: false, signedOutAt: -1, disabledAt: -1, rolesChangedAt: -1, sessions: [], keys: [] };
      const trail: string[] = [];
      let count = 0;

      const signIn = async (step: number) => {
        const answer = await call('POST', '/auth/login', { body: { username: user.username, password: user.password } });
        const expected = model.disabled ? 401 : 200;
        assert.equal(answer.status, expected, `${trail.join(' → ')}: sign in answered ${answer.status}`);
        if (answer.status === 200) {
          count += 1;
          model.sessions.push({ name: `s${count}`, accessToken: answer.body.accessToken, refreshToken: answer.body.refreshToken, loginAt: step, tokenAt: step, loggedOut: false });
        }
      };

      await nextSecond();
      await signIn(0);
      trail.push('signIn(s1)');

      for (let step = 1; step <= STEPS; step += 1) {
        await nextSecond();
        const op = pick(OPS)!;
        const session = pick(model.sessions);
        const key = pick(model.keys);
        let label: string = op;
        switch (op) {
          case 'signIn':
            await signIn(step);
            label = `signIn(${model.sessions.at(-1)?.name ?? 'refused'})`;
            break;
          case 'signOut':
          case 'signOutEverywhere': {
            if (!session) continue;
            const everywhere = op === 'signOutEverywhere';
            const answer = await call('POST', '/auth/logout', { token: session.accessToken, body: { refreshToken: session.refreshToken, everywhere } });
            const passes = tokenPasses(model, session);
            assert.equal(answer.status, passes ? 204 : 401, `${trail.join(' → ')} → ${op}(${session.name}): ${answer.text}`);
            if (passes) {
              session.loggedOut = true;
              if (everywhere) model.signedOutAt = step;
            }
            label = `${op}(${session.name})`;
            break;
          }
          case 'disable':
          case 'enable': {
            const answer = await call('POST', `${path}/${op}`, { token: admin.accessToken });
            assert.equal(answer.status, 204, answer.text);
            if (op === 'disable') {
              model.disabled = true;
              model.disabledAt = step;
            } else {
              model.disabled = false;
            }
            break;
          }
          case 'roleChange': {
            // The repro of issue 9: the roles saved unchanged.
            const answer = await call('PUT', `${path}/roles`, { token: admin.accessToken, body: { roles: ['customer'] } });
            assert.equal(answer.status, 200, answer.text);
            model.rolesChangedAt = step;
            break;
          }
          case 'refresh': {
            if (!session) continue;
            const answer = await call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } });
            const passes = loginPasses(model, session);
            assert.equal(answer.status, passes ? 200 : 401, `${trail.join(' → ')} → refresh(${session.name}): ${answer.text}`);
            if (passes) {
              session.accessToken = answer.body.accessToken;
              session.tokenAt = step;
            }
            label = `refresh(${session.name})`;
            break;
          }
          case 'keyCreate': {
            if (!session) continue;
            const answer = await call('POST', '/api-keys', { token: session.accessToken, body: { name: 'sequence', scopes: ['profile:read'] } });
            const passes = tokenPasses(model, session);
            assert.equal(answer.status, passes ? 201 : 401, `${trail.join(' → ')} → keyCreate(${session.name}): ${answer.text}`);
            if (passes) {
              count += 1;
              model.keys.push({ name: `k${count}`, key: answer.body.key, id: answer.body.id, createdAt: step, revoked: false });
            }
            label = `keyCreate(${session.name}→${model.keys.at(-1)?.name})`;
            break;
          }
          case 'keyRevoke': {
            const owner = model.sessions.find((s) => tokenPasses(model, s));
            if (!key || !owner) continue;
            const answer = await call('DELETE', `/api-keys/${key.id}`, { token: owner.accessToken });
            // A revoked or expired key is "not found"; a key cut off by its owner's state is still live in the listing.
            assert.equal(answer.status, key.revoked ? 404 : 204, `${trail.join(' → ')} → keyRevoke(${key.name}): ${answer.text}`);
            key.revoked = true;
            label = `keyRevoke(${key.name})`;
            break;
          }
        }
        trail.push(label);

        // Every authorizer has seen the step from here on.
        await afterRevocationBound();
        for (const s of model.sessions) {
          const answer = await call('GET', '/users/me', { token: s.accessToken });
          assert.equal(answer.status, tokenPasses(model, s) ? 200 : 401, `after ${trail.join(' → ')}: token of ${s.name} answered ${answer.status}`);
        }
        for (const k of model.keys) {
          const answer = await call('GET', '/users/me', { token: k.key });
          assert.equal(answer.status, keyPasses(model, k) ? 200 : 401, `after ${trail.join(' → ')}: key ${k.name} answered ${answer.status}`);
        }
      }
    }, TIMEOUT_MS);
  }
});

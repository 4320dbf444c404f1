/**
 * Revocations made during load, and how long each takes to reach the gateway: run next to the
 * mixed load (bench/mixed.ts). Each event takes a fresh victim (a branch manager of branch 1,
 * made for it), checks that its credential is allowed, revokes it through the gateway's API in
 * one of five ways, then calls `GET /branches/1/products` with it until it is refused:
 *
 *   logout               POST /auth/logout with the victim's token
 *   sign_out_everywhere  POST /auth/logout {"everywhere": true}
 *   disable              an admin's POST /users/{username}/disable
 *   role_change          an admin's PUT /users/{username}/roles ["customer"] (the token carries
 *                        the old groups: refused as roles_changed)
 *   api_key_revoked      the victim's own API key, DELETE /api-keys/{id}
 *
 * Propagation is from the revoking call's answer to the answer of the first refused request.
 * The correctness rule for these requests is the bound: a request sent more than
 * `boundMs` after the revoking call's answer must be refused; one sent before may be either.
 * Calls continue for a while past the first refusal, so a refusal that flickers back to an allow
 * is caught.
 */
import { randomUUID } from 'node:crypto';
import { provisionData, provisionIdentity } from '../scripts/local/provision';
import { LOCAL_STAGE } from '../scripts/local/settings';
import type { LocalStack } from '../scripts/local/stack';

export const REVOCATION_KINDS = ['logout', 'sign_out_everywhere', 'disable', 'role_change', 'api_key_revoked'] as const;
export type RevocationKind = (typeof REVOCATION_KINDS)[number];

export interface RevocationResult {
  events: number;
  byKind: Record<string, number>;
  /** Milliseconds from each revoking call's answer to its first refusal. */
  propagationMs: number[];
  /** Requests allowed although sent more than the bound after the revocation. */
  lateAllows: number;
  examples: string[];
  /** Requests made with the victims' credentials after revoking. */
  probes: number;
}

const PASSWORD = 'Bench-Passw0rd!-revocation';
const PROBE_PATH = '/branches/1/products';

const call = async (gatewayUrl: string, method: string, path: string, credential?: string, body?: unknown) => {
  const response = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers: { ...(credential ? { authorization: `Bearer ${credential}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, text };
};

export const revocationsDuringLoad = async (options: {
  stack: LocalStack;
  adminToken: string;
  events: number;
  workers: number;
  boundMs: number;
  log: (message: string) => void;
}): Promise<RevocationResult> => {
  const { stack, boundMs } = options;
  const gateway = stack.gatewayUrl;
  const result: RevocationResult = { events: 0, byKind: {}, propagationMs: [], lateAllows: 0, examples: [], probes: 0 };

  const victim = async () => {
    const username = `bench-victim-${randomUUID().slice(0, 8)}@example.com`;
    const user = { username, email: username, password: PASSWORD, roles: ['branch-manager' as const], branches: ['1'] };
    const identity = await provisionIdentity(stack.cognitoUrl, LOCAL_STAGE, [user]);
    await provisionData(stack.dynamodbUrl, LOCAL_STAGE, [user], identity.subs);
    const login = await call(gateway, 'POST', '/auth/login', undefined, { username, password: PASSWORD });
    if (login.status !== 200) throw new Error(`victim login answered ${login.status}: ${login.text}`);
    return { username, token: (JSON.parse(login.text) as { accessToken: string }).accessToken };
  };

  const one = async (kind: RevocationKind) => {
    const { username, token } = await victim();
    let credential = token;
    let keyId = '';
    if (kind === 'api_key_revoked') {
      const created = await call(gateway, 'POST', '/api-keys', token, { name: 'bench revocation', scopes: ['inventory:read'], expiresInDays: 1 });
      if (created.status !== 201) throw new Error(`creating the victim's key answered ${created.status}: ${created.text}`);
      ({ key: credential, id: keyId } = JSON.parse(created.text) as { key: string; id: string });
    }
    const before = await call(gateway, 'GET', PROBE_PATH, credential);
    if (before.status !== 200) throw new Error(`${kind}: the victim's credential answered ${before.status} before the revocation`);

    let revoke: { status: number; text: string };
    const encoded = encodeURIComponent(username);
    if (kind === 'logout') revoke = await call(gateway, 'POST', '/auth/logout', token, {});
    else if (kind === 'sign_out_everywhere') revoke = await call(gateway, 'POST', '/auth/logout', token, { everywhere: true });
    else if (kind === 'disable') revoke = await call(gateway, 'POST', `/users/${encoded}/disable`, options.adminToken);
    else if (kind === 'role_change') revoke = await call(gateway, 'PUT', `/users/${encoded}/roles`, options.adminToken, { roles: ['customer'] });
    else revoke = await call(gateway, 'DELETE', `/api-keys/${keyId}`, token);
    const answeredAt = performance.now();
    if (revoke.status >= 300) throw new Error(`${kind}: the revoking call answered ${revoke.status}: ${revoke.text}`);

    let firstRefusal: number | undefined;
    for (;;) {
      const sentAt = performance.now();
      if (firstRefusal !== undefined && sentAt - firstRefusal > 300 && sentAt - answeredAt > boundMs + 300) break;
      if (sentAt - answeredAt > 10_000) break;
      const probe = await call(gateway, 'GET', PROBE_PATH, credential);
      result.probes += 1;
      const arrivedAt = performance.now();
      if (probe.status === 200) {
        if (sentAt - answeredAt > boundMs) {
          result.lateAllows += 1;
          if (result.examples.length < 10) result.examples.push(`${kind}: allowed ${Math.round(sentAt - answeredAt)} ms after the revocation`);
        }
      } else if (probe.status === 401 || probe.status === 403) {
        firstRefusal ??= arrivedAt;
      } else {
        throw new Error(`${kind}: the victim's probe answered ${probe.status}: ${probe.text}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (firstRefusal === undefined) throw new Error(`${kind}: never refused within 10 s`);
    result.propagationMs.push(firstRefusal - answeredAt);
    result.events += 1;
    result.byKind[kind] = (result.byKind[kind] ?? 0) + 1;
  };

  let started = 0;
  await Promise.all(
    Array.from({ length: options.workers }, async () => {
      while (started < options.events) {
        const kind = REVOCATION_KINDS[started % REVOCATION_KINDS.length]!;
        started += 1;
        await one(kind);
      }
    }),
  );
  const max = Math.max(...result.propagationMs);
  options.log(`${result.events} revocations (${JSON.stringify(result.byKind)}), propagation max ${Math.round(max)} ms, ${result.lateAllows} late allows`);
  return result;
};

/**
 * The auth service's HTTP side (functions/auth/service.ts) where it does more than pass bodies to
 * the flows: the access token `POST /auth/password` hands Cognito must be the very token the
 * authorizer verified for the caller.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createAuthService, signInOriginAllowed } from '../../functions/auth/service';
import { createSecretVault, localKeyWrapper } from '../../lib/secrets/vault';
import { randomBytes } from 'node:crypto';
import type { AuthDeps } from '../../functions/auth/flows';
import { FakeIdentity, unsignedJwt } from '../support/fake-identity';
import { bodyOf, httpEvent, lambdaContext, recordingLogger, roleContext } from './fixtures';

const WEB_SESSIONS = { vault: createSecretVault(localKeyWrapper(randomBytes(32))), config: { idleSeconds: 1800, lifetimeSeconds: 43_200, allowedOrigins: [] } };

const setup = () => {
  const cognito = new FakeIdentity();
  const account = cognito.add(['customer']);
  const { logger } = recordingLogger('auth');
  const handler = createAuthService(
    {
      identity: cognito,
      accessStore: {} as AuthDeps['accessStore'],
      mfa: {} as AuthDeps['mfa'],
      config: { refreshTokenValidityDays: 30 },
      webSessions: WEB_SESSIONS,
    },
    logger,
  );
  const caller = roleContext({ sub: account.sub, username: account.username, roles: ['customer'], tokenId: 'jti-1' });
  const change = (token: string | undefined, context = caller) =>
    handler(
      httpEvent('POST /auth/password', {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        body: JSON.stringify({ currentPassword: account.password, newPassword: 'New-Passw0rd!-1' }),
        authorizer: context,
      }),
      lambdaContext,
    );
  return { cognito, account, caller, change };
};

describe('POST /auth/password', () => {
  it("hands Cognito the caller's own verified token", async () => {
    const { cognito, account, change } = setup();
    const response = await change(unsignedJwt({ sub: account.sub, jti: 'jti-1', token_use: 'access' }));
    assert.equal(response.statusCode, 204);
    assert.equal(cognito.count('changePassword'), 1);
  });

  it('refuses, without calling Cognito, a header that is not the token the role context was built from', async () => {
    const { cognito, account, change, caller } = setup();
    for (const token of [undefined, 'not-a-jwt', unsignedJwt({ sub: account.sub, jti: 'other-jti' }), unsignedJwt({ sub: 'someone-else', jti: 'jti-1' })]) {
      const response = await change(token);
      assert.equal(response.statusCode, 401, String(token));
      assert.equal(bodyOf(response).error, 'invalid_token');
    }
    const viaKey = await change(unsignedJwt({ sub: account.sub, jti: 'jti-1' }), roleContext({ ...caller, authType: 'api_key', scopes: ['profile:read'], keyId: 'a'.repeat(20), clientId: undefined, sessionId: undefined, tokenId: undefined }));
    assert.equal(viaKey.statusCode, 403);
    assert.equal(cognito.count('changePassword'), 0);
  });
});

describe('MFA routes of the auth service', () => {
  it('re-checks the role context: a caller who must set MFA up reaches setup, not a password change (403 mfa_required)', async () => {
    const cognito = new FakeIdentity();
    const account = cognito.add(['admin']);
    const { logger } = recordingLogger('auth');
    const handler = createAuthService(
      { identity: cognito, accessStore: {} as AuthDeps['accessStore'], mfa: {} as AuthDeps['mfa'], config: { refreshTokenValidityDays: 30 }, webSessions: WEB_SESSIONS },
      logger,
    );
    const pending = roleContext({ sub: account.sub, username: account.username, roles: ['admin'], tokenId: 'jti-1', mfaRequired: true });
    const refused = await handler(
      httpEvent('POST /auth/password', { body: JSON.stringify({ currentPassword: 'a', newPassword: 'New-Passw0rd!-1' }), authorizer: pending }),
      lambdaContext,
    );
    assert.equal(refused.statusCode, 403);
    assert.deepEqual(bodyOf(refused), { error: 'mfa_required', message: 'Turn on two-factor sign-in first (POST /auth/mfa/setup)' });
    assert.equal(cognito.count('changePassword'), 0);
  });

  it('hands Cognito only the very token the authorizer verified, for setup as for a password change', async () => {
    const cognito = new FakeIdentity();
    const account = cognito.add(['customer']);
    const { logger } = recordingLogger('auth');
    const handler = createAuthService(
      { identity: cognito, accessStore: {} as AuthDeps['accessStore'], mfa: {} as AuthDeps['mfa'], config: { refreshTokenValidityDays: 30 }, webSessions: WEB_SESSIONS },
      logger,
    );
    const caller = roleContext({ sub: account.sub, username: account.username, roles: ['customer'], tokenId: 'jti-1' });
    const other = unsignedJwt({ sub: account.sub, jti: 'jti-2' });
    const answer = await handler(httpEvent('POST /auth/mfa/setup', { headers: { authorization: `Bearer ${other}` }, authorizer: caller }), lambdaContext);
    assert.equal(answer.statusCode, 401);
    assert.equal(cognito.count('associateSoftwareToken'), 0);
  });
});

describe('signInOriginAllowed (a browser sign-in from the gateway\'s own pages or an allowed origin)', () => {
  const event = (headers: Record<string, string>) => ({ headers }) as unknown as Parameters<typeof signInOriginAllowed>[0];
  const HOST = { host: 'api.example.com' };

  it('allows the same origin, a configured one, and a client that is no browser page (no Origin, no Sec-Fetch-Site)', () => {
    assert.equal(signInOriginAllowed(event({ ...HOST, origin: 'https://api.example.com' }), []), true);
    assert.equal(signInOriginAllowed(event({ ...HOST, origin: 'https://shop.example.com' }), ['https://shop.example.com']), true);
    assert.equal(signInOriginAllowed(event(HOST), []), true);
    assert.equal(signInOriginAllowed(event({ ...HOST, 'sec-fetch-site': 'same-origin' }), []), true);
  });

  it('refuses another origin, an opaque one, a cross-site fetch without Origin, and two Origin headers', () => {
    assert.equal(signInOriginAllowed(event({ ...HOST, origin: 'https://evil.example' }), ['https://shop.example.com']), false);
    assert.equal(signInOriginAllowed(event({ ...HOST, origin: 'null' }), []), false);
    assert.equal(signInOriginAllowed(event({ ...HOST, 'sec-fetch-site': 'cross-site' }), []), false);
    assert.equal(signInOriginAllowed(event({ ...HOST, 'sec-fetch-site': 'same-site' }), []), false);
    assert.equal(signInOriginAllowed(event({ ...HOST, origin: 'https://api.example.com', Origin: 'https://evil.example' }), []), false);
    assert.equal(signInOriginAllowed(event({ ...HOST, origin: 'https://api.example.com.evil.example' }), []), false);
  });
});

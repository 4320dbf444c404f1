/**
 * scripts/local/cognito.ts: cognito-local as the local stack starts it. A refresh keeps the
 * login's `auth_time` (as on AWS), everything else about the tokens stays cognito-local's,
 * `AdminSetUserMFAPreference` works and a login finished by a challenge can refresh (as on AWS),
 * and browser requests from other origins are refused.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  SetUserPoolMfaConfigCommand,
  VerifySoftwareTokenCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { freePort } from '../../scripts/local/stack';
import { totp } from '../support/totp';

const ROOT = path.resolve(__dirname, '..', '..');
const USERNAME = 'refresh@example.com';
const PASSWORD = 'Refresh-Passw0rd!';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const claims = (token: string | undefined): Record<string, unknown> => {
  assert.ok(token, 'a token');
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
};

const publicKey = createPublicKey({
  key: (JSON.parse(readFileSync(require.resolve('cognito-local/lib/keys/cognitoLocal.public.json'), 'utf8')) as { jwk: JsonWebKey }).jwk,
  format: 'jwk',
});

const signatureValid = (token: string): boolean => {
  const [header, payload, signature] = token.split('.');
  return verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature!, 'base64url'));
};

describe('local cognito-local launcher', () => {
  let child: ChildProcess;
  let stateDir: string;
  let url: string;
  let cognito: CognitoIdentityProviderClient;
  let userPoolId: string;
  let clientId: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'local-cognito-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(ROOT, 'scripts', 'local', 'cognito.ts')], {
      cwd: stateDir,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
      detached: true,
      stdio: 'ignore',
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (open) break;
      assert.ok(Date.now() < deadline && child.exitCode === null, 'the launcher comes up');
      await sleep(100);
    }

    cognito = new CognitoIdentityProviderClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    userPoolId = (await cognito.send(new CreateUserPoolCommand({ PoolName: 'refresh-test' }))).UserPool!.Id!;
    clientId = (
      await cognito.send(
        new CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: 'refresh-test',
          ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        }),
      )
    ).UserPoolClient!.ClientId!;
    await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: USERNAME,
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'email', Value: USERNAME }],
      }),
    );
    await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: USERNAME, Password: PASSWORD, Permanent: true }));
  });

  afterAll(async () => {
    cognito?.destroy();
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGKILL');
      await exited;
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps the login auth_time in refreshed access and ID tokens, with a later iat', async () => {
    const login = (
      await cognito.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME, PASSWORD } }))
    ).AuthenticationResult!;
    const loginAccess = claims(login.AccessToken);
    assert.equal(loginAccess.auth_time, loginAccess.iat, 'a login is its own authentication time');

    await sleep(1100); // iat has a resolution of one second

    const refreshed = (
      await cognito.send(
        new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: login.RefreshToken! } }),
      )
    ).AuthenticationResult!;
    const access = claims(refreshed.AccessToken);
    const id = claims(refreshed.IdToken);
    assert.equal(access.auth_time, loginAccess.auth_time);
    assert.equal(id.auth_time, loginAccess.auth_time);
    assert.ok((access.iat as number) > (loginAccess.iat as number), 'iat is the refresh time');
    assert.ok((id.iat as number) > (loginAccess.iat as number));
    assert.equal((access.exp as number) - (access.iat as number), (loginAccess.exp as number) - (loginAccess.iat as number), 'same lifetime');
    assert.deepEqual(Object.keys(access), Object.keys(loginAccess), 'same claims, same order');
    assert.deepEqual(Object.keys(id), Object.keys(claims(login.IdToken)));
    assert.ok(signatureValid(refreshed.AccessToken!), 'the refreshed access token verifies against the JWKS key');
    assert.ok(signatureValid(refreshed.IdToken!));
    assert.deepEqual(JSON.parse(Buffer.from(refreshed.AccessToken!.split('.')[0]!, 'base64url').toString()), {
      alg: 'RS256',
      typ: 'JWT',
      kid: 'CognitoLocal',
    });

    const adminRefreshed = (
      await cognito.send(
        new AdminInitiateAuthCommand({
          UserPoolId: userPoolId,
          ClientId: clientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: login.RefreshToken! },
        }),
      )
    ).AuthenticationResult!;
    assert.equal(claims(adminRefreshed.AccessToken).auth_time, loginAccess.auth_time, 'AdminInitiateAuth too');
    assert.ok(signatureValid(adminRefreshed.AccessToken!));
  });

  it('refuses a made-up refresh token, whatever its iat', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iat: 1 })).toString('base64url');
    await assert.rejects(
      cognito.send(
        new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: `${header}.${payload}.x` } }),
      ),
      (error: Error) => error.name === 'NotAuthorizedException',
    );
  });

  it('turns TOTP MFA off for an admin (AdminSetUserMFAPreference, which upstream lacks), and a login finished with a code can refresh', async () => {
    const username = 'mfa@example.com';
    await cognito.send(new SetUserPoolMfaConfigCommand({ UserPoolId: userPoolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await cognito.send(new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: username, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: username }] }));
    await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: PASSWORD, Permanent: true }));
    const passwordLogin = () => cognito.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD } }));
    const accessToken = (await passwordLogin()).AuthenticationResult!.AccessToken!;
    const secret = (await cognito.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }))).SecretCode!;
    await cognito.send(new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: totp(secret) }));
    await cognito.send(new SetUserMFAPreferenceCommand({ AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));

    const challenge = await passwordLogin();
    assert.equal(challenge.ChallengeName, 'SOFTWARE_TOKEN_MFA');
    const answered = await cognito.send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: 'SOFTWARE_TOKEN_MFA',
        Session: challenge.Session!,
        ChallengeResponses: { USERNAME: username, SOFTWARE_TOKEN_MFA_CODE: totp(secret, { steps: 1 }) },
      }),
    );
    const refreshed = await cognito.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: answered.AuthenticationResult!.RefreshToken! } }),
    );
    assert.ok(refreshed.AuthenticationResult?.AccessToken, 'the refresh token of a login finished with a code works, as on AWS');

    await cognito.send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: userPoolId, Username: username, SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } }));
    assert.deepEqual((await cognito.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }))).UserMFASettingList, []);
    assert.ok((await passwordLogin()).AuthenticationResult?.AccessToken, 'the password alone again');
    await assert.rejects(
      cognito.send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: userPoolId, Username: 'nobody@example.com', SoftwareTokenMfaSettings: { Enabled: false } })),
      (error: Error) => error.name === 'UserNotFoundException',
    );
  });

  it('refuses requests from a web page of another origin, and from a foreign Host', async () => {
    const request = { method: 'POST', headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.ListUserPools', 'content-type': 'application/x-amz-json-1.1' }, body: '{"MaxResults":5}' };
    const crossOrigin = await fetch(url, { ...request, headers: { ...request.headers, origin: 'http://evil.example' } });
    assert.equal(crossOrigin.status, 403);
    assert.equal(crossOrigin.headers.get('access-control-allow-origin'), null);
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 403);
    assert.equal((await fetch(url, request)).status, 200, 'a local program passes');
    // A DNS-rebinding page reaches 127.0.0.1 under its own name.
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      http.get(`${url}/health`, { headers: { host: 'evil.example' } }, (res) => resolve(res.resume().statusCode)).on('error', reject);
    });
    assert.equal(rebound, 403);
  });
});

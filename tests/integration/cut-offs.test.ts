/**
 * What is cut off stays cut off, whoever issued the token and wherever the change was made
 * (issue 9, items 1-3): sequences of events over HTTP against the local stack, and changes made
 * in Cognito (cognito-local) directly, without the gateway. A change reaches every authorizer
 * within the revocation bound (tests/support/client.ts): a cut-off is asserted within it, and
 * "stays cut off after a later event" past it.
 */
import { beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminRemoveUserFromGroupCommand,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import {
  afterRevocationBound,
  call,
  cognito,
  eventually,
  gatewayLog,
  invokeFunction,
  login,
  loginAs,
  refusedWithinBound,
  stack,
  type Session,
  freshUser,
  statusOf,
  tokensOf,
  withinRevocationBound,
} from '../support/client';
import type { SeedUser } from '../../scripts/local/settings';

const fresh = (roles: SeedUser['roles'], branches: string[] = []) => freshUser('cut', roles, branches);

const tokens = tokensOf;
const status = statusOf;

const createKey = async (accessToken: string, scopes: string[]) => {
  const answer = await call('POST', '/api-keys', { token: accessToken, body: { name: 'cut-off test', scopes } });
  assert.equal(answer.status, 201, answer.text);
  return answer.body.key as string;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A CloudTrail management event for a Cognito call, as EventBridge delivers it. */
const cloudTrailEvent = (eventName: string, user: { username?: string; sub?: string }, time = new Date()) => {
  const eventTime = time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.cognito-idp',
    account: '123456789012',
    time: eventTime,
    region: 'us-east-1',
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: { type: 'AssumedRole', principalId: 'AROAEXAMPLE:operator', accountId: '123456789012' },
      eventTime,
      eventSource: 'cognito-idp.amazonaws.com',
      eventName,
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.10',
      userAgent: 'aws-cli/2.15.0',
      requestParameters: { userPoolId: stack().userPoolId, username: user.username ?? 'HIDDEN_DUE_TO_SECURITY_REASONS' },
      responseElements: null,
      ...(user.sub ? { additionalEventData: { sub: user.sub } } : {}),
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: '123456789012',
      eventCategory: 'Management',
    },
  };
};

const subOf = (accessToken: string) => decomposeUnverifiedJwt(accessToken).payload.sub as string;

describe('cut-offs that no later event undoes', () => {
  let admin: Session;

  beforeAll(async () => {
    admin = await login('admin');
  });

  it("keeps a manager's API key refused after sign out everywhere, when an admin then saves the manager's roles unchanged", async () => {
    const manager = await fresh(['branch-manager'], ['1']);
    const session = await tokens(manager);
    const key = await createKey(session.accessToken, ['inventory:read']);
    assert.equal(await status('GET', '/branches/1/products', key), 200);

    assert.equal(await status('POST', '/auth/logout', session.accessToken, { everywhere: true }), 204);
    await refusedWithinBound('GET', '/branches/1/products', key, 401);

    const roles = await call('PUT', `/users/${encodeURIComponent(manager.username)}/roles`, { token: admin.accessToken, body: { roles: ['branch-manager'] } });
    assert.equal(roles.status, 200, roles.text);
    await afterRevocationBound();
    assert.equal(await status('GET', '/branches/1/products', key), 401);

    // Not a blanket refusal: a key made after all of it works.
    await sleep(1100);
    const again = await tokens(manager);
    assert.equal(await status('GET', '/branches/1/products', await createKey(again.accessToken, ['inventory:read'])), 200);
  });

  it("keeps a customer's API key refused after disable, enable and a role change, in that order", async () => {
    const customer = await fresh(['customer']);
    const key = await createKey((await tokens(customer)).accessToken, ['profile:read']);
    assert.equal(await status('GET', '/users/me', key), 200);
    const path = `/users/${encodeURIComponent(customer.username)}`;

    assert.equal(await status('POST', `${path}/disable`, admin.accessToken), 204);
    await refusedWithinBound('GET', '/users/me', key, 401);
    assert.equal(await status('POST', `${path}/enable`, admin.accessToken), 204);
    await afterRevocationBound();
    assert.equal(await status('GET', '/users/me', key), 401);
    assert.equal(await status('PUT', `${path}/roles`, admin.accessToken, { roles: ['customer'] }), 200);
    await afterRevocationBound();
    assert.equal(await status('GET', '/users/me', key), 401);
  });

  it('lets a role change cut off the old tokens, but not the refresh: the refreshed token carries the new groups', async () => {
    const customer = await fresh(['customer']);
    const session = await tokens(customer);
    await sleep(1100);
    assert.equal(await status('PUT', `/users/${encodeURIComponent(customer.username)}/roles`, admin.accessToken, { roles: ['customer', 'admin'] }), 200);
    await refusedWithinBound('GET', '/users/me', session.accessToken, 401);
    await sleep(1100);
    const refreshed = await call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.deepEqual([...(decomposeUnverifiedJwt(refreshed.body.accessToken).payload['cognito:groups'] as string[])].sort(), ['admin', 'customer']);
    assert.equal(await status('GET', '/users', refreshed.body.accessToken), 200);
  });
});

describe('tokens from Cognito directly', () => {
  it('refuses a token refreshed at Cognito directly after sign out everywhere (its login is older than the cut-off)', async () => {
    const customer = await fresh(['customer']);
    const session = await tokens(customer);
    const loginTime = decomposeUnverifiedJwt(session.accessToken).payload.auth_time;
    await sleep(1100);
    assert.equal(await status('POST', '/auth/logout', session.accessToken, { everywhere: true }), 204);
    await sleep(1100);

    // The users' app client is public: anyone holding the refresh token can do this.
    const client = await cognito();
    const direct = await client.send(
      new InitiateAuthCommand({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: stack().clientId, AuthParameters: { REFRESH_TOKEN: session.refreshToken } }),
    );
    const accessToken = direct.AuthenticationResult?.AccessToken;
    assert.ok(accessToken, 'cognito-local has no global sign-out: the refresh itself succeeds');
    const claims = decomposeUnverifiedJwt(accessToken).payload;
    assert.equal(claims.auth_time, loginTime, 'a refresh keeps the login time (auth_time), as on AWS');
    assert.ok((claims.iat ?? 0) > (loginTime as number));
    await refusedWithinBound('GET', '/users/me', accessToken, 401);
    assert.equal(await status('GET', '/users/me', accessToken), 401);
    assert.equal((await call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })).status, 401);
    client.destroy();
  });

  it('refuses, at /auth/refresh, a refresh token from a login made at Cognito directly before sign out everywhere', async () => {
    const customer = await fresh(['customer']);
    const client = await cognito();
    const direct = await client.send(
      new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: stack().clientId, AuthParameters: { USERNAME: customer.username, PASSWORD: customer.password } }),
    );
    const refreshToken = direct.AuthenticationResult?.RefreshToken;
    assert.ok(refreshToken);
    assert.equal((await call('POST', '/auth/refresh', { body: { refreshToken } })).status, 200, 'before the sign-out it refreshes');
    await sleep(1100);
    const session = await tokens(customer);
    assert.equal(await status('POST', '/auth/logout', session.accessToken, { everywhere: true }), 204);
    assert.equal((await call('POST', '/auth/refresh', { body: { refreshToken } })).status, 401);
    client.destroy();
  });

  it('reports the failed global sign-out in Cognito as an error, and still answers 204 with every earlier login cut off', async () => {
    const customer = await fresh(['customer']);
    const session = await tokens(customer);
    assert.equal(await status('POST', '/auth/logout', session.accessToken, { everywhere: true }), 204);
    const sub = subOf(session.accessToken);
    assert.ok(
      await eventually(async () => (await gatewayLog()).some((line) => line.level === 'ERROR' && line.code === 'global_sign_out_failed' && line.sub === sub)),
      'the failure is logged as an error with its code',
    );
  });

  it('gives a user disabled through the gateway no tokens at Cognito directly (the trigger refuses them)', async () => {
    const admin = await login('admin');
    const customer = await fresh(['customer']);
    await tokens(customer); // a first login records the user
    assert.equal(await status('POST', `/users/${encodeURIComponent(customer.username)}/disable`, admin.accessToken), 204);
    const client = await cognito();
    await assert.rejects(
      client.send(
        new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: stack().clientId, AuthParameters: { USERNAME: customer.username, PASSWORD: customer.password } }),
      ),
      (error: Error) => error.name === 'UserLambdaValidationException' && error.message.includes('access_refused'),
    );
    client.destroy();
  });
});

describe('changes made in Cognito directly', () => {
  it("takes a manager's branch access away within the revocation bound when Cognito removes the group and the event arrives", async () => {
    const manager = await fresh(['branch-manager'], ['1']);
    const session = await tokens(manager);
    const key = await createKey(session.accessToken, ['inventory:read']);
    assert.equal(await status('GET', '/branches/1/products', key), 200);

    const client = await cognito();
    await client.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: stack().userPoolId, Username: manager.username, GroupName: 'branch-manager' }));
    const synced = await invokeFunction('cognitoSync', cloudTrailEvent('AdminRemoveUserFromGroup', { username: manager.username }));
    assert.equal(synced.status, 200, JSON.stringify(synced.payload));
    assert.equal(synced.payload.applied, true, JSON.stringify(synced.payload));

    await refusedWithinBound('GET', '/branches/1/products', key, 403);
    assert.equal(await status('GET', '/branches/1/products', key), 403, 'the key acts with the roles Cognito has now');
    await refusedWithinBound('GET', '/branches/1/products', session.accessToken, 401);
    assert.equal(await status('GET', '/branches/1/products', session.accessToken), 401, 'the token carries the old group');
    client.destroy();
  });

  it("refuses a user's key and tokens within the revocation bound when Cognito disables them and the event names only the sub", async () => {
    const customer = await fresh(['customer']);
    const session = await tokens(customer);
    const key = await createKey(session.accessToken, ['profile:read']);
    const client = await cognito();
    await client.send(new AdminDisableUserCommand({ UserPoolId: stack().userPoolId, Username: customer.username }));
    const synced = await invokeFunction('cognitoSync', cloudTrailEvent('AdminDisableUser', { sub: subOf(session.accessToken) }));
    assert.equal(synced.payload.applied, true, JSON.stringify(synced.payload));
    await refusedWithinBound('GET', '/users/me', key, 401);
    await refusedWithinBound('GET', '/users/me', session.accessToken, 401);
    assert.equal(await status('GET', '/users/me', key), 401);
    assert.equal((await loginAs(customer)).status, 401);
    client.destroy();
  });

  it("refuses a deleted user's key within the revocation bound when Cognito deletes them and the event names only the username", async () => {
    const customer = await fresh(['customer']);
    const key = await createKey((await tokens(customer)).accessToken, ['profile:read']);
    assert.equal(await status('GET', '/users/me', key), 200);
    const client = await cognito();
    await client.send(new AdminDeleteUserCommand({ UserPoolId: stack().userPoolId, Username: customer.username }));
    const synced = await invokeFunction('cognitoSync', cloudTrailEvent('AdminDeleteUser', { username: customer.username }));
    assert.equal(synced.payload.applied, true, JSON.stringify(synced.payload));
    await refusedWithinBound('GET', '/users/me', key, 401);
    assert.equal(await status('GET', '/users/me', key), 401);
    client.destroy();
  });

  it('records a group added in Cognito at the next token Cognito issues, even before any event arrives; the key acts with it within the revocation bound', async () => {
    const customer = await fresh(['customer']);
    const key = await createKey((await tokens(customer)).accessToken, ['profile:read']);
    const client = await cognito();
    await client.send(new AdminAddUserToGroupCommand({ UserPoolId: stack().userPoolId, Username: customer.username, GroupName: 'admin' }));
    await tokens(customer); // the trigger runs and reads the groups
    const roles = async () => {
      const me = await call('GET', '/users/me', { token: key });
      assert.equal(me.status, 200, me.text);
      return [...me.body.roles].sort() as string[];
    };
    await withinRevocationBound(async () => {
      const seen = await roles();
      // Until the change reaches the authorizer, the roles it had before; nothing else.
      if (seen.join() !== 'customer') assert.deepEqual(seen, ['admin', 'customer']);
      return seen.join() === 'admin,customer';
    }, "the key acting with Cognito's new group");
    assert.deepEqual(await roles(), ['admin', 'customer']);
    client.destroy();
  });
});

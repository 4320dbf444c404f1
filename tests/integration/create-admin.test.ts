/**
 * `npm run create-admin` (scripts/create-admin.ts): the first admin of a fresh deployment, made
 * in a pool of its own in the stack's cognito-local (a fresh pool with the stack's groups), so
 * the stack's own users are untouched. Reading the stack's outputs is checked with a stand-in
 * CloudFormation client: there is no CloudFormation locally.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AdminGetUserCommand, AdminListGroupsForUserCommand, CreateGroupCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { createFirstAdmin, stackOutputs } from '../../scripts/create-admin';
import { GatewayError } from '../../lib/errors';
import { ROLES } from '../../lib/policy/route-policy';
import { cognito } from '../support/client';

const freshPool = async () => {
  const client = await cognito();
  const pool = await client.send(new CreateUserPoolCommand({ PoolName: `create-admin-${randomUUID().slice(0, 8)}` }));
  const userPoolId = pool.UserPool!.Id!;
  for (const role of ROLES) await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: role }));
  return { client, userPoolId };
};

describe('npm run create-admin', () => {
  it('creates the first admin of a fresh pool, in the admin group, who must choose a password at the first login', async () => {
    const { client, userPoolId } = await freshPool();
    const user = await createFirstAdmin(client, userPoolId, { email: ' Ops@Example.com ', temporaryPassword: 'First-Admin-Passw0rd!' });
    assert.equal(user.username, 'ops@example.com');
    assert.equal(user.status, 'FORCE_CHANGE_PASSWORD');
    const groups = await client.send(new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: 'ops@example.com' }));
    assert.deepEqual(groups.Groups?.map((g) => g.GroupName), ['admin']);
    const stored = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: 'ops@example.com' }));
    assert.equal(stored.UserAttributes?.find((a) => a.Name === 'email_verified')?.Value, 'true');
  });

  it('refuses a second admin (those are made with POST /users), a weak password and a bad email, creating nothing', async () => {
    const { client, userPoolId } = await freshPool();
    await assert.rejects(createFirstAdmin(client, userPoolId, { email: 'ops@example.com', temporaryPassword: 'weak' }), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.match((error as GatewayError & { details: string[] }).details.join(), /temporaryPassword: must be at least 12 characters/);
      return true;
    });
    await assert.rejects(createFirstAdmin(client, userPoolId, { email: 'not-an-email' }), GatewayError);
    await createFirstAdmin(client, userPoolId, { email: 'first@example.com' });
    await assert.rejects(createFirstAdmin(client, userPoolId, { email: 'second@example.com', temporaryPassword: 'Second-Passw0rd!' }), /already has an admin/);
    await assert.rejects(client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: 'second@example.com' })), /User does not exist/);
  });

  it("reads the pool and the API's URL from the stack's outputs", async () => {
    const asked: unknown[] = [];
    const cloudFormation = {
      send: async (command: { input: unknown }) => {
        asked.push(command.input);
        return { Stacks: [{ Outputs: [{ OutputKey: 'UserPoolId', OutputValue: 'eu-west-1_abc' }, { OutputKey: 'HttpApiUrl', OutputValue: 'https://x.execute-api.eu-west-1.amazonaws.com' }] }] };
      },
    } as unknown as Pick<CloudFormationClient, 'send'>;
    assert.deepEqual(await stackOutputs(cloudFormation, 'serverless-api-gateway-prod'), {
      UserPoolId: 'eu-west-1_abc',
      HttpApiUrl: 'https://x.execute-api.eu-west-1.amazonaws.com',
    });
    assert.deepEqual(asked, [{ StackName: 'serverless-api-gateway-prod' }]);
  });
});

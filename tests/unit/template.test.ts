/**
 * The CloudFormation template `serverless package` generates (no AWS credentials needed),
 * checked against the route policy and our rules for what a deployment may contain.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROLES, ROUTE_POLICY, SCOPES } from '../../lib/route-policy';
import { MACHINE_CLIENTS, RESOURCE_SERVER_ID, tableNames } from '../../scripts/local/settings';

const ROOT = path.resolve(__dirname, '..', '..');
const WORK = path.join('.local', `template-test-${process.pid}`);

type Resource = { Type: string; Properties: Record<string, any> };
let resources: Record<string, Resource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const capitalized = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

describe('generated CloudFormation template', () => {
  before(() => {
    const packageDir = path.join(WORK, 'package');
    // The template AWS gets: none of the local stack's overrides.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LOCAL_')));
    env.LOCAL_ESBUILD_DIR = path.join(WORK, 'esbuild');
    execFileSync(process.execPath, ['node_modules/serverless/bin/serverless.js', 'package', '--stage', 'dev', '--package', packageDir], {
      cwd: ROOT,
      env,
      stdio: 'pipe',
      timeout: 180_000,
    });
    const template = JSON.parse(readFileSync(path.join(ROOT, packageDir, 'cloudformation-template-update-stack.json'), 'utf8'));
    resources = template.Resources;
    rmSync(path.join(ROOT, WORK), { recursive: true, force: true });
  });

  it('has exactly the routes of the route policy, each bound to its service', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    assert.deepEqual(routes.map((r) => r.RouteKey).sort(), Object.keys(ROUTE_POLICY).sort());
    for (const route of routes) {
      const rule = ROUTE_POLICY[route.RouteKey as keyof typeof ROUTE_POLICY];
      const integration = route.Target['Fn::Join'][1][1].Ref;
      assert.equal(integration, `HttpApiIntegration${capitalized(rule.service)}`, route.RouteKey);
    }
  });

  it('binds every route that is not public to the authorizer, and no public route', () => {
    for (const [, { Properties: route }] of ofType('AWS::ApiGatewayV2::Route')) {
      const rule = ROUTE_POLICY[route.RouteKey as keyof typeof ROUTE_POLICY];
      if (rule.access.kind === 'public') {
        assert.equal(route.AuthorizationType, undefined, route.RouteKey);
      } else {
        assert.equal(route.AuthorizationType, 'CUSTOM', route.RouteKey);
        assert.deepEqual(route.AuthorizerId, { Ref: 'HttpApiAuthorizerGatewayAuthorizer' }, route.RouteKey);
      }
    }
  });

  it('configures one REQUEST authorizer with simple responses, payload 2.0 and no result cache', () => {
    const authorizers = ofType('AWS::ApiGatewayV2::Authorizer');
    assert.equal(authorizers.length, 1);
    const [, { Properties: authorizer }] = authorizers[0]!;
    assert.equal(authorizer.AuthorizerType, 'REQUEST');
    assert.equal(authorizer.EnableSimpleResponses, true);
    assert.equal(authorizer.AuthorizerPayloadFormatVersion, '2.0');
    assert.equal(authorizer.AuthorizerResultTtlInSeconds, 0);
    assert.deepEqual(authorizer.IdentitySource, ['$request.header.Authorization']);
  });

  it('gives every function its own role, with no wildcard action or data resource', () => {
    const functions = ofType('AWS::Lambda::Function');
    const roles = new Set(functions.map(([, f]) => f.Properties.Role['Fn::GetAtt']?.[0]));
    assert.equal(roles.size, functions.length);
    for (const roleName of roles) {
      const role = resources[roleName]!;
      assert.equal(role.Type, 'AWS::IAM::Role');
      for (const policy of role.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) {
          const actions: string[] = [statement.Action].flat();
          for (const action of actions) assert.doesNotMatch(action, /\*/, `${roleName}: ${action}`);
          for (const resource of [statement.Resource].flat()) {
            assert.notEqual(resource, '*', `${roleName} grants ${actions.join(',')} on *`);
            assert.ok(typeof resource === 'object' && 'Fn::GetAtt' in resource, `${roleName}: resource must be one of the stack's`);
          }
        }
      }
    }
  });

  it('creates on-demand tables with point-in-time recovery, named as the local stack names them', () => {
    const tables = ofType('AWS::DynamoDB::Table').map(([, t]) => t.Properties);
    assert.deepEqual(tables.map((t) => t.TableName).sort(), Object.values(tableNames('dev')).sort());
    for (const table of tables) {
      assert.equal(table.BillingMode, 'PAY_PER_REQUEST', table.TableName);
      assert.equal(table.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, true, table.TableName);
    }
    const access = tables.find((t) => t.TableName === tableNames('dev').access)!;
    assert.deepEqual(access.TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
  });

  it('creates the user pool with one group per role and an app client with token revocation', () => {
    assert.deepEqual(ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties.GroupName).sort(), [...ROLES].sort());
    const client = resources.UserPoolClient!;
    assert.equal(client.Properties.EnableTokenRevocation, true);
    assert.equal(client.Properties.GenerateSecret, false);
    assert.deepEqual(client.Properties.ExplicitAuthFlows.sort(), ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH']);
  });

  it('declares a resource server with exactly the route policy scopes, and a domain for its token endpoint', () => {
    const [[, server]] = ofType('AWS::Cognito::UserPoolResourceServer') as [[string, Resource]];
    assert.equal(server.Properties.Identifier, RESOURCE_SERVER_ID);
    assert.deepEqual(server.Properties.Scopes.map((s: { ScopeName: string }) => s.ScopeName).sort(), [...SCOPES].sort());
    assert.equal(ofType('AWS::Cognito::UserPoolDomain').length, 1);
  });

  it('declares each machine client as the local stack provisions it, client credentials only, with a secret', () => {
    const machines = ofType('AWS::Cognito::UserPoolClient').filter(([name]) => name !== 'UserPoolClient');
    assert.equal(machines.length, MACHINE_CLIENTS.length);
    for (const seed of MACHINE_CLIENTS) {
      const found = machines.find(([, r]) => JSON.stringify(r.Properties.ClientName).endsWith(`-${seed.name}"`));
      assert.ok(found, `no app client for machine ${seed.name}`);
      const client = found[1].Properties;
      assert.equal(client.GenerateSecret, true);
      assert.deepEqual(client.AllowedOAuthFlows, ['client_credentials']);
      assert.deepEqual([...client.AllowedOAuthScopes].sort(), seed.scopes.map((scope) => `${RESOURCE_SERVER_ID}/${scope}`).sort());
    }
    // MACHINE_CLIENTS, as every function gets it: the same names and branches, the real client ids.
    const env = resources.AuthorizerLambdaFunction!.Properties.Environment.Variables;
    assert.equal(env.RESOURCE_SERVER_ID, RESOURCE_SERVER_ID);
    const [separator, parts] = env.MACHINE_CLIENTS['Fn::Join'] as [string, unknown[]];
    const resolved = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : `ref:${(part as { Ref: string }).Ref}`)).join(separator));
    assert.deepEqual(
      resolved.map((c: { name: string; branches?: string[]; roles?: string[] }) => [c.name, c.branches ?? [], c.roles ?? []]),
      MACHINE_CLIENTS.map((c) => [c.name, c.branches, c.roles]),
    );
    for (const entry of resolved) assert.match(entry.clientId, /^ref:\w+Client$/);
  });

  it('points the functions at the stack\'s own pool and tables, and denies unauthenticated callers on AWS', () => {
    for (const [name, fn] of ofType('AWS::Lambda::Function')) {
      const vars = fn.Properties.Environment.Variables;
      assert.deepEqual(vars.COGNITO_USER_POOL_ID, { Ref: 'UserPool' }, name);
      assert.deepEqual(vars.COGNITO_CLIENT_ID, { Ref: 'UserPoolClient' }, name);
      assert.equal(vars.COGNITO_ENDPOINT, '', name);
      assert.equal(vars.DYNAMODB_ENDPOINT, '', name);
      assert.equal(vars.AUTHORIZER_UNAUTHENTICATED_RESPONSE, 'deny', name);
    }
  });
});

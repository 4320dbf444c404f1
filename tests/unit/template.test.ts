/**
 * The CloudFormation template `serverless package` generates (no AWS credentials needed),
 * checked against the route policy and our rules for what a deployment may contain.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { inflateRawSync } from 'node:zlib';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROLES, ROUTE_POLICY, SCOPES } from '../../lib/policy/route-policy';
import { SYNCED_EVENTS } from '../../functions/cognito-events/service';
import { LOCAL_ACCESS_CHANGE_SHARDS, MACHINE_CLIENTS, RESOURCE_SERVER_ID, tableNames } from '../../scripts/local/settings';

const ROOT = path.resolve(__dirname, '..', '..');
const WORK = path.join('.local', `template-test-${process.pid}`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation properties of any shape, read by the tests' assertions
type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string | string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Resources = Record<string, Resource>;
/** Stage `dev`: what most tests below read. */
let resources: Resources;

const ofType = (type: string, from: Resources = resources) => Object.entries(from).filter(([, r]) => r.Type === type);
const capitalized = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * Plausible values for every `${env:LOCAL_*}` serverless.yml reads (as scripts/local/stack.ts
 * sets them), present while every stage is packaged: only stage `local` may take them.
 * LOCAL_ESBUILD_DIR, the bundles' work folder, is the test's own (it never reaches a template).
 */
const LOCAL_VALUES: Record<string, string> = {
  LOCAL_COGNITO_USER_POOL_ID: 'us-east-1_LocalPool7',
  LOCAL_COGNITO_CLIENT_ID: 'localclient7a6b5c4d3e2f1',
  LOCAL_MACHINE_CLIENTS: JSON.stringify([{ clientId: 'localmachine7z8y9x', name: 'partner', branches: ['1'] }]),
  LOCAL_COGNITO_ISSUER: 'http://127.0.0.1:9229/us-east-1_LocalPool7',
  LOCAL_COGNITO_ENDPOINT: 'http://127.0.0.1:9229',
  LOCAL_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
  LOCAL_AUTHORIZER_UNAUTHENTICATED_RESPONSE: 'error',
  LOCAL_METRICS_DISABLED: 'true',
  LOCAL_TOKEN_URL: 'http://127.0.0.1:9230/oauth2/token',
  LOCAL_API_KEY_MAC_KEYS: `vlocal:${Buffer.alloc(32, 7).toString('base64url')}`,
  LOCAL_MFA_REQUIRED_ROLES: 'none',
  LOCAL_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
  LOCAL_CORS_ALLOWED_ORIGINS: 'http://127.0.0.1:5173',
};

interface Packaged {
  /** Absolute path of the package folder (template and zips). */
  dir: string;
  text: string;
  resources: Resources;
}

/** `serverless package --stage <stage>` with the LOCAL_* values above set, into its own folder. */
const packageStage = async (stage: string): Promise<Packaged> => {
  const dir = path.join(WORK, stage);
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LOCAL_'))),
    ...LOCAL_VALUES,
    LOCAL_ESBUILD_DIR: path.join(WORK, `esbuild-${stage}`),
  };
  await promisify(execFile)(process.execPath, ['node_modules/serverless/bin/serverless.js', 'package', '--stage', stage, '--package', dir], {
    cwd: ROOT,
    env,
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const text = readFileSync(path.join(ROOT, dir, 'cloudformation-template-update-stack.json'), 'utf8');
  return { dir: path.join(ROOT, dir), text, resources: JSON.parse(text).Resources };
};

/** Entry names of a zip file, from its central directory (no unzip tool needed). */
const zipEntries = (file: string): string[] => {
  const zip = readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, `${file} is not a zip`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `${file}: central directory entry ${i}`);
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
};

/** Every file of a zip written below `dir` (stored or deflated entries, as serverless writes them). */
const unzip = (file: string, dir: string): void => {
  const zip = readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = zip.readUInt32LE(end + 16);
  for (let i = zip.readUInt16LE(end + 10); i > 0; i--) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    if (!name.endsWith('/')) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), method === 8 ? inflateRawSync(data) : data);
    }
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
};

describe('generated CloudFormation template', () => {
  /** Stage `prod`, packaged once for the checks that differ by stage; stage `local`, for its overrides. */
  let prod: Packaged;
  let local: Packaged;

  beforeAll(async () => {
    // One at a time: serverless stages its artifacts in the project's .serverless folder.
    resources = (await packageStage('dev')).resources;
    prod = await packageStage('prod');
    local = await packageStage('local');
  }, 3 * 180_000); // three packagings, each bounded at 180 s above

  afterAll(() => rmSync(path.join(ROOT, WORK), { recursive: true, force: true }));

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
    // No identity source: API Gateway invokes a Lambda authorizer only when every identity
    // source is present, and a browser session's request carries a cookie, no Authorization.
    // For a REQUEST authorizer the identity source is optional when results are not cached
    // (API Gateway V2 API reference, Authorizer.identitySource), as they are not (TTL 0 above).
    assert.deepEqual(authorizer.IdentitySource ?? [], []);
  });

  it('lets cookie-only requests reach the authorizer: no identity source on any stage (caching off)', () => {
    for (const packaged of [prod, local]) {
      const [[, authorizer]] = ofType('AWS::ApiGatewayV2::Authorizer', packaged.resources) as [[string, Resource]];
      assert.deepEqual(authorizer.Properties.IdentitySource ?? [], []);
      assert.equal(authorizer.Properties.AuthorizerResultTtlInSeconds, 0);
    }
  });

  it('allows CORS for no origin by default, and with credentials only for the configured ones', () => {
    const [[, api]] = ofType('AWS::ApiGatewayV2::Api', prod.resources) as [[string, Resource]];
    assert.equal(api.Properties.CorsConfiguration, undefined, 'prod: no origin configured, no CORS');
    const [[, localApi]] = ofType('AWS::ApiGatewayV2::Api', local.resources) as [[string, Resource]];
    const cors = localApi.Properties.CorsConfiguration;
    assert.deepEqual(cors.AllowOrigins, [LOCAL_VALUES.LOCAL_CORS_ALLOWED_ORIGINS]);
    assert.equal(cors.AllowCredentials, true);
    assert.ok(!cors.AllowOrigins.includes('*'));
    assert.deepEqual([...cors.AllowHeaders].sort(), ['Authorization', 'Content-Type', 'x-csrf-token']);
    const functions = Object.fromEntries(ofType('AWS::Lambda::Function', local.resources));
    assert.equal(functions.AuthLambdaFunction!.Properties.Environment.Variables.CORS_ALLOWED_ORIGINS, LOCAL_VALUES.LOCAL_CORS_ALLOWED_ORIGINS);
  });

  it("seals every secret kept at rest with one rotating KMS key that only the auth function may use, with the record as encryption context", () => {
    const [[name, key]] = ofType('AWS::KMS::Key', prod.resources) as [[string, Resource]];
    assert.equal(key.Properties.EnableKeyRotation, true);
    assert.equal(key.DeletionPolicy, 'Retain');
    const users: string[] = [];
    for (const [roleName, role] of ofType('AWS::IAM::Role', prod.resources)) {
      for (const { PolicyDocument } of role.Properties.Policies ?? []) {
        for (const statement of PolicyDocument.Statement) {
          const actions: string[] = [statement.Action].flat();
          if (!actions.some((action) => action.startsWith('kms:'))) continue;
          users.push(roleName);
          assert.deepEqual(actions, ['kms:GenerateDataKey', 'kms:Decrypt']);
          assert.deepEqual(statement.Resource, [{ 'Fn::GetAtt': [name, 'Arn'] }]);
          assert.deepEqual(statement.Condition, {
            Null: { 'kms:EncryptionContext:gatewayRecord': 'false' },
            StringLike: { 'kms:EncryptionContext:gatewayRecord': ['websession#*', 'mfa#*'] },
          });
        }
      }
    }
    assert.deepEqual(users, ['AuthRole']);
    const functions = Object.fromEntries(ofType('AWS::Lambda::Function', prod.resources));
    assert.deepEqual(functions.AuthLambdaFunction!.Properties.Environment.Variables.SECRETS_KMS_KEY_ID, { Ref: name });
    assert.equal(functions.AuthLambdaFunction!.Properties.Environment.Variables.SECRETS_LOCAL_KEY, '');
    for (const [fnName, fn] of Object.entries(functions)) {
      if (fnName === 'AuthLambdaFunction') continue;
      assert.equal(fn.Properties.Environment?.Variables?.SECRETS_KMS_KEY_ID, undefined, fnName);
      assert.equal(fn.Properties.Environment?.Variables?.SECRETS_LOCAL_KEY, undefined, fnName);
    }
  });

  it("lets the authorizer write one attribute of browser sessions' records, and nothing else", () => {
    const role = prod.resources.AuthorizerRole!;
    const writes = role.Properties.Policies.flatMap((policy: { PolicyDocument: { Statement: { Action: string[]; Condition?: Record<string, Record<string, unknown>> }[] } }) =>
      policy.PolicyDocument.Statement.filter((statement) => [statement.Action].flat().some((action) => !['dynamodb:BatchGetItem', 'dynamodb:Query'].includes(action))),
    );
    assert.equal(writes.length, 1);
    assert.deepEqual(writes[0].Action, ['dynamodb:UpdateItem']);
    assert.deepEqual(writes[0].Condition['ForAllValues:StringLike'], { 'dynamodb:LeadingKeys': ['websession#*'] });
    assert.deepEqual(writes[0].Condition['ForAllValues:StringEquals'], { 'dynamodb:Attributes': ['pk', 'lastSeenAt', 'revokedAt'] });
    assert.deepEqual(writes[0].Condition.StringEqualsIfExists, { 'dynamodb:ReturnValues': 'NONE' });
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

  it('creates on-demand tables with point-in-time recovery, named as the local stack names them; the change log, whose entries live an hour, without', () => {
    const tables = ofType('AWS::DynamoDB::Table').map(([, t]) => t.Properties);
    assert.deepEqual(tables.map((t) => t.TableName).sort(), Object.values(tableNames('dev')).sort());
    for (const table of tables) {
      assert.equal(table.BillingMode, 'PAY_PER_REQUEST', table.TableName);
      if (table.TableName === tableNames('dev').accessChanges) continue;
      assert.equal(table.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, true, table.TableName);
    }
    const access = tables.find((t) => t.TableName === tableNames('dev').access)!;
    assert.deepEqual(access.TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
    const changes = tables.find((t) => t.TableName === tableNames('dev').accessChanges)!;
    assert.deepEqual(changes.TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
    assert.deepEqual(changes.KeySchema, [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('lets every function that writes access records announce them on the change log, and the authorizer only poll it', () => {
    const onChanges = (statement: { Resource: unknown }) =>
      [statement.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': ['AccessChangesTable', 'Arn'] }));
    const access: Record<string, string[]> = {};
    for (const [name, fn] of ofType('AWS::Lambda::Function', prod.resources)) {
      const functionName = name.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());
      const role = prod.resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
      for (const { PolicyDocument } of role.Properties.Policies ?? []) {
        for (const statement of PolicyDocument.Statement) {
          if (onChanges(statement)) access[functionName] = [...(access[functionName] ?? []), ...[statement.Action].flat()];
        }
      }
    }
    assert.deepEqual(access, {
      authorizer: ['dynamodb:Query'],
      auth: ['dynamodb:BatchWriteItem'],
      keys: ['dynamodb:BatchWriteItem'],
      users: ['dynamodb:BatchWriteItem'],
      cognitoTrigger: ['dynamodb:BatchWriteItem'],
      cognitoSync: ['dynamodb:BatchWriteItem'],
    });
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
      // The pool names its trigger, so the trigger cannot name the pool (a circular reference):
      // it learns the pool from its event.
      const pool = name === 'CognitoTriggerLambdaFunction' ? ['', '', ''] : [{ Ref: 'UserPool' }, { Ref: 'UserPoolClient' }, undefined];
      assert.deepEqual(vars.COGNITO_USER_POOL_ID, pool[0], name);
      assert.deepEqual(vars.COGNITO_CLIENT_ID, pool[1], name);
      if (pool[2] !== undefined) assert.equal(vars.MACHINE_CLIENTS, pool[2], name);
      assert.equal(vars.COGNITO_ENDPOINT, '', name);
      assert.equal(vars.DYNAMODB_ENDPOINT, '', name);
      assert.equal(vars.AUTHORIZER_UNAUTHENTICATED_RESPONSE, 'deny', name);
    }
  });

  it('gives every function the change log, its shards as the local stack announces on, and the one-second revocation bound', () => {
    for (const [name, fn] of ofType('AWS::Lambda::Function')) {
      const vars = fn.Properties.Environment.Variables;
      assert.equal(vars.ACCESS_CHANGES_TABLE, tableNames('dev').accessChanges, name);
      // Strings, as Lambda's environment takes them (CloudFormation would coerce a number).
      assert.equal(vars.ACCESS_CHANGES_SHARDS, String(LOCAL_ACCESS_CHANGE_SHARDS), name);
      assert.equal(vars.REVOCATION_MAX_STALENESS_MS, '1000', name);
    }
  });

  it('gives the API key MAC key ring only to the functions that check or mint keys', () => {
    const holders = ofType('AWS::Lambda::Function')
      .filter(([, fn]) => fn.Properties.Environment.Variables.API_KEY_MAC_KEYS !== undefined)
      .map(([name]) => name);
    assert.deepEqual(holders.sort(), ['AuthorizerLambdaFunction', 'KeysLambdaFunction']);
  });

  it('wires the pre-token-generation trigger to the user pool, invocable by Cognito for this pool only', () => {
    const pool = resources.UserPool!.Properties;
    assert.deepEqual(pool.LambdaConfig.PreTokenGenerationConfig, {
      LambdaArn: { 'Fn::GetAtt': ['CognitoTriggerLambdaFunction', 'Arn'] },
      LambdaVersion: 'V1_0',
    });
    const permission = resources.CognitoTriggerInvokePermission!.Properties;
    assert.equal(permission.Principal, 'cognito-idp.amazonaws.com');
    assert.deepEqual(permission.SourceArn, { 'Fn::GetAtt': ['UserPool', 'Arn'] });
  });

  it("syncs Cognito's management calls for this pool through an EventBridge rule on CloudTrail events", () => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    assert.equal(rules.length, 1);
    const pattern = rules[0]!.EventPattern;
    assert.deepEqual(pattern.source, ['aws.cognito-idp']);
    assert.deepEqual(pattern['detail-type'], ['AWS API Call via CloudTrail']);
    assert.deepEqual([...pattern.detail.eventName].sort(), [...SYNCED_EVENTS].sort());
    assert.deepEqual(pattern.detail.requestParameters.userPoolId, [{ Ref: 'UserPool' }]);
    assert.deepEqual(rules[0]!.Targets[0].Arn, { 'Fn::GetAtt': ['CognitoSyncLambdaFunction', 'Arn'] });
  });

  it('injects every LOCAL_* variable serverless.yml reads into the packaging below', () => {
    const read = new Set([...readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8').matchAll(/\$\{env:(LOCAL_[A-Z0-9_]+)/g)].map((m) => m[1]!));
    read.delete('LOCAL_ESBUILD_DIR');
    assert.deepEqual([...read].sort(), Object.keys(LOCAL_VALUES).sort());
  });

  it('keeps every LOCAL_* value out of a prod deployment, whatever the shell has set', () => {
    // Anywhere in the template: no emulator address, no local pool, client, machine or key.
    for (const [name, value] of Object.entries(LOCAL_VALUES)) {
      if (value.length >= 8) assert.ok(!prod.text.includes(value), `${name}'s value is in the prod template`);
    }
    for (const value of [...Object.values(LOCAL_VALUES).flatMap((v) => v.match(/local[\w-]*/gi) ?? []), '127.0.0.1', 'localhost', 'http://', WORK]) {
      assert.ok(!prod.text.includes(value), `${value} is in the prod template`);
    }
    // The short values (`error`, `true`) by name, in every function's environment.
    const functions = ofType('AWS::Lambda::Function', prod.resources);
    assert.ok(functions.length > 0);
    for (const [name, fn] of functions) {
      const vars = fn.Properties.Environment.Variables;
      assert.equal(vars.GATEWAY_LOCAL_STACK, 'false', name);
      assert.equal(vars.AUTHORIZER_UNAUTHENTICATED_RESPONSE, 'deny', name);
      assert.equal(vars.POWERTOOLS_METRICS_DISABLED, 'false', name);
      for (const variable of ['COGNITO_ISSUER', 'COGNITO_ENDPOINT', 'DYNAMODB_ENDPOINT']) assert.equal(vars[variable], '', `${name} ${variable}`);
    }
  });

  it('takes the LOCAL_* values on stage local, the stage the local stack runs, and marks it as such', () => {
    const vars = local.resources.AuthorizerLambdaFunction!.Properties.Environment.Variables;
    assert.deepEqual(
      {
        GATEWAY_LOCAL_STACK: vars.GATEWAY_LOCAL_STACK,
        COGNITO_USER_POOL_ID: vars.COGNITO_USER_POOL_ID,
        COGNITO_CLIENT_ID: vars.COGNITO_CLIENT_ID,
        MACHINE_CLIENTS: vars.MACHINE_CLIENTS,
        COGNITO_ISSUER: vars.COGNITO_ISSUER,
        COGNITO_ENDPOINT: vars.COGNITO_ENDPOINT,
        DYNAMODB_ENDPOINT: vars.DYNAMODB_ENDPOINT,
        AUTHORIZER_UNAUTHENTICATED_RESPONSE: vars.AUTHORIZER_UNAUTHENTICATED_RESPONSE,
        POWERTOOLS_METRICS_DISABLED: vars.POWERTOOLS_METRICS_DISABLED,
        API_KEY_MAC_KEYS: vars.API_KEY_MAC_KEYS,
        MFA_REQUIRED_ROLES: vars.MFA_REQUIRED_ROLES,
      },
      {
        GATEWAY_LOCAL_STACK: 'true',
        ...Object.fromEntries(
          Object.entries(LOCAL_VALUES)
            .filter(([name]) => !['LOCAL_TOKEN_URL', 'LOCAL_SECRETS_KEY', 'LOCAL_CORS_ALLOWED_ORIGINS'].includes(name))
            .map(([name, value]) => [name.replace(/^LOCAL_/, '').replace(/^METRICS_DISABLED$/, 'POWERTOOLS_METRICS_DISABLED'), value]),
        ),
      },
    );
    // Only the auth function holds the key that seals the secrets kept at rest, and no KMS key locally.
    assert.equal(local.resources.AuthLambdaFunction!.Properties.Environment.Variables.SECRETS_LOCAL_KEY, LOCAL_VALUES.LOCAL_SECRETS_KEY);
    assert.equal(local.resources.AuthLambdaFunction!.Properties.Environment.Variables.SECRETS_KMS_KEY_ID, '');
    assert.equal(vars.SECRETS_LOCAL_KEY, undefined);
    // Only the docs function names the token endpoint (in the OpenAPI document).
    assert.equal(local.resources.DocsLambdaFunction!.Properties.Environment.Variables.TOKEN_URL, LOCAL_VALUES.LOCAL_TOKEN_URL);
  });

  it('limits each write to the access table to the record kinds its function owns (dynamodb:LeadingKeys)', () => {
    const WRITES = new Set(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']);
    const onAccessTable = (statement: { Resource: unknown }) =>
      [statement.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': ['AccessTable', 'Arn'] }));
    const owned: Record<string, string[]> = {};
    for (const [name, fn] of ofType('AWS::Lambda::Function', prod.resources)) {
      const functionName = name.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());
      const role = prod.resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
      for (const { PolicyDocument } of role.Properties.Policies ?? []) {
        for (const statement of PolicyDocument.Statement) {
          const actions: string[] = [statement.Action].flat();
          if (!onAccessTable(statement) || !actions.some((a) => WRITES.has(a))) continue;
          assert.ok(actions.every((a) => WRITES.has(a)), `${functionName}: reads share a statement with writes (${actions.join(', ')})`);
          const patterns: string[] = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? [];
          assert.equal(Object.keys(statement.Condition ?? {})[0], 'ForAllValues:StringLike', `${functionName}: writes without a LeadingKeys condition`);
          assert.ok(patterns.length > 0, `${functionName}: writes without a LeadingKeys condition`);
          for (const pattern of patterns) assert.match(pattern, /^[a-z]+#\*$/, `${functionName}: ${pattern} is not a record kind`);
          owned[functionName] = [...new Set([...(owned[functionName] ?? []), ...patterns.map((p) => p.slice(0, -1))])].sort();
        }
      }
    }
    assert.deepEqual(owned, {
      auth: ['challenge#', 'mfa#', 'mfafail#', 'refresh#', 'session#', 'totp#', 'user#', 'websession#'],
      authorizer: ['websession#'],
      keys: ['apikey#', 'user#'],
      users: ['user#'],
      cognitoTrigger: ['user#', 'username#'],
      cognitoSync: ['user#'],
    });
  });

  it('retains the user pool and the tables on prod (stack deleted or resource replaced), deletes them elsewhere; the change log everywhere', () => {
    const data = (from: Resources) =>
      [...ofType('AWS::Cognito::UserPool', from), ...ofType('AWS::DynamoDB::Table', from)].filter(([name]) => name !== 'AccessChangesTable');
    assert.equal(prod.resources.AccessChangesTable!.DeletionPolicy ?? 'Delete', 'Delete');
    assert.equal(data(prod.resources).length, 5);
    for (const [name, r] of data(prod.resources)) {
      assert.deepEqual([r.DeletionPolicy, r.UpdateReplacePolicy], ['Retain', 'Retain'], `prod ${name}`);
    }
    for (const [name, r] of data(resources)) {
      assert.deepEqual([r.DeletionPolicy, r.UpdateReplacePolicy], ['Delete', 'Delete'], `dev ${name}`);
    }
  });

  it('lets machine clients sign in no user: the refresh flow Cognito requires and nothing else', () => {
    const machines = ofType('AWS::Cognito::UserPoolClient', prod.resources).filter(([, r]) => r.Properties.AllowedOAuthFlows?.includes('client_credentials'));
    assert.equal(machines.length, MACHINE_CLIENTS.length);
    for (const [name, client] of machines) assert.deepEqual(client.Properties.ExplicitAuthFlows, ['ALLOW_REFRESH_TOKEN_AUTH'], name);
  });

  it('throttles the HTTP API stage, the /auth routes tighter, and reserves no authorizer concurrency unless asked', () => {
    const stage = prod.resources.HttpApiStage!;
    assert.equal(stage.Type, 'AWS::ApiGatewayV2::Stage');
    const { ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst } = stage.Properties.DefaultRouteSettings;
    assert.ok(typeof rate === 'number' && rate > 0 && typeof burst === 'number' && burst >= rate, `default limits ${rate}/${burst}`);
    const routes = Object.fromEntries(ofType('AWS::ApiGatewayV2::Route', prod.resources).map(([name, r]) => [r.Properties.RouteKey, name]));
    const settings = stage.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    assert.deepEqual(Object.keys(settings).sort(), [
      'DELETE /auth/mfa',
      'POST /auth/login',
      'POST /auth/logout',
      'POST /auth/mfa',
      'POST /auth/mfa/verify',
      'POST /auth/new-password',
      'POST /auth/password',
      'POST /auth/password/forgot',
      'POST /auth/password/reset',
      'POST /auth/refresh',
      'POST /auth/session',
      'POST /auth/session/challenge',
      'POST /auth/signup',
      'POST /auth/signup/confirm',
    ]);
    for (const [routeKey, limits] of Object.entries(settings)) {
      assert.ok(limits.ThrottlingRateLimit > 0 && limits.ThrottlingRateLimit < rate, `${routeKey} rate`);
      assert.ok(limits.ThrottlingBurstLimit > 0 && limits.ThrottlingBurstLimit < burst, `${routeKey} burst`);
      // API Gateway refuses settings for a route it has not created yet.
      assert.ok(routes[routeKey] && [stage.DependsOn].flat().includes(routes[routeKey]), `the stage must wait for ${routeKey}`);
    }
    assert.equal(prod.resources.AuthorizerLambdaFunction!.Properties.ReservedConcurrentExecutions, undefined);
  });

  it('turns the user pool\'s self-service sign-up on only where SIGNUP_ENABLED is (off by default, on for the local stack)', () => {
    const pool = (resources: typeof prod.resources) => ofType('AWS::Cognito::UserPool', resources)[0]![1];
    const authEnv = (resources: typeof prod.resources) => resources.AuthLambdaFunction!.Properties.Environment.Variables.SIGNUP_ENABLED;
    assert.equal(pool(prod.resources).Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly, true);
    assert.equal(authEnv(prod.resources), 'false');
    assert.equal(pool(local.resources).Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly, false);
    assert.equal(authEnv(local.resources), 'true');
  });

  it('lets users turn on two-factor sign-in with an authenticator app (optional, software tokens only), required of admins on AWS and of nobody locally', () => {
    const pool = (resources: typeof prod.resources) => ofType('AWS::Cognito::UserPool', resources)[0]![1].Properties;
    for (const resources of [prod.resources, local.resources]) {
      assert.equal(pool(resources).MfaConfiguration, 'OPTIONAL');
      assert.deepEqual(pool(resources).EnabledMfas, ['SOFTWARE_TOKEN_MFA']);
    }
    assert.equal(prod.resources.AuthorizerLambdaFunction!.Properties.Environment.Variables.MFA_REQUIRED_ROLES, 'admin');
    assert.equal(local.resources.AuthorizerLambdaFunction!.Properties.Environment.Variables.MFA_REQUIRED_ROLES, 'none');
    // The authenticator secrets are sealed by the secret vault's KMS key: no sealing key of their own.
    assert.deepEqual(
      ofType('AWS::SecretsManager::Secret', prod.resources).map(([name]) => name),
      ['ApiKeyMacSecret'],
    );
  });

  it("logs each request: request id, route, status, and the authorizer's and the integration's errors", () => {
    const { AccessLogSettings: logs } = prod.resources.HttpApiStage!.Properties;
    assert.deepEqual(logs.DestinationArn, { 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    assert.ok(prod.resources.HttpApiLogGroup!.Properties.RetentionInDays > 0);
    const fields = Object.values(JSON.parse(logs.Format) as Record<string, string>);
    for (const variable of ['$context.requestId', '$context.routeKey', '$context.status', '$context.authorizer.error', '$context.integrationErrorMessage']) {
      assert.ok(fields.includes(variable), `access log lacks ${variable}`);
    }
  });

  it('leaves the esbuild metafiles out of every function zip', () => {
    const zips = readdirSync(prod.dir).filter((f) => f.endsWith('.zip'));
    assert.equal(zips.length, ofType('AWS::Lambda::Function', prod.resources).length);
    for (const zip of zips) {
      const entries = zipEntries(path.join(prod.dir, zip));
      assert.ok(entries.some((e) => e.endsWith('handler.js')), `${zip}: ${entries.join(', ')}`);
      assert.deepEqual(entries.filter((e) => /meta[^/]*\.json$/.test(e)), [], zip);
    }
  });

  it("packs swagger-ui's files into the docs function's zip as files, beside its bundle, and into no other zip", () => {
    const SWAGGER_UI = ['node_modules/swagger-ui-dist/package.json', 'node_modules/swagger-ui-dist/swagger-ui-bundle.js', 'node_modules/swagger-ui-dist/swagger-ui.css'];
    for (const zip of readdirSync(prod.dir).filter((f) => f.endsWith('.zip'))) {
      const entries = zipEntries(path.join(prod.dir, zip));
      if (zip === 'docs.zip') {
        for (const file of SWAGGER_UI) assert.ok(entries.includes(file), `docs.zip lacks ${file}: ${entries.join(', ')}`);
        assert.ok(entries.includes('functions/docs/handler.js'), entries.join(', '));
      } else {
        assert.deepEqual(entries.filter((e) => e.includes('swagger-ui')), [], zip);
      }
    }
  });

  it("serves the explorer and the document from the docs function's zip alone, as Lambda would run it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docs-zip-'));
    try {
      unzip(path.join(prod.dir, 'docs.zip'), dir);
      // A fresh Node in the unzipped folder (as /var/task): the bundle, and swagger-ui's files beside it.
      const script = `
        const { handler } = require(${JSON.stringify(path.join(dir, 'functions/docs/handler.js'))});
        const call = (routeKey, asset) => handler({ routeKey, pathParameters: asset ? { asset } : undefined, headers: {} });
        Promise.all([call('GET /docs'), call('GET /openapi.json'), call('GET /docs/{asset}', 'swagger-ui-bundle.js'), call('GET /docs/{asset}', 'swagger-ui.css')])
          .then((answers) => console.log(JSON.stringify(answers.map((a) => ({ status: a.statusCode, type: a.headers['content-type'], length: a.body.length, csp: a.headers['content-security-policy'] })))));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
        cwd: dir,
        env: { PATH: process.env.PATH, TOKEN_URL: 'https://example.auth.us-east-1.amazoncognito.com/oauth2/token', RESOURCE_SERVER_ID: 'gateway', POWERTOOLS_LOG_LEVEL: 'ERROR' },
      });
      const [page, document, bundle, css] = JSON.parse(stdout) as { status: number; type: string; length: number; csp?: string }[];
      assert.deepEqual([page!.status, document!.status, bundle!.status, css!.status], [200, 200, 200, 200]);
      assert.match(page!.type, /^text\/html/);
      assert.match(page!.csp ?? '', /frame-ancestors 'none'/);
      assert.ok(bundle!.length > 1_000_000, `swagger-ui-bundle.js is ${bundle!.length} characters`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const cfnLint = (() => {
    try {
      execFileSync('cfn-lint', ['--version'], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  })();
  // Skipped when cfn-lint is not installed.
  (cfnLint ? it : it.skip)('passes cfn-lint on prod (W3005, the DependsOn serverless generates, aside)', () => {
    const file = path.join(prod.dir, 'cloudformation-template-update-stack.json');
    try {
      execFileSync('cfn-lint', ['--ignore-checks', 'W3005', '--', file], { stdio: 'pipe' });
    } catch (error) {
      assert.fail(String((error as { stdout?: Buffer }).stdout ?? error));
    }
  });
});

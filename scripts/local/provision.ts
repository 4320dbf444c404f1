/**
 * Creates, idempotently, everything the gateway needs in the local emulators: the user pool,
 * its app client and groups, the users with their roles and branches, the tables, and sample
 * data. Running it twice changes nothing but the seeded users' passwords and branches (reset
 * to the configured values); stock that was changed through the API is kept.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  ListGroupsCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  SetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { awsErrorName } from '../../lib/errors';
import { ROLES } from '../../lib/policy/route-policy';
import { createDynamoAccessStore } from '../../lib/access/store';
import { MACHINE_CLIENTS, REGION, RESOURCE_SERVER_ID, SEED_BRANCHES, SEED_PRODUCTS, SERVICE, tableNames, type SeedMachineClient, type SeedUser, LOCAL_ACCESS_CHANGE_SHARDS } from './settings';

export interface ProvisionedMachineClient extends SeedMachineClient {
  clientId: string;
  clientSecret: string;
}

export interface ProvisionedIdentity {
  userPoolId: string;
  clientId: string;
  machineClients: ProvisionedMachineClient[];
}

/** `MACHINE_CLIENTS` for the gateway (lib/config.ts), as serverless.yml builds it on AWS. */
export const machineClientsEnv = (clients: readonly ProvisionedMachineClient[]): string =>
  JSON.stringify(clients.map(({ clientId, name, roles, branches }) => ({ clientId, name, roles, branches })));

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const ignore = async (names: string[], action: () => Promise<unknown>) => {
  try {
    await action();
  } catch (error) {
    if (!names.includes(awsErrorName(error) ?? '')) throw error;
  }
};

export const provisionIdentity = async (
  endpoint: string,
  stage: string,
  users: SeedUser[],
): Promise<ProvisionedIdentity & { subs: Map<string, string> }> => {
  const cognito = new CognitoIdentityProviderClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
  const poolName = `${SERVICE}-${stage}`;
  const clientName = `${SERVICE}-${stage}-api`;

  const pools = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }));
  let userPoolId = pools.UserPools?.find((p) => p.Name === poolName)?.Id;
  if (!userPoolId) {
    const created = await cognito.send(
      new CreateUserPoolCommand({
        PoolName: poolName,
        // As serverless.yml: sign-up codes go to the email (cognito-local sends none without it).
        AutoVerifiedAttributes: ['email'],
        Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
      }),
    );
    userPoolId = created.UserPool!.Id!;
  }
  // As serverless.yml: two-factor sign-in with an authenticator app, optional per user. Also on
  // a pool made before it was (idempotent).
  await cognito.send(
    new SetUserPoolMfaConfigCommand({ UserPoolId: userPoolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }),
  );

  const clients = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }));
  let clientId = clients.UserPoolClients?.find((c) => c.ClientName === clientName)?.ClientId;
  if (!clientId) {
    // Same settings as UserPoolClient in serverless.yml.
    const created = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: clientName,
        GenerateSecret: false,
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        EnableTokenRevocation: true,
        PreventUserExistenceErrors: 'ENABLED',
        AccessTokenValidity: 60,
        IdTokenValidity: 60,
        RefreshTokenValidity: 30,
        TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
      }),
    );
    clientId = created.UserPoolClient!.ClientId!;
  }

  // Machine clients, as PartnerClient in serverless.yml. cognito-local has no resource servers:
  // the allowed scopes live on the client only.
  const machineClients: ProvisionedMachineClient[] = [];
  for (const machine of MACHINE_CLIENTS) {
    const name = `${SERVICE}-${stage}-${machine.name}`;
    let id = clients.UserPoolClients?.find((c) => c.ClientName === name)?.ClientId;
    if (!id) {
      const created = await cognito.send(
        new CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: name,
          GenerateSecret: true,
          AllowedOAuthFlowsUserPoolClient: true,
          AllowedOAuthFlows: ['client_credentials'],
          AllowedOAuthScopes: machine.scopes.map((scope) => `${RESOURCE_SERVER_ID}/${scope}`),
          SupportedIdentityProviders: ['COGNITO'],
          EnableTokenRevocation: true,
          PreventUserExistenceErrors: 'ENABLED',
          AccessTokenValidity: 60,
          TokenValidityUnits: { AccessToken: 'minutes' },
        }),
      );
      id = created.UserPoolClient!.ClientId!;
    }
    const described = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: id }));
    const secret = described.UserPoolClient?.ClientSecret;
    if (!secret) throw new Error(`Machine client ${name} has no secret`);
    machineClients.push({ ...machine, clientId: id, clientSecret: secret });
  }

  // Only create missing groups: cognito-local's CreateGroup overwrites an existing group and
  // empties its member list (AWS answers GroupExistsException).
  const groups = await cognito.send(new ListGroupsCommand({ UserPoolId: userPoolId, Limit: 60 }));
  const existingGroups = new Set((groups.Groups ?? []).map((g) => g.GroupName));
  for (const role of ROLES.filter((r) => !existingGroups.has(r))) {
    await ignore(['GroupExistsException'], () => cognito.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: role })));
  }

  const subs = new Map<string, string>();
  for (const user of users) {
    await ignore(['UsernameExistsException'], () =>
      cognito.send(
        new AdminCreateUserCommand({
          UserPoolId: userPoolId,
          Username: user.username,
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: user.email },
            { Name: 'email_verified', Value: 'true' },
          ],
        }),
      ),
    );
    await cognito.send(
      new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.username, Password: user.password, Permanent: true }),
    );
    for (const role of user.roles) {
      await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.username, GroupName: role }));
    }
    const found = await cognito.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: user.username }));
    const sub = found.UserAttributes?.find((a) => a.Name === 'sub')?.Value;
    if (!sub) throw new Error(`User ${user.username} has no sub`);
    subs.set(user.username, sub);
  }
  cognito.destroy();
  return { userPoolId, clientId, machineClients, subs };
};

const tableDefinitions = (stage: string): CreateTableCommandInput[] => {
  const names = tableNames(stage);
  const table = (TableName: string, keys: [string, 'HASH' | 'RANGE'][]): CreateTableCommandInput => ({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keys.map(([AttributeName]) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: keys.map(([AttributeName, KeyType]) => ({ AttributeName, KeyType })),
  });
  return [
    table(names.products, [['productId', 'HASH']]),
    table(names.branches, [['branchId', 'HASH']]),
    table(names.inventory, [['branchId', 'HASH'], ['productId', 'RANGE']]),
    // TTL on `expiresAt` is declared in serverless.yml; dynalite has no UpdateTimeToLive, so
    // the code ignores expired records itself.
    table(names.access, [['pk', 'HASH']]),
    table(names.accessChanges, [['pk', 'HASH'], ['sk', 'RANGE']]),
  ];
};

export const provisionData = async (endpoint: string, stage: string, users: SeedUser[], subs: Map<string, string>) => {
  const raw = new DynamoDBClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
  const doc = DynamoDBDocumentClient.from(raw);
  const names = tableNames(stage);

  for (const definition of tableDefinitions(stage)) {
    await ignore(['ResourceInUseException'], () => raw.send(new CreateTableCommand(definition)));
  }

  const putIfAbsent = (TableName: string, Item: Record<string, unknown>, key: string) =>
    ignore(['ConditionalCheckFailedException'], () =>
      doc.send(new PutCommand({ TableName, Item, ConditionExpression: `attribute_not_exists(${key})` })),
    );

  const createdAt = new Date().toISOString();
  for (const product of SEED_PRODUCTS) await putIfAbsent(names.products, { ...product, createdAt }, 'productId');
  for (const branch of SEED_BRANCHES) {
    await putIfAbsent(names.branches, { branchId: branch.branchId, name: branch.name }, 'branchId');
    for (const [productId, quantity] of Object.entries(branch.stock)) {
      await putIfAbsent(
        names.inventory,
        { branchId: branch.branchId, productId, quantity, updatedAt: createdAt, updatedBy: 'seed', version: 1 },
        'branchId',
      );
    }
  }

  // Also run on a running stack (tests add users): announced on every shard the gateway reads.
  const access = createDynamoAccessStore(doc, { tables: { access: names.access }, changeLog: { table: names.accessChanges, shards: LOCAL_ACCESS_CHANGE_SHARDS } });
  for (const user of users) {
    const sub = subs.get(user.username);
    if (sub) await access.putUser({ sub, username: user.username, branches: user.branches });
  }
  raw.destroy();
};

/**
 * `npm run create-admin -- --stage prod --region eu-west-1 --email ops@example.com`: the first
 * admin of a fresh deployment, with no AWS CLI by hand. It reads the stack's outputs
 * (`UserPoolId`, `HttpApiUrl`) from CloudFormation with the AWS SDK, under the credentials of
 * the shell (as `serverless deploy` does), creates the user in the stack's pool and adds them to
 * the `admin` group. Everything after that goes through the gateway's API (README, "Deploying to
 * AWS").
 *
 * - Without `--temporary-password` Cognito makes a temporary password and emails the invitation;
 *   with one, no message is sent and you hand the password over. Either way the first login
 *   answers the `NEW_PASSWORD_REQUIRED` challenge.
 * - It refuses when the pool already has an admin: more admins are made with `POST /users`, by an
 *   admin, and leave a trace in the gateway's logs.
 * - The email and password are checked as `POST /users` checks them (the same schema).
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AdminAddUserToGroupCommand, CognitoIdentityProviderClient, ListUsersInGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GatewayError } from '../lib/errors';
import { validate } from '../lib/http/validation';
import { createCognitoUserAdministration } from '../lib/identity/user-admin';
import type { DirectoryUser } from '../lib/identity/cognito';
import { ROUTE_TABLE } from '../lib/routes/table';

/** The service name in serverless.yml: CloudFormation stacks are `<service>-<stage>`. */
export const SERVICE = 'serverless-api-gateway';

/** The outputs of a deployed stack, by key. */
export const stackOutputs = async (cloudFormation: Pick<CloudFormationClient, 'send'>, stackName: string): Promise<Record<string, string>> => {
  const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = Stacks[0];
  if (!stack) throw new Error(`No stack ${stackName}`);
  return Object.fromEntries((stack.Outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [])));
};

/** Create the pool's first admin; refuses if it has one. */
export const createFirstAdmin = async (
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  input: { email: string; temporaryPassword?: string | undefined },
): Promise<DirectoryUser> => {
  const checked = validate(
    ROUTE_TABLE['POST /users'].body,
    { email: input.email, roles: ['admin'], ...(input.temporaryPassword === undefined ? {} : { temporaryPassword: input.temporaryPassword }) },
    'invalid_input',
    'input',
  );
  const admins = await cognito.send(new ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: 'admin', Limit: 1 }));
  if ((admins.Users ?? []).length > 0) {
    throw new Error('The user pool already has an admin: log in as them and create more with POST /users');
  }
  const user = await createCognitoUserAdministration(cognito, { userPoolId }).createUser({
    email: checked.email,
    ...(checked.temporaryPassword === undefined ? {} : { temporaryPassword: checked.temporaryPassword }),
  });
  await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.username, GroupName: 'admin' }));
  return user;
};

const USAGE = 'usage: npm run create-admin -- --stage <stage> [--region <region>] --email <address> [--temporary-password <password>]';

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: { stage: { type: 'string' }, region: { type: 'string' }, email: { type: 'string' }, 'temporary-password': { type: 'string' } },
  });
  if (!values.stage || !values.email) throw new Error(USAGE);
  if (values.stage === 'local') throw new Error('The local stack seeds its own admin (npm start); this script is for a deployed stack');
  const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error(`No region: pass --region or set AWS_REGION\n${USAGE}`);
  const stackName = `${SERVICE}-${values.stage}`;
  const outputs = await stackOutputs(new CloudFormationClient({ region }), stackName);
  const userPoolId = outputs.UserPoolId;
  if (!userPoolId) throw new Error(`Stack ${stackName} has no UserPoolId output: is it this gateway's stack?`);
  const user = await createFirstAdmin(new CognitoIdentityProviderClient({ region }), userPoolId, {
    email: values.email,
    temporaryPassword: values['temporary-password'],
  });
  const api = outputs.HttpApiUrl ?? '<HttpApiUrl output>';
  console.log(`Created admin ${user.username} (sub ${user.sub}, status ${user.status}) in ${userPoolId}.`);
  console.log(values['temporary-password'] === undefined ? `Cognito emailed the invitation to ${user.username}.` : 'No message was sent: hand the temporary password over.');
  console.log(`First login: POST ${api}/auth/login, then POST ${api}/auth/new-password with the challenge's session.`);
};

if (require.main === module) {
  main().catch((error: unknown) => {
    const message = error instanceof GatewayError ? `${error.message}${'details' in error ? `: ${(error.details as string[]).join('; ')}` : ''}` : error instanceof Error ? error.message : String(error);
    console.error(message);
    process.exit(1);
  });
}

/**
 * `npm start`: the whole gateway on this machine, no AWS account. Starts cognito-local and
 * dynalite, creates the pool, users, tables and sample data, starts serverless-offline, and
 * prints what runs where. Ctrl-C stops every part.
 */
import { startLocalStack } from './local/stack';
import { settingsFromEnv } from './local/settings';

const main = async () => {
  const settings = settingsFromEnv();
  const stack = await startLocalStack(settings, { output: 'inherit', log: (m) => console.log(`[local] ${m}`) });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[local] ${signal}: stopping the gateway, cognito-local and dynalite`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  const manager = settings.users.find((u) => u.roles.includes('branch-manager')) ?? settings.users[0];
  const partner = stack.machineClients[0];
  const url = stack.gatewayUrl.replace('127.0.0.1', 'localhost');
  console.log(`
=====================================================================
 Gateway        ${url}            (HTTP API, serverless-offline)
 API explorer   ${url}/docs       (sign in there; the OpenAPI document: ${url}/openapi.json)
 Sign-in page   ${url}/login      (a browser session: an HttpOnly cookie, no token in the page)
 Cognito        ${stack.cognitoUrl}   pool ${stack.userPoolId}, client ${stack.clientId}
 Token endpoint ${stack.tokenUrl}   (client credentials, machine clients)
 DynamoDB       ${stack.dynamodbUrl}   (dynalite)
 State          ${settings.stateDir}   (npm run reset wipes it)

 Users
${settings.users.map((u) => `   ${u.username.padEnd(24)} ${u.password.padEnd(20)} ${u.roles.join(', ')}${u.branches.length ? ` of branch ${u.branches.join(', ')}` : ''}`).join('\n')}

 Try it
   TOKEN=$(curl -s ${url}/auth/login -H 'content-type: application/json' \\
     -d '{"username":"${manager?.username}","password":"${manager?.password}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')
   curl -s ${url}/branches/1/products -H "Authorization: Bearer $TOKEN"
   curl -s -o /dev/null -w '%{http_code}\\n' ${url}/branches/2/products -H "Authorization: Bearer $TOKEN"   # 403

 A personal API key (shown once), used, then revoked
   KEY=$(curl -s ${url}/api-keys -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
     -d '{"name":"stock report","scopes":["inventory:read"],"expiresInDays":30}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).key')
   curl -s ${url}/branches/1/products -H "Authorization: Bearer $KEY"
   curl -s ${url}/api-keys -H "Authorization: Bearer $TOKEN"
   curl -s -X DELETE ${url}/api-keys/$(echo $KEY | cut -d_ -f2) -H "Authorization: Bearer $TOKEN"   # then $KEY gets 401
${partner ? `
 Machine client "${partner.name}" (scopes ${partner.scopes.join(', ')}${partner.branches.length ? `; branch ${partner.branches.join(', ')}` : ''})
   M2M=$(curl -s ${stack.tokenUrl} -u '${partner.clientId}:${partner.clientSecret}' \\
     -d grant_type=client_credentials | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
   curl -s ${url}/branches/1/products -H "Authorization: Bearer $M2M"
` : ''}
 Press Ctrl-C to stop everything.
=====================================================================
`);
};

main().catch((error) => {
  console.error(`[local] could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

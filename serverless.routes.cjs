// serverless.yml's view of the route table (lib/policy/route-policy.ts and lib/routes/table.ts):
// `${file(./serverless.routes.cjs):events.<function>}` and `...:resourceServerScopes`. osls loads
// only .js/.cjs files as variable sources, so this one loads the TypeScript through tsx.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file: osls require()s it
const tsx = require('tsx/cjs/api');

const { httpApiCors, httpApiEventsByService, resourceServerScopes } = tsx.require('./lib/routes/serverless.ts', module.filename);

module.exports = {
  events: httpApiEventsByService(),
  resourceServerScopes: resourceServerScopes(),
  // `provider.httpApi.cors` from the `corsAllowedOrigins` param: false (none) unless origins are set.
  cors: async ({ resolveVariable }) => httpApiCors((await resolveVariable('param:corsAllowedOrigins')) ?? '', await resolveVariable('sls:stage')),
};

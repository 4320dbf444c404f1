// serverless.yml's view of the route table (lib/policy/route-policy.ts and lib/routes/table.ts):
// `${file(./serverless.routes.cjs):events.<function>}` and `...:resourceServerScopes`. osls loads
// only .js/.cjs files as variable sources, so this one loads the TypeScript through tsx.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file: osls require()s it
const tsx = require('tsx/cjs/api');

const { httpApiEventsByService, resourceServerScopes } = tsx.require('./lib/routes/serverless.ts', module.filename);

module.exports = {
  events: httpApiEventsByService(),
  resourceServerScopes: resourceServerScopes(),
};

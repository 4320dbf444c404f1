/**
 * Preloaded into serverless-offline by the local stack (scripts/local/stack.ts): repeated
 * `Authorization` lines are joined with ", " into the first, as API Gateway joins repeated
 * headers, so the authorizer sees (and refuses, authorizers/bearer.ts) what it would see on AWS.
 *
 * Why here: the authorizer has no identity source (cookie-only requests must reach it), so
 * serverless-offline no longer hands it Node's first Authorization line to compare with the
 * last one it puts in `headers`. Node publishes `http.server.request.start` before the request
 * reaches any listener and before `headers` is built from `rawHeaders`; Node counts the raw
 * lines as parsed, so the later lines are renamed rather than removed.
 */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- preloaded with `node --require`: CommonJS
const diagnostics = require('node:diagnostics_channel');

diagnostics.subscribe('http.server.request.start', ({ request }) => {
  const raw = request.rawHeaders;
  let first = -1;
  const values = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() !== 'authorization') continue;
    values.push(raw[i + 1]);
    if (first < 0) first = i;
    else raw[i] = 'x-local-repeated-authorization';
  }
  if (values.length > 1) raw[first + 1] = values.join(', ');
});

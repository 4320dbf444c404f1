/**
 * Preloaded into serverless-offline by the local stack (scripts/local/stack.ts, `node --require`):
 * two things API Gateway does that serverless-offline does differently, done as API Gateway
 * does them, so the gateway's own defences are tested locally as they run on AWS.
 *
 * 1. Repeated `Authorization` lines are joined with ", " into the first, as API Gateway joins
 *    repeated headers; the authorizer refuses the result (authorizers/bearer.ts). The authorizer
 *    has no identity source (cookie-only requests must reach it), so serverless-offline no
 *    longer hands it Node's first Authorization line to compare with the last one it puts in
 *    `headers`. Node counts the raw lines as parsed, so later lines are renamed, not removed.
 * 2. CORS: without an `httpApi.cors` block serverless-offline echoes any `Origin` with
 *    `access-control-allow-credentials: true` on every answer, and with one it still echoes any
 *    origin on answers that are not preflights. API Gateway adds CORS headers only for the
 *    configured origins. So every `access-control-*` header is removed from an answer to a
 *    request whose Origin is not one of `LOCAL_CORS_ALLOWED_ORIGINS` (serverless.yml passes the
 *    same list to stage `local` as `corsAllowedOrigins`).
 *
 * Node publishes `http.server.request.start` before the request reaches any listener and before
 * `headers` is built from `rawHeaders`.
 */
/* global process */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- preloaded with `node --require`: CommonJS
const diagnostics = require('node:diagnostics_channel');

const allowedOrigins = new Set(
  (process.env.LOCAL_CORS_ALLOWED_ORIGINS || '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== ''),
);

const joinRepeatedAuthorization = (request) => {
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
};

const isCorsHeader = (name) => String(name).toLowerCase().startsWith('access-control-');

/** No CORS header leaves in this answer (as API Gateway for an origin it is not configured for). */
const withoutCors = (response) => {
  const writeHead = response.writeHead;
  response.writeHead = function writeHeadWithoutCors(...args) {
    for (const name of this.getHeaderNames()) if (isCorsHeader(name)) this.removeHeader(name);
    const headers = args.find((arg, index) => index > 0 && arg !== null && typeof arg === 'object');
    if (headers && !Array.isArray(headers)) for (const name of Object.keys(headers)) if (isCorsHeader(name)) delete headers[name];
    return writeHead.apply(this, args);
  };
};

diagnostics.subscribe('http.server.request.start', ({ request, response }) => {
  joinRepeatedAuthorization(request);
  const origin = request.headers.origin;
  if (origin === undefined || !allowedOrigins.has(origin)) withoutCors(response);
});

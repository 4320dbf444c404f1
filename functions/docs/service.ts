/**
 * Docs service: `GET /openapi.json` (the OpenAPI 3.1 document, generated from the route table
 * once per container), `GET /docs` (the API explorer, a page on swagger-ui-dist),
 * `GET /docs/{asset}` (its scripts and styles) and `GET /login` (the browser sign-in page,
 * login.ts). All public, all read-only.
 *
 * The page loads nothing from elsewhere: swagger-ui's files come from this function's package
 * (serverless.yml `package.patterns`; not bundled into the JavaScript, which would take it from
 * ~100 KB to ~2 MB), and the page's own script is `explorer.js` below. Its content security
 * policy allows scripts and styles from the gateway only (swagger-ui sets inline style
 * attributes: `style-src 'unsafe-inline'`, never for scripts), requests to the gateway only, and
 * no framing by anyone.
 */
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ruleFor } from '../../lib/policy/route-policy';
import { openApiDocument, type DocumentOptions } from '../../lib/openapi/document';
import { createLogger } from '../../lib/observability';
import { EXPLORER_CSS, EXPLORER_JS, explorerPage } from './page';
import { LOGIN_CONTENT_SECURITY_POLICY, loginPage } from './login';

/** Where swagger-ui's files are read from: a name such as `swagger-ui-bundle.js` → its bytes, or undefined. */
export type AssetReader = (name: string) => Buffer | undefined;

export interface DocsDeps {
  document: DocumentOptions;
  /** swagger-ui-dist's files. */
  swaggerUi: AssetReader;
}

/**
 * The files `GET /docs/{asset}` serves, and their media types: these names and no other (a Map,
 * so that `constructor` or `__proto__` is no file either).
 */
const ASSETS = new Map<string, { type: string; from: 'swagger-ui' | 'page' }>([
  ['swagger-ui-bundle.js', { type: 'text/javascript; charset=utf-8', from: 'swagger-ui' }],
  ['swagger-ui.css', { type: 'text/css; charset=utf-8', from: 'swagger-ui' }],
  ['explorer.js', { type: 'text/javascript; charset=utf-8', from: 'page' }],
  ['explorer.css', { type: 'text/css; charset=utf-8', from: 'page' }],
]);

/**
 * The page's policy. `connect-src 'self'`: the explorer calls this gateway only (sign-in and
 * "try it out"); `frame-ancestors 'none'` and X-Frame-Options: no page may frame it (a framed
 * sign-in form is a clickjacking target).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const answer = (statusCode: number, type: string, body: string, extra: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': type, ...SECURITY_HEADERS, ...extra },
  body,
});

const notFound = (what: string) =>
  answer(404, 'application/json; charset=utf-8', JSON.stringify({ error: 'not_found', message: `No such ${what}` }), { 'cache-control': 'no-store' });

const acceptsGzip = (event: APIGatewayProxyEventV2) =>
  Object.entries(event.headers ?? {}).some(([name, value]) => name.toLowerCase() === 'accept-encoding' && /\bgzip\b/.test(value ?? ''));

export const createDocsService = (deps: DocsDeps, logger: Logger = createLogger('docs')) => {
  let document: string | undefined;
  /** Files as served, plain and gzipped, read and compressed once per container. */
  const files = new Map<string, { plain: Buffer; gzip: Buffer }>();

  const file = (name: string) => {
    const cached = files.get(name);
    if (cached) return cached;
    const asset = ASSETS.get(name);
    if (!asset) return undefined;
    const plain = asset.from === 'page' ? Buffer.from(name === 'explorer.js' ? EXPLORER_JS : EXPLORER_CSS, 'utf8') : deps.swaggerUi(name);
    if (!plain) {
      logger.error('explorer file missing from the package', { asset: name });
      return undefined;
    }
    const entry = { plain, gzip: gzipSync(plain) };
    files.set(name, entry);
    return entry;
  };

  const serve = (event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 => {
    const rule = ruleFor(event.routeKey);
    if (rule?.service !== 'docs') return notFound('route');
    switch (event.routeKey) {
      case 'GET /openapi.json':
        document ??= JSON.stringify(openApiDocument(deps.document));
        return answer(200, 'application/json; charset=utf-8', document, { 'cache-control': 'no-cache' });
      case 'GET /docs':
        return answer(200, 'text/html; charset=utf-8', explorerPage(), { 'cache-control': 'no-cache' });
      case 'GET /login':
        // Its own policy: the page's inline script and style by hash, nothing else.
        return answer(200, 'text/html; charset=utf-8', loginPage(), { 'cache-control': 'no-cache', 'content-security-policy': LOGIN_CONTENT_SECURITY_POLICY });
      case 'GET /docs/{asset}': {
        const name = event.pathParameters?.asset ?? '';
        const found = file(name);
        if (!found) return notFound('file');
        const headers = { 'cache-control': 'public, max-age=3600', vary: 'accept-encoding' };
        const type = ASSETS.get(name)!.type;
        if (acceptsGzip(event)) {
          return { ...answer(200, type, found.gzip.toString('base64'), { ...headers, 'content-encoding': 'gzip' }), isBase64Encoded: true };
        }
        return answer(200, type, found.plain.toString('utf8'), headers);
      }
      default:
        return notFound('route');
    }
  };

  return (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      return Promise.resolve(serve(event));
    } catch (error) {
      logger.error('unhandled error', error as Error);
      return Promise.resolve(answer(500, 'application/json; charset=utf-8', JSON.stringify({ error: 'internal_error', message: 'Internal server error' })));
    }
  };
};

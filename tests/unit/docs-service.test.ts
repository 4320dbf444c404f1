/**
 * The docs service in-process, with a fake file reader: which files it serves and how, the
 * document it serves, and the page's security headers.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDocsService, type AssetReader } from '../../functions/docs/service';
import { openApiDocument } from '../../lib/openapi/document';
import { createLogger } from '../../lib/observability';
import { httpEvent } from './fixtures';

const DOCUMENT = { tokenUrl: 'https://example.auth.eu-west-1.amazoncognito.com/oauth2/token', resourceServerId: 'gateway' };
const FILES: Record<string, string> = { 'swagger-ui-bundle.js': 'window.SwaggerUIBundle = function () {};', 'swagger-ui.css': '.swagger-ui {}' };

const service = (reads: string[] = []) => {
  const swaggerUi: AssetReader = (name) => {
    reads.push(name);
    return FILES[name] === undefined ? undefined : Buffer.from(FILES[name], 'utf8');
  };
  return createDocsService({ document: DOCUMENT, swaggerUi }, createLogger('docs-test'));
};

const asset = (name: string, headers: Record<string, string> = {}) => httpEvent('GET /docs/{asset}', { pathParameters: { asset: name }, headers });
const header = (answer: APIGatewayProxyStructuredResultV2, name: string) => answer.headers?.[name];

describe('the docs service', () => {
  it('serves the OpenAPI document generated from the route table, as JSON', async () => {
    const answer = await service()(httpEvent('GET /openapi.json'));
    assert.equal(answer.statusCode, 200);
    assert.match(String(header(answer, 'content-type')), /^application\/json/);
    assert.deepEqual(JSON.parse(answer.body!), openApiDocument(DOCUMENT));
  });

  it('serves the page with a CSP that allows scripts from the gateway only and forbids framing', async () => {
    const answer = await service()(httpEvent('GET /docs'));
    assert.equal(answer.statusCode, 200);
    assert.match(String(header(answer, 'content-type')), /^text\/html/);
    const csp = String(header(answer, 'content-security-policy'));
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(header(answer, 'x-frame-options'), 'DENY');
    assert.doesNotMatch(answer.body!, /<script>/, 'no inline script');
  });

  it('serves the sign-in page with a CSP that allows exactly its own inline script and style (by hash), requests to the gateway, and no framing', async () => {
    const answer = await service()(httpEvent('GET /login'));
    assert.equal(answer.statusCode, 200);
    assert.match(String(header(answer, 'content-type')), /^text\/html/);
    const csp = String(header(answer, 'content-security-policy'));
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const script = /<script>([\s\S]*)<\/script>/.exec(answer.body!)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(answer.body!)![1]!;
    assert.ok(csp.includes(`script-src ${hash(script)};`), csp);
    assert.ok(csp.includes(`style-src ${hash(style)};`), csp);
    for (const directive of ["default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) assert.ok(csp.includes(directive), directive);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(header(answer, 'x-frame-options'), 'DENY');
    assert.equal((answer.body!.match(/<script/g) ?? []).length, 1, 'one script, inline, nothing loaded');
    assert.doesNotMatch(answer.body!, /localStorage|sessionStorage|accessToken/, 'the page keeps no token');
  });

  it("serves swagger-ui's files and its own, gzipped when the client accepts it, reading each file once", async () => {
    const reads: string[] = [];
    const docs = service(reads);
    const plain = await docs(asset('swagger-ui-bundle.js'));
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, FILES['swagger-ui-bundle.js']);
    assert.match(String(header(plain, 'content-type')), /^text\/javascript/);
    const gzipped = await docs(asset('swagger-ui-bundle.js', { 'Accept-Encoding': 'gzip, deflate, br' }));
    assert.equal(header(gzipped, 'content-encoding'), 'gzip');
    assert.equal(gzipped.isBase64Encoded, true);
    assert.equal(gunzipSync(Buffer.from(gzipped.body!, 'base64')).toString('utf8'), FILES['swagger-ui-bundle.js']);
    assert.deepEqual(reads, ['swagger-ui-bundle.js']);
    const own = await docs(asset('explorer.js'));
    assert.equal(own.statusCode, 200);
    assert.match(own.body!, /SwaggerUIBundle/);
  });

  it('answers 404 to any other file name, a path outside the package included, without reading it', async () => {
    const reads: string[] = [];
    const docs = service(reads);
    for (const name of ['index.html', '../package.json', '..%2Fpackage.json', 'swagger-ui.js.map', 'constructor', '__proto__', '']) {
      const answer = await docs(asset(name));
      assert.equal(answer.statusCode, 404, name);
      assert.equal(JSON.parse(answer.body!).error, 'not_found', name);
    }
    assert.deepEqual(reads, []);
  });

  it("answers 404 to a route that is not the docs service's", async () => {
    assert.equal((await service()(httpEvent('GET /products'))).statusCode, 404);
  });
});

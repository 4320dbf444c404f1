/**
 * The key set fetcher: body as an ArrayBuffer on 200, and a refusal (never a hang) for every
 * other answer, a slow server, an oversized body or another URL scheme. Served by a real HTTP
 * server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TimeoutFetcher } from '../../authorizers/adapters/jwt-verifier';

describe('TimeoutFetcher', () => {
  let server: http.Server;
  let base: string;
  const JWKS = JSON.stringify({ keys: [{ kid: 'k', kty: 'RSA', n: 'AQAB', e: 'AQAB' }] });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/jwks') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JWKS);
      } else if (req.url === '/slow') {
        setTimeout(() => res.writeHead(200).end(JWKS), 2000);
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: '/jwks' }).end();
      } else if (req.url === '/huge') {
        res.writeHead(200);
        res.end(Buffer.alloc(600 * 1024, 'a'));
      } else {
        res.writeHead(503).end('down');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('returns the key set body as an ArrayBuffer', async () => {
    const body = await new TimeoutFetcher(1000).fetch(`${base}/jwks`);
    assert.equal(Buffer.from(body).toString('utf8'), JWKS);
  });

  it('refuses a non-200 answer', async () => {
    await assert.rejects(new TimeoutFetcher(1000).fetch(`${base}/down`), /answered 503/);
  });

  it('does not follow redirects', async () => {
    await assert.rejects(new TimeoutFetcher(1000).fetch(`${base}/redirect`), /answered 302/);
  });

  it('gives up on a slow server after its timeout', async () => {
    const started = Date.now();
    await assert.rejects(new TimeoutFetcher(200).fetch(`${base}/slow`), /timed out/);
    assert.ok(Date.now() - started < 1500);
  });

  it('refuses an oversized body', async () => {
    await assert.rejects(new TimeoutFetcher(1000).fetch(`${base}/huge`), /too large/);
  });

  it('refuses other URL schemes and an unreachable host', async () => {
    await assert.rejects(new TimeoutFetcher(1000).fetch('file:///etc/passwd'), /Unsupported/);
    await assert.rejects(new TimeoutFetcher(1000).fetch('http://127.0.0.1:9/jwks'));
  });
});

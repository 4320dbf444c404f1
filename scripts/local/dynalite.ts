/**
 * dynalite 4, started from its library instead of its `cli.js`, so that browser requests can be
 * refused (scripts/local/local-only.ts). Upstream answers every origin, preflights included
 * (`Access-Control-Allow-Origin: *`), so any web page could read and rewrite the local tables:
 * roles, revocation records, API keys. Otherwise the same server as `dynalite --host H --port P
 * [--path DIR] [--createTableMs N] [--deleteTableMs N] [--updateTableMs N]`, same output.
 * Run as its own process by scripts/local/stack.ts: `node --import tsx scripts/local/dynalite.ts ...`.
 */
import type http from 'node:http';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { guardRequests } from './local-only';

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

/** dynalite ships no types: `dynalite(options)` returns an http.Server that is not yet listening. */
const dynalite = createRequire(__filename)('dynalite') as (options: DynaliteOptions) => http.Server;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    path: { type: 'string' },
    createTableMs: { type: 'string' },
    deleteTableMs: { type: 'string' },
    updateTableMs: { type: 'string' },
  },
});

const milliseconds = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number of milliseconds, got "${raw}"`);
  return value;
};

const host = values.host ?? '';
const port = Number(values.port);
if (!LOOPBACK.has(host)) throw new Error(`dynalite must listen on a loopback address here (--host), not "${host}"`);
if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be a port number, got "${values.port}"`);

const server = dynalite({
  path: values.path,
  createTableMs: milliseconds('createTableMs', values.createTableMs),
  deleteTableMs: milliseconds('deleteTableMs', values.deleteTableMs),
  updateTableMs: milliseconds('updateTableMs', values.updateTableMs),
});
guardRequests(server, { onRefusal: (reason, req) => console.warn(`[dynalite] refused ${req.method} ${req.url}: ${reason}`) });
server.listen(port, host, () => console.log('Dynalite listening at: http://%s:%s', host, port));

/**
 * The local stack cannot be driven from a web page open in the developer's browser, and nothing
 * of it listens beyond this machine: every port is on 127.0.0.1, and the ports we control
 * refuse browser requests (scripts/local/local-only.ts, scripts/local/lambda-guard.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { describe, it } from '@jest/globals';
import { stack } from '../support/client';

const EVIL = 'http://evil.example';
const invocationPath = (name: string) => `/2015-03-31/functions/${name}/invocations`;
/** A function that does not exist: serverless-offline answers 404 if (and only if) the guard let the request through. */
const NO_SUCH_FUNCTION = invocationPath('serverless-api-gateway-local-noSuchFunction');

interface Sent {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** Raw HTTP, so that any header (Host, Origin) goes out exactly as given. */
const send = (url: string, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<Sent> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'POST',
        path: options.path ?? target.pathname,
        headers: { ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}), ...options.headers },
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(options.body);
  });

const assertRefused = (answer: Sent, what: string) => {
  assert.equal(answer.status, 403, `${what}: answered ${answer.status} ${answer.text.slice(0, 200)}`);
  assert.equal(answer.headers['access-control-allow-origin'], undefined, `${what}: no CORS header`);
};

const preflight = (url: string, path: string, method = 'POST', headers = 'content-type') =>
  send(url, { method: 'OPTIONS', path, headers: { origin: EVIL, 'access-control-request-method': method, 'access-control-request-headers': headers } });

describe('the Lambda port', () => {
  it('refuses a cross-origin invocation, its preflight, and the no-preflight forms a page could send', async () => {
    const { lambdaUrl } = stack();
    const event = JSON.stringify({ requestContext: { authorizer: { lambda: { roles: ['admin'] } } } });
    assertRefused(await send(lambdaUrl, { path: NO_SUCH_FUNCTION, headers: { origin: EVIL, 'content-type': 'application/json' }, body: event }), 'cross-origin JSON');
    assertRefused(await preflight(lambdaUrl, NO_SUCH_FUNCTION), 'CORS preflight');
    // What fetch(..., {mode: 'no-cors'}) or a form can send without a preflight:
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      assertRefused(await send(lambdaUrl, { path: NO_SUCH_FUNCTION, headers: { origin: 'null', 'content-type': type }, body: event }), `simple ${type}`);
      assertRefused(await send(lambdaUrl, { path: NO_SUCH_FUNCTION, headers: { 'content-type': type }, body: event }), `${type} even without Origin`);
    }
    assertRefused(await send(lambdaUrl, { path: NO_SUCH_FUNCTION, body: event }), 'no content type');
    assertRefused(
      await send(lambdaUrl, { path: NO_SUCH_FUNCTION, headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, body: event }),
      'cross-site fetch',
    );
    // A DNS-rebinding page reaches 127.0.0.1 under its own name.
    assertRefused(
      await send(lambdaUrl, { path: NO_SUCH_FUNCTION, headers: { host: 'evil.example', 'content-type': 'application/json' }, body: event }),
      'foreign Host',
    );
    assertRefused(
      await send(lambdaUrl, { path: '/2014-11-13/functions/serverless-api-gateway-local-health/invoke-async/', headers: { 'content-type': 'application/json' }, body: '{}' }),
      'invoke-async',
    );
  });

  it('still forwards an invocation from a local program', async () => {
    const { lambdaUrl } = stack();
    const answer = await send(lambdaUrl, { path: NO_SUCH_FUNCTION, headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(answer.status, 404, `serverless-offline's own answer: ${answer.text.slice(0, 200)}`);
    assert.match(answer.text, /Function not found/);
  });
});

describe('the token endpoint', () => {
  it('refuses a request that carries an Origin, and its preflight', async () => {
    const { tokenUrl, machineClients } = stack();
    const partner = machineClients[0]!;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: partner.clientId, client_secret: partner.clientSecret }).toString();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const refused = await send(tokenUrl, { headers: { ...form, origin: EVIL }, body });
    assertRefused(refused, 'cross-origin token request');
    assert.doesNotMatch(refused.text, /access_token/);
    assertRefused(await preflight(tokenUrl, new URL(tokenUrl).pathname, 'POST', 'authorization'), 'CORS preflight');
    assert.equal((await send(tokenUrl, { headers: form, body })).status, 200, 'a server-side client still gets its token');
  });
});

describe('cognito-local and dynalite', () => {
  it('refuse cross-origin API calls', async () => {
    const { cognitoUrl, dynamodbUrl } = stack();
    const cognitoCall = {
      headers: { origin: EVIL, 'x-amz-target': 'AWSCognitoIdentityProviderService.ListUserPools', 'content-type': 'application/x-amz-json-1.1' },
      body: '{"MaxResults":5}',
    };
    assertRefused(await send(cognitoUrl, cognitoCall), 'cognito-local');
    assertRefused(await preflight(cognitoUrl, '/', 'POST', 'x-amz-target,content-type'), 'cognito-local preflight');
    const dynamoCall = {
      headers: { origin: EVIL, 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0', authorization: 'AWS4-HMAC-SHA256 Credential=local/x' },
      body: '{}',
    };
    assertRefused(await send(dynamodbUrl, dynamoCall), 'dynalite');
    assertRefused(await preflight(dynamodbUrl, '/', 'POST', 'x-amz-target,content-type,authorization'), 'dynalite preflight');
  });
});

// ---------------------------------------------------------------------------------------------
// Nothing listens beyond loopback
// ---------------------------------------------------------------------------------------------

const LISTEN = '0A';
const LOOPBACK_V4 = '0100007F'; // 127.0.0.1, as /proc/net/tcp writes it
const LOOPBACK_V6 = new Set(['00000000000000000000000001000000', '0000000000000000FFFF00000100007F']); // ::1, ::ffff:127.0.0.1

interface Listener {
  address: string;
  port: number;
  inode: string;
}

/** Every listening TCP socket on this machine, from /proc/net/tcp and tcp6. */
const listeners = (): Listener[] =>
  ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === LISTEN)
      .map((fields) => {
        const [address, port] = fields[1]!.split(':') as [string, string];
        return { address, port: parseInt(port, 16), inode: fields[9]! };
      }),
  );

/** The given processes and all their descendants. */
const processTree = (roots: number[]): number[] => {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* gone */
    }
  }
  const found = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (found.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...found];
};

/** The socket inodes these processes hold. */
const socketInodes = (pids: number[]): Set<string> => {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return inodes;
};

const stackPorts = (): number[] => {
  const info = stack();
  return [info.gatewayUrl, info.lambdaUrl, info.cognitoUrl, info.dynamodbUrl, info.tokenUrl].map((url) => Number(new URL(url).port));
};

describe('what the stack listens on', () => {
  // Skipped where there is no Linux /proc to read the listening sockets from.
  const withProc = existsSync('/proc/net/tcp') ? it : it.skip;
  withProc('listens on loopback only, every port of every part', () => {
    const owned = socketInodes(processTree(stack().processIds));
    const ours = listeners().filter((listener) => owned.has(listener.inode));
    for (const port of stackPorts()) assert.ok(ours.some((l) => l.port === port), `port ${port} is one of the stack's listening sockets`);
    const exposed = ours.filter((l) => l.address !== LOOPBACK_V4 && !LOOPBACK_V6.has(l.address));
    assert.deepEqual(
      exposed.map((l) => `${l.address}:${l.port}`),
      [],
      'no socket of the stack listens on a non-loopback address (0.0.0.0, ::, a LAN address)',
    );
    // The stack's ports, whoever holds them: nothing else listens on them beyond loopback either.
    const ports = new Set(stackPorts());
    assert.deepEqual(
      listeners()
        .filter((l) => ports.has(l.port) && l.address !== LOOPBACK_V4 && !LOOPBACK_V6.has(l.address))
        .map((l) => `${l.address}:${l.port}`),
      [],
    );
  });

  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal && a.family === 'IPv4')
    .map((a) => a.address);
  // Skipped when this machine has no non-loopback IPv4 address.
  const withOtherAddresses = addresses.length > 0 ? it : it.skip;
  withOtherAddresses("cannot be reached through this machine's other addresses", async () => {
    for (const address of addresses) {
      for (const port of stackPorts()) {
        const reached = await new Promise<boolean>((resolve) => {
          const socket = net.connect({ host: address, port, timeout: 2000 }, () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('timeout', () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('error', () => resolve(false));
        });
        assert.equal(reached, false, `${address}:${port} must not accept connections`);
      }
    }
  });
});

/**
 * The local stack's Lambda port: a guard in front of serverless-offline's Lambda invoke API.
 *
 * serverless-offline 14 serves `POST /2015-03-31/functions/{name}/invocations` (and
 * `/2014-11-13/functions/{name}/invoke-async/`) with the CORS settings it uses for the HTTP API
 * (`corsAllowOrigin`, default `*`; src/lambda/routes/invocations/invocationsRoute.js), and it
 * parses any body as the event whatever its Content-Type. So a web page open in the
 * developer's browser could invoke any function with a forged event: a service with a made-up
 * authorizer context, or the Cognito trigger. Setting `corsAllowOrigin` would change the HTTP
 * API's CORS too, and CORS never stops a "simple" cross-origin POST (text/plain) from running.
 *
 * So serverless-offline's Lambda server listens on a Unix socket in the state folder (hapi takes
 * a port with a `/` as a socket path; only this user can connect to it), and this guard listens
 * on the configured Lambda port and forwards only:
 *  - requests that pass the local-only policy (loopback Host, no Origin, no cross-site fetch);
 *  - `POST /2015-03-31/functions/<name>/invocations`, nothing else (no invoke-async);
 *  - with a Content-Type a browser cannot send cross-origin without a CORS preflight (JSON, or
 *    the `binary/octet-stream` the AWS SDK for JavaScript v2 sends, as cognito-local does).
 * Everything else, preflights included, gets 403 with no CORS headers.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { browserRefusal, sendRefusal, type Refusal } from './local-only';

const INVOKE_PATH = /^\/2015-03-31\/functions\/[A-Za-z0-9_.:-]{1,170}\/invocations$/;
/** Not CORS-safelisted (Fetch standard): a browser must preflight them, and the preflight is refused. */
const EVENT_TYPES = new Set(['application/json', 'binary/octet-stream', 'application/octet-stream']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

export type GuardRefusal = Refusal | 'not_an_invocation' | 'content_type';

/** Why an invocation request must not reach serverless-offline, or undefined. */
export const invocationRefusal = (req: http.IncomingMessage): GuardRefusal | undefined => {
  const local = browserRefusal(req);
  if (local) return local;
  const pathname = (req.url ?? '').split('?')[0]!;
  if (req.method !== 'POST' || !INVOKE_PATH.test(pathname)) return 'not_an_invocation';
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!EVENT_TYPES.has(mediaType)) return 'content_type';
  return undefined;
};

const withoutHopByHop = (headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));

export interface LambdaGuard {
  url: string;
  close(): Promise<void>;
}

/** True when something accepts connections on this Unix socket. */
export const socketInUse = (socketPath: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ path: socketPath }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * Removes a socket file left by a stack that did not stop cleanly; refuses when a live stack
 * still listens on it.
 */
export const claimSocketPath = async (socketPath: string): Promise<void> => {
  if (!existsSync(socketPath)) return;
  if (await socketInUse(socketPath)) throw new Error(`${socketPath} is in use: another local stack runs with the same state folder.`);
  rmSync(socketPath, { force: true });
};

export const startLambdaGuard = async (options: {
  host: string;
  port: number;
  /** serverless-offline's Lambda server. */
  socketPath: string;
  onRefusal?: (reason: GuardRefusal, req: http.IncomingMessage) => void;
}): Promise<LambdaGuard> => {
  const server = http.createServer((req, res) => {
    const reason = invocationRefusal(req);
    if (reason) {
      options.onRefusal?.(reason, req);
      sendRefusal(req, res, reason);
      return;
    }
    const upstream = http.request(
      { socketPath: options.socketPath, method: req.method, path: req.url, headers: withoutHopByHop(req.headers) },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const text = JSON.stringify({ message: 'The gateway (serverless-offline) is not running.' });
      res.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(text);
    });
    req.pipe(upstream);
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `http://${options.host}:${options.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

/** Unix socket paths are limited to 107 bytes on Linux (108 with the NUL). */
const MAX_SOCKET_PATH_BYTES = 100;

/**
 * Where serverless-offline's Lambda server listens: `<stateDir>/lambda.sock`, or, when that path
 * is too long for a socket, a private folder under the system's temporary folder.
 */
export const lambdaSocketPath = (stateDir: string): { socketPath: string; release(): void } => {
  const inState = path.join(stateDir, 'lambda.sock');
  if (Buffer.byteLength(inState) <= MAX_SOCKET_PATH_BYTES) return { socketPath: inState, release: () => rmSync(inState, { force: true }) };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sls-lambda-'));
  return { socketPath: path.join(dir, 'lambda.sock'), release: () => rmSync(dir, { recursive: true, force: true }) };
};

/**
 * Keeps the local stack's ports for programs on this machine. Every part listens on 127.0.0.1
 * only, but a web page open in the developer's browser runs on this machine too: cognito-local,
 * dynalite and serverless-offline's Lambda port all answer cross-origin requests with
 * permissive CORS, so any page could mint tokens for any local user, rewrite roles in the
 * tables, or invoke a function with a forged event. The parts we start through our own code
 * refuse such requests with this one policy.
 *
 * A request is refused (403) when:
 *  - its Host is not a loopback name (`127.0.0.1`, `localhost`, `[::1]`): a DNS-rebinding page
 *    sends its own domain name as Host;
 *  - it carries an `Origin` other than the server's own: browsers add `Origin` to every request
 *    that is not a GET or HEAD, and to every cross-origin fetch (RFC 6454, Fetch standard);
 *    our own clients (the AWS SDKs, the gateway's functions, curl) never send one;
 *  - it carries `Sec-Fetch-Site: cross-site` or `same-site` (another site, or another port of
 *    localhost): browsers set this header and pages cannot remove it.
 * What a browser can still do: GET a part without Origin (an <img> or a navigation), and read
 * nothing of the answer. No part changes state on GET.
 */
import type http from 'node:http';
import type https from 'node:https';

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export type Refusal = 'host_not_loopback' | 'cross_origin' | 'cross_site_fetch';

export interface LocalOnlyOptions {
  /** Origins that may still call (cognito-local's own login page posts to itself). Default: none. */
  ownOrigins?: readonly string[];
}

/** The loopback origins of a server on this port, for `ownOrigins`. */
export const loopbackOrigins = (port: number): string[] => [...LOOPBACK_HOSTNAMES].map((host) => `http://${host}:${port}`);

/** The Host header's name, normalised the way a browser would (`LOCALHOST` → `localhost`, `127.1` → `127.0.0.1`). */
const hostnameOf = (host: string | undefined): string | undefined => {
  if (host === undefined || host === '') return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
};

/** Why a request must be refused, or undefined when it may pass. */
export const browserRefusal = (req: http.IncomingMessage, options: LocalOnlyOptions = {}): Refusal | undefined => {
  const hostname = hostnameOf(req.headers.host);
  if (hostname === undefined || !LOOPBACK_HOSTNAMES.has(hostname)) return 'host_not_loopback';
  const origin = req.headers.origin;
  if (origin !== undefined && !(options.ownOrigins ?? []).includes(origin)) return 'cross_origin';
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return 'cross_site_fetch';
  return undefined;
};

/** A 403 with no CORS headers, so a page cannot even read why. */
export const sendRefusal = (req: http.IncomingMessage, res: http.ServerResponse, reason: string): void => {
  req.resume(); // drain whatever body came with it
  if (res.headersSent) return;
  const text = JSON.stringify({ message: `Refused: the local stack answers local programs only (${reason}).` });
  res.writeHead(403, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), Connection: 'close' });
  res.end(text);
};

type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Puts the policy in front of a server built by someone else's code (cognito-local's Express
 * app, dynalite's handler): its 'request' listeners run only for requests that pass.
 */
export const guardRequests = (
  server: http.Server | https.Server,
  options: LocalOnlyOptions & { onRefusal?: (reason: Refusal, req: http.IncomingMessage) => void } = {},
): void => {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const reason = browserRefusal(req, options);
    if (reason) {
      options.onRefusal?.(reason, req);
      sendRefusal(req, res, reason);
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
};

/**
 * A local stand-in for Amazon Cognito's OAuth 2.0 token endpoint, client-credentials grant only
 * (machine-to-machine). cognito-local 5.3.0 serves `/oauth2/token` for `authorization_code` and
 * `refresh_token` only (node_modules/cognito-local/lib/oauth2/routes.js). This endpoint signs with
 * cognito-local's own key and `kid`, so its tokens verify against cognito-local's JWKS
 * (`<cognito-local>/<userPoolId>/.well-known/jwks.json`) through the same aws-jwt-verify code as
 * user tokens.
 *
 * Sources (read 2026; "token page" and "access token page" below):
 *  [T]  Token endpoint: https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
 *  [A]  Access token: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 *  [M]  Scopes, M2M, and resource servers: https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-define-resource-servers.html
 *  [G]  OAuth 2.0 grants: https://docs.aws.amazon.com/cognito/latest/developerguide/federation-endpoints-oauth-grants.html
 *  [U]  Token validity: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_TokenValidityUnitsType.html
 *       and https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UserPoolClientType.html
 *  [Z]  A real client-credentials access token from Cognito, decoded:
 *       https://zenn.dev/noid11/articles/d36dccd74601ed83d83b (AWS's pages describe claims but
 *       show no M2M payload; this is the only published M2M payload found)
 *  [R]  RFC 6749 (OAuth 2.0): https://www.rfc-editor.org/rfc/rfc6749 (§2.3.1 client auth, §5.1, §5.2)
 *
 * Request [T]: `POST /oauth2/token`, `Content-Type: application/x-www-form-urlencoded`,
 * `grant_type=client_credentials`, optional `scope` (space-separated). Client authentication is
 * `client_secret_basic` (`Authorization: Basic base64(client_id:client_secret)`) or
 * `client_secret_post` (`client_id` and `client_secret` in the body); a `client_id` in the body
 * next to the Basic header must name the same client. The app client must have a secret, have the
 * client-credentials grant enabled, and (in Cognito) no other grant [T][G][M].
 * Scope [T]: "Amazon Cognito ignores scopes in the request that aren't allowed for the requested app
 * client. If you don't provide this request parameter, the authorization server returns an access
 * token `scope` claim with all authorization scopes that you enabled in your app client
 * configuration." Client credentials can only carry custom (resource-server) scopes [M].
 *
 * Response [T]: 200 `{"access_token","expires_in","token_type":"Bearer"}`; "Client credentials
 * grants ... only return access tokens" (no id_token, no refresh_token). `Access-Control-Allow-Origin: *`
 * [T]; `Cache-Control: no-store` and `Pragma: no-cache` [R §5.1].
 * Errors [T] "Examples of negative responses": `HTTP/1.1 400 Bad Request`, JSON
 * `{"error": "invalid_request|invalid_client|invalid_grant|unauthorized_client|unsupported_grant_type"}`.
 * `invalid_scope` is not in Cognito's list but is [R §5.2] and what Cognito answers when no allowed
 * scope is left (https://repost.aws/questions/QUnhrxb08MRJaH7hIRtUnCKA/oauth-password-grant-type-with-cognito).
 *
 * The access token:
 *  header  `kid`   cognito-local's key id ("CognitoLocal", the `kid` its JWKS publishes)   [A] header
 *          `alg`   "RS256"                                                                 [A] header
 *          (no `typ`: [A] lists exactly `kid` and `alg`; [Z] agrees)
 *  payload `sub`        the app client id (M2M has no user; sub equals client_id)         [Z] ([A] defines sub for users)
 *          `token_use`  "access"                                                           [A], [Z]
 *          `scope`      granted custom scopes, space-separated                             [A], [T], [M], [Z]
 *          `auth_time`  issue time, Unix seconds                                           [A], [Z] (auth_time = iat)
 *          `iss`        the issuer given (cognito-local: `<url>/<userPoolId>`)             [A], [Z]
 *          `exp`        iat + the app client's access token validity                       [A], [U], [Z]
 *          `iat`        issue time, Unix seconds                                           [A], [Z]
 *          `version`    2                                                                   [A] sample payload, [Z]
 *          `jti`        a new UUID per token                                                [A], [Z]
 *          `client_id`  the app client id                                                   [A], [Z]
 *  absent  `username`, `cognito:groups`, `device_key` (user-only claims [A]); `origin_jti`
 *          (tied to "your user's refresh token" [A]; M2M gets no refresh token [T]); `event_id`;
 *          `aud` (only with resource binding [A]). None of them appear in [Z].
 *
 * Differences from AWS:
 *  - AWS serves this on the user pool domain, HTTPS only:
 *    `https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token` (or a custom domain). Here it
 *    is plain HTTP on a local port, for one issuer (one user pool) per endpoint.
 *  - cognito-local has no resource servers: the allowed scopes are the app client's
 *    AllowedOAuthScopes that look like custom scopes (`<resource server>/<name>`); nothing checks
 *    that a resource server defines them. Standard scopes (openid, email, ...) are never granted.
 *  - Signed with cognito-local's published development key; AWS signs access and ID tokens with
 *    different, private, rotated keys [A].
 *  - `invalid_client` answers 400 as [T] documents (RFC 6749 §5.2 would answer 401 with
 *    `WWW-Authenticate` when the Basic header was used). Error bodies carry a fixed
 *    `error_description` (never input, never a secret).
 *  - Not emulated: pre token generation trigger and `aws_client_metadata`, resource binding
 *    (`resource` parameter, `aud`), revocation, the 5 minute to 1 day validity range check,
 *    Cognito's M2M pricing/feature-plan limits, the GetClientToken API.
 *  - cognito-local's own tokens carry `typ: "JWT"` and default to 24 h when AccessTokenValidity is
 *    unset; this endpoint follows AWS (no `typ`, 1 hour default [U]).
 *  - Browser requests are refused with 403 before anything else (scripts/local/local-only.ts:
 *    any `Origin`, a cross-site `Sec-Fetch-Site`, a Host that is not a loopback name), so a web
 *    page in the developer's browser cannot get or probe tokens. AWS answers browsers, with
 *    `Access-Control-Allow-Origin: *` [T]; the header is still sent to the callers that remain
 *    here, server-side machine clients, which ignore it.
 */
import { createHash, createPrivateKey, randomUUID, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  type UserPoolClientType,
} from '@aws-sdk/client-cognito-identity-provider';
import { browserRefusal, sendRefusal } from './local-only';

export interface MachineClient {
  clientId: string;
  /** undefined = the client has no secret (and so cannot use client credentials). */
  clientSecret?: string;
  /** Must include 'client_credentials'. */
  allowedOAuthFlows: string[];
  /** Full scope strings, e.g. 'gateway/inventory:read'. */
  allowedOAuthScopes: string[];
  allowedOAuthFlowsUserPoolClient: boolean;
  /** From AccessTokenValidity + TokenValidityUnits.AccessToken (Cognito default 60 minutes). */
  accessTokenValiditySeconds: number;
}

/** Looks a client up; undefined when the pool has no such client. */
export type MachineClientLookup = (clientId: string) => Promise<MachineClient | undefined>;

export interface ClientCredentialsEndpoint {
  url: string;
  tokenUrl: string;
  close(): Promise<void>;
}

export const TOKEN_PATH = '/oauth2/token';
/** A token request is a few hundred bytes; refuse to buffer more than this. */
export const MAX_BODY_BYTES = 16 * 1024;
/** Past this many bytes of an oversized body, stop draining and drop the connection. */
const MAX_DRAIN_BYTES = 1024 * 1024;

const DEFAULT_ACCESS_TOKEN_VALIDITY_SECONDS = 60 * 60; // [U] "valid for one hour"
const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

// ---------------------------------------------------------------------------------------------
// Client lookup against cognito-local
// ---------------------------------------------------------------------------------------------

/** DescribeUserPoolClient's answer in the shape this endpoint needs. */
export const machineClientFromCognito = (client: UserPoolClientType): MachineClient => {
  const unit = client.TokenValidityUnits?.AccessToken ?? 'hours'; // [U] default unit: hours
  const perUnit = UNIT_SECONDS[unit];
  if (perUnit === undefined) throw new Error(`Unknown access token validity unit "${unit}"`);
  return {
    clientId: client.ClientId ?? '',
    clientSecret: client.ClientSecret || undefined,
    allowedOAuthFlows: [...(client.AllowedOAuthFlows ?? [])],
    allowedOAuthScopes: [...(client.AllowedOAuthScopes ?? [])],
    allowedOAuthFlowsUserPoolClient: client.AllowedOAuthFlowsUserPoolClient === true,
    accessTokenValiditySeconds:
      client.AccessTokenValidity === undefined ? DEFAULT_ACCESS_TOKEN_VALIDITY_SECONDS : client.AccessTokenValidity * perUnit,
  };
};

const errorName = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string' ? error.name : undefined;

/**
 * Lookup against cognito-local with DescribeUserPoolClient (region us-east-1, dummy credentials);
 * ResourceNotFoundException → undefined. Other failures (emulator down, ...) are thrown.
 */
export const cognitoClientLookup = (cognitoEndpoint: string, userPoolId: string): MachineClientLookup => {
  const cognito = new CognitoIdentityProviderClient({ endpoint: cognitoEndpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  return async (clientId) => {
    try {
      const answer = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
      const client = answer.UserPoolClient;
      return client?.ClientId === clientId ? machineClientFromCognito(client) : undefined;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  };
};

// ---------------------------------------------------------------------------------------------
// Signing with cognito-local's key
// ---------------------------------------------------------------------------------------------

interface SigningKey {
  kid: string;
  key: KeyObject;
}

interface KeyFile {
  jwk?: { kid?: unknown };
  pem?: unknown;
}

/**
 * cognito-local signs with lib/keys/cognitoLocal.private.json and `keyid: "CognitoLocal"`
 * (lib/services/tokenGenerator.js) and publishes lib/keys/cognitoLocal.public.json's `jwk` as its
 * JWKS (lib/server/server.js). The `kid` is taken from the published key so the two always agree.
 */
const loadCognitoLocalKey = (): SigningKey => {
  const resolve = createRequire(import.meta.url).resolve;
  const read = (file: string): KeyFile => JSON.parse(readFileSync(resolve(`cognito-local/lib/keys/${file}`), 'utf8')) as KeyFile;
  const privateFile = read('cognitoLocal.private.json');
  const publicFile = read('cognitoLocal.public.json');
  const kid = publicFile.jwk?.kid;
  if (typeof kid !== 'string' || kid === '') throw new Error('cognito-local public key has no kid');
  if (typeof privateFile.pem !== 'string') throw new Error('cognito-local private key has no pem');
  return { kid, key: createPrivateKey(privateFile.pem) };
};

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const signRs256 = (header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string => {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
};

// ---------------------------------------------------------------------------------------------
// The endpoint
// ---------------------------------------------------------------------------------------------

type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'server_error';

/** Cognito documents 400 for every token endpoint error [T]. */
const ERROR_STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 400,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  server_error: 500,
};

class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status: number = ERROR_STATUS[code],
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

const BASE_HEADERS = {
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Access-Control-Allow-Origin': '*',
};

const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
};

const sendError = (res: http.ServerResponse, error: OAuthError): void =>
  sendJson(res, error.status, { error: error.code, error_description: error.description }, error.headers);

/** Reads at most `limit` bytes; undefined when the body is larger (the rest is drained, then dropped). */
const readBody = (req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      settled = true;
      resolve(undefined);
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (settled) {
        if (size > limit + MAX_DRAIN_BYTES) req.socket.destroy();
        return;
      }
      if (size > limit) {
        settled = true;
        chunks.length = 0;
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!settled) {
        settled = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
  });

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The form body as single-valued parameters; a repeated parameter is malformed [R §3.2]. */
const parseForm = (body: Buffer): Map<string, string> => {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new OAuthError('invalid_request', 'The request body is not valid UTF-8.');
  }
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (params.has(name)) throw new OAuthError('invalid_request', 'A request parameter is repeated.');
    params.set(name, value);
  }
  return params;
};

/** application/x-www-form-urlencoded decoding of one Basic credential part [R §2.3.1]. */
const formDecode = (value: string): string => decodeURIComponent(value.replace(/\+/g, ' '));

interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

const parseBasic = (header: string): BasicCredentials => {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match) throw new OAuthError('invalid_client', 'Client authentication failed.');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'Client authentication failed.');
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'Client authentication failed.');
  }
};

/** Equal strings in time independent of where they differ (and, via the digest, of their lengths). */
const secretsEqual = (presented: string, expected: string): boolean =>
  timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());

/** Cognito app client ids: `[\w+]+`, at most 128 characters (DescribeUserPoolClient's ClientId). */
const CLIENT_ID_PATTERN = /^[\w+]{1,128}$/;
/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Client credentials carry custom scopes only, `<resource server identifier>/<scope name>` [M]. */
const isCustomScope = (scope: string): boolean => scope.includes('/');

const grantedScopes = (requested: string | undefined, client: MachineClient): string[] => {
  const allowed = client.allowedOAuthScopes.filter(isCustomScope);
  if (requested === undefined || requested.trim() === '') {
    if (allowed.length === 0) throw new OAuthError('invalid_scope', 'The client has no custom scopes.');
    return [...new Set(allowed)];
  }
  const asked = [...new Set(requested.split(' ').filter(Boolean))];
  if (!asked.every((scope) => SCOPE_TOKEN_PATTERN.test(scope))) throw new OAuthError('invalid_scope', 'The scope is malformed.');
  // [T]: scopes the client isn't allowed are ignored; a grant with none left is refused.
  const granted = asked.filter((scope) => allowed.includes(scope));
  if (granted.length === 0) throw new OAuthError('invalid_scope', 'None of the requested scopes is allowed for this client.');
  return granted;
};

export const startClientCredentialsEndpoint = async (options: {
  /** Exactly the issuer cognito-local puts in its tokens (`<url>/<userPoolId>`). */
  issuer: string;
  lookupClient: MachineClientLookup;
  /** 0 / undefined = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** ms clock, for tests. */
  now?: () => number;
}): Promise<ClientCredentialsEndpoint> => {
  const { issuer, lookupClient } = options;
  if (typeof issuer !== 'string' || issuer === '') throw new Error('issuer is required');
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const signingKey = loadCognitoLocalKey();

  const authenticate = async (req: http.IncomingMessage, params: Map<string, string>): Promise<MachineClient> => {
    const header = req.headers.authorization;
    const basic = header === undefined ? undefined : parseBasic(header);
    if (basic && params.has('client_secret')) {
      throw new OAuthError('invalid_request', 'Use one client authentication method, not two.');
    }
    const bodyClientId = params.get('client_id');
    if (basic && bodyClientId !== undefined && bodyClientId !== basic.clientId) {
      throw new OAuthError('invalid_client', 'Client authentication failed.');
    }
    const clientId = basic?.clientId ?? bodyClientId;
    const presented = basic ? basic.clientSecret : params.get('client_secret');
    if (clientId === undefined || !CLIENT_ID_PATTERN.test(clientId)) throw new OAuthError('invalid_client', 'Client authentication failed.');

    const client = await lookupClient(clientId);
    if (!client || client.clientId !== clientId) {
      secretsEqual(presented ?? '', 'unknown-client'); // same work as for a known client
      throw new OAuthError('invalid_client', 'Client authentication failed.');
    }
    if (client.clientSecret === undefined) {
      // A public client: a secret it doesn't have is a failed authentication; without one it is
      // identified but can't use this grant, which needs a secret [T][G].
      if (presented) throw new OAuthError('invalid_client', 'Client authentication failed.');
      throw new OAuthError('unauthorized_client', 'The client credentials grant needs an app client with a secret.');
    }
    if (presented === undefined || !secretsEqual(presented, client.clientSecret)) {
      throw new OAuthError('invalid_client', 'Client authentication failed.');
    }
    return client;
  };

  const issue = (client: MachineClient, scopes: string[]) => {
    const validity = client.accessTokenValiditySeconds;
    if (!Number.isInteger(validity) || validity <= 0) throw new Error('Invalid access token validity');
    const iat = Math.floor(now() / 1000);
    const payload = {
      sub: client.clientId,
      token_use: 'access',
      scope: scopes.join(' '),
      auth_time: iat,
      iss: issuer,
      exp: iat + validity,
      iat,
      version: 2,
      jti: randomUUID(),
      client_id: client.clientId,
    };
    return {
      access_token: signRs256({ kid: signingKey.kid, alg: 'RS256' }, payload, signingKey.key),
      expires_in: validity,
      token_type: 'Bearer',
    };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const refusal = browserRefusal(req);
    if (refusal) {
      sendRefusal(req, res, refusal);
      return;
    }
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      path = '';
    }
    if (path !== TOKEN_PATH) {
      sendJson(res, 404, { error: 'not_found', error_description: `Only POST ${TOKEN_PATH} is served here.` });
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...BASE_HEADERS,
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'authorization, content-type',
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      throw new OAuthError('invalid_request', 'The token endpoint accepts POST only.', 405, { Allow: 'POST, OPTIONS' });
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/x-www-form-urlencoded') {
      throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) throw new OAuthError('invalid_request', 'The request body is too large.', 413);
    const params = parseForm(body);

    const grantType = params.get('grant_type');
    if (grantType === undefined || grantType === '') throw new OAuthError('invalid_request', 'grant_type is required.');
    if (grantType !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', 'This local endpoint issues client_credentials grants only.');
    }

    const client = await authenticate(req, params);
    if (!client.allowedOAuthFlowsUserPoolClient || !client.allowedOAuthFlows.includes('client_credentials')) {
      throw new OAuthError('unauthorized_client', 'The client credentials grant is not enabled for this client.');
    }
    const scopes = grantedScopes(params.get('scope'), client);
    sendJson(res, 200, issue(client, scopes));
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendError(res, error instanceof OAuthError ? error : new OAuthError('server_error', 'The token could not be issued.'));
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    tokenUrl: `${url}${TOKEN_PATH}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};

/**
 * The local client-credentials token endpoint (scripts/local/client-credentials.ts), over real
 * HTTP: the endpoint listens on a free port, clients come from an in-memory Map, and tokens are
 * checked against the public key cognito-local publishes. `cognitoClientLookup` is exercised
 * against a small HTTP server that answers DescribeUserPoolClient in the AWS JSON protocol.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import {
  MAX_BODY_BYTES,
  cognitoClientLookup,
  startClientCredentialsEndpoint,
  type ClientCredentialsEndpoint,
  type MachineClient,
  type MachineClientLookup,
} from '../../scripts/local/client-credentials';

const ISSUER = 'http://127.0.0.1:9229/local_5xYzAbCd';
const NOW_MS = Date.now();
const NOW_S = Math.floor(NOW_MS / 1000);

const publicKeyFile = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve('cognito-local/lib/keys/cognitoLocal.public.json'), 'utf8'),
) as { jwk: { kid: string; kty: string; n: string; e: string; alg: string; use: string } };

const machine: MachineClient = {
  clientId: 'machine0client0id0123456789',
  clientSecret: 'machine-secret-0123456789abcdefghijklmnopqrstuvwx',
  allowedOAuthFlows: ['client_credentials'],
  allowedOAuthScopes: ['gateway/inventory:read', 'gateway/inventory:write', 'openid'],
  allowedOAuthFlowsUserPoolClient: true,
  accessTokenValiditySeconds: 3600,
};

const client = (clientId: string, overrides: Partial<MachineClient> = {}): MachineClient => ({ ...machine, clientId, ...overrides });

const clients = new Map<string, MachineClient>(
  [
    machine,
    client('short0lived', { accessTokenValiditySeconds: 300 }),
    client('code0only', { allowedOAuthFlows: ['code'] }),
    client('oauth0disabled', { allowedOAuthFlowsUserPoolClient: false }),
    client('public0client', { clientSecret: undefined }),
    client('standard0scopes0only', { allowedOAuthScopes: ['openid', 'email', 'aws.cognito.signin.user.admin'] }),
    client('bad0validity', { accessTokenValiditySeconds: 0 }),
  ].map((c) => [c.clientId, c]),
);

/** A plain function over the Map; one id stands for a pool that cannot be reached. */
const lookupClient: MachineClientLookup = async (clientId) => {
  if (clientId === 'lookup0fails') throw new Error('connect ECONNREFUSED 127.0.0.1:9229 internal-detail');
  return clients.get(clientId);
};

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const decodePart = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
const decode = (token: string) => {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  return { header: decodePart(header), payload: decodePart(payload), signature };
};

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

const parse = async (response: Response): Promise<Answer> => {
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, text, json };
};

describe('client-credentials token endpoint', () => {
  let endpoint: ClientCredentialsEndpoint;

  beforeAll(async () => {
    endpoint = await startClientCredentialsEndpoint({ issuer: ISSUER, lookupClient, port: 0, now: () => NOW_MS });
  });
  afterAll(async () => {
    await endpoint.close();
  });

  const post = async (body: string, headers: Record<string, string> = {}) =>
    parse(await fetch(endpoint.tokenUrl, { method: 'POST', headers: { ...FORM, ...headers }, body }));

  /** client_secret_basic, the way Cognito's own examples authenticate. */
  const requestToken = (params: Record<string, string> = {}, id = machine.clientId, secret = machine.clientSecret!) =>
    post(form({ grant_type: 'client_credentials', ...params }), { authorization: basic(id, secret) });

  const assertOAuthError = (answer: Answer, status: number, error: string, ...secrets: string[]) => {
    assert.equal(answer.status, status, answer.text);
    assert.equal(answer.json.error, error, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    for (const secret of secrets) assert.ok(!answer.text.includes(secret), 'the answer echoes a secret');
    assert.deepEqual(Object.keys(answer.json).sort(), ['error', 'error_description']);
  };

  it('listens on the port it was given (0: a free one) and names its token URL', () => {
    assert.match(endpoint.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(endpoint.tokenUrl, `${endpoint.url}/oauth2/token`);
  });

  it("issues a token carrying exactly Cognito's client-credentials claims", async () => {
    const answer = await requestToken({ scope: 'gateway/inventory:read' });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.equal(answer.headers.get('pragma'), 'no-cache');
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
    // Only an access token: no id_token, no refresh_token.
    assert.deepEqual(Object.keys(answer.json).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(answer.json.token_type, 'Bearer');
    assert.equal(answer.json.expires_in, 3600);

    const { header, payload } = decode(String(answer.json.access_token));
    assert.deepEqual(header, { kid: publicKeyFile.jwk.kid, alg: 'RS256' });
    assert.deepEqual(Object.keys(payload).sort(), ['auth_time', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub', 'token_use', 'version']);
    assert.equal(payload.sub, machine.clientId);
    assert.equal(payload.client_id, machine.clientId);
    assert.equal(payload.token_use, 'access');
    assert.equal(payload.scope, 'gateway/inventory:read');
    assert.equal(payload.iss, ISSUER);
    assert.equal(payload.iat, NOW_S);
    assert.equal(payload.auth_time, NOW_S);
    assert.equal(payload.exp, NOW_S + 3600);
    assert.equal(payload.version, 2);
    assert.match(String(payload.jti), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const userClaim of ['username', 'cognito:groups', 'origin_jti', 'event_id', 'device_key', 'aud']) {
      assert.equal(userClaim in payload, false, `${userClaim} must not be in a client-credentials token`);
    }
  });

  it('verifies with the public key cognito-local publishes', async () => {
    const token = String((await requestToken({ scope: 'gateway/inventory:write' })).json.access_token);
    const [header, payload, signature] = token.split('.') as [string, string, string];

    const publicKey = createPublicKey({ key: publicKeyFile.jwk, format: 'jwk' });
    assert.ok(verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url')));

    // The library the gateway's authorizer uses, with Cognito's own access-token field checks.
    const verifier = JwtVerifier.create({
      issuer: ISSUER,
      jwksUri: `${ISSUER}/.well-known/jwks.json`,
      audience: null,
      customJwtCheck: ({ payload: claims }) => validateCognitoJwtFields(claims, { tokenUse: 'access', clientId: machine.clientId }),
    });
    verifier.cacheJwks({ keys: [publicKeyFile.jwk] });
    const claims = await verifier.verify(token);
    assert.equal(claims.sub, machine.clientId);
    assert.equal(claims.scope, 'gateway/inventory:write');
  });

  it('gives every token its own jti', async () => {
    const first = decode(String((await requestToken()).json.access_token)).payload;
    const second = decode(String((await requestToken()).json.access_token)).payload;
    assert.notEqual(first.jti, second.jti);
  });

  it("sets exp and expires_in from the client's access token validity", async () => {
    const short = clients.get('short0lived')!;
    const answer = await requestToken({}, short.clientId, short.clientSecret);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.expires_in, 300);
    assert.equal(decode(String(answer.json.access_token)).payload.exp, NOW_S + 300);
  });

  it('accepts client_id and client_secret in the body (client_secret_post)', async () => {
    const answer = await post(
      form({ grant_type: 'client_credentials', client_id: machine.clientId, client_secret: machine.clientSecret!, scope: 'gateway/inventory:read' }),
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(decode(String(answer.json.access_token)).payload.client_id, machine.clientId);
  });

  it('accepts a body client_id that repeats the Basic header, as in Cognito\'s example request', async () => {
    const answer = await requestToken({ client_id: machine.clientId });
    assert.equal(answer.status, 200, answer.text);
  });

  it('accepts a charset parameter on the form content type', async () => {
    const answer = await post(form({ grant_type: 'client_credentials' }), {
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
      authorization: basic(machine.clientId, machine.clientSecret!),
    });
    assert.equal(answer.status, 200, answer.text);
  });

  it('grants every allowed custom scope when none is asked', async () => {
    const answer = await requestToken();
    assert.equal(answer.status, 200, answer.text);
    // openid is allowed for the client but is not a custom scope: client credentials never carry it.
    assert.equal(decode(String(answer.json.access_token)).payload.scope, 'gateway/inventory:read gateway/inventory:write');
  });

  it('grants several requested scopes, each once', async () => {
    const answer = await requestToken({ scope: 'gateway/inventory:write gateway/inventory:read gateway/inventory:write' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(decode(String(answer.json.access_token)).payload.scope, 'gateway/inventory:write gateway/inventory:read');
  });

  it('refuses a scope the client is not allowed', async () => {
    for (const scope of ['gateway/admin', 'other/inventory:read', 'openid']) {
      assertOAuthError(await requestToken({ scope }), 400, 'invalid_scope', machine.clientSecret!);
    }
  });

  it('leaves out requested scopes the client is not allowed, as Cognito documents', async () => {
    const answer = await requestToken({ scope: 'gateway/admin gateway/inventory:read' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(decode(String(answer.json.access_token)).payload.scope, 'gateway/inventory:read');
  });

  it('refuses a client whose allowed scopes are all standard ones', async () => {
    const standard = clients.get('standard0scopes0only')!;
    assertOAuthError(await requestToken({}, standard.clientId, standard.clientSecret), 400, 'invalid_scope');
  });

  it('refuses a malformed scope', async () => {
    assertOAuthError(await requestToken({ scope: 'gateway/inventory:read "quoted"' }), 400, 'invalid_scope');
  });

  it('answers invalid_client 400 (the status Cognito documents) for a wrong secret', async () => {
    const wrong = 'not-the-secret-but-looks-like-one-0123456789';
    assertOAuthError(await requestToken({}, machine.clientId, wrong), 400, 'invalid_client', wrong, machine.clientSecret!);
    assertOAuthError(
      await post(form({ grant_type: 'client_credentials', client_id: machine.clientId, client_secret: wrong })),
      400,
      'invalid_client',
      wrong,
      machine.clientSecret!,
    );
  });

  it('answers invalid_client for a secret that differs only in length or case', async () => {
    const secret = machine.clientSecret!;
    for (const wrong of [secret.slice(0, -1), `${secret}x`, secret.toUpperCase(), '']) {
      assertOAuthError(await requestToken({}, machine.clientId, wrong), 400, 'invalid_client', secret);
    }
  });

  it('answers invalid_client for an unknown client', async () => {
    assertOAuthError(await requestToken({}, 'no0such0client', 'whatever-secret'), 400, 'invalid_client', 'whatever-secret');
  });

  it('answers invalid_client when no credentials or no secret are given', async () => {
    assertOAuthError(await post(form({ grant_type: 'client_credentials' })), 400, 'invalid_client');
    assertOAuthError(await post(form({ grant_type: 'client_credentials', client_id: machine.clientId })), 400, 'invalid_client');
  });

  it('answers invalid_client for a malformed or non-Basic Authorization header', async () => {
    const body = form({ grant_type: 'client_credentials' });
    for (const authorization of [
      'Bearer abc.def.ghi',
      'Basic',
      'Basic !!!not-base64!!!',
      `Basic ${Buffer.from('no-colon-here').toString('base64')}`,
      `Basic ${Buffer.from(`${machine.clientId}:%zz`).toString('base64')}`,
      `Basic ${Buffer.from(`bad id!:${machine.clientSecret}`).toString('base64')}`,
    ]) {
      assertOAuthError(await post(body, { authorization }), 400, 'invalid_client', machine.clientSecret!);
    }
  });

  it('answers invalid_client when the body client_id contradicts the Basic header', async () => {
    const other = clients.get('short0lived')!;
    assertOAuthError(await requestToken({ client_id: other.clientId }), 400, 'invalid_client', machine.clientSecret!);
  });

  it('refuses a request that authenticates twice (Basic header and client_secret)', async () => {
    assertOAuthError(await requestToken({ client_secret: machine.clientSecret! }), 400, 'invalid_request', machine.clientSecret!);
  });

  it('refuses a client without the client_credentials flow', async () => {
    for (const id of ['code0only', 'oauth0disabled']) {
      const c = clients.get(id)!;
      assertOAuthError(await requestToken({}, c.clientId, c.clientSecret), 400, 'unauthorized_client', c.clientSecret!);
    }
  });

  it('refuses a client without a secret, which the client-credentials grant needs', async () => {
    const body = form({ grant_type: 'client_credentials', client_id: 'public0client' });
    assertOAuthError(await post(body), 400, 'unauthorized_client');
    // A secret the client does not have is a failed authentication.
    assertOAuthError(await post(form({ grant_type: 'client_credentials', client_id: 'public0client', client_secret: 'guess' })), 400, 'invalid_client', 'guess');
  });

  it('refuses grant types other than client_credentials', async () => {
    for (const grant_type of ['authorization_code', 'refresh_token', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer']) {
      assertOAuthError(await requestToken({ grant_type }), 400, 'unsupported_grant_type', machine.clientSecret!);
    }
    assertOAuthError(
      await post(form({ scope: 'gateway/inventory:read' }), { authorization: basic(machine.clientId, machine.clientSecret!) }),
      400,
      'invalid_request',
      machine.clientSecret!,
    );
  });

  it('refuses a repeated parameter', async () => {
    const body = `${form({ grant_type: 'client_credentials' })}&grant_type=client_credentials`;
    assertOAuthError(await post(body, { authorization: basic(machine.clientId, machine.clientSecret!) }), 400, 'invalid_request');
  });

  it('refuses a body that is not form-encoded', async () => {
    const json = JSON.stringify({ grant_type: 'client_credentials', client_id: machine.clientId, client_secret: machine.clientSecret });
    assertOAuthError(await post(json, { 'content-type': 'application/json' }), 400, 'invalid_request', machine.clientSecret!);
    const noType = await parse(
      await fetch(endpoint.tokenUrl, { method: 'POST', body: new Uint8Array(Buffer.from(form({ grant_type: 'client_credentials' }))) }),
    );
    assertOAuthError(noType, 400, 'invalid_request');
    const notUtf8 = Buffer.concat([Buffer.from('grant_type=client_credentials&scope='), Buffer.from([0xff, 0xfe])]);
    assertOAuthError(
      await parse(await fetch(endpoint.tokenUrl, { method: 'POST', headers: FORM, body: new Uint8Array(notUtf8) })),
      400,
      'invalid_request',
    );
  });

  it('answers 405 for methods other than POST, and serves a CORS preflight', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await parse(await fetch(endpoint.tokenUrl, { method }));
      assertOAuthError(answer, 405, 'invalid_request');
      assert.equal(answer.headers.get('allow'), 'POST, OPTIONS');
    }
    const preflight = await fetch(endpoint.tokenUrl, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST');
  });

  it('answers 404 for any other path', async () => {
    for (const path of ['/', '/oauth2/authorize', '/oauth2/token/', '/oauth2/tokens', '/local_5xYzAbCd/.well-known/jwks.json']) {
      const answer = await parse(await fetch(`${endpoint.url}${path}`, { method: 'POST', headers: FORM, body: form({ grant_type: 'client_credentials' }) }));
      assert.equal(answer.status, 404, path);
      assert.equal(answer.json.error, 'not_found');
    }
  });

  it('answers 413 for an oversized body, declared or streamed, and keeps serving', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES);
    assertOAuthError(await requestToken({ padding }), 413, 'invalid_request', machine.clientSecret!);
    assertOAuthError(await requestToken({ padding: 'x'.repeat(2 * 1024 * 1024) }), 413, 'invalid_request');

    // Chunked, no Content-Length: the limit is counted as the body arrives.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(endpoint.tokenUrl, { method: 'POST', headers: { ...FORM, 'transfer-encoding': 'chunked' } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.write('grant_type=client_credentials&padding=');
      for (let i = 0; i < 8; i += 1) request.write('y'.repeat(4096));
      request.end();
    });
    assert.equal(streamed.status, 413);
    assert.equal((JSON.parse(streamed.body) as { error: string }).error, 'invalid_request');

    assert.equal((await requestToken()).status, 200);
  });

  it('answers server_error without details when the client lookup fails', async () => {
    const answer = await requestToken({}, 'lookup0fails', 'some-secret-value');
    assertOAuthError(answer, 500, 'server_error', 'some-secret-value');
    assert.ok(!answer.text.includes('ECONNREFUSED') && !answer.text.includes('internal-detail'));
    assert.equal((await requestToken()).status, 200);
  });

  it('answers server_error for a client whose token validity is unusable', async () => {
    const bad = clients.get('bad0validity')!;
    assertOAuthError(await requestToken({}, bad.clientId, bad.clientSecret), 500, 'server_error', bad.clientSecret!);
  });

  it('survives a malformed HTTP request and keeps serving', async () => {
    const url = new URL(endpoint.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.equal((await requestToken()).status, 200);
  });
});

describe('cognitoClientLookup', () => {
  const USER_POOL_ID = 'local_5xYzAbCd';
  /** App clients as DescribeUserPoolClient returns them (cognito-local's appClientToResponseObject). */
  const described: Record<string, Record<string, unknown>> = {
    m2m0client: {
      UserPoolId: USER_POOL_ID,
      ClientId: 'm2m0client',
      ClientName: 'gateway-machine',
      ClientSecret: 'generated0secret',
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: ['gateway/inventory:read'],
      AllowedOAuthFlowsUserPoolClient: true,
      AccessTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    },
    user0client: { UserPoolId: USER_POOL_ID, ClientId: 'user0client', ClientName: 'gateway-api' },
    hours0client: { UserPoolId: USER_POOL_ID, ClientId: 'hours0client', AccessTokenValidity: 2 },
    days0client: { UserPoolId: USER_POOL_ID, ClientId: 'days0client', AccessTokenValidity: 1, TokenValidityUnits: { AccessToken: 'days' } },
  };
  const seen: { target: string | undefined; authorization: string | undefined; body: Record<string, unknown> }[] = [];
  let server: http.Server;
  let endpointUrl: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { UserPoolId?: string; ClientId?: string };
        seen.push({ target: req.headers['x-amz-target'] as string | undefined, authorization: req.headers.authorization, body });
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(payload));
        };
        if (body.ClientId === 'denied0client') return reply(400, { __type: 'NotAuthorizedException', message: 'nope' });
        const found = body.ClientId ? described[body.ClientId] : undefined;
        if (!found || body.UserPoolId !== USER_POOL_ID) return reply(400, { __type: 'ResourceNotFoundException', message: 'Resource not found' });
        return reply(200, { UserPoolClient: found });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpointUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('maps a described app client to a machine client', async () => {
    const lookup = cognitoClientLookup(endpointUrl, USER_POOL_ID);
    assert.deepEqual(await lookup('m2m0client'), {
      clientId: 'm2m0client',
      clientSecret: 'generated0secret',
      allowedOAuthFlows: ['client_credentials'],
      allowedOAuthScopes: ['gateway/inventory:read'],
      allowedOAuthFlowsUserPoolClient: true,
      accessTokenValiditySeconds: 1800,
    });
    const call = seen.at(-1)!;
    assert.equal(call.target, 'AWSCognitoIdentityProviderService.DescribeUserPoolClient');
    assert.deepEqual(call.body, { UserPoolId: USER_POOL_ID, ClientId: 'm2m0client' });
    assert.match(call.authorization ?? '', /Credential=local\/\d{8}\/us-east-1\/cognito-idp\/aws4_request/);
  });

  it("applies Cognito's defaults: no secret, no OAuth, one hour, hours as the unit", async () => {
    const lookup = cognitoClientLookup(endpointUrl, USER_POOL_ID);
    assert.deepEqual(await lookup('user0client'), {
      clientId: 'user0client',
      clientSecret: undefined,
      allowedOAuthFlows: [],
      allowedOAuthScopes: [],
      allowedOAuthFlowsUserPoolClient: false,
      accessTokenValiditySeconds: 3600,
    });
    assert.equal((await lookup('hours0client'))?.accessTokenValiditySeconds, 7200);
    assert.equal((await lookup('days0client'))?.accessTokenValiditySeconds, 86400);
  });

  it('answers undefined for ResourceNotFoundException and throws other errors', async () => {
    const lookup = cognitoClientLookup(endpointUrl, USER_POOL_ID);
    assert.equal(await lookup('no0such0client'), undefined);
    assert.equal(await cognitoClientLookup(endpointUrl, 'local_other')('m2m0client'), undefined);
    await assert.rejects(lookup('denied0client'), (error: Error) => error.name === 'NotAuthorizedException');
  });

  it('backs the token endpoint end to end', async () => {
    const endpoint = await startClientCredentialsEndpoint({ issuer: ISSUER, lookupClient: cognitoClientLookup(endpointUrl, USER_POOL_ID) });
    try {
      const answer = await parse(
        await fetch(endpoint.tokenUrl, {
          method: 'POST',
          headers: { ...FORM, authorization: basic('m2m0client', 'generated0secret') },
          body: form({ grant_type: 'client_credentials' }),
        }),
      );
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.expires_in, 1800);
      assert.equal(decode(String(answer.json.access_token)).payload.scope, 'gateway/inventory:read');
      const refused = await parse(
        await fetch(endpoint.tokenUrl, {
          method: 'POST',
          headers: { ...FORM, authorization: basic('user0client', 'anything') },
          body: form({ grant_type: 'client_credentials' }),
        }),
      );
      assert.equal(refused.json.error, 'invalid_client');
    } finally {
      await endpoint.close();
    }
  });
});

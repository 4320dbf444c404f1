/**
 * A browser session over plain HTTP for the integration tests: `POST /auth/session`, then the
 * cookies sent back as a browser would (the `Cookie` header, and `X-CSRF-Token` on writes).
 */
import assert from 'node:assert/strict';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_STAGE, REGION, tableNames } from '../../scripts/local/settings';
import { CSRF_COOKIE, SESSION_COOKIE, hashSessionId } from '../../lib/sessions/web-session';
import { WEBSESSION } from '../../lib/access/records';
import { call, stack, type Answer } from './client';

export interface BrowserSession {
  sessionId: string;
  csrf: string;
  /** The `Cookie` header a browser would send. */
  cookie: string;
}

/** `name=value` of each `Set-Cookie` of an answer, by name, with the whole line. */
export const setCookies = (answer: Answer): Map<string, { value: string; line: string }> => {
  const found = new Map<string, { value: string; line: string }>();
  for (const line of answer.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const equals = pair.indexOf('=');
    found.set(pair.slice(0, equals).trim(), { value: pair.slice(equals + 1).trim(), line });
  }
  return found;
};

/** Sign in as a browser would from the gateway's own page (same-origin Origin). */
export const signIn = async (user: { username: string; password: string }, headers: Record<string, string> = {}) =>
  call('POST', '/auth/session', { body: { username: user.username, password: user.password }, headers: { origin: stack().gatewayUrl, ...headers } });

export const browserSession = async (user: { username: string; password: string }): Promise<BrowserSession> => {
  const answer = await signIn(user);
  assert.equal(answer.status, 204, `POST /auth/session answered ${answer.status}: ${answer.text}`);
  const cookies = setCookies(answer);
  const sessionId = cookies.get(SESSION_COOKIE)?.value;
  const csrf = cookies.get(CSRF_COOKIE)?.value;
  assert.ok(sessionId && csrf, 'both cookies set');
  return { sessionId, csrf, cookie: `${SESSION_COOKIE}=${sessionId}; ${CSRF_COOKIE}=${csrf}` };
};

/** A call with the session's cookie; on writes its CSRF token unless `csrf` says otherwise (false: none). */
export const withSession = (method: string, path: string, session: Pick<BrowserSession, 'cookie' | 'csrf'>, options: { body?: unknown; csrf?: string | false; headers?: Record<string, string> } = {}) => {
  const csrf = options.csrf === undefined ? session.csrf : options.csrf;
  return call(method, path, {
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: { cookie: session.cookie, ...(csrf === false || method === 'GET' ? {} : { 'x-csrf-token': csrf }), ...(options.headers ?? {}) },
  });
};

const documents = () =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack().dynamodbUrl, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));

/** The session's stored record, as the access table holds it. */
export const storedSession = async (sessionId: string) =>
  (await documents().send(new GetCommand({ TableName: tableNames(LOCAL_STAGE).access, Key: { pk: WEBSESSION + hashSessionId(sessionId) }, ConsistentRead: true }))).Item;

/** Change the stored record directly (as time passing would), bypassing the gateway. */
export const alterSession = async (sessionId: string, values: Record<string, unknown>) => {
  const names = Object.keys(values);
  await documents().send(
    new UpdateCommand({
      TableName: tableNames(LOCAL_STAGE).access,
      Key: { pk: WEBSESSION + hashSessionId(sessionId) },
      UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#n${i}`, name])),
      ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, values[name]])),
    }),
  );
};

/**
 * The route table's second half: what each route takes and answers. The first half, who may
 * call it (service, access rule, scope), is `lib/policy/route-policy.ts`, which the authorizer
 * reads and which must therefore stay free of zod. Both are keyed by the same API Gateway route
 * keys, and `satisfies Record<RouteKey, RouteSpec>` below makes the type checker refuse a route
 * that is in one half and not in the other.
 *
 * From this table:
 * - the services validate: each route's `body` and `query` schemas are the ones its service
 *   passes to `protectedRoute`/`publicRoute` (functions/<service>/service.ts);
 * - `lib/openapi/document.ts` builds the OpenAPI 3.1 document (`GET /openapi.json`), turning the
 *   same zod schemas into JSON Schema with zod's `toJSONSchema`;
 * - the integration suite checks what the running gateway answers against that document.
 *
 * Path parameters are checked by the services themselves (after the access check, so a caller
 * without the right learns nothing about the path); `params` documents them with the schemas
 * those checks use. 401 and 403 are not listed: the OpenAPI document adds them to every
 * protected route (the authorizer answers them, with the platform's body).
 */
import * as z from 'zod/mini';
import { API_KEY_ID } from '../access/api-keys';
import { ROLES, SCOPES, type RouteKey, type Scope } from '../policy/route-policy';
import { idSchema, limitSchema } from '../http/validation';

/** Days an API key lives when its creator names none. */
export const DEFAULT_KEY_EXPIRY_DAYS = 30;
/** The largest stock quantity, and the largest single adjustment. */
export const MAX_QUANTITY = 1_000_000_000;

/** Cognito usernames as the gateway accepts them in a path: 1-128 characters, no whitespace or control characters. */
export const USERNAME_PATTERN = /^[^\s\p{Cc}]{1,128}$/u;

// ------------------------------------------------------------------------------- answers

/** Every error the services write: a stable code, a text for people, and for a 400 the reasons. */
export const errorSchema = z.object({
  error: z.string(),
  message: z.string(),
  details: z.optional(z.array(z.string())),
});

/**
 * A denial by the gateway in front of the services. API Gateway answers `{"message"}`,
 * serverless-offline `{"statusCode", "error", "message"}`, and a service that refuses the role
 * context again answers `{"error", "message"}`: all carry `message`.
 */
export const denialSchema = z.looseObject({ message: z.string(), error: z.optional(z.string()) });

const isoTime = z.iso.datetime();

const tokenAnswer = z.object({
  accessToken: z.string(),
  idToken: z.string(),
  refreshToken: z.optional(z.string()),
  expiresIn: z.number().check(z.int(), z.gte(0)),
  tokenType: z.literal('Bearer'),
});

const product = z.object({
  productId: z.string(),
  name: z.string(),
  description: z.string(),
  priceCents: z.number().check(z.int()),
  currency: z.string(),
  createdAt: isoTime,
});

const stockLevel = z.object({
  branchId: z.string(),
  productId: z.string(),
  quantity: z.number().check(z.int(), z.gte(0)),
  updatedAt: isoTime,
  version: z.number().check(z.int()),
});

const role = z.enum(ROLES);
const scope = z.enum(SCOPES);

/** A user's own token or key sees the user; a machine client sees itself. */
/** Two-factor sign-in, as `GET /users/me` and `GET /users/{username}` show it. */
const mfaState = z.object({
  enabled: z.boolean(),
  /** The caller's role requires MFA and it is off: only its setup, `/users/me` and logout are open. */
  setupRequired: z.optional(z.boolean()),
});

const me = z.object({
  authType: z.enum(['user', 'api_key', 'client', 'session']),
  sub: z.optional(z.string()),
  username: z.optional(z.string()),
  email: z.optional(z.string()),
  clientId: z.optional(z.string()),
  name: z.optional(z.string()),
  keyId: z.optional(z.string()),
  roles: z.array(role),
  branches: z.array(z.string()),
  scopes: z.optional(z.array(scope)),
  mfa: z.optional(mfaState),
});

const directoryUser = z.object({
  username: z.string(),
  sub: z.string(),
  email: z.optional(z.string()),
  enabled: z.boolean(),
  status: z.string(),
  createdAt: z.optional(z.string()),
  roles: z.array(role),
  branches: z.array(z.string()),
});

/** A user as `POST /users` made them. */
const createdUser = z.object({
  username: z.string(),
  sub: z.string(),
  email: z.string(),
  roles: z.array(role),
  branches: z.array(z.string()),
  status: z.string(),
});

/** One user as `GET /users/{username}` shows them. */
const userDetail = z.object({
  ...createdUser.shape,
  email: z.optional(z.string()),
  enabled: z.boolean(),
  createdAt: z.optional(z.string()),
  mfa: z.optional(mfaState),
});

const branch = z.object({ branchId: z.string(), name: z.string(), createdAt: z.optional(isoTime) });

const apiKey = z.object({
  id: z.string().check(z.regex(API_KEY_ID)),
  name: z.string(),
  scopes: z.array(scope),
  createdAt: isoTime,
  expiresAt: isoTime,
});

// ------------------------------------------------------------------------------- requests

/** A schema with a description for the OpenAPI document (zod's global registry, which `toJSONSchema` reads). */
const described = <S extends z.ZodMiniType>(schema: S, description: string): S => {
  z.globalRegistry.add(schema, { description });
  return schema;
};

/** `?limit=&nextToken=`: a page of at most `max` items (`fallback` when not given), after the previous page. */
const pageQuery = (max: number, fallback: number, nextToken: z.ZodMiniType<string>) =>
  z.object({
    limit: described(limitSchema(max, fallback), `Items per page: 1 to ${max}, default ${fallback}`),
    nextToken: described(z.optional(nextToken), 'The `nextToken` of the previous page'),
  });

/** A page of a list: its items and, when there are more, the `nextToken` for the next page. */
const page = <T extends z.ZodMiniType>(item: T) => z.object({ items: z.array(item), nextToken: z.optional(z.string()) });

const uniqueItems = (what: string) => z.refine<unknown[]>((items) => new Set(items).size === items.length, `must not repeat ${what}`);

const refreshToken = z.string().check(z.minLength(1), z.maxLength(8192));

/**
 * A new password, checked against the user pool's policy (serverless.yml `PasswordPolicy`, the
 * local pool the same) before Cognito sees it: every rule it breaks is listed in the 400, on AWS
 * and locally alike (cognito-local does not enforce the policy).
 */
export const PASSWORD_POLICY = { minLength: 12 } as const;
const newPassword = z.string().check(
  z.minLength(PASSWORD_POLICY.minLength, `must be at least ${PASSWORD_POLICY.minLength} characters`),
  z.maxLength(256),
  z.regex(/[a-z]/, 'must contain a lower-case letter'),
  z.regex(/[A-Z]/, 'must contain an upper-case letter'),
  z.regex(/[0-9]/, 'must contain a digit'),
  z.regex(/[^A-Za-z0-9\s]/, 'must contain a symbol'),
);
const loginUsername = z.string().check(z.trim(), z.minLength(1), z.maxLength(128));
const currentPassword = z.string().check(z.minLength(1), z.maxLength(256));
/** Codes Cognito emails: digits (6 by default). */
const emailedCode = z.string().check(z.trim(), z.regex(/^\d{4,10}$/, 'must be the code from the email'));
/** Sign-up's username: the email, trimmed and lower-cased (log in with it so). */
const signUpEmail = z.string().check(z.trim(), z.toLowerCase(), z.maxLength(128), z.email('must be an email address'));

const challengeAnswer = z.object({
  challenge: z.literal('NEW_PASSWORD_REQUIRED'),
  session: z.string(),
  username: z.string(),
});

/** A code of an authenticator app: 6 digits (RFC 6238, as Cognito checks them). */
const totpCode = z.string().check(z.trim(), z.regex(/^\d{6}$/, 'must be the 6-digit code of the authenticator app'));

const mfaChallengeAnswer = z.object({
  challenge: z.literal('SOFTWARE_TOKEN_MFA'),
  session: z.string(),
  username: z.string(),
});

const branchIds = z.array(idSchema).check(z.maxLength(100, 'must name at most 100 branches'), uniqueItems('a branch'));

// ------------------------------------------------------------------------------- the table

/** A response: its description, and the schema of its JSON body (none: no body, or not JSON). */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodMiniType;
  /** The media types when the body is not JSON. */
  contentTypes?: readonly string[];
}

export interface RouteSpec {
  /** One line, for the OpenAPI operation and the explorer. */
  summary: string;
  /** More, when one line is not enough (the roles are added from the policy). */
  description?: string;
  /** Path parameters, each with the schema its service checks it with. */
  params?: Record<string, z.ZodMiniType<string>>;
  body?: z.ZodMiniType;
  query?: z.ZodMiniType;
  /** Successful and service-level answers by status; 401 and 403 of protected routes are added. */
  responses: Record<number, ResponseSpec>;
}

const error = (description: string): ResponseSpec => ({ description, schema: errorSchema });
const BAD_REQUEST = error('Malformed input; `details` lists the reasons');
const UNAVAILABLE = error('A dependency (Cognito, DynamoDB) is down; retry after `retry-after` seconds');
const NOT_FOUND = (what: string) => error(`No such ${what}`);
const NO_CONTENT: ResponseSpec = { description: 'Done; no body' };
const ACCEPTED: ResponseSpec = { description: 'Accepted; no body' };
const TOO_MANY = error('Too many attempts for this user; try again later');
const SIGNUP_DISABLED = error('Self-service sign-up is turned off on this deployment (`signup_disabled`)');

const ID = idSchema;
const USERNAME = z.string().check(z.regex(USERNAME_PATTERN, 'must be 1-128 characters without spaces'));
const KEY_ID = z.string().check(z.regex(API_KEY_ID, 'must be the 20-character id of a key'));

export const ROUTE_TABLE = {
  'GET /health': {
    summary: 'Liveness of the gateway itself',
    responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
  },
  'POST /auth/login': {
    summary: 'Log in with username and password',
    description: 'A wrong password and an unknown user get the same 401.',
    body: z.strictObject({
      username: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
      password: z.string().check(z.minLength(1), z.maxLength(256)),
    }),
    responses: {
      200: {
        description: 'Tokens for the user; or, for a temporary password, the new-password challenge; or, with MFA on, the MFA challenge (no tokens)',
        schema: z.union([tokenAnswer, challengeAnswer, mfaChallengeAnswer]),
      },
      400: BAD_REQUEST,
      401: error('Wrong username or password, or the user is disabled'),
      503: UNAVAILABLE,
    },
  },
  'POST /auth/new-password': {
    summary: "Answer login's NEW_PASSWORD_REQUIRED challenge: the new password, then tokens as at login",
    description: 'The `session` of the challenge works once, for its username, for 3 minutes.',
    body: z.strictObject({ username: loginUsername, session: z.string().check(z.minLength(1), z.maxLength(4096)), newPassword }),
    responses: {
      200: { description: 'Tokens for the user', schema: tokenAnswer },
      400: BAD_REQUEST,
      401: error('The session is invalid, used or expired (`invalid_session`), or the user is cut off'),
      429: TOO_MANY,
      503: UNAVAILABLE,
    },
  },
  'POST /auth/mfa': {
    summary: "Answer login's SOFTWARE_TOKEN_MFA challenge with the authenticator app's code: tokens as at login",
    description:
      'The `session` of the challenge takes one answer, for its username, within 3 minutes. A wrong or already used code gets the same 401 as a wrong password; after 5 wrong codes in 15 minutes every code is refused (429).',
    body: z.strictObject({ username: loginUsername, session: z.string().check(z.minLength(1), z.maxLength(4096)), code: totpCode }),
    responses: {
      200: { description: 'Tokens for the user', schema: tokenAnswer },
      400: BAD_REQUEST,
      401: error('A wrong or used code (`invalid_credentials`), or a session that is invalid, used or expired (`invalid_session`)'),
      429: TOO_MANY,
      503: UNAVAILABLE,
    },
  },
  'POST /auth/mfa/setup': {
    summary: 'Start two-factor sign-in: a new authenticator secret and the otpauth URI apps scan',
    description: "A user's own access token only. MFA is not on until `POST /auth/mfa/verify` with the app's first code.",
    responses: {
      200: { description: 'The secret (base32) and its otpauth:// URI', schema: z.object({ secret: z.string(), otpauthUri: z.string() }) },
      409: error('MFA is already on (`mfa_already_enabled`)'),
      503: UNAVAILABLE,
    },
  },
  'POST /auth/mfa/verify': {
    summary: "Turn two-factor sign-in on with the app's first code; every earlier session ends",
    description: 'From then on `POST /auth/login` answers the MFA challenge. Sessions and API keys from before are refused within the revocation bound, this one included.',
    body: z.strictObject({ code: totpCode, deviceName: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(64))) }),
    responses: {
      204: NO_CONTENT,
      400: error('Malformed input, or a wrong or used code (`invalid_code`): nothing changed'),
      409: error('MFA is already on (`mfa_already_enabled`), or no setup to verify (`mfa_not_set_up`)'),
      429: TOO_MANY,
      503: UNAVAILABLE,
    },
  },
  'DELETE /auth/mfa': {
    summary: 'Turn two-factor sign-in off, with a current code of the app',
    body: z.strictObject({ code: totpCode }),
    responses: {
      204: NO_CONTENT,
      400: error('Malformed input, or a wrong or used code (`invalid_code`)'),
      409: error('MFA is not on (`mfa_not_enabled`), or was not set up through the gateway (`mfa_secret_unknown`)'),
      429: TOO_MANY,
      503: UNAVAILABLE,
    },
  },
  'POST /auth/password': {
    summary: "Change the caller's own password",
    description: "A user's own access token only. Other sessions keep working; `POST /auth/logout` with `everywhere` ends them.",
    body: z.strictObject({ currentPassword, newPassword }),
    responses: { 204: NO_CONTENT, 400: error('Malformed input, a weak new password (`weak_password`) or a wrong current one (`invalid_current_password`)'), 429: TOO_MANY, 503: UNAVAILABLE },
  },
  'POST /auth/password/forgot': {
    summary: 'Email a password reset code',
    description: 'Answers 202 whether or not the user exists.',
    body: z.strictObject({ username: loginUsername }),
    responses: { 202: ACCEPTED, 400: BAD_REQUEST, 503: UNAVAILABLE },
  },
  'POST /auth/password/reset': {
    summary: 'Set a new password with the emailed code; every earlier session of the user ends',
    body: z.strictObject({ username: loginUsername, code: emailedCode, newPassword }),
    responses: {
      204: NO_CONTENT,
      400: error('Malformed input, a wrong code or unknown user (`invalid_code`), an expired code (`expired_code`), a weak password (`weak_password`)'),
      429: TOO_MANY,
      503: UNAVAILABLE,
    },
  },
  'POST /auth/signup': {
    summary: 'Sign up as a customer: a confirmation code is emailed',
    description: 'Answers 202 for an email that already has an account too. 404 `signup_disabled` where `SIGNUP_ENABLED` is off.',
    body: z.strictObject({ email: signUpEmail, password: newPassword }),
    responses: { 202: ACCEPTED, 400: BAD_REQUEST, 404: SIGNUP_DISABLED, 429: TOO_MANY, 503: UNAVAILABLE },
  },
  'POST /auth/signup/confirm': {
    summary: 'Confirm a sign-up with the emailed code; the account becomes a customer',
    body: z.strictObject({ email: signUpEmail, code: emailedCode }),
    responses: {
      204: NO_CONTENT,
      400: error('Malformed input, a wrong code or unknown email (`invalid_code`), an expired code (`expired_code`)'),
      404: SIGNUP_DISABLED,
      429: TOO_MANY,
      503: UNAVAILABLE,
    },
  },
  'POST /auth/refresh': {
    summary: 'New access and ID tokens from a refresh token',
    body: z.strictObject({ refreshToken }),
    responses: {
      200: { description: 'New tokens (no new refresh token)', schema: tokenAnswer },
      400: BAD_REQUEST,
      401: error('The refresh token is invalid, revoked or cut off'),
      503: UNAVAILABLE,
    },
  },
  'POST /auth/logout': {
    summary: "End the caller's session",
    description: 'The access token it is called with, and every token refreshed from the same login, stop working. `everywhere: true` ends every session of the caller.',
    body: z.optional(
      z.strictObject({
        refreshToken: z.optional(refreshToken),
        /** End every session of the caller, on every device. */
        everywhere: z.optional(z.boolean()),
      }),
    ),
    responses: { 204: NO_CONTENT, 400: BAD_REQUEST, 503: UNAVAILABLE },
  },
  'POST /auth/session': {
    summary: 'Sign in for a browser session: an opaque HttpOnly cookie, no token in the browser',
    description:
      'Answers 204 with `Set-Cookie: __Host-session=<opaque id>; HttpOnly; Secure; SameSite=Strict; Path=/` and the readable `__Host-csrf` cookie, whose value every POST, PUT, PATCH and DELETE with the session must send as `X-CSRF-Token`. The Cognito tokens stay at the gateway, sealed. A temporary password, or MFA on, answers 200 with the challenge; `POST /auth/session/challenge` answers it. A sign-in posted by a page of another origin (not in `CORS_ALLOWED_ORIGINS`) is refused (`origin_not_allowed`).',
    body: z.strictObject({
      username: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
      password: z.string().check(z.minLength(1), z.maxLength(256)),
    }),
    responses: {
      204: { description: 'Signed in: the session and CSRF cookies are set' },
      200: {
        description: 'A temporary password, or MFA on: the challenge to answer at `POST /auth/session/challenge` (no session yet)',
        schema: z.union([challengeAnswer, mfaChallengeAnswer]),
      },
      400: BAD_REQUEST,
      401: error('Wrong username or password, or the user is disabled'),
      403: error('Posted by a page of an origin that is not allowed (`origin_not_allowed`)'),
      503: UNAVAILABLE,
    },
  },
  'POST /auth/session/challenge': {
    summary: "Answer a browser sign-in's challenge; the session cookie as at sign-in",
    description:
      'Told apart by `challenge`: `NEW_PASSWORD_REQUIRED` takes `newPassword`; `SOFTWARE_TOKEN_MFA` takes `code`, the authenticator app\'s (a wrong or already used code gets the same 401 as a wrong password; after 5 wrong codes in 15 minutes every code is refused, 429). The `session` of the challenge takes one answer, for its username, within 3 minutes.',
    body: z.discriminatedUnion('challenge', [
      z.strictObject({
        challenge: z.literal('NEW_PASSWORD_REQUIRED'),
        username: loginUsername,
        session: z.string().check(z.minLength(1), z.maxLength(4096)),
        newPassword,
      }),
      z.strictObject({
        challenge: z.literal('SOFTWARE_TOKEN_MFA'),
        username: loginUsername,
        session: z.string().check(z.minLength(1), z.maxLength(4096)),
        code: totpCode,
      }),
    ]),
    responses: {
      204: { description: 'Signed in: the session and CSRF cookies are set' },
      400: BAD_REQUEST,
      401: error('A wrong or used code (`invalid_credentials`), a session that is invalid, used or expired (`invalid_session`), or the user is cut off'),
      403: error('Posted by a page of an origin that is not allowed (`origin_not_allowed`)'),
      429: TOO_MANY,
      503: UNAVAILABLE,
    },
  },
  'GET /auth/session': {
    summary: 'Who is signed in with this browser session',
    description: 'A browser session only (the `__Host-session` cookie). Refreshes the session\'s Cognito tokens at the gateway when they have expired; when Cognito refuses, the session ends (401).',
    responses: {
      200: {
        description: 'The signed-in user and the session\'s ends',
        schema: z.object({
          sub: z.string(),
          username: z.string(),
          email: z.optional(z.string()),
          roles: z.array(role),
          branches: z.array(z.string()),
          expiresAt: isoTime,
          idleExpiresAt: isoTime,
        }),
      },
      503: UNAVAILABLE,
    },
  },
  'DELETE /auth/session': {
    summary: 'Sign out of the browser session',
    description: 'Needs `X-CSRF-Token`. The cookies are cleared, the session is refused everywhere within the revocation bound, and its Cognito refresh token is revoked.',
    responses: { 204: { description: 'Signed out: both cookies are cleared' }, 503: UNAVAILABLE },
  },
  'GET /products': {
    summary: 'List the catalog, a page at a time',
    query: pageQuery(100, 50, z.string().check(z.maxLength(512))),
    responses: {
      200: { description: 'A page of products', schema: page(product) },
      400: BAD_REQUEST,
      503: UNAVAILABLE,
    },
  },
  'GET /products/{productId}': {
    summary: 'One product',
    params: { productId: ID },
    responses: { 200: { description: 'The product', schema: product }, 400: BAD_REQUEST, 404: NOT_FOUND('product'), 503: UNAVAILABLE },
  },
  'POST /products': {
    summary: 'Add a product to the catalog',
    body: z.strictObject({
      name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
      description: z._default(z.string().check(z.trim(), z.maxLength(2000)), ''),
      priceCents: z.number().check(z.int(), z.gte(0), z.lte(100_000_000)),
      currency: z._default(z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"')), 'EUR'),
    }),
    responses: { 201: { description: 'Created; `location` names it', schema: product }, 400: BAD_REQUEST, 503: UNAVAILABLE },
  },
  'GET /users/me': {
    summary: 'Who the caller is, as the gateway sees them',
    responses: { 200: { description: 'The caller', schema: me }, 503: UNAVAILABLE },
  },
  'GET /users': {
    summary: 'List users with their roles and branches, a page at a time',
    description:
      '`?role=` lists the members of one role; `?branch=` the users who manage that branch. With a filter a page may hold fewer than `limit` users (even none) and still have a `nextToken`: keep the same filters when you follow it.',
    query: z.object({
      ...pageQuery(60, 20, z.string().check(z.minLength(1), z.maxLength(2048))).shape,
      role: described(z.optional(z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` })), 'Only users with this role'),
      branch: described(z.optional(idSchema), 'Only users who manage this branch'),
    }),
    responses: {
      200: { description: 'A page of users', schema: page(directoryUser) },
      400: BAD_REQUEST,
      503: UNAVAILABLE,
    },
  },
  'POST /users/{username}/disable': {
    summary: 'Lock a user out: every token and key refused, no login',
    params: { username: USERNAME },
    responses: { 204: NO_CONTENT, 400: BAD_REQUEST, 404: NOT_FOUND('user'), 503: UNAVAILABLE },
  },
  'POST /users/{username}/enable': {
    summary: 'Allow a disabled user to log in again (old tokens stay refused)',
    params: { username: USERNAME },
    responses: { 204: NO_CONTENT, 400: BAD_REQUEST, 404: NOT_FOUND('user'), 503: UNAVAILABLE },
  },
  'PUT /users/{username}/roles': {
    summary: "Replace a user's roles",
    description: 'Access tokens issued before the change are refused; a refresh brings the new roles.',
    params: { username: USERNAME },
    body: z.strictObject({
      roles: z.array(z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` })).check(z.maxLength(ROLES.length), uniqueItems('a role')),
    }),
    responses: {
      200: { description: 'The roles now', schema: z.object({ username: z.string(), sub: z.string(), roles: z.array(role) }) },
      400: BAD_REQUEST,
      404: NOT_FOUND('user'),
      503: UNAVAILABLE,
    },
  },
  'POST /users': {
    summary: 'Create a user with roles (and, for a branch manager, branches)',
    description:
      'Without `temporaryPassword` Cognito makes one and sends the invitation to the email address. With it, no message is sent: the admin hands the password over. Either way the first login answers a `NEW_PASSWORD_REQUIRED` challenge.',
    body: z.strictObject({
      // The username is the email, as for sign-up: trimmed and lower-cased.
      email: signUpEmail,
      roles: z
        .array(z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }))
        .check(z.minLength(1, 'must name at least one role'), z.maxLength(ROLES.length), uniqueItems('a role')),
      branches: z.optional(branchIds),
      temporaryPassword: z.optional(newPassword),
    }),
    responses: {
      201: { description: 'Created; `location` names it', schema: createdUser },
      400: error('Malformed input, an unknown role or branch, branches for a user who is no branch manager, or a weak password'),
      409: error('A user with this email exists (`user_exists`)'),
      503: UNAVAILABLE,
    },
  },
  'GET /users/{username}': {
    summary: 'One user with roles, branches and state',
    params: { username: USERNAME },
    responses: { 200: { description: 'The user', schema: userDetail }, 400: BAD_REQUEST, 404: NOT_FOUND('user'), 503: UNAVAILABLE },
  },
  'PUT /users/{username}/branches': {
    summary: "Replace the branches a branch manager manages",
    description: 'A branch added opens, and a branch removed closes, within the revocation bound; the user’s API keys follow.',
    params: { username: USERNAME },
    body: z.strictObject({ branches: branchIds }),
    responses: {
      200: { description: 'The branches now', schema: z.object({ username: z.string(), sub: z.string(), branches: z.array(z.string()) }) },
      400: error('Malformed input, an unknown branch (`unknown_branch`), or a user who is no branch manager (`not_a_branch_manager`)'),
      404: NOT_FOUND('user'),
      503: UNAVAILABLE,
    },
  },
  'POST /users/{username}/mfa/reset': {
    summary: "Turn a user's two-factor sign-in off (a lost device); their sessions and API keys end",
    description: 'They log in with their password alone again, and set MFA up anew. An admin cannot reset their own (`DELETE /auth/mfa` with a code).',
    params: { username: USERNAME },
    responses: {
      204: NO_CONTENT,
      400: BAD_REQUEST,
      404: NOT_FOUND('user'),
      409: error('The caller themselves (`cannot_reset_own_mfa`)'),
      503: UNAVAILABLE,
    },
  },
  'DELETE /users/{username}': {
    summary: 'Delete a user: every token and key refused, for good',
    params: { username: USERNAME },
    responses: {
      204: NO_CONTENT,
      400: BAD_REQUEST,
      404: NOT_FOUND('user'),
      409: error('The caller themselves (`cannot_delete_self`) or the last admin (`last_admin`)'),
      503: UNAVAILABLE,
    },
  },
  'POST /branches': {
    summary: 'Create a branch',
    body: z.strictObject({
      branchId: idSchema,
      name: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200), z.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')),
    }),
    responses: {
      201: { description: 'Created; `location` names it', schema: branch },
      400: BAD_REQUEST,
      409: error('A branch with this id exists (`branch_exists`)'),
      503: UNAVAILABLE,
    },
  },
  'GET /branches': {
    summary: 'List branches, a page at a time: an admin every branch, a manager their own',
    query: pageQuery(100, 50, z.string().check(z.maxLength(512))),
    responses: {
      200: { description: 'A page of branches', schema: page(branch) },
      400: BAD_REQUEST,
      503: UNAVAILABLE,
    },
  },
  'GET /branches/{branchId}': {
    summary: 'One branch',
    params: { branchId: ID },
    responses: { 200: { description: 'The branch', schema: branch }, 400: BAD_REQUEST, 404: NOT_FOUND('branch'), 503: UNAVAILABLE },
  },
  'GET /branches/{branchId}/products': {
    summary: "A branch's stock",
    params: { branchId: ID },
    responses: {
      200: {
        description: 'Every product the branch stocks',
        schema: z.object({
          branchId: z.string(),
          items: z.array(z.object({ productId: z.string(), quantity: z.number().check(z.int(), z.gte(0)), updatedAt: isoTime })),
        }),
      },
      400: BAD_REQUEST,
      404: NOT_FOUND('branch'),
      503: UNAVAILABLE,
    },
  },
  'PUT /branches/{branchId}/products/{productId}': {
    summary: "Set a product's stock in a branch",
    params: { branchId: ID, productId: ID },
    body: z.strictObject({
      quantity: z.number().check(z.int('must be an integer'), z.gte(0, 'must be 0 or more'), z.lte(MAX_QUANTITY)),
    }),
    responses: { 200: { description: 'The stock now', schema: stockLevel }, 400: BAD_REQUEST, 404: NOT_FOUND('branch or product'), 503: UNAVAILABLE },
  },
  'POST /branches/{branchId}/products/{productId}/adjustments': {
    summary: "Add to or take from a product's stock in one atomic write",
    description: 'Never below zero: a delta that would take the stock below zero is refused with 409 `insufficient_stock`.',
    params: { branchId: ID, productId: ID },
    body: z.strictObject({
      delta: z
        .number()
        .check(z.int('must be an integer'), z.gte(-MAX_QUANTITY), z.lte(MAX_QUANTITY), z.refine((delta) => delta !== 0, 'must not be 0')),
      reason: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
    }),
    responses: {
      200: { description: 'The stock now', schema: stockLevel },
      400: BAD_REQUEST,
      404: NOT_FOUND('branch or product'),
      409: error('Not enough stock (`insufficient_stock`), or a write in between'),
      503: UNAVAILABLE,
    },
  },
  'POST /api-keys': {
    summary: 'Create a personal API key limited to some scopes',
    description: 'The key is in this answer and nowhere else, ever; only its hash is stored. At most 20 live keys per user.',
    body: z.strictObject({
      name: z
        .string()
        .check(
          z.trim(),
          z.minLength(1, 'must not be empty'),
          z.maxLength(64, 'must be at most 64 characters'),
          z.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
        ),
      scopes: z
        .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }))
        .check(z.minLength(1, 'must name at least one scope'), z.maxLength(SCOPES.length), uniqueItems('a scope')),
      expiresInDays: z._default(
        z
          .number({ error: 'must be a whole number of days' })
          .check(z.int('must be a whole number of days'), z.gte(1, 'must be at least 1'), z.lte(365, 'must be at most 365')),
        DEFAULT_KEY_EXPIRY_DAYS,
      ),
    }),
    responses: {
      201: { description: 'The key, shown this once', schema: z.object({ ...apiKey.shape, key: z.string().check(z.regex(/^gwk_/)) }) },
      400: BAD_REQUEST,
      409: error('The caller already holds 20 live keys (`too_many_api_keys`)'),
      503: UNAVAILABLE,
    },
  },
  'GET /api-keys': {
    summary: "The caller's live keys, without secrets",
    responses: { 200: { description: 'The keys', schema: z.object({ items: z.array(apiKey) }) }, 503: UNAVAILABLE },
  },
  'DELETE /api-keys/{keyId}': {
    summary: 'Revoke one of the caller’s keys',
    params: { keyId: KEY_ID },
    responses: { 204: NO_CONTENT, 400: BAD_REQUEST, 404: NOT_FOUND('key of the caller'), 503: UNAVAILABLE },
  },
  'GET /openapi.json': {
    summary: 'This document',
    responses: { 200: { description: 'The OpenAPI 3.1 document of the gateway', schema: z.looseObject({ openapi: z.string() }) } },
  },
  'GET /docs': {
    summary: 'The API explorer (a web page)',
    responses: { 200: { description: 'The explorer page', contentTypes: ['text/html'] } },
  },
  'GET /docs/{asset}': {
    summary: "The explorer's scripts and styles",
    params: { asset: z.string().check(z.regex(/^[a-z0-9-]+\.(js|css|png)$/)) },
    responses: { 200: { description: 'The file', contentTypes: ['text/javascript', 'text/css', 'image/png'] }, 404: NOT_FOUND('file') },
  },
  'GET /login': {
    summary: 'The browser sign-in page (a web page): signs in for a session cookie, shows the profile, signs out',
    responses: { 200: { description: 'The sign-in page', contentTypes: ['text/html'] } },
  },
} as const satisfies Record<RouteKey, RouteSpec>;

/** What each scope opens, for the resource server and the OpenAPI document. */
export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'profile:read': "Read the caller's profile",
  'catalog:write': 'Add products',
  'inventory:read': "Read a branch's stock",
  'inventory:write': "Change a branch's stock",
  'users:read': 'List users',
};

/**
 * The OpenAPI 3.1 document of the gateway, generated from the route table: the policy half
 * (`lib/policy/route-policy.ts`: who may call what, with which scope) and the API half
 * (`lib/routes/table.ts`: summaries, parameters, bodies, answers). The zod schemas the services
 * validate with become JSON Schema (2020-12, OpenAPI 3.1's dialect) through zod's own
 * `toJSONSchema`: requests as the client sends them (`io: 'input'`), answers as they are sent.
 *
 * `GET /openapi.json` serves it (functions/docs), `tests/unit/openapi.test.ts` lints it with
 * @redocly/cli, and the integration suite checks the running gateway's answers against it.
 */
import { toJSONSchema, type $ZodType } from 'zod/v4/core';
import { ROUTE_POLICY, SCOPES, type Access, type RouteKey, type RouteRule } from '../policy/route-policy';
import { denialSchema, errorSchema, ROUTE_TABLE, SCOPE_DESCRIPTIONS, type ResponseSpec, type RouteSpec } from '../routes/table';
// The named import alone: esbuild puts only this field of package.json into the bundle.
import { version } from '../../package.json';

export interface DocumentOptions {
  /** Where machine clients get tokens (the client-credentials grant): Cognito's `/oauth2/token`. */
  tokenUrl: string;
  /** The Cognito resource server that prefixes the scopes on the wire (`gateway/inventory:read`). */
  resourceServerId: string;
  /** The gateway's base URL; relative to where the document is served by default. */
  serverUrl?: string;
}

type JsonSchema = Record<string, unknown>;
type Json = Record<string, unknown>;

/** JSON Schema of a zod schema, without `$schema` (the document declares the dialect once). */
const jsonSchema = (schema: $ZodType, io: 'input' | 'output'): JsonSchema => {
  // `unrepresentable: 'any'`: a transform (`?limit=` parsed to a number) is documented by its input.
  const { $schema: _dialect, ...rest } = toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const DENIAL_REF = { $ref: '#/components/schemas/Denial' };

const TAGS: Record<RouteRule['service'], string> = {
  health: 'Liveness',
  auth: 'Log in, refresh, log out',
  catalog: 'The product catalog',
  users: "Who the caller is, and user administration",
  inventory: 'Stock per branch',
  keys: 'Personal API keys',
  docs: 'This document and the API explorer',
};

/** Who may call a route, in words, for the operation's description. */
const whoMay = (access: Access): string => {
  switch (access.kind) {
    case 'public':
      return 'Public: no credentials.';
    case 'signed-in':
      return 'Any signed-in user.';
    case 'roles':
      return `Roles: ${access.roles.map((role) => `\`${role}\``).join(', ')}.`;
    case 'branch':
      return `Roles: ${access.roles.map((role) => `\`${role}\``).join(', ')}; or a \`branch-manager\` who manages the branch \`{${access.param}}\`.`;
  }
};

/** `GET /branches/{branchId}/products` → `getBranchesBranchIdProducts`. */
const operationId = (routeKey: string): string => {
  const [method, path] = routeKey.split(' ') as [string, string];
  const words = path
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return method.toLowerCase() + words.join('');
};

const responseObject = (spec: ResponseSpec): Json => {
  if (spec.schema === errorSchema) return { description: spec.description, content: { 'application/json': { schema: ERROR_REF } } };
  if (spec.schema) return { description: spec.description, content: { 'application/json': { schema: jsonSchema(spec.schema, 'output') } } };
  if (spec.contentTypes) return { description: spec.description, content: Object.fromEntries(spec.contentTypes.map((type) => [type, {}])) };
  return { description: spec.description };
};

const operation = (routeKey: RouteKey, rule: RouteRule, spec: RouteSpec, options: DocumentOptions): Json => {
  const parameters: Json[] = Object.entries(spec.params ?? {}).map(([name, schema]) => ({
    name,
    in: 'path',
    required: true,
    schema: jsonSchema(schema, 'input'),
  }));
  if (spec.query) {
    const query = jsonSchema(spec.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
    }
  }

  const isPublic = rule.access.kind === 'public';
  const delegation = isPublic
    ? ''
    : rule.scope
      ? ` API keys and machine clients need the scope \`${rule.scope}\`.`
      : " Users' own tokens only: no API key or machine client.";

  const responses: Record<string, Json> = {};
  for (const [status, response] of Object.entries(spec.responses)) responses[status] = responseObject(response);
  if (!isPublic) {
    responses['401'] ??= { description: 'Missing, malformed, expired or revoked credentials', content: { 'application/json': { schema: DENIAL_REF } } };
    responses['403'] = {
      description: 'The caller may not do this (on AWS, also invalid credentials: an HTTP API authorizer cannot answer 401)',
      content: { 'application/json': { schema: DENIAL_REF } },
    };
  }
  responses['429'] = { description: "Too many requests (the HTTP API stage's throttling)", content: { 'application/json': { schema: DENIAL_REF } } };

  const body = spec.body as $ZodType | undefined;
  const requestBody = body && {
    // A body the schema accepts as absent (`POST /auth/logout`) is optional.
    required: !(spec.body as { safeParse(input: unknown): { success: boolean } }).safeParse(undefined).success,
    content: { 'application/json': { schema: jsonSchema(body, 'input') } },
  };

  return {
    operationId: operationId(routeKey),
    tags: [rule.service],
    summary: spec.summary,
    description: [spec.description, `${whoMay(rule.access)}${delegation}`].filter(Boolean).join('\n\n'),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
    security: isPublic
      ? []
      : rule.only === 'session'
        ? [{ session: [] }]
        : [
            { bearer: [] },
            ...(rule.scope ? [{ machineClient: [`${options.resourceServerId}/${rule.scope}`] }] : []),
            ...(rule.only === 'token' ? [] : [{ session: [] }]),
          ],
  };
};

export const openApiDocument = (options: DocumentOptions): Json => {
  const paths: Record<string, Record<string, Json>> = {};
  for (const [routeKey, rule] of Object.entries(ROUTE_POLICY) as [RouteKey, RouteRule][]) {
    const [method, path] = routeKey.split(' ') as [string, string];
    (paths[path] ??= {})[method.toLowerCase()] = operation(routeKey, rule, ROUTE_TABLE[routeKey], options);
  }
  const services = [...new Set(Object.values(ROUTE_POLICY).map((rule: RouteRule) => rule.service))];
  return {
    openapi: '3.1.0',
    info: {
      title: 'serverless-api-gateway',
      version,
      description:
        'An API gateway on AWS API Gateway (HTTP API) with a Lambda authorizer in front of every protected route. ' +
        'Send `Authorization: Bearer <access token>` (from `POST /auth/login`), a personal API key (`gwk_...`, from `POST /api-keys`), ' +
        "or a machine client's client-credentials token. Errors are `{\"error\", \"message\", \"details\"?}`.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.serverUrl ?? '/', description: 'This gateway' }],
    tags: services.map((service) => ({ name: service, description: TAGS[service] })),
    paths,
    components: {
      schemas: {
        Error: jsonSchema(errorSchema, 'output'),
        Denial: jsonSchema(denialSchema, 'output'),
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A Cognito access token (JWT) from `POST /auth/login`, or a personal API key (`gwk_...`).',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: '__Host-session',
          description: 'A browser session from `POST /auth/session` (or the `/login` page); POST, PUT, PATCH and DELETE also need its `X-CSRF-Token`.',
        },
        machineClient: {
          type: 'oauth2',
          description: "A machine client's access token (Cognito client-credentials grant); its scopes open routes.",
          flows: {
            clientCredentials: {
              tokenUrl: options.tokenUrl,
              scopes: Object.fromEntries(SCOPES.map((scope) => [`${options.resourceServerId}/${scope}`, SCOPE_DESCRIPTIONS[scope]])),
            },
          },
        },
      },
    },
  };
};

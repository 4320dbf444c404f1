/**
 * The route table's two halves and the services: every route has both halves (the type checker
 * sees to that; this checks it at run time too), and each service validates each of its routes
 * with the table's schemas, not schemas of its own, so that what the OpenAPI document says is
 * what the service checks.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROUTE_POLICY, type RouteRule } from '../../lib/policy/route-policy';
import { ROUTE_TABLE, type RouteSpec } from '../../lib/routes/table';
import { httpApiEvents } from '../../lib/routes/serverless';

const ROOT = path.resolve(__dirname, '..', '..');
/** Services whose routes go through createHttpService (docs serves files and the document itself). */
const HTTP_SERVICES = ['health', 'auth', 'catalog', 'users', 'inventory', 'keys'] as const;

describe('the route table', () => {
  it('has both halves for every route: the policy and the API description', () => {
    assert.deepEqual(Object.keys(ROUTE_TABLE).sort(), Object.keys(ROUTE_POLICY).sort());
  });

  it('gives serverless.yml one httpApi event per route of a service, behind the authorizer unless public', () => {
    for (const [routeKey, rule] of Object.entries(ROUTE_POLICY) as [string, RouteRule][]) {
      const [method, route] = routeKey.split(' ');
      const event = httpApiEvents(rule.service).find((e) => e.httpApi.method === method && e.httpApi.path === route);
      assert.ok(event, routeKey);
      assert.deepEqual(event.httpApi.authorizer, rule.access.kind === 'public' ? undefined : { name: 'gatewayAuthorizer' }, routeKey);
    }
  });

  it("is the README's route table: the same routes, each with its service", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Routes and roles'), readme.indexOf('Roles are the Cognito groups'));
    const listed = new Map<string, string>();
    for (const row of section.split('\n').filter((line) => /^\| `/.test(line))) {
      const [routes = '', service = ''] = row.split('|').slice(1).map((cell) => cell.trim());
      for (const [, routeKey] of routes.matchAll(/`([A-Z]+ \/[^`]*)`/g)) listed.set(routeKey!, service);
    }
    assert.deepEqual([...listed.keys()].sort(), Object.keys(ROUTE_POLICY).sort());
    for (const [routeKey, rule] of Object.entries(ROUTE_POLICY) as [string, RouteRule][]) assert.equal(listed.get(routeKey), rule.service, routeKey);
  });

  for (const service of HTTP_SERVICES) {
    it(`is where ${service}'s body and query schemas come from: the service defines none and passes each route the table's`, () => {
      const file = ['service.ts', 'handler.ts'].map((name) => path.join('functions', service, name)).find((name) => existsSync(path.join(ROOT, name)))!;
      const source = readFileSync(path.join(ROOT, file), 'utf8');
      assert.doesNotMatch(source, /from 'zod(\/mini)?'/, `${file} imports zod: its schemas belong in lib/routes/table.ts`);
      const routes = (Object.entries(ROUTE_POLICY) as [keyof typeof ROUTE_TABLE, RouteRule][]).filter(([, rule]) => rule.service === service);
      for (const [routeKey] of routes) {
        const start = source.indexOf(`'${routeKey}': `);
        assert.ok(start >= 0, `${file} has no handler for ${routeKey}`);
        const next = source.slice(start + 1).search(/\n {4}'[A-Z]+ \//);
        const block = next === -1 ? source.slice(start) : source.slice(start, start + 1 + next);
        const spec: RouteSpec = ROUTE_TABLE[routeKey];
        for (const part of ['body', 'query'] as const) {
          const passes = block.includes(`${part}: ROUTE_TABLE['${routeKey}'].${part}`);
          // The route's own properties (six spaces in), not the `body` of a reply.
          const other = new RegExp(`^ {6}${part}: `, 'm').test(block);
          assert.equal(passes, spec[part] !== undefined, `${routeKey}: the table ${spec[part] ? 'has' : 'has no'} ${part} schema; the service ${passes ? 'passes it' : 'does not pass it'}`);
          assert.equal(other, passes, `${routeKey}: the service passes a ${part} schema that is not the table's`);
        }
      }
    });
  }
});

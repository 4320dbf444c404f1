/**
 * Wiring of the docs service. It needs no AWS client: the route table is in its bundle, and
 * swagger-ui's files are in its package (serverless.yml `package.patterns`, kept under
 * `node_modules/swagger-ui-dist/`, where Node's resolution finds them both on Lambda, next to the
 * bundle, and under serverless-offline, in the project's node_modules).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { docsConfig } from '../../lib/config';
import { createDocsService } from './service';

const swaggerUiDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

export const handler = createDocsService({
  document: docsConfig(),
  swaggerUi: (name) => {
    try {
      return readFileSync(path.join(swaggerUiDir, path.basename(name)));
    } catch {
      return undefined;
    }
  },
});

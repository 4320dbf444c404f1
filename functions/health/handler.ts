/** `GET /health`: liveness of the gateway itself. Public, cheap, touches no dependency. */
import { createHttpService, publicRoute } from '../../lib/http/service';
import { createLogger } from '../../lib/observability';

export const handler = createHttpService('health', createLogger('health'), {
  'GET /health': publicRoute({
    handle: () => Promise.resolve({ body: { status: 'ok' } }),
  }),
});

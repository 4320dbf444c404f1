/** Wiring of the keys service: configuration and clients, built once per container. */
import { createDocumentClient } from '../../lib/aws';
import { apiKeyConfig, dataConfig } from '../../lib/config';
import { createApiKeyRing } from '../../lib/access/api-keys';
import { createDynamoAccessStore } from '../../lib/access/store';
import { createKeysService } from './service';

const data = dataConfig();
export const handler = createKeysService({
  accessStore: createDynamoAccessStore(createDocumentClient(data), data),
  apiKeys: createApiKeyRing(apiKeyConfig().macKeys),
});

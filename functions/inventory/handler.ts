/** Wiring of the inventory service: configuration and clients, built once per container. */
import { createDocumentClient } from '../../lib/aws';
import { dataConfig } from '../../lib/config';
import { createInventoryService } from './service';
import { createDynamoInventoryStore } from './store';

const data = dataConfig();
export const handler = createInventoryService({
  inventory: createDynamoInventoryStore(createDocumentClient(data), data.tables),
});

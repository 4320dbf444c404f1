/** Wiring of the inventory service: configuration and clients, built once per container. */
import { createDocumentClient } from '../../lib/aws';
import { dataConfig } from '../../lib/config';
import { createInventoryService } from './service';
import { createDynamoInventoryStore } from './store';
import { createDynamoBranchStore } from '../../lib/branches/store';

const data = dataConfig();
const documents = createDocumentClient(data);
export const handler = createInventoryService({
  inventory: createDynamoInventoryStore(documents, data.tables),
  branches: createDynamoBranchStore(documents, data.tables.branches),
});

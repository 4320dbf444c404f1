/** Wiring of the catalog service: configuration and clients, built once per container. */
import { createDocumentClient } from '../../lib/aws';
import { dataConfig } from '../../lib/config';
import { createCatalogService } from './service';
import { createDynamoProductStore } from './store';

const data = dataConfig();
export const handler = createCatalogService({
  products: createDynamoProductStore(createDocumentClient(data), data.tables.products),
});

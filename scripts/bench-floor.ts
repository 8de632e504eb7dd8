/**
 * The read floor for `npm run bench`: the same pages a backup fetches, with the same concurrency,
 * thrown away. Prints one JSON line {ms, items}. The backup's overhead is measured against this.
 */
import { parseArgs } from 'node:util';
import { N8nHttpClient } from '../functions/adapters/n8n-http-client.js';
import { mapOrdered } from '../functions/core/async-iterables.js';

const { values } = parseArgs({
  options: { url: { type: 'string' }, concurrency: { type: 'string', default: '4' } },
});
const api = new N8nHttpClient({
  baseUrl: values.url ?? '',
  apiKey: process.env.BENCH_API_KEY ?? '',
  concurrency: Number(values.concurrency),
});

let items = 0;
async function drain(list: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of list) items += 1;
}

const started = performance.now();
await drain(api.listUsers());
const projectIds: string[] = [];
for await (const project of api.listProjects()) {
  projectIds.push(project.id);
  items += 1;
  await drain(api.listProjectMembers(project.id));
}
await drain(api.listTags());
await drain(api.listVariables());
await drain(api.listCredentials());
const tableIds: string[] = [];
for await (const table of api.listDataTables()) {
  tableIds.push(table.id);
  items += 1;
}
for (const id of tableIds) await drain(api.listDataTableRows(id));
await drain(
  mapOrdered(api.listWorkflows(), 8, async (workflow) =>
    'description' in workflow && 'parentFolderId' in workflow ? workflow : api.getWorkflow(workflow.id),
  ),
);
for (const id of projectIds) await drain(api.listFolders(id));
console.log(JSON.stringify({ ms: performance.now() - started, items }));

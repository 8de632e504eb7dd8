/**
 * The write floor for `npm run bench`: the creates a restore of the archive makes — tags,
 * credentials, data tables, row batches of 250, workflows — with the same concurrency, and nothing
 * else (no planning, no reference passes, no activation). Prints one JSON line {ms, requests}.
 */
import { parseArgs } from 'node:util';
import { FolderArchiveStore } from '../functions/adapters/folder-store.js';
import { N8nHttpClient } from '../functions/adapters/n8n-http-client.js';
import { openZipArchive } from '../functions/adapters/zip-archive-reader.js';
import { openArchiveAt } from '../functions/core/archive-access.js';
import { ENTRY } from '../functions/core/archive-format.js';
import { chunks, mapOrdered } from '../functions/core/async-iterables.js';
import type {
  CredentialMeta,
  DataTable,
  DataTableRow,
  JsonObject,
  Tag,
  Workflow,
} from '../functions/core/n8n-types.js';
import { placeholderCredentialData, toWorkflowWrite } from '../functions/core/restore-apply.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    archive: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
  },
});
const concurrency = Number(values.concurrency);
const api = new N8nHttpClient({
  baseUrl: values.url ?? '',
  apiKey: process.env.BENCH_API_KEY ?? '',
  concurrency,
});
const archive = await openArchiveAt(new FolderArchiveStore('.'), values.archive ?? '', openZipArchive);
let requests = 0;
const drain = async <T>(items: AsyncIterable<T>) => {
  for await (const _ of items) requests += 1;
};

const started = performance.now();
await drain(mapOrdered(archive.records<Tag>(ENTRY.tags), concurrency, (t) => api.createTag(t.name)));
const schemas = new Map<string, Promise<unknown>>();
await drain(
  mapOrdered(archive.records<CredentialMeta>(ENTRY.credentials), concurrency, async (c) => {
    if (!schemas.has(c.type))
      schemas.set(
        c.type,
        api.getCredentialSchema(c.type).catch(() => ({})),
      );
    const data = placeholderCredentialData((await schemas.get(c.type)) as JsonObject);
    return api.createCredential({ id: c.id, name: c.name, type: c.type, data });
  }),
);
const tableIds = new Map<string, string>();
for await (const table of archive.records<DataTable>(ENTRY.dataTables)) {
  const created = await api.createDataTable({
    name: table.name,
    columns: table.columns.map((c) => ({ name: c.name, type: c.type })),
  });
  tableIds.set(table.id, created.id);
  requests += 1;
}
for (const entry of archive.entriesOf('dataTableRows')) {
  const target = tableIds.get(entry.dataTableId ?? '') ?? '';
  for await (const batch of chunks(archive.records<DataTableRow>(entry.name), 250)) {
    const rows: DataTableRow[] = [];
    for await (const { id: _id, createdAt: _c, updatedAt: _u, ...row } of batch) rows.push(row);
    await api.insertDataTableRows(target, rows);
    requests += 1;
  }
}
await drain(
  mapOrdered(archive.records<Workflow>(ENTRY.workflows), concurrency, (w) =>
    api.createWorkflow(toWorkflowWrite(w).body),
  ),
);
await archive.close();
console.log(JSON.stringify({ ms: performance.now() - started, requests }));

/**
 * The write floor for `npm run bench`: the writes any restore of the archive must make through n8n's
 * Public API — tags, credentials, data tables, row batches of the restore's default size (DEFAULT_ROW_BATCH), and per workflow its create plus
 * the calls n8n allows no other way (description PUT, tags PUT, archive, publish) — with the same
 * concurrency, and nothing else (no reading of the target, no planning, no ledger, no reference
 * rewriting). Prints one JSON line {ms, requests}.
 */
import { parseArgs } from 'node:util';
import { FolderArchiveStore } from '../functions/adapters/folder-store.js';
import { createN8nClient } from '../functions/adapters/n8n/index.js';
import { openZipArchive } from '../functions/adapters/zip-archive-reader.js';
import { openArchiveAt } from '../functions/core/archive/access.js';
import { ENTRY } from '../functions/core/archive/entries.js';
import { chunks, mapOrdered } from '../functions/core/async-iterables.js';
import { placeholderCredentialData } from '../functions/core/kinds/credentials/stub-data.js';
import { toWorkflowWrite } from '../functions/core/kinds/workflows/write-body.js';
import type {
  CredentialMeta,
  DataTable,
  DataTableRow,
  JsonObject,
  Tag,
  Workflow,
} from '../functions/core/n8n-types.js';
import { DEFAULT_ROW_BATCH } from '../functions/core/restore/apply.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    archive: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
  },
});
const concurrency = Number(values.concurrency);
const api = createN8nClient({
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
const tagIds = new Map<string, string>();
await drain(
  mapOrdered(archive.records<Tag>(ENTRY.tags), concurrency, async (t) => {
    tagIds.set(t.id, (await api.createTag(t.name)).id);
  }),
);
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
const phases: Record<string, number> = {};
let phaseStart = started;
const phase = (name: string) => {
  const now = performance.now();
  phases[name] = Math.round(now - phaseStart);
  phaseStart = now;
};
phase('tagsAndCredentials');
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
  for await (const batch of chunks(archive.records<DataTableRow>(entry.name), DEFAULT_ROW_BATCH)) {
    const rows: DataTableRow[] = [];
    for await (const { id: _id, createdAt: _c, updatedAt: _u, ...row } of batch) rows.push(row);
    await api.insertDataTableRows(target, rows);
    requests += 1;
  }
}
phase('dataTablesAndRows');
// Per workflow, the writes n8n's API leaves no way around: the create; a PUT for the description
// (POST refuses it); a PUT of its tags (read-only on create); archiving; publishing the active ones
// once all exist. References are not rewritten, so some publishes fail: the request is still made.
const active: string[] = [];
await drain(
  mapOrdered(archive.records<Workflow>(ENTRY.workflows), concurrency, async (w) => {
    const { body } = toWorkflowWrite(w);
    const created = await api.createWorkflow(body);
    if (w.description) {
      await api.updateWorkflow(created.id, { ...body, description: w.description });
      requests += 1;
    }
    const tags = (w.tags ?? []).flatMap((t) => tagIds.get(t.id) ?? []);
    if (tags.length > 0) {
      await api.setWorkflowTags(created.id, tags);
      requests += 1;
    }
    if (w.isArchived) {
      await api.archiveWorkflow(created.id);
      requests += 1;
    } else if (w.active) active.push(created.id);
  }),
);
phase('workflows');
await drain(
  mapOrdered(
    (async function* () {
      yield* active;
    })(),
    concurrency,
    (id) => api.publishWorkflow(id).catch(() => undefined),
  ),
);
phase('publishing');
await archive.close();
console.log(JSON.stringify({ ms: performance.now() - started, requests, phases }));

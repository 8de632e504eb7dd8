/**
 * The read floor for `npm run bench` (and the full-read floor of `npm run bench:real`): the same
 * pages a full backup fetches, with the same concurrency, thrown away: every listing, each page's
 * package export (the folders), one GET per workflow, its history list (newest 10) and a GET of
 * each of those versions the listing does not carry (the draft's and the published version's
 * graph are in the listing, so no read can be needed for them). Prints one JSON line {ms, items}.
 * The backup's overhead is measured against this. `--only listing`: the listing floor an incremental backup is
 * measured against, every listing and export but no per-workflow read (the floor no backup through
 * the Public API can go under); `--only workflow-gets`: one GET per workflow at concurrency 8 and
 * nothing else (what reading each workflow alone costs). Both for `npm run bench:real` too.
 */
import { parseArgs } from 'node:util';
import { createN8nClient } from '../functions/adapters/n8n/index.js';
import { batches, mapOrdered, pagesOf } from '../functions/core/async-iterables.js';
import { FeatureNotLicensedError } from '../functions/core/errors.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    only: { type: 'string', default: 'all' },
  },
});
const api = createN8nClient({
  baseUrl: values.url ?? '',
  apiKey: process.env.BENCH_API_KEY ?? '',
  concurrency: Number(values.concurrency),
});

let items = 0;
/**
 * Reads a listing to the end, a page at a time where it is paged (as the backup reads it); an
 * unlicensed resource is skipped, as the backup skips it.
 */
async function drain(
  list: AsyncIterable<unknown>,
  onItem: (item: unknown) => void = () => {},
): Promise<void> {
  try {
    for await (const page of pagesOf(list)) {
      items += page.length;
      for (const item of page) onItem(item);
    }
  } catch (error) {
    if (!(error instanceof FeatureNotLicensedError)) throw error;
  }
}

const started = performance.now();
if (values.only === 'workflow-gets') {
  const ids: string[] = [];
  for await (const w of api.listWorkflows({ excludePinnedData: true })) ids.push(w.id);
  const gets = performance.now();
  const each = async function* () {
    yield* ids;
  };
  await drain(mapOrdered(each(), 8, (id) => api.getWorkflow(id)));
  console.log(JSON.stringify({ ms: performance.now() - gets, items }));
  process.exit(0);
}
await drain(api.listUsers());
const projectIds: string[] = [];
await drain(api.listProjects(), (project) => projectIds.push((project as { id: string }).id));
for (const id of projectIds) await drain(api.listProjectMembers(id));
await drain(api.listTags());
await drain(api.listVariables());
await drain(api.listCredentials());
const tableIds: string[] = [];
await drain(api.listDataTables(), (table) => tableIds.push((table as { id: string }).id));
for (const id of tableIds) await drain(api.listDataTableRows(id));
const workflowIds: string[] = [];
/** The versions whose graph the listing carries: the draft's and the published one's. */
const listedVersions = new Set<string>();
for await (const page of batches(api.listWorkflows({ excludePinnedData: true }), 250)) {
  items += page.length;
  await api.workflowFolders(page.map((w) => w.id));
  for (const workflow of page) {
    workflowIds.push(workflow.id);
    if (workflow.versionId) listedVersions.add(workflow.versionId);
    const active = workflow.activeVersion as { versionId?: string } | null | undefined;
    if (active?.versionId) listedVersions.add(active.versionId);
  }
}
if (values.only !== 'listing') {
  const each = async function* () {
    yield* workflowIds;
  };
  await drain(mapOrdered(each(), 8, (id) => api.getWorkflow(id)));
  await drain(
    mapOrdered(each(), 8, async (id) => {
      const versions = await api.latestWorkflowVersions(id, 10);
      for (const version of versions)
        if (!listedVersions.has(version.versionId)) await api.getWorkflowVersion(id, version.versionId);
      return versions;
    }),
  );
}
for (const id of projectIds) await drain(api.listFolders(id));
console.log(JSON.stringify({ ms: performance.now() - started, items }));

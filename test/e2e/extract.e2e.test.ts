/**
 * `extract` against real n8n 2.41.1: a workflow extracted from an archive is imported back into the
 * instance through POST /workflows with the file's content (what importing a file amounts to; meta is
 * the one field the Public API will not take) and compares equal to the archive's workflow by
 * `diff`'s canonical form; a data table's rows come out as CSV, one line per row.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderArchiveStore } from '../../functions/adapters/folder-store.js';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../functions/core/archive/access.js';
import { ENTRY } from '../../functions/core/archive/entries.js';
import { IMPORTED_FIELDS } from '../../functions/core/archive/extract.js';
import { archiveSnapshot, diffOneWorkflow, liveSnapshot } from '../../functions/core/diff/index.js';
import type { Workflow, WorkflowWrite } from '../../functions/core/n8n-types.js';
import { cli } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';
import { type SeedResult, seedRealN8n } from './harness/seed-real.js';

let n8n: RealN8n;
let seed: SeedResult;
let store: string;
let archive: string;

beforeAll(async () => {
  n8n = await startN8n('extract');
  seed = await seedRealN8n(n8n.url, n8n.apiKey, { rows: 120 });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-extract-'));
  const run = await cli(
    [
      'backup',
      '--url',
      n8n.url,
      '--api-key-env',
      'ARK_E2E_KEY',
      '--store',
      store,
      '--instance',
      'x',
      '--json',
    ],
    { ARK_E2E_KEY: n8n.apiKey },
  );
  expect(run.code, run.stderr).toBe(0);
  archive = (JSON.parse(run.stdout) as { archive: string }).archive;
}, 300_000);

afterAll(async () => {
  await n8n?.stop();
  if (store) await rm(store, { recursive: true, force: true });
});

describe('n8n-ark extract against real n8n', () => {
  it('an extracted workflow imports into n8n and equals the archived one', async () => {
    const out = join(store, 'workflows');
    // The parent calls a sub-workflow (both forms), uses credentials and a data table, has an error workflow.
    const run = await cli(['extract', archive, '--workflow', seed.workflows.parent as string, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const [file] = await readdir(out);
    const body = JSON.parse(await readFile(join(out, file as string), 'utf8')) as Record<string, unknown>;
    const api = createN8nClient({ baseUrl: n8n.url, apiKey: n8n.apiKey });

    const { meta: _meta, ...postable } = body;
    const imported = await api.createWorkflow(postable as unknown as WorkflowWrite);

    const opened = await openArchiveAt(new FolderArchiveStore(store), archive, openZipArchive);
    try {
      let archived: Workflow | undefined;
      for await (const w of opened.records<Workflow>(ENTRY.workflows))
        if (w.id === seed.workflows.parent) archived = w;
      if (!archived) throw new Error('the archive lacks the parent workflow');
      const differences = await diffOneWorkflow(
        { side: archiveSnapshot(opened, archive), workflow: archived },
        { side: liveSnapshot(api), workflow: await api.getWorkflow(imported.id) },
        IMPORTED_FIELDS,
      );
      expect(imported.id).not.toBe(archived.id);
      expect(differences).toEqual([]);
      expect(archived.nodes.length).toBeGreaterThan(2);
    } finally {
      await opened.close();
    }
  });

  it("a data table's rows come out as CSV, a header and one line per row", async () => {
    const out = join(store, 'tables');
    const run = await cli(['extract', archive, '--data-table', 'customers', '--format', 'csv', '--out', out]);

    expect(run.code, run.stderr).toBe(0);
    const text = await readFile(join(out, 'customers.csv'), 'utf8');
    const lines = text.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('id,email,score,vip,since,createdAt,updatedAt');
    expect(lines).toHaveLength(seed.rows + 1);
  });
});

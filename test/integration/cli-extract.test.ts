/**
 * `n8n-ark extract` over a real archive of the API double: workflows come out as files n8n imports
 * (posted back through POST /workflows, they compare equal to the archive's by `diff`'s canonical
 * form), under safe and distinct file names; a saved version; a data table as CSV and JSON; and a
 * damaged archive or an existing file writes nothing.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderArchiveStore } from '../../functions/adapters/folder-store.js';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../functions/core/archive/access.js';
import { ENTRY } from '../../functions/core/archive/entries.js';
import { IMPORTED_FIELDS, safeBaseName } from '../../functions/core/archive/extract.js';
import { archiveSnapshot, diffOneWorkflow, liveSnapshot } from '../../functions/core/diff/index.js';
import type { Workflow, WorkflowWrite } from '../../functions/core/n8n-types.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, type CliRun, runCapturedCli } from './support/run-cli.js';

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCapturedCli(args, env);

let source: N8nDouble;
let store: string;
let out: string;

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all' });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-extract-'));
  out = join(store, 'out');
});
afterEach(async () => {
  await source.close();
  await rm(store, { recursive: true, force: true });
});

async function backup(): Promise<string> {
  const run = await cli(backupArgs(source.url, store, '--json'), { SOURCE_KEY: source.apiKey });
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { archive: string }).archive;
}

async function archivedWorkflows(archive: string): Promise<Workflow[]> {
  const opened = await openArchiveAt(new FolderArchiveStore(store), archive, openZipArchive);
  const all: Workflow[] = [];
  for await (const w of opened.records<Workflow>(ENTRY.workflows)) all.push(w);
  await opened.close();
  return all;
}

/** The richest live workflow: the most nodes (sub-workflow calls, credentials, data tables). */
function richest(): Workflow & { versionId: string } {
  const live = [...source.state.workflows.values()].filter((w) => !w.isArchived);
  const [top] = live.sort((a, b) => b.nodes.length - a.nodes.length);
  if (!top) throw new Error('the seed made no workflow');
  return top as unknown as Workflow & { versionId: string };
}

describe('n8n-ark extract --workflow', () => {
  it('writes a file that POST /workflows takes, and the imported workflow equals the archived one', async () => {
    seedInstance(source.state, { workflows: 12, rowsTotal: 40 });
    const chosen = richest();
    const archive = await backup();

    const run = await cli(['extract', archive, '--workflow', chosen.id, '--out', out]);

    expect(run.code, run.stderr).toBe(0);
    const files = await readdir(out);
    expect(files).toHaveLength(1);
    const body = JSON.parse(await readFile(join(out, files[0] as string), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining(['name', 'nodes', 'connections', 'settings', 'pinData']),
    );
    for (const key of ['id', 'versionId', 'active', 'createdAt', 'updatedAt', 'tags', 'shared'])
      expect(body).not.toHaveProperty(key);
    const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
    const { meta: _meta, ...postable } = body; // meta is read-only in the Public API (the editor keeps it)
    const imported = await api.createWorkflow(postable as unknown as WorkflowWrite);
    expect(imported.id).not.toBe(chosen.id);
    const archived = (await archivedWorkflows(archive)).find((w) => w.id === chosen.id) as Workflow;
    const opened = await openArchiveAt(new FolderArchiveStore(store), archive, openZipArchive);
    const differences = await diffOneWorkflow(
      { side: archiveSnapshot(opened, archive), workflow: archived },
      { side: liveSnapshot(api), workflow: await api.getWorkflow(imported.id) },
      IMPORTED_FIELDS,
    );
    await opened.close();
    expect(differences).toEqual([]);
    expect(archived.nodes.length).toBeGreaterThan(2);
  });

  it('gives every matched workflow its own safe file: hostile and repeated names stay inside --out', async () => {
    seedInstance(source.state, { workflows: 4 });
    const [a, b, c] = [...source.state.workflows.values()];
    if (!a || !b || !c) throw new Error('the seed made too few workflows');
    source.state.updateWorkflow(a, { ...a, name: 'Report: ../../etc/passwd' });
    source.state.updateWorkflow(b, { ...b, name: 'Report: ../../etc/passwd' });
    source.state.updateWorkflow(c, { ...c, name: 'report: ../../ETC/PASSWD' });
    const archive = await backup();

    const run = await cli(['extract', archive, '--workflow', 'report:*', '--out', out]);

    expect(run.code, run.stderr).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files).toHaveLength(3);
    expect(new Set(files.map((f) => f.toLowerCase())).size).toBe(3);
    for (const file of files) expect(file).toMatch(/^report_ \.\._\.\._etc_passwd.*\.json$/i);
    expect(await readdir(store)).toEqual(expect.arrayContaining(['out', 'prod']));
    const names = await Promise.all(
      files.map(async (f) => (JSON.parse(await readFile(join(out, f), 'utf8')) as { name: string }).name),
    );
    expect(names.sort()).toEqual([
      'Report: ../../etc/passwd',
      'Report: ../../etc/passwd',
      'report: ../../ETC/PASSWD',
    ]);
  });

  it('writes every workflow of 30 with hostile names, long ones shortened with their id, 0600 in a 0700 folder', async () => {
    // Prepare: 480-byte names that begin alike, and names of every awkward kind
    seedInstance(source.state, { workflows: 30 });
    const hostile = ['../../etc/passwd', 'CON', '.hidden', 'a\u0000b', '🛠'.repeat(60), 'x'.repeat(300)];
    for (const [i, workflow] of [...source.state.workflows.values()].entries())
      source.state.updateWorkflow(workflow, {
        ...workflow,
        name: i < 24 ? `${'é'.repeat(238)} #${i}` : (hostile[i - 24] as string),
      });
    const archive = await backup();

    // Act
    const run = await cli(['extract', archive, '--workflow', '*', '--out', join(out, 'deep', 'er')]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const folder = join(out, 'deep', 'er');
    const files = await readdir(folder);
    expect(files).toHaveLength(30);
    expect(new Set(files.map((f) => f.toLowerCase())).size).toBe(30);
    for (const file of files) {
      expect(Buffer.byteLength(file)).toBeLessThanOrEqual(255);
      expect((await stat(join(folder, file))).mode & 0o777).toBe(0o600);
    }
    const long = files.filter((f) => f.startsWith('é'));
    expect(long).toHaveLength(24);
    for (const file of long) expect(file).toMatch(/^é+ \([A-Za-z0-9]+\)\.json$/);
    for (const made of [out, join(out, 'deep'), folder]) expect((await stat(made)).mode & 0o777).toBe(0o700);
  });

  it('refuses --out naming a file, or a folder inside one, writing nothing', async () => {
    seedInstance(source.state, { workflows: 2 });
    const archive = await backup();
    const file = join(store, 'a-file');
    await writeFile(file, 'mine');

    const named = await cli(['extract', archive, '--workflow', '*', '--out', file]);
    const inside = await cli(['extract', archive, '--workflow', '*', '--out', join(file, 'sub')]);

    for (const run of [named, inside]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^error: --out ".+" is a file, or inside one, not a folder; nothing was written/,
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(await readFile(file, 'utf8')).toBe('mine');
  });

  it('--version writes that saved version of the workflow; an unknown one is refused', async () => {
    seedInstance(source.state, { workflows: 2 });
    const workflow = richest();
    const noOp = (name: string) => ({
      name,
      type: 'n8n-nodes-base.noOp',
      typeVersion: 1,
      position: [400, 0],
      parameters: {},
    });
    source.state.updateWorkflow(
      workflow as never,
      { ...workflow, nodes: [...workflow.nodes, noOp('Sooner')] } as never,
    );
    const first = { versionId: workflow.versionId, nodes: structuredClone(workflow.nodes) };
    source.state.updateWorkflow(
      workflow as never,
      { ...workflow, nodes: [...workflow.nodes, noOp('Later')] } as never,
    );
    const archive = await backup();

    const run = await cli([
      'extract',
      archive,
      '--workflow',
      workflow.name,
      '--version',
      first.versionId,
      '--out',
      out,
    ]);
    const unknown = await cli([
      'extract',
      archive,
      '--workflow',
      workflow.id,
      '--version',
      'nope',
      '--out',
      out,
    ]);

    expect(run.code, run.stderr).toBe(0);
    const [file] = await readdir(out);
    expect(file).toContain(first.versionId);
    const body = JSON.parse(await readFile(join(out, file as string), 'utf8')) as {
      nodes: { name: string }[];
    };
    expect(body.nodes.map((n) => n.name)).toEqual(first.nodes.map((n) => n.name));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--version "nope": the archive holds no such version/);
  });

  it('refuses a damaged archive before reading it, and an existing file, writing nothing', async () => {
    seedInstance(source.state, { workflows: 2 });
    const archive = await backup();
    const [workflow] = await archivedWorkflows(archive);
    const mine = `${safeBaseName(workflow?.name ?? '')}.json`;
    const bytes = await readFile(archive);
    const damaged = join(store, 'damaged.zip');
    // Inside the workflows entry's compressed bytes (its local header comes first in the file):
    // a flip in a header field the reader never uses would leave the content whole.
    const at = bytes.indexOf(Buffer.from('workflows.ndjson')) + 'workflows.ndjson'.length + 40;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    await writeFile(damaged, bytes);
    await mkdir(out);
    await writeFile(join(out, mine), 'mine');

    const corrupt = await cli(['extract', damaged, '--workflow', '*', '--out', join(store, 'elsewhere')]);
    const existing = await cli(['extract', archive, '--workflow', '*', '--out', out]);
    const nothing = await cli(['extract', archive, '--workflow', 'no such workflow', '--out', out]);

    expect(corrupt.code).toBe(4);
    expect(corrupt.stderr).toMatch(/failed verification, nothing was extracted/);
    expect(await readdir(store)).not.toContain('elsewhere');
    expect(existing.code).toBe(2);
    expect(existing.stderr).toMatch(/already exists; nothing was written/);
    expect(await readdir(out)).toEqual([mine]);
    expect(await readFile(join(out, mine), 'utf8')).toBe('mine');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/--workflow "no such workflow": the archive has no workflow/);
  });
});

describe('n8n-ark extract --data-table', () => {
  it('writes the rows as RFC 4180 CSV and as a JSON array', async () => {
    const table = source.state.createDataTable({
      name: 'Customers/EU',
      columns: [
        { name: 'name', type: 'string' },
        { name: 'score', type: 'number' },
      ],
    });
    source.state.insertRows(table, [
      { name: 'Plain', score: 1 },
      { name: 'Comma, "quoted"\nand a line break', score: 2.5 },
      { name: null, score: null },
    ]);
    const archive = await backup();

    const csv = await cli(['extract', archive, '--data-table', 'Customers/EU', '--out', out]);
    const json = await cli(['extract', archive, '--data-table', table.id, '--format', 'json', '--out', out]);

    expect(csv.code, csv.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['Customers_EU.csv', 'Customers_EU.json']);
    const text = await readFile(join(out, 'Customers_EU.csv'), 'utf8');
    const [r1, r2, r3] = table.rows;
    expect(text).toBe(
      'id,name,score,createdAt,updatedAt\r\n' +
        `1,Plain,1,${r1?.createdAt},${r1?.updatedAt}\r\n` +
        `2,"Comma, ""quoted""\nand a line break",2.5,${r2?.createdAt},${r2?.updatedAt}\r\n` +
        `3,,,${r3?.createdAt},${r3?.updatedAt}\r\n`,
    );
    const rows = JSON.parse(await readFile(join(out, 'Customers_EU.json'), 'utf8')) as unknown[];
    expect(rows).toEqual(
      table.rows.map((r) => ({ id: r.id, ...r.values, createdAt: r.createdAt, updatedAt: r.updatedAt })),
    );
  });
});

describe('n8n-ark inspect --workflows / --contents', () => {
  /** What the double holds, as inspect should list it. */
  function expectedWorkflows() {
    return [...source.state.workflows.values()].map((w) => ({
      id: w.id,
      name: w.name,
      project: source.state.projects.get(w.projectId)?.name ?? null,
      tags: w.tagIds.map((id) => source.state.tags.get(id)?.name ?? '').sort(),
      active: w.active,
      archived: w.isArchived,
    }));
  }
  type Row = ReturnType<typeof expectedWorkflows>[number] & { folder: string | null; updatedAt: string };
  const comparable = (rows: Row[]) =>
    rows.map(({ folder: _f, updatedAt: _u, ...rest }) => rest).sort((a, b) => a.id.localeCompare(b.id));
  const sorted = (rows: ReturnType<typeof expectedWorkflows>) =>
    rows.sort((a, b) => a.id.localeCompare(b.id));

  it('lists every workflow by name with project, tags, active state and update time, and filters like restore', async () => {
    seedInstance(source.state, { workflows: 16, rowsTotal: 30 });
    const archive = await backup();
    const all = expectedWorkflows();
    const tag = all.flatMap((w) => w.tags)[0] as string;
    const project = all.find((w) => w.project !== null)?.project as string;

    const listed = await cli(['inspect', archive, '--workflows', '--json']);
    const byTag = await cli(['inspect', archive, '--workflows', '--tag', tag, '--json']);
    const byGlob = await cli([
      'inspect',
      archive,
      '--workflows',
      '--workflow',
      '*a*',
      '--project',
      project,
      '--json',
    ]);
    const text = await cli(['inspect', archive, '--workflows']);
    const unknown = await cli(['inspect', archive, '--workflows', '--project', 'No such project']);

    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as Row[];
    expect(comparable(rows)).toEqual(sorted(all));
    expect(rows.every((r) => !Number.isNaN(Date.parse(r.updatedAt)))).toBe(true);
    expect(comparable(JSON.parse(byTag.stdout) as Row[])).toEqual(
      sorted(all.filter((w) => w.tags.includes(tag))),
    );
    expect(comparable(JSON.parse(byGlob.stdout) as Row[])).toEqual(
      sorted(all.filter((w) => w.project === project && /a/i.test(w.name))),
    );
    expect(text.stdout.split('\n')[0]).toMatch(
      /^workflow\s+project\s+folder\s+tags\s+active\s+updated\s+id$/,
    );
    expect(text.stdout.split('\n').length).toBe(all.length + 3);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--project "No such project": the archive has no such project \(it has "/);
  });

  it('--contents lists every kind by name: projects, folders, tags, credentials, data tables with their rows, variable keys', async () => {
    const seeded = seedInstance(source.state, { workflows: 6, rowsTotal: 30 });
    const archive = await backup();

    const json = await cli(['inspect', archive, '--contents', '--json']);
    const text = await cli(['inspect', archive, '--contents']);

    expect(json.code, json.stderr).toBe(0);
    const contents = JSON.parse(json.stdout) as Record<string, { name?: string; rows?: number }[]>;
    expect(contents.workflows).toHaveLength(seeded.workflows);
    expect(contents.projects).toHaveLength(seeded.projects);
    expect(contents.tags?.map((t) => t.name).sort()).toEqual(
      [...source.state.tags.values()].map((t) => t.name).sort(),
    );
    expect(contents.credentials).toHaveLength(seeded.credentials);
    expect(contents.variables).toHaveLength(seeded.variables);
    expect(contents.folders).toHaveLength(seeded.folders);
    expect(contents.dataTables?.reduce((n, t) => n + (t.rows ?? 0), 0)).toBe(seeded.dataTableRows);
    expect(JSON.stringify(contents.variables)).not.toMatch(/"value"/);
    for (const heading of [
      'Workflows',
      'Projects',
      'Folders',
      'Tags',
      'Credentials',
      'Data tables',
      'Variables',
    ])
      expect(text.stdout).toMatch(new RegExp(`^${heading}.* \\(\\d+\\)$`, 'm'));
  });
});

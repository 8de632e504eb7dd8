/**
 * Backups through the CLI against the API double: each workflow's folder learnt from n8n's package
 * export and restored (nested two deep, in a mapped project), and the incremental backup — the
 * default when the store holds a previous archive of the instance — equal to a full one of the
 * same state while reading only the workflows that changed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderArchiveStore } from '../../functions/adapters/folder-store.js';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../functions/core/archive/access.js';
import { ENTRY } from '../../functions/core/archive/entries.js';
import type { Manifest } from '../../functions/core/archive/format.js';
import type { Workflow, WorkflowWrite } from '../../functions/core/n8n-types.js';
import { ALL_SCOPES } from '../double/scopes.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import type { DoubleState } from '../double/state.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

let source: N8nDouble;
let target: N8nDouble;
let store: string;

beforeEach(async () => {
  [source, target] = await Promise.all([
    startN8nDouble({ licensed: 'all' }),
    startN8nDouble({ licensed: 'all' }),
  ]);
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-incremental-'));
});
afterEach(async () => {
  await Promise.all([source.close(), target.close()]);
  await rm(store, { recursive: true, force: true });
});

function body(name: string, marker = name): WorkflowWrite {
  return {
    name,
    nodes: [
      {
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
      {
        name: 'Mark',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [200, 0],
        parameters: { marker },
      },
    ],
    connections: { Start: { main: [[{ node: 'Mark', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

async function backup(
  ...flags: string[]
): Promise<{ archive: string; manifest: Manifest; requests: string[] }> {
  const before = source.requests.length;
  const run = await runCapturedCli(backupArgs(source.url, store, '--json', ...flags), {
    SOURCE_KEY: source.apiKey,
  });
  expect(run.code, run.stderr).toBe(0);
  const requests = source.requests.slice(before).map((r) => `${r.method} ${r.path}`);
  const { archive } = JSON.parse(run.stdout) as { archive: string };
  const opened = await openArchiveAt(new FolderArchiveStore(store), archive, openZipArchive);
  const manifest = opened.manifest;
  await opened.close();
  return { archive, manifest, requests };
}

async function entry<T>(archive: string, name: string): Promise<T[]> {
  const opened = await openArchiveAt(new FolderArchiveStore(store), archive, openZipArchive);
  try {
    const records: T[] = [];
    for await (const record of opened.records<T>(name)) records.push(record);
    return records;
  } finally {
    await opened.close();
  }
}

/** "Project / Folder / Sub" for a workflow of the double's state. */
function placeOf(state: DoubleState, workflowName: string): string {
  const workflow = [...state.workflows.values()].find((w) => w.name === workflowName);
  if (!workflow) return '(missing)';
  const path: string[] = [];
  for (let id = workflow.parentFolderId; id; id = state.folders.get(id)?.parentFolderId ?? null)
    path.unshift(state.folders.get(id)?.name ?? `?${id}`);
  return [state.projects.get(workflow.projectId)?.name, ...path].join(' / ');
}

describe('folder placement', () => {
  it('records each workflow folder from the package export and restores it two levels deep into a mapped project', async () => {
    const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
    const ops = await api.createProject('Ops');
    const top = await api.createFolder(ops.id, { name: 'Top' });
    const sub = await api.createFolder(ops.id, { name: 'Sub', parentFolderId: top.id });
    await api.createWorkflow({ ...body('In sub'), projectId: ops.id, parentFolderId: sub.id });
    await api.createWorkflow({ ...body('In top'), projectId: ops.id, parentFolderId: top.id });
    await api.createWorkflow({ ...body('At root'), projectId: ops.id });
    const targetApi = createN8nClient({ baseUrl: target.url, apiKey: target.apiKey });
    await targetApi.createProject('Runbooks');

    const { archive, manifest } = await backup();
    const restored = await runCapturedCli(
      restoreArgs(archive, target.url, '--json', '--project-map', 'Ops=Runbooks'),
      {
        TARGET_KEY: target.apiKey,
      },
    );

    const folders = new Map(
      (await entry<Workflow>(archive, ENTRY.workflows)).map((w) => [w.name, w.parentFolderId]),
    );
    expect(folders).toEqual(
      new Map([
        ['In sub', sub.id],
        ['In top', top.id],
        ['At root', null],
      ]),
    );
    expect(manifest.skipped.map((s) => s.resource)).not.toContain('workflowFolders');
    expect(restored.code, restored.stderr).toBe(0);
    expect(placeOf(target.state, 'In sub')).toBe('Runbooks / Top / Sub');
    expect(placeOf(target.state, 'In top')).toBe('Runbooks / Top');
    expect(placeOf(target.state, 'At root')).toBe('Runbooks');
  });

  it('says in the manifest that folders are unknown when the key may not export', async () => {
    const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
    await api.createWorkflow(body('Orders'));
    source.addApiKey(
      'no-export',
      ALL_SCOPES.filter((scope) => scope !== 'workflow:export'),
    );

    const run = await runCapturedCli(backupArgs(source.url, store, '--json', '--history', '0'), {
      SOURCE_KEY: 'no-export',
    });

    expect(run.code, run.stderr).toBe(0);
    const { skipped, archive } = JSON.parse(run.stdout) as { skipped: Manifest['skipped']; archive: string };
    expect(skipped).toContainEqual({
      resource: 'workflowFolders',
      reason: expect.stringMatching(/workflow:export.*restore puts them at their project's root/),
    });
    const [workflow] = await entry<Workflow>(archive, ENTRY.workflows);
    expect(workflow).not.toHaveProperty('parentFolderId');
  });
});

describe('incremental backup', () => {
  it('after 3 descriptions, 1 graph and 1 deletion changed, equals a full backup and reads only the 4 changed workflows', async () => {
    const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
    const ids: string[] = [];
    for (let n = 1; n <= 12; n += 1) ids.push((await api.createWorkflow(body(`Flow ${n}`))).id);
    const first = await backup();
    const [d1, d2, d3, graph, gone] = ids as [string, string, string, string, string];
    for (const id of [d1, d2, d3])
      await api.updateWorkflow(id, { ...body((await api.getWorkflow(id)).name), description: `about ${id}` });
    await api.updateWorkflow(graph, body('Flow 4', 'changed'));
    await api.deleteWorkflow(gone);

    const incremental = await backup();
    const full = await backup('--full');

    expect(await entry(incremental.archive, ENTRY.workflows)).toEqual(
      await entry(full.archive, ENTRY.workflows),
    );
    expect(await entry(incremental.archive, ENTRY.workflowHistory)).toEqual(
      await entry(full.archive, ENTRY.workflowHistory),
    );
    expect(incremental.manifest.counts).toEqual(full.manifest.counts);
    const diff = await runCapturedCli(['diff', incremental.archive, full.archive], {});
    expect(diff.code, diff.stdout).toBe(0);
    const changed = [d1, d2, d3, graph].sort();
    const perWorkflow = (pattern: RegExp) =>
      incremental.requests.flatMap((r) => pattern.exec(r)?.[1] ?? []).sort();
    expect(perWorkflow(/^GET \/workflows\/([^/]+)$/)).toEqual(changed);
    expect(perWorkflow(/^GET \/workflows\/([^/]+)\/history$/)).toEqual(changed);
    // A version the listing carries (the draft's, the published one's) is built from it, not read:
    // of the changed workflows' two versions each (the PUTs' nodes had no ids, so n8n gave them
    // new ones: a new graph) a full backup asks only for the older one.
    const listedVersions = new Set(
      (await entry<Workflow>(full.archive, ENTRY.workflows)).flatMap((w) => [
        w.versionId,
        w.activeVersionId as string | null,
      ]),
    );
    const versionsOfChanged = (
      await entry<{ workflowId: string; versionId: string }>(full.archive, ENTRY.workflowHistory)
    ).filter((v) => changed.includes(v.workflowId));
    expect(versionsOfChanged).toHaveLength(8);
    const versionReads = (requests: string[]) =>
      requests.filter((r) => /^GET \/workflows\/[^/]+\/versions\/[^/]+$/.test(r));
    expect(versionReads(full.requests)).toEqual(
      versionsOfChanged
        .filter((v) => !listedVersions.has(v.versionId))
        .map((v) => `GET /workflows/${v.workflowId}/versions/${v.versionId}`),
    );
    expect(versionReads(full.requests)).toHaveLength(4);
    // The incremental backup reads none: the older versions are in the previous archive (a saved
    // version never changes), the newer ones in the listing.
    expect(versionReads(incremental.requests)).toEqual([]);
    expect(incremental.manifest.incremental).toEqual({
      previousArchive: first.archive,
      workflowsReused: 7,
      versionsReused: 7,
    });
    expect(full.manifest.incremental).toBeUndefined();
    expect(perWorkflow(/^GET \/workflows\/([^/]+)$/)).toHaveLength(4);
    expect(full.requests.filter((r) => /^GET \/workflows\/[^/]+$/.test(r))).toHaveLength(11);
  });

  it('reuses nothing from a previous archive that does not verify, and says so', async () => {
    const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
    await api.createWorkflow(body('Orders'));
    const first = await backup();
    const { readFile, writeFile } = await import('node:fs/promises');
    const bytes = await readFile(first.archive);
    // A byte of workflows.ndjson's stored data flipped: its digest no longer matches.
    const at = bytes.indexOf(Buffer.from('workflows.ndjson')) + 40;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    await writeFile(first.archive, bytes);

    const second = await backup();

    expect(second.manifest.incremental).toBeUndefined();
    expect(second.manifest.warnings).toContainEqual(
      expect.objectContaining({ code: 'previous-archive-unusable' }),
    );
    expect(second.requests.filter((r) => /^GET \/workflows\/[^/]+$/.test(r))).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { openArchive } from '../../functions/core/archive/format.js';
import { runBackup } from '../../functions/core/backup/run.js';
import { BackupIncompleteError, N8nApiError } from '../../functions/core/errors.js';
import type { Workflow } from '../../functions/core/n8n-types.js';
import type { N8nApi } from '../../functions/core/ports.js';
import { backupDeps } from './backup-deps.js';
import { memoryN8nHolding, workflow } from './fakes/n8n-contents.js';
import { InMemoryArchiveStore, openInMemoryArchive } from './support/in-memory-archive.js';

const clock = { now: () => new Date('2026-11-22T01:00:00.000Z') };

function deps(api: N8nApi, store = new InMemoryArchiveStore()) {
  return backupDeps(api, store, clock);
}

async function readBack(store: InMemoryArchiveStore, location: string) {
  return openArchive(await openInMemoryArchive(await store.open(location)));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

const executeWorkflowNode = (name: string, target: string) => ({
  name,
  type: 'n8n-nodes-base.executeWorkflow',
  parameters: { workflowId: { __rl: true, value: target, mode: 'id' } },
});

describe('runBackup', () => {
  it('records the n8n version the source states', async () => {
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({ workflows: [workflow('w1', 'Orders')], n8nVersion: '2.41.1' });

    const result = await runBackup(deps(api, store), { instance: 'prod' });
    const archive = await readBack(store, result.archive.location);

    expect(archive.manifest.source).toEqual({
      url: 'http://n8n.test',
      instance: 'prod',
      n8nVersion: '2.41.1',
    });
  });

  it('records a null version with the reason when the source cannot tell it', async () => {
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders')],
      n8nVersion: '2.41.1',
      missingScopes: ['workflow:export'],
    });

    const result = await runBackup(deps(api, store), { instance: 'prod' });
    const archive = await readBack(store, result.archive.location);

    expect(archive.manifest.source).toMatchObject({
      n8nVersion: null,
      n8nVersionNote: 'fake: the key lacks workflow:export',
    });
  });

  it('writes every resource into the archive with counts that match the instance', async () => {
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders'), workflow('w2', 'Invoices', { active: true })],
      tags: [{ id: 't1', name: 'prod' }],
      variables: [{ id: 'v1', key: 'REGION', value: 'eu' }],
      dataTables: [
        { id: 'd1', name: 'customers', columns: [{ id: 'c1', name: 'email', type: 'string', index: 0 }] },
      ],
      rows: {
        d1: [
          { id: 1, email: 'a@example.com' },
          { id: 2, email: 'b@example.com' },
        ],
      },
      credentials: [{ id: 'c1', name: 'Slack', type: 'slackApi' }],
      projects: [{ id: 'p1', name: 'Ops', type: 'team' }],
      members: { p1: [{ id: 'u1', email: 'ops@example.com', role: 'project:admin' }] },
      folders: { p1: [{ id: 'f1', name: 'Billing', parentFolderId: null, projectId: 'p1' }] },
      users: [{ id: 'u1', email: 'ops@example.com' }],
      n8nVersion: '2.41.1',
    });

    const result = await runBackup(deps(api, store), { instance: 'prod' });

    expect(result.manifest.counts).toEqual({
      users: 1,
      projects: 1,
      tags: 1,
      variables: 1,
      credentials: 1,
      dataTables: 1,
      dataTableRows: 2,
      workflows: 2,
      workflowHistory: 2,
      folders: 1,
    });
    expect(result.manifest.skipped).toEqual([]);
    expect(result.archive.location).toBe('mem://prod/2026-11-22T01:00:00.000Z');
    const archive = await readBack(store, result.archive.location);
    const projects = await collect(archive.records<{ name: string; members: unknown[] }>('projects.ndjson'));
    expect(projects).toEqual([
      expect.objectContaining({
        name: 'Ops',
        members: [expect.objectContaining({ email: 'ops@example.com' })],
      }),
    ]);
    const workflows = await collect(archive.records<Workflow>('workflows.ndjson'));
    expect(workflows.map((w) => w.name)).toEqual(['Orders', 'Invoices']);
    expect((await archive.verify()).ok).toBe(true);
  });

  it('records unlicensed resources as skipped with the licence reason instead of failing', async () => {
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders')],
      variables: [{ id: 'v1', key: 'REGION', value: 'eu' }],
      unlicensed: ['feat:variables', 'feat:projectRole:admin'],
      n8nVersion: '2.41.1',
    });

    const { manifest } = await runBackup(deps(api), { instance: 'community' });

    expect(manifest.skipped).toEqual([
      expect.objectContaining({ resource: 'projects', feature: 'feat:projectRole:admin' }),
      expect.objectContaining({ resource: 'variables', feature: 'feat:variables' }),
    ]);
    expect(manifest.skipped[1]?.reason).toMatch(/needs a licence for feat:variables/);
    expect(manifest.counts.variables).toBeUndefined();
    expect(manifest.counts.workflows).toBe(1);
  });

  it('fails, publishing nothing, when the key may not read kinds, naming each kind and the scope n8n wants', async () => {
    // Prepare
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders')],
      credentials: [{ id: 'c1', name: 'Slack', type: 'slackApi' }],
      missingScopes: ['credential:list', 'dataTable:list'],
    });

    // Act
    const failure = await runBackup(deps(api, store), { instance: 'x' }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(BackupIncompleteError);
    expect((failure as BackupIncompleteError).exitCode).toBe(6);
    expect((failure as Error).message).toMatch(
      /may not read credentials \(n8n wants credential:list\), dataTables \(n8n wants dataTable:list\).*--exclude credentials,dataTables/,
    );
    expect(store.archives.size).toBe(0);
  });

  it('fails naming dataTableRows when the key may list tables but not read their rows', async () => {
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders')],
      dataTables: [{ id: 'd1', name: 'customers', columns: [] }],
      rows: { d1: [{ id: 1 }] },
      missingScopes: ['dataTableRow:read'],
    });

    await expect(runBackup(deps(api), { instance: 'x' })).rejects.toThrow(
      /may not read dataTableRows \(n8n wants dataTableRow:read\)/,
    );
  });

  it('leaves excluded kinds unread and records them as excluded with who asked; an unlicensed one stays skipped', async () => {
    // Prepare
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders')],
      unlicensed: ['feat:variables'],
      missingScopes: ['credential:list'],
    });
    const listed: string[] = [];
    const listCredentials = api.listCredentials.bind(api);
    api.listCredentials = () => {
      listed.push('credentials');
      return listCredentials();
    };

    // Act
    const { manifest } = await runBackup(deps(api, store), {
      instance: 'x',
      exclude: { resources: ['credentials'], askedBy: 'n8n-ark backup --exclude, run by ana' },
    });

    // Assess
    expect(manifest.excluded).toEqual([
      { resource: 'credentials', askedBy: 'n8n-ark backup --exclude, run by ana' },
    ]);
    expect(manifest.skipped).toContainEqual(expect.objectContaining({ resource: 'variables' }));
    expect(manifest.skipped.map((s) => s.resource)).not.toContain('credentials');
    expect(manifest.counts.credentials).toBeUndefined();
    expect(manifest.entries.map((e) => e.resource)).not.toContain('credentials');
    expect(listed).toEqual([]);
    expect(store.archives.size).toBe(1);
  });

  it('fails when workflows cannot be read, and leaves nothing in the store', async () => {
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({ missingScopes: ['workflow:list'] });

    await expect(runBackup(deps(api, store), { instance: 'x' })).rejects.toThrow(/workflow:list/);
    expect(store.archives.size).toBe(0);
    expect(store.failures).toBe(1);
  });

  it('aborts the upload when n8n fails mid-way, so no partial archive is stored', async () => {
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({ workflows: [workflow('w1', 'a')] });
    api.listDataTables = async function* () {
      yield { id: 'd1', name: 't', columns: [] };
      throw new N8nApiError('n8n answered 500', { status: 500, method: 'GET', path: '/data-tables' });
    };

    await expect(runBackup(deps(api, store), { instance: 'x' })).rejects.toThrow(/500/);
    expect(store.archives.size).toBe(0);
  });

  it('lists dangling workflow, credential and data-table references by workflow and node name', async () => {
    const api = memoryN8nHolding({
      credentials: [{ id: 'c1', name: 'Slack', type: 'slackApi' }],
      workflows: [
        workflow('w1', 'Caller', {
          nodes: [
            executeWorkflowNode('Call child', 'w2'),
            executeWorkflowNode('Call ghost', '${undefined}'),
            {
              name: 'Post',
              type: 'n8n-nodes-base.slack',
              parameters: {},
              credentials: { slackApi: { id: 'c-missing', name: 'Old Slack' } },
            },
            {
              name: 'Lookup',
              type: 'n8n-nodes-base.dataTable',
              parameters: { dataTableId: { __rl: true, value: 'd-missing', mode: 'id' } },
            },
          ],
          settings: { errorWorkflow: 'w-gone' },
        }),
        workflow('w2', 'Child'),
      ],
    });

    const { manifest } = await runBackup(deps(api), { instance: 'x' });

    const byNode = manifest.warnings.map((w) => [w.workflow?.name, w.node ?? null, w.code]);
    expect(byNode).toEqual(
      expect.arrayContaining([
        ['Caller', 'Call ghost', 'dangling-reference'],
        ['Caller', 'Post', 'dangling-reference'],
        ['Caller', 'Lookup', 'dangling-reference'],
        ['Caller', null, 'dangling-reference'],
      ]),
    );
    expect(manifest.warnings).toHaveLength(4);
    expect(manifest.warnings.some((w) => w.node === 'Call child')).toBe(false);
    const ghost = manifest.warnings.find((w) => w.node === 'Call ghost');
    expect(ghost?.message).toBe(
      'workflow "Caller" node "Call ghost" refers to no workflow (the reference is empty)',
    );
    expect(manifest.warnings.find((w) => w.node === 'Post')?.message).toBe(
      'workflow "Caller" node "Post" refers to credential (slackApi) "c-missing", which does not exist in this instance',
    );
  });

  it("lists workflows without pinned data and takes each one's pinned data from its own GET", async () => {
    // Prepare: a list that carries pinned data only when asked to
    const pinData = { 'On a schedule': [{ json: { at: 'midnight' } }] };
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Pinned', { pinData }), workflow('w2', 'Plain')],
    });

    // Act
    const result = await runBackup(deps(api, store), { instance: 'x' });

    // Assess
    const archive = await readBack(store, result.archive.location);
    const workflows = await collect(archive.records<Workflow>('workflows.ndjson'));
    expect(workflows.map((w) => [w.name, w.pinData])).toEqual([
      ['Pinned', pinData],
      ['Plain', undefined],
    ]);
    expect(api.detailGets).toBe(2);
  });

  it('records a workflow saved between its listing and its GET whole from the GET: one saved version', async () => {
    // Prepare: a save of w1 lands after the listing, just before its GET
    const store = new InMemoryArchiveStore();
    const stamp = (rev: number) => ({ name: 'Stamp', type: 'n8n-nodes-base.noOp', parameters: { rev } });
    const api = memoryN8nHolding({
      workflows: [
        workflow('w1', 'Orders rev 1', {
          description: 'rev 1',
          nodes: [stamp(1)],
          versionId: 'version-rev-1',
          updatedAt: '2026-11-22T00:00:00.000Z',
        }),
        workflow('w2', 'Plain'),
      ],
    });
    const get = api.getWorkflow.bind(api);
    let savedBetween = false;
    api.getWorkflow = async (id) => {
      const stored = api.workflows.find((w) => w.id === id);
      if (stored && id === 'w1' && !savedBetween) {
        savedBetween = true;
        // What a PUT saves: the name, the description, a new graph under a new versionId, updatedAt.
        Object.assign(stored, {
          name: 'Orders rev 2',
          description: 'rev 2',
          nodes: [stamp(2)],
          versionId: 'version-rev-2',
          updatedAt: '2026-11-22T00:59:59.000Z',
        });
      }
      return get(id);
    };

    // Act
    const result = await runBackup(deps(api, store), { instance: 'x' });

    // Assess: name, description, nodes, versionId and updatedAt all of rev 2
    const archive = await readBack(store, result.archive.location);
    const workflows = await collect(archive.records<Workflow>('workflows.ndjson'));
    const record = workflows.find((w) => w.id === 'w1') as Workflow;
    const now = await get('w1');
    expect(savedBetween).toBe(true);
    expect([record.name, record.description, record.nodes, record.versionId, record.updatedAt]).toEqual([
      'Orders rev 2',
      'rev 2',
      [stamp(2)],
      'version-rev-2',
      now.updatedAt,
    ]);
    expect(workflows.find((w) => w.id === 'w2')?.name).toBe('Plain');
  });

  it('splits data-table rows into chunked entries tied to their table', async () => {
    const store = new InMemoryArchiveStore();
    const rows = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, n: i }));
    const api = memoryN8nHolding({
      workflows: [],
      dataTables: [{ id: 'd1', name: 't', columns: [{ id: 'c', name: 'n', type: 'number', index: 0 }] }],
      rows: { d1: rows },
    });

    const { manifest, archive } = await runBackup(deps(api, store), { instance: 'x', rowsPerChunk: 10 }).then(
      (r) => ({ manifest: r.manifest, archive: r.archive }),
    );

    const rowEntries = manifest.entries.filter((e) => e.resource === 'dataTableRows');
    expect(rowEntries.map((e) => [e.records, e.dataTableId])).toEqual([
      [10, 'd1'],
      [10, 'd1'],
      [5, 'd1'],
    ]);
    const opened = await readBack(store, archive.location);
    const back = [];
    for (const entry of rowEntries) back.push(...(await collect(opened.records(entry.name))));
    expect(back).toEqual(rows);
  });
});

import { describe, expect, it } from 'vitest';
import { checkArchiveContent } from '../../functions/core/archive/check.js';
import { openArchive } from '../../functions/core/archive/format.js';
import { runBackup } from '../../functions/core/backup/run.js';
import { NotFoundError } from '../../functions/core/errors.js';
import type { WorkflowVersion } from '../../functions/core/n8n-types.js';
import type { N8nApi } from '../../functions/core/ports.js';
import { backupDeps } from './backup-deps.js';
import { memoryN8nHolding, ownedWorkflows, workflow } from './fakes/n8n-contents.js';
import { InMemoryArchiveStore, openInMemoryArchive } from './support/in-memory-archive.js';

const clock = { now: () => new Date('2026-11-29T01:00:00.000Z') };

function deps(api: N8nApi, store = new InMemoryArchiveStore()) {
  return backupDeps(api, store, clock);
}

async function backUp(api: N8nApi, history?: number) {
  const store = new InMemoryArchiveStore();
  const result = await runBackup(deps(api, store), {
    instance: 'prod',
    ...(history !== undefined ? { history } : {}),
  });
  const archive = await openArchive(await openInMemoryArchive(await store.open(result.archive.location)));
  return { manifest: result.manifest, archive };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** `count` versions of a workflow, newest first, each moving its one node. */
function versions(workflowId: string, count: number): WorkflowVersion[] {
  return Array.from({ length: count }, (_, i) => {
    const n = count - i;
    const at = new Date(Date.UTC(2026, 10, 28, 0, n)).toISOString();
    return {
      versionId: `${workflowId}-v${n}`,
      workflowId,
      authors: 'Olga Owner',
      name: n === 1 ? 'first release' : null,
      description: null,
      createdAt: at,
      updatedAt: at,
      nodes: [
        { name: 'Start', type: 'n8n-nodes-base.manualTrigger', parameters: {}, position: [n * 100, 0] },
      ],
      connections: {},
      nodeGroups: [],
    };
  });
}

describe('backup of workflow version history', () => {
  it('keeps the newest N versions of each workflow, graph and all, counted in the manifest', async () => {
    const api = memoryN8nHolding({
      ...ownedWorkflows(workflow('w1', 'Orders'), workflow('w2', 'Invoices')),
      history: { w1: versions('w1', 14), w2: versions('w2', 3) },
    });

    const { manifest, archive } = await backUp(api);

    const records = await collect(archive.records<WorkflowVersion>('workflow-history.ndjson'));
    expect(records.map((r) => r.versionId)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `w1-v${14 - i}`),
      'w2-v3',
      'w2-v2',
      'w2-v1',
    ]);
    expect(records.at(-1)).toMatchObject({
      workflowId: 'w2',
      authors: 'Olga Owner',
      name: 'first release',
      createdAt: '2026-11-28T00:01:00.000Z',
      nodes: [{ name: 'Start', position: [100, 0] }],
      connections: {},
    });
    expect(manifest.counts.workflowHistory).toBe(13);
    expect(manifest.entries.find((e) => e.name === 'workflow-history.ndjson')).toMatchObject({
      resource: 'workflowHistory',
      records: 13,
    });
    expect(await checkArchiveContent(archive)).toEqual([]);
  });

  it('keeps as many versions as asked, and none at all with 0: no entry, no count', async () => {
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders')],
      history: { w1: versions('w1', 5) },
      n8nVersion: '2.41.1',
    });

    const two = await backUp(api, 2);
    const none = await backUp(api, 0);

    expect(two.manifest.counts.workflowHistory).toBe(2);
    expect(none.manifest.counts).not.toHaveProperty('workflowHistory');
    expect(none.manifest.entries.map((e) => e.name)).not.toContain('workflow-history.ndjson');
    expect(none.manifest.skipped).toEqual([]);
  });

  it('records history as skipped, naming the scope, when the key may not read it', async () => {
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders')],
      missingScopes: ['workflow:read'],
      n8nVersion: '2.41.1',
    });

    const { manifest } = await backUp(api);

    expect(manifest.skipped).toEqual([
      {
        resource: 'workflowHistory',
        scope: 'workflow:read',
        reason: 'the API key lacks the workflow:read scope to read workflowHistory',
      },
    ]);
    expect(manifest.counts).not.toHaveProperty('workflowHistory');
  });

  it('records history as skipped when the n8n has no history route (404 for a workflow it has)', async () => {
    const api = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders')],
      noHistoryRoute: true,
      n8nVersion: '2.41.1',
    });

    const { manifest } = await backUp(api);

    expect(manifest.skipped).toHaveLength(1);
    expect(manifest.skipped[0]).toMatchObject({ resource: 'workflowHistory' });
    expect(manifest.skipped[0]?.reason).toMatch(/no version history in its Public API/);
  });

  it('passes over a workflow deleted after it was written, and a version pruned between list and read', async () => {
    const fake = memoryN8nHolding({
      workflows: [workflow('w1', 'Orders'), workflow('w2', 'Gone')],
      history: { w1: versions('w1', 3) },
    });
    const gone = () => new NotFoundError('Not Found', { status: 404, method: 'GET', path: '/workflows/w2' });
    let deleted = false;
    const read = {
      versions: fake.latestWorkflowVersions.bind(fake),
      workflow: fake.getWorkflow.bind(fake),
      version: fake.getWorkflowVersion.bind(fake),
    };
    const api: N8nApi = Object.assign(fake, {
      latestWorkflowVersions: async (id: string, count: number) => {
        deleted = true;
        if (id === 'w2') throw gone();
        return read.versions(id, count);
      },
      getWorkflow: async (id: string) => {
        if (id === 'w2' && deleted) throw gone();
        return read.workflow(id);
      },
      getWorkflowVersion: async (id: string, versionId: string) => {
        if (versionId === 'w1-v2')
          throw new NotFoundError('Version not found', { status: 404, method: 'GET', path: '' });
        return read.version(id, versionId);
      },
    });
    // w2 is deleted once workflows are written: the backup has it, its history is gone.
    const { manifest, archive } = await backUp(api);

    const records = await collect(archive.records<WorkflowVersion>('workflow-history.ndjson'));
    expect(records.map((r) => r.versionId)).toEqual(['w1-v3', 'w1-v1']);
    expect(manifest.counts.workflowHistory).toBe(2);
  });
});

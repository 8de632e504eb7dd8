/**
 * What an incremental backup takes from the previous archive, on the in-memory n8n: a workflow's
 * detail and saved versions only while its marks (versionId, updatedAt, published version,
 * shares) are unchanged, and versions only when the previous archive kept at least as many.
 */
import { describe, expect, it } from 'vitest';
import { runBackup } from '../../functions/core/backup/run.js';
import type { Workflow, WorkflowVersion } from '../../functions/core/n8n-types.js';
import { backupDeps } from './backup-deps.js';
import { memoryN8nHolding, workflow } from './fakes/n8n-contents.js';
import { InMemoryArchiveStore, openInMemoryArchive } from './support/in-memory-archive.js';

function versions(workflowId: string, count: number): WorkflowVersion[] {
  return Array.from({ length: count }, (_, i) => ({
    versionId: `${workflowId}-v${count - i}`,
    workflowId,
    authors: 'Olga Owner',
    name: null,
    description: null,
    createdAt: '2026-11-28T00:00:00.000Z',
    updatedAt: '2026-11-28T00:00:00.000Z',
    nodes: [],
    connections: {},
  }));
}

function instance(): {
  workflows: Workflow[];
  history: Record<string, WorkflowVersion[]>;
  n8nVersion: string;
} {
  const shared = (projectId: string) => [{ role: 'workflow:owner', projectId }];
  return {
    workflows: [
      workflow('w1', 'Orders', {
        versionId: 'a1',
        updatedAt: '2026-11-27T00:00:00.000Z',
        shared: shared('p1'),
      }),
      workflow('w2', 'Invoices', {
        versionId: 'b1',
        updatedAt: '2026-11-27T00:00:00.000Z',
        shared: shared('p1'),
      }),
    ],
    history: { w1: versions('w1', 4), w2: versions('w2', 4) },
    n8nVersion: '2.41.1',
  };
}

/** Backs up `api` into `store` at minute `minute`, counting the reads each workflow cost. */
async function backUp(
  api: ReturnType<typeof memoryN8nHolding>,
  store: InMemoryArchiveStore,
  minute: number,
  history: number,
) {
  const historyReads: string[] = [];
  const latest = api.latestWorkflowVersions.bind(api);
  api.latestWorkflowVersions = async (id, count) => {
    historyReads.push(id);
    return latest(id, count);
  };
  const detailsBefore = api.detailGets;
  const clock = { now: () => new Date(Date.UTC(2026, 10, 29, 1, minute)) };
  const { manifest } = await runBackup(
    { ...backupDeps(api, store, clock), openReader: openInMemoryArchive },
    { instance: 'prod', history },
  );
  return { manifest, historyReads, detailGets: api.detailGets - detailsBefore };
}

describe('incremental backup', () => {
  it('reads again a workflow whose shares changed though its versionId and updatedAt did not', async () => {
    const source = instance();
    const api = memoryN8nHolding(source);
    const store = new InMemoryArchiveStore();
    await backUp(api, store, 0, 2);
    (api.workflows[1] as Workflow).shared = [{ role: 'workflow:owner', projectId: 'p2' }];

    const second = await backUp(api, store, 1, 2);

    expect(second.detailGets).toBe(1);
    expect(second.historyReads).toEqual(['w2']);
    expect(second.manifest.incremental).toMatchObject({ workflowsReused: 1, versionsReused: 2 });
  });

  it('reads versions again when asked for more than the previous archive kept, and reuses them when asked for fewer', async () => {
    const api = memoryN8nHolding(instance());
    const store = new InMemoryArchiveStore();
    await backUp(api, store, 0, 2);

    const more = await backUp(api, store, 1, 3);
    const fewer = await backUp(api, store, 2, 1);

    expect(more.historyReads).toEqual(['w1', 'w2']);
    expect(more.manifest.historyVersions).toBe(3);
    expect(more.manifest.counts.workflowHistory).toBe(6);
    expect(fewer.historyReads).toEqual([]);
    expect(fewer.manifest.counts.workflowHistory).toBe(2);
    expect([more.detailGets, fewer.detailGets]).toEqual([0, 0]);
  });
});

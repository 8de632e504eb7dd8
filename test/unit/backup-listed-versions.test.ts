import { describe, expect, it } from 'vitest';
import { openArchive } from '../../functions/core/archive/format.js';
import { ListedGraphs, versionRecord } from '../../functions/core/backup/listed-versions.js';
import { runBackup } from '../../functions/core/backup/run.js';
import type { Workflow, WorkflowVersion } from '../../functions/core/n8n-types.js';
import { backupDeps } from './backup-deps.js';
import { memoryN8nHolding, workflow } from './fakes/n8n-contents.js';
import { InMemoryArchiveStore, openInMemoryArchive } from './support/in-memory-archive.js';

const clock = { now: () => new Date('2026-11-29T01:00:00.000Z') };

function version(workflowId: string, n: number): WorkflowVersion {
  const at = new Date(Date.UTC(2026, 10, 28, 0, n)).toISOString();
  return {
    versionId: `${workflowId}-v${n}`,
    workflowId,
    nodes: [{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', parameters: {}, position: [n, 0] }],
    connections: {},
    nodeGroups: [],
    authors: 'Olga Owner',
    name: n === 2 ? 'release' : null,
    description: null,
    createdAt: at,
    updatedAt: at,
  };
}

/** A workflow listed as n8n lists it: the draft (v3) at the top, the published v2 in activeVersion. */
function publishedWithDraft(id: string): Workflow {
  const [draft, published] = [version(id, 3), version(id, 2)];
  return workflow(id, `Flow ${id}`, {
    versionId: draft.versionId,
    nodes: draft.nodes,
    connections: draft.connections,
    nodeGroups: [],
    activeVersionId: published.versionId,
    activeVersion: { ...published, autosaved: false },
  });
}

describe('saved versions the listing carries', () => {
  it('builds the draft and the published version from the listing, reads only the older one, and writes what a read gives', async () => {
    const api = memoryN8nHolding({
      workflows: [publishedWithDraft('w1')],
      history: { w1: [version('w1', 3), version('w1', 2), version('w1', 1)] },
    });
    const reads: string[] = [];
    const read = api.getWorkflowVersion.bind(api);
    api.getWorkflowVersion = async (id, versionId) => {
      reads.push(versionId);
      return read(id, versionId);
    };
    const store = new InMemoryArchiveStore();

    const result = await runBackup(backupDeps(api, store, clock), { instance: 'prod' });

    const archive = await openArchive(await openInMemoryArchive(await store.open(result.archive.location)));
    const lines: string[] = [];
    for await (const line of archive.lines('workflow-history.ndjson')) lines.push(line);
    const metas = await api.latestWorkflowVersions('w1', 10);
    const asRead = await Promise.all(
      metas.map(async (meta) => JSON.stringify(versionRecord('w1', meta, await read('w1', meta.versionId)))),
    );
    expect(reads).toEqual(['w1-v1']);
    expect(lines).toEqual(asRead);
  });

  it('remembers graphs within its budget, hands each workflow out once, and forgets on request', () => {
    const one = publishedWithDraft('w1');
    const graphSize = JSON.stringify({ nodes: one.nodes, connections: {}, nodeGroups: [] }).length;
    const graphs = new ListedGraphs(graphSize * 3);

    graphs.remember(one);
    graphs.remember(publishedWithDraft('w2'));
    graphs.remember(workflow('w3', 'Without node groups', { versionId: 'w3-v1' }));
    const first = graphs.take('w1');

    expect([...first.keys()]).toEqual(['w1-v3', 'w1-v2']);
    expect(first.get('w1-v3')).toEqual({ nodes: one.nodes, connections: {}, nodeGroups: [] });
    expect(graphs.take('w1').size).toBe(0);
    // w2's draft fitted, its published version did not; w3's listing lacks node groups.
    expect(graphs.overBudget).toBe(1);
    expect([...graphs.take('w2').keys()]).toEqual(['w2-v3']);
    expect(graphs.take('w3').size).toBe(0);
    graphs.remember(publishedWithDraft('w4'));
    graphs.forget('w4');
    expect(graphs.take('w4').size).toBe(0);
  });
});

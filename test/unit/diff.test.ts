import { describe, expect, it } from 'vitest';
import {
  archiveSnapshot,
  diffInstances,
  fieldDifferences,
  formatDifferences,
  liveSnapshot,
} from '../../functions/core/diff/index.js';
import type { Workflow } from '../../functions/core/n8n-types.js';
import { memoryArchive } from './fakes/memory-archive.js';
import type { MemoryN8n } from './fakes/memory-n8n.js';
import { seededSource } from './fakes/seeded-instance.js';

function byName(n8n: MemoryN8n, name: string): Workflow {
  const found = n8n.workflows.find((w) => w.name === name);
  if (!found) throw new Error(`no workflow ${name}`);
  return found;
}

describe('diffInstances', () => {
  it('finds an instance equal to its own archive', async () => {
    const source = seededSource();

    const result = await diffInstances(
      archiveSnapshot(memoryArchive(source), 'archive'),
      liveSnapshot(source),
    );

    expect(result.equal).toBe(true);
    expect(result.compared.workflows).toEqual({ a: 6, b: 6 });
  });

  it('ignores ids and timestamps: two instances built the same way compare equal', async () => {
    const a = seededSource();
    const b = seededSource({ idPrefix: 'other' });
    for (const workflow of b.workflows) workflow.updatedAt = '2030-01-01T00:00:00.000Z';
    expect(b.workflows.map((w) => w.id)).not.toEqual(a.workflows.map((w) => w.id));

    const result = await diffInstances(liveSnapshot(a), liveSnapshot(b));

    expect(formatDifferences(result)).toEqual([]);
  });

  it('compares a sub-workflow call by the name of the workflow it calls', async () => {
    const a = seededSource();
    const b = seededSource();
    // Point Main's call at another workflow: same shape, different target.
    const main = byName(b, 'Main');
    const call = main.nodes.find((n) => n.name === 'Call sub (string)');
    if (call) call.parameters.workflowId = byName(b, 'Agent').id;

    const result = await diffInstances(liveSnapshot(a), liveSnapshot(b));

    expect(result.differences).toEqual([
      {
        resource: 'workflows',
        key: 'team:Ops / Main',
        change: 'changed',
        details: ['nodes[Call sub (string)].parameters.workflowId: "<workflow:Sub A>" → "<workflow:Agent>"'],
      },
    ]);
  });

  it('reports objects present on one side only and changed values', async () => {
    const a = seededSource();
    const b = seededSource();
    b.seedTag('extra');
    b.variables.splice(
      b.variables.findIndex((v) => v.key === 'REGION'),
      1,
    );
    const opsChannel = b.variables.find((v) => v.key === 'OPS_CHANNEL');
    if (opsChannel) opsChannel.value = '#elsewhere';

    const result = await diffInstances(liveSnapshot(a), liveSnapshot(b));

    expect(formatDifferences(result)).toEqual([
      'tags extra: only in http://source.test',
      'variables global / REGION: only in http://source.test',
      'variables team:Ops / OPS_CHANNEL: changed',
      '    value: "#ops" → "#elsewhere"',
    ]);
  });

  it('compares data-table rows without their ids and timestamps, and names the first difference', async () => {
    const a = seededSource();
    const b = seededSource();
    const orders = b.dataTables.find((t) => t.name === 'orders');
    const rows = b.rows.get(orders?.id ?? '') ?? [];
    for (const row of rows) row.id = Number(row.id) + 1000;
    rows[2] = { ...rows[2], total: 999 };

    const result = await diffInstances(liveSnapshot(a), liveSnapshot(b));

    expect(result.differences).toEqual([
      {
        resource: 'dataTableRows',
        key: 'personal:owner@example.com / orders',
        change: 'changed',
        details: ['7 rows → 7 rows', 'row 3: {"number":3,"total":30} → {"number":3,"total":999}'],
      },
    ]);
  });

  it('does not report a resource one side cannot read when the other has none of it', async () => {
    const a = seededSource();
    a.variables.length = 0;
    const archive = memoryArchive(a, {
      skipped: [{ resource: 'variables', reason: 'not licensed (feat:variables)' }],
    });

    const result = await diffInstances(archiveSnapshot(archive, 'archive'), liveSnapshot(a));

    expect(result.equal).toBe(true);
  });

  it('reports a resource one side cannot read when the other has some', async () => {
    const a = seededSource();
    const archive = memoryArchive(a, {
      skipped: [{ resource: 'variables', reason: 'not licensed (feat:variables)' }],
    });

    const result = await diffInstances(archiveSnapshot(archive, 'archive'), liveSnapshot(a));

    expect(result.differences).toEqual([
      {
        resource: 'variables',
        key: '*',
        change: 'unavailable',
        details: ['archive: not licensed (feat:variables); http://source.test has 2'],
      },
    ]);
  });
});

describe('fieldDifferences', () => {
  it('lists differing paths up to the limit, matching named list items by name', () => {
    const a = {
      nodes: [
        { name: 'A', x: 1 },
        { name: 'B', x: 2 },
      ],
      settings: { t: 'UTC' },
    };
    const b = {
      nodes: [
        { name: 'B', x: 3 },
        { name: 'A', x: 1 },
      ],
      settings: { t: 'CET' },
    };

    expect(fieldDifferences(a, b, '', 10)).toEqual(['nodes[B].x: 2 → 3', 'settings.t: "UTC" → "CET"']);
    expect(fieldDifferences(a, b, '', 1)).toHaveLength(1);
  });
});

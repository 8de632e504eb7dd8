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
import { SEED_USERS, seededSource } from './fakes/seeded-instance.js';

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

describe('diff compares what runs and what is comparable', () => {
  it("compares a published workflow's published version, not only its draft", async () => {
    // Prepare: the same draft on both sides; a runs a published version that differs from it.
    const a = seededSource();
    const b = seededSource();
    const main = byName(a, 'Main');
    main.activeVersion = {
      versionId: 'published-1',
      nodes: main.nodes.map((n) =>
        n.name === 'Tell Slack' ? { ...n, parameters: { text: 'published text' } } : n,
      ),
      connections: main.connections,
    };
    main.versionId = 'draft-2';

    // Act
    const result = await diffInstances(liveSnapshot(a), liveSnapshot(b));

    // Assess
    expect(result.differences).toEqual([
      {
        resource: 'workflows',
        key: 'team:Ops / Main',
        change: 'changed',
        details: [expect.stringMatching(/^published: \{"nodes":/)],
      },
    ]);
  });

  it("compares credentials' isGlobal where both sides can tell it", async () => {
    const a = seededSource();
    const b = seededSource();
    await b.makeCredentialGlobal(b.credentials.find((c) => c.name === 'Slack bot')?.id ?? '');
    const unknowing = seededSource({ missingScopes: ['credential:read'] });

    const result = await diffInstances(liveSnapshot(a), liveSnapshot(b));
    const withUnknown = await diffInstances(liveSnapshot(b), liveSnapshot(unknowing));

    expect(formatDifferences(result)).toEqual([
      'credentials slackApi / Slack bot: changed',
      '    isGlobal: false → true',
    ]);
    expect(withUnknown.equal).toBe(true);
  });

  it('compares project members by e-mail, whatever their order', async () => {
    const a = seededSource();
    const b = seededSource();
    const ops = b.projects.find((p) => p.name === 'Ops');
    ops?.members.reverse();
    const alice = ops?.members.find((m) => m.email === 'alice@example.com');
    if (alice) alice.role = 'project:viewer';

    const result = await diffInstances(liveSnapshot(a), liveSnapshot(b));

    expect(formatDifferences(result)).toEqual([
      'projects team:Ops: changed',
      '    members.alice@example.com: "project:editor" → "project:viewer"',
    ]);
  });

  it('--ignore-users leaves out users, members and personal projects, and counts what it left out', async () => {
    // Prepare: b lacks bob (no account): no personal project of his, not a member of Ops.
    const a = seededSource();
    const b = seededSource({ users: SEED_USERS.filter((u) => u.email !== 'bob@example.com') });
    const ops = b.projects.find((p) => p.name === 'Ops');
    if (ops) ops.members = ops.members.filter((m) => m.email !== 'bob@example.com');

    // Act
    const strict = await diffInstances(liveSnapshot(a), liveSnapshot(b));
    const ignoring = await diffInstances(liveSnapshot(a), liveSnapshot(b), { ignoreUsers: true });

    // Assess
    expect(formatDifferences(strict)).toEqual([
      'users bob@example.com: only in http://source.test',
      'projects personal:bob@example.com: only in http://source.test',
      'projects team:Ops: changed',
      '    members.bob@example.com: "project:viewer" → (absent)',
    ]);
    expect(ignoring.equal).toBe(true);
    expect(ignoring.leftOut).toBe(3);
  });

  it('two community editions: nothing is not comparable, nothing differs', async () => {
    const community = { licensed: { projects: false, folders: false, variables: false } };

    const result = await diffInstances(
      liveSnapshot(seededSource(community)),
      liveSnapshot(seededSource(community)),
    );

    expect([result.equal, result.notComparable, result.differences]).toEqual([true, [], []]);
  });

  it('a target licensed for folders but not projects: its folders, listed per project, are not comparable either', async () => {
    const a = seededSource();
    const b = seededSource({ licensed: { projects: false } });

    const result = await diffInstances(liveSnapshot(a), liveSnapshot(b));

    expect(formatDifferences(result)).toEqual([]);
    expect(result.notComparable.map((n) => [n.resource, n.side])).toEqual([
      ['projects', 'b'],
      ['folders', 'b'],
      ['workflows', 'b'],
    ]);
    expect(result.notComparable[1]?.reason).toBe(
      'http://source.test (b): folders are listed per project, and projects are unavailable; http://source.test (a) has 2',
    );
  });

  it("what only the target's licence keeps from it is listed apart as not comparable, and the sides are equal", async () => {
    // Prepare: a community edition: no projects, folders or variables; everything in one place.
    const a = seededSource();
    const b = seededSource({ licensed: { projects: false, folders: false, variables: false } });

    // Act
    const result = await diffInstances(liveSnapshot(a), liveSnapshot(b));

    // Assess
    expect(formatDifferences(result)).toEqual([]);
    expect(result.equal).toBe(true);
    expect(result.notComparable.map((n) => n.resource)).toEqual([
      'projects',
      'folders',
      'variables',
      'workflows',
    ]);
    expect(result.notComparable.find((n) => n.resource === 'variables')?.reason).toBe(
      'http://source.test (b): the instance is not licensed for feat:variables; http://source.test (a) has 2',
    );
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

/**
 * Objects n8n will refuse for their size (restore/body-limit.ts): the plan probes the target's
 * payload limit only when the archive holds a large body, names what is past it, and a run writes
 * everything else; raising the limit and running the same command again restores the rest.
 */
import { describe, expect, it } from 'vitest';
import { type Clock, silentLogger, silentProgress } from '../../../functions/core/ports.js';
import { runRestore } from '../../../functions/core/restore/run.js';
import { memoryArchive } from '../fakes/memory-archive.js';
import type { MemoryN8n } from '../fakes/memory-n8n.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';

const clock: Clock = { now: () => new Date('2026-11-22T02:00:00.000Z') };
const MiB = 1024 * 1024;

/** The seeded source, plus a workflow with 3 MiB of pinned data and a table with a 2 MiB cell. */
function sourceWithLargeBodies(): MemoryN8n {
  const source = seededSource();
  source.seedWorkflow({
    name: 'Pinned',
    nodes: [
      {
        id: 'n1',
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
    ],
    pinData: { Start: [{ json: { blob: 'p'.repeat(3 * MiB) } }] },
  });
  source.seedDataTable(
    'blobs',
    [{ name: 'body', type: 'string' }],
    [{ body: 'small' }, { body: 'b'.repeat(2 * MiB) }],
  );
  return source;
}

function restoreInto(
  target: MemoryN8n,
  source: MemoryN8n,
  ledgerStore = new InMemoryLedgerStore(),
  dryRun = false,
) {
  return runRestore(
    {
      archive: memoryArchive(source),
      api: target,
      ledgerStore,
      clock,
      logger: silentLogger,
      progress: silentProgress,
    },
    dryRun ? { run: { dryRun: true } } : {},
  );
}

describe("the target's payload limit", () => {
  it('names up front what is past it, writes everything else, and fails only those', async () => {
    // Prepare: a target that reads bodies up to 1 MiB
    const source = sourceWithLargeBodies();
    const target = emptyTarget({ payloadSizeMax: 1 * MiB });

    // Act
    const dry = await restoreInto(target, source, new InMemoryLedgerStore(), true);
    const probesForThePlan = target.bodyProbes;
    const run = await restoreInto(target, source);

    // Assess: the plan said so before writing
    expect(dry.plan.notes).toContainEqual(
      expect.stringMatching(
        /reads request bodies of at most 1024 KiB .* 2 record\(s\) are larger and fail without being written/,
      ),
    );
    expect(
      dry.plan.warnings
        .filter((w) => w.code === 'body-too-large')
        .map((w) => w.message)
        .sort(),
    ).toEqual([
      expect.stringMatching(
        /^data-tables\/\S+\/rows-\d{6}\.ndjson line 2 \(dataTableRows \S+\): its body is 2\.0 MiB, past the target's payload limit of 1024 KiB$/,
      ),
      expect.stringMatching(
        /^workflows\.ndjson line \d+ \(workflows \S+\): its body is 3\.0 MiB, past the target's payload limit/,
      ),
    ]);
    expect(dry.report.failed.workflows).toBe(1);
    expect(probesForThePlan).toBeLessThanOrEqual(13);
    // …and the run wrote everything else
    expect(run.report.failed).toMatchObject({ workflows: 1, dataTables: 1 });
    expect(target.workflows.map((w) => w.name).sort()).toEqual(
      source.workflows
        .map((w) => w.name)
        .filter((n) => n !== 'Pinned')
        .sort(),
    );
    const blobs = target.dataTables.find((t) => t.name === 'blobs');
    expect(blobs).toBeDefined();
    expect(target.rows.get(blobs?.id ?? '') ?? []).toEqual([]);
    expect(run.report.warnings.map((w) => w.message)).toContainEqual(
      expect.stringMatching(
        /^workflows "Pinned": not written: workflows\.ndjson line \d+ .* past the target's payload limit/,
      ),
    );
  });

  it('restores them once the limit is raised and the same restore runs again', async () => {
    // Prepare
    const source = sourceWithLargeBodies();
    const target = emptyTarget({ payloadSizeMax: 1 * MiB });
    const ledger = new InMemoryLedgerStore();
    const first = await restoreInto(target, source, ledger);
    expect(first.report.complete).toBe(false);

    // Act: the operator raises N8N_PAYLOAD_SIZE_MAX
    target.payloadSizeMax = 16 * MiB;
    const again = await restoreInto(target, source, ledger);

    // Assess
    expect(again.report.complete).toBe(true);
    expect(target.workflows.filter((w) => w.name === 'Pinned')).toHaveLength(1);
    const blobs = target.dataTables.find((t) => t.name === 'blobs');
    expect(
      (target.rows.get(blobs?.id ?? '') ?? []).map((r) => String(r.body).length).sort((a, b) => a - b),
    ).toEqual([5, 2 * MiB]);
  });

  it('sends a batch of rows n8n refuses as too large again in halves, so a low limit costs no row', async () => {
    // Prepare: 3,000 rows of 1 KiB (no one row is large, so nothing is probed), a 1 MiB limit
    const source = seededSource();
    const rows = Array.from({ length: 3000 }, (_, i) => ({ body: `${i}`.padEnd(1024, '.') }));
    source.seedDataTable('many', [{ name: 'body', type: 'string' }], rows);
    const target = emptyTarget({ payloadSizeMax: 1 * MiB });

    // Act
    const run = await restoreInto(target, source);

    // Assess
    expect(run.report.complete).toBe(true);
    expect(target.bodyProbes).toBe(0);
    const many = target.dataTables.find((t) => t.name === 'many');
    expect((target.rows.get(many?.id ?? '') ?? []).map((r) => r.body)).toEqual(rows.map((r) => r.body));
  });

  it('asks nothing of a target when no body is large', async () => {
    const target = emptyTarget();
    const run = await restoreInto(target, seededSource());
    expect(run.report.complete).toBe(true);
    expect(target.bodyProbes).toBe(0);
  });
});

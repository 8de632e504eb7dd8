import { describe, expect, it } from 'vitest';
import { ENTRY } from '../../../functions/core/archive/entries.js';
import { type Clock, silentLogger, silentProgress } from '../../../functions/core/ports.js';
import { runRestore } from '../../../functions/core/restore/run.js';
import type { RestoreOptions } from '../../../functions/core/restore/types.js';
import { type MemoryArchive, memoryArchive } from '../fakes/memory-archive.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';

const clock: Clock = { now: () => new Date('2026-11-22T02:00:00.000Z') };

/** Counts how often each archive entry is parsed (records() called), as a restore streams it. */
function countingReads(archive: MemoryArchive): Map<string, number> {
  const reads = new Map<string, number>();
  const records = archive.records.bind(archive);
  archive.records = <T>(name: string) => {
    reads.set(name, (reads.get(name) ?? 0) + 1);
    return records<T>(name);
  };
  return reads;
}

async function restoreCountingReads(options: RestoreOptions, target = emptyTarget()) {
  // Prepare
  const archive = memoryArchive(seededSource());
  const reads = countingReads(archive);
  // Act
  const run = await runRestore(
    {
      archive,
      api: target,
      ledgerStore: new InMemoryLedgerStore(),
      clock,
      logger: silentLogger,
      progress: silentProgress,
    },
    options,
  );
  return { run, reads: reads.get(ENTRY.workflows) ?? 0 };
}

describe('how often a restore reads workflows.ndjson', () => {
  it('reads it four times at most: to plan, to create by package, to post what packages did not carry, to write final references; tags, archiving and activation read none', async () => {
    const { run, reads } = await restoreCountingReads({});

    // Assess
    expect(run.done).toBe(true);
    expect(run.report.created.workflows).toBeGreaterThan(5);
    expect(reads).toBeLessThanOrEqual(4);
  });

  it('reads it three times at most where n8n has no package import: to plan, to create, to write final references', async () => {
    const { run, reads } = await restoreCountingReads({}, emptyTarget({ packageImport: false }));

    expect(run.done).toBe(true);
    expect(run.report.created.workflows).toBeGreaterThan(5);
    expect(reads).toBeLessThanOrEqual(3);
  });

  it('keeping workflow ids, the create step reads nothing: twice in all', async () => {
    const { run, reads } = await restoreCountingReads({ workflowWrite: { keepWorkflowIds: true } });

    expect(run.done).toBe(true);
    expect(reads).toBeLessThanOrEqual(2);
  });

  it('a resumed run whose body-reading steps are done reads it once to gather what later steps need', async () => {
    // Prepare: a first run that stops after the references pass (its deadline passes then).
    const source = seededSource();
    const archive = memoryArchive(source);
    const target = emptyTarget();
    const ledgerStore = new InMemoryLedgerStore();
    let now = Date.parse('2026-11-22T02:00:00.000Z');
    const ticking: Clock = { now: () => new Date(now) };
    const deps = {
      archive,
      api: target,
      ledgerStore,
      clock: ticking,
      logger: silentLogger,
      progress: silentProgress,
    };
    const deadline = now + 60_000;
    const publish = target.publishWorkflow.bind(target);
    target.publishWorkflow = async (id: string) => {
      now = deadline; // the slice runs out once activation starts
      return publish(id);
    };
    const first = await runRestore(deps, { run: { deadline, deadlineMarginMs: 0 } });
    target.publishWorkflow = publish;
    now = Date.parse('2026-11-22T03:00:00.000Z');
    const reads = countingReads(archive);

    // Act
    const second = await runRestore(deps, { run: { deadline: now + 3_600_000 } });

    // Assess
    expect(first.done).toBe(false);
    expect(second.done).toBe(true);
    expect(reads.get(ENTRY.workflows)).toBe(1);
    expect(target.workflows.filter((w) => w.active).length).toBe(
      source.workflows.filter((w) => w.active && !w.isArchived).length,
    );
  });
});

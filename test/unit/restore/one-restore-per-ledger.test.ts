import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLedgerStore } from '../../../functions/adapters/file-ledger-store.js';
import { LedgerLockedError } from '../../../functions/core/errors.js';
import { type Clock, silentLogger, silentProgress } from '../../../functions/core/ports.js';
import { runRestore } from '../../../functions/core/restore/run.js';
import { memoryArchive } from '../fakes/memory-archive.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { tempFolderPerTest } from '../support/temp-folder.js';

const clock: Clock = { now: () => new Date('2026-11-22T02:00:00.000Z') };
const folder = tempFolderPerTest('n8n-ark-one-restore-');

describe('one restore per ledger', () => {
  it('lets exactly one of two restores started together on one ledger proceed; the other writes nothing', async () => {
    // Prepare
    const source = seededSource();
    const archive = memoryArchive(source);
    const target = emptyTarget();
    const ledger = join(folder.path, 'restore.ledger.json');
    const restore = (pid: number) =>
      runRestore({
        archive,
        api: target,
        ledgerStore: new FileLedgerStore(ledger),
        lockOwner: { pid, host: 'this-host', startedAt: '2026-11-22T02:00:00.000Z' },
        clock,
        logger: silentLogger,
        progress: silentProgress,
      });

    // Act
    const [first, second] = await Promise.allSettled([restore(process.pid), restore(process.pid)]);

    // Assess
    const outcomes = [first, second].map((o) => o.status).sort();
    expect(outcomes).toEqual(['fulfilled', 'rejected']);
    const refused = [first, second].find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(LedgerLockedError);
    expect(String(refused.reason.message)).toMatch(/another restore \(pid \d+ on host this-host/);
    const names = target.workflows.map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(source.workflows.length);
  });

  it('releases the ledger when a restore ends, so the next one can run', async () => {
    // Prepare
    const archive = memoryArchive(seededSource());
    const target = emptyTarget();
    const deps = {
      archive,
      api: target,
      ledgerStore: new FileLedgerStore(join(folder.path, 'restore.ledger.json')),
      lockOwner: { pid: process.pid, host: 'this-host', startedAt: '2026-11-22T02:00:00.000Z' },
      clock,
      logger: silentLogger,
      progress: silentProgress,
    };

    // Act
    const first = await runRestore(deps);
    const again = await runRestore(deps);

    // Assess
    expect(first.report.complete).toBe(true);
    expect(again.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
  });
});

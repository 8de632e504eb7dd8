import { describe, expect, it } from 'vitest';
import { openArchiveAt } from '../../functions/core/archive/access.js';
import { runBackup } from '../../functions/core/backup/run.js';
import {
  archiveSnapshot,
  diffInstances,
  formatDifferences,
  liveSnapshot,
} from '../../functions/core/diff/index.js';
import { UsageError } from '../../functions/core/errors.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { runMigrate } from '../../functions/core/restore/migrate.js';
import type { MemoryN8n } from './fakes/memory-n8n.js';
import { emptyTarget, seededSource } from './fakes/seeded-instance.js';
import {
  InMemoryArchiveStore,
  InMemoryArchiveWriter,
  openInMemoryArchive,
} from './support/in-memory-archive.js';
import { InMemoryLedgerStore } from './support/in-memory-ledger-store.js';

function migrateDeps(source: MemoryN8n, target: MemoryN8n, store = new InMemoryArchiveStore()) {
  const ledgers = new Map<string, InMemoryLedgerStore>();
  return {
    ledgers,
    deps: {
      source,
      target,
      store,
      createWriter: () => new InMemoryArchiveWriter(),
      openReader: openInMemoryArchive,
      ledgerStoreFor: (location: string) => {
        const ledger = ledgers.get(location) ?? new InMemoryLedgerStore();
        ledgers.set(location, ledger);
        return ledger;
      },
      clock: { now: () => new Date('2026-11-22T03:00:00.000Z') },
      logger: silentLogger,
      progress: silentProgress,
      toolVersion: '0.0.0-test',
    },
  };
}

describe('runMigrate', () => {
  it('with requireSameMinor, backs the source up but refuses a target of another major.minor before writing to it', async () => {
    const source = seededSource();
    const target = emptyTarget({ n8nVersion: '2.40.0' });
    await target.createWorkflow({ name: 'already there', nodes: [], connections: {}, settings: {} });
    const writesBefore = target.writes.length;

    const migrate = runMigrate(migrateDeps(source, target).deps, {
      instance: 'source',
      preflight: { requireSameMinor: true },
    });

    await expect(migrate).rejects.toThrow(
      /requireSameMinor: the archive comes from n8n 2\.41\.1 and the target runs n8n 2\.40\.0/,
    );
    expect(target.writes.length).toBe(writesBefore);
  });

  it('moves a whole instance through a verified archive so both compare equal', async () => {
    const source = seededSource();
    const target = emptyTarget();
    const store = new InMemoryArchiveStore();

    const result = await runMigrate(migrateDeps(source, target, store).deps, { instance: 'source' });

    expect(result.restore.done).toBe(true);
    expect(formatDifferences(await diffInstances(liveSnapshot(source), liveSnapshot(target)))).toEqual([]);
    // Backup of the target, as the done-criterion reads: backup(A) → restore(B) → backup(B) → no difference.
    const { deps } = migrateDeps(target, emptyTarget(), store);
    const backupB = await runBackup({ ...deps, api: target }, { instance: 'target' });
    const archiveA = await openArchiveAt(store, result.backup.archive.location, openInMemoryArchive);
    const archiveB = await openArchiveAt(store, backupB.archive.location, openInMemoryArchive);
    const diff = await diffInstances(archiveSnapshot(archiveA, 'A'), archiveSnapshot(archiveB, 'B'));
    expect(formatDifferences(diff)).toEqual([]);
  });

  it('refuses to migrate an instance into itself', async () => {
    const source = seededSource();

    await expect(runMigrate(migrateDeps(source, source).deps, { instance: 'x' })).rejects.toThrow(UsageError);
    expect(source.writes).toEqual([]);
  });

  it('writes nothing in a dry run', async () => {
    const target = emptyTarget();

    const result = await runMigrate(migrateDeps(seededSource(), target).deps, {
      instance: 'source',
      run: { dryRun: true },
    });

    expect(target.writes).toEqual([]);
    expect(result.restore.report.created.workflows).toBe(6);
  });
});

describe('runMigrate run again (a fresh archive and ledger each time)', () => {
  it('publishes the workflow its first run could not (a webhook path taken), once the path is free', async () => {
    // Prepare: the source publishes "Hook" on POST ark-hook; the target's "Holder" holds that path
    const hookNode = {
      name: 'Hook',
      type: 'n8n-nodes-base.webhook',
      typeVersion: 2,
      position: [0, 0] as [number, number],
      webhookId: '00000000-0000-4000-8000-00000000a4c1',
      parameters: { path: 'ark-hook', httpMethod: 'POST' },
    };
    const source = seededSource();
    const hook = await source.createWorkflow({
      name: 'Hook',
      nodes: [hookNode],
      connections: {},
      settings: {},
    });
    await source.publishWorkflow(hook.id);
    const target = emptyTarget();
    const holder = await target.createWorkflow({
      name: 'Holder',
      nodes: [hookNode],
      connections: {},
      settings: {},
    });
    await target.publishWorkflow(holder.id);
    let tick = 0;
    const { deps } = migrateDeps(source, target);
    const clocked = { ...deps, clock: { now: () => new Date(Date.UTC(2026, 10, 22, 3, 0, tick++)) } };

    // Act
    const first = await runMigrate(clocked, { instance: 'source' });
    await target.unpublishWorkflow(holder.id);
    const second = await runMigrate(clocked, { instance: 'source' });

    // Assess
    expect(first.backup.archive.location).not.toBe(second.backup.archive.location);
    expect(first.restore.report.complete).toBe(false);
    expect(first.restore.report.warnings.map((w) => w.message)).toContainEqual(
      expect.stringContaining(
        `the webhook path POST ark-hook is taken by workflow "Holder" (id ${holder.id})`,
      ),
    );
    expect(second.restore.report.complete).toBe(true);
    expect(second.restore.plan.entries.find((e) => e.name === 'Hook')).toMatchObject({
      action: 'skip',
      publishWaiting: true,
    });
    expect(target.workflows.filter((w) => w.name === 'Hook').map((w) => w.active)).toEqual([true]);
  });
});

/**
 * A finished restore run again with other options, or once the secrets of its stubs are known,
 * plans again against the target and writes what the new plan needs; what its earlier runs wrote is
 * kept (recognised by the ledger's ids, never made twice). An unfinished one run with other options
 * is refused before any write.
 */
import { describe, expect, it } from 'vitest';
import { archiveSnapshot, diffInstances, liveSnapshot } from '../../../functions/core/diff/index.js';
import { N8nApiError, RestoreError } from '../../../functions/core/errors.js';
import {
  type Clock,
  type SecretSource,
  silentLogger,
  silentProgress,
} from '../../../functions/core/ports.js';
import { runRestore } from '../../../functions/core/restore/run.js';
import type { RestoreOptions } from '../../../functions/core/restore/types.js';
import { type MemoryArchive, memoryArchive } from '../fakes/memory-archive.js';
import type { MemoryN8n } from '../fakes/memory-n8n.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';
import { refuseWorkflow } from './refusal.js';

const clock: Clock = { now: () => new Date('2026-11-29T02:00:00.000Z') };

/** One restore (one ledger) of `archive` into `target`; each call is one run of the same command. */
function restorer(archive: MemoryArchive, target: MemoryN8n) {
  const ledgerStore = new InMemoryLedgerStore();
  return (options: RestoreOptions = {}, secrets?: SecretSource) =>
    runRestore(
      {
        archive,
        api: target,
        ledgerStore,
        clock,
        logger: silentLogger,
        progress: silentProgress,
        ...(secrets ? { secrets } : {}),
      },
      options,
    );
}

function names(target: MemoryN8n): string[] {
  return target.workflows.map((w) => w.name).sort();
}

describe('a finished restore run with another selection', () => {
  it('adds what the second selection needs, keeps what the first wrote, and points the new callers at it', async () => {
    // Prepare: the first run restored only the sub-workflow
    const target = emptyTarget();
    const restore = restorer(memoryArchive(seededSource()), target);
    const first = await restore({ selection: { workflow: 'Sub A' } });
    const subA = target.workflows.find((w) => w.name === 'Sub A');

    // Act
    const second = await restore({ selection: { workflow: 'Main' } });
    const third = await restore({ selection: { workflow: 'Main' } });

    // Assess
    expect(first.report.complete).toBe(true);
    expect(second.report.complete).toBe(true);
    expect(names(target).filter((n) => n === 'Sub A')).toHaveLength(1);
    expect(names(target)).toContain('Main');
    expect(second.report.created.workflows).toBeGreaterThan(0);
    expect(second.report.idMap.workflows).toMatchObject({
      [String(first.plan.entries.find((e) => e.name === 'Sub A')?.sourceId)]: subA?.id,
    });
    const main = target.workflows.find((w) => w.name === 'Main');
    const call = main?.nodes.find((n) => n.name === 'Call sub (string)');
    expect(call?.parameters.workflowId).toBe(subA?.id);
    expect(second.plan.entries.find((e) => e.name === 'Sub A')).toMatchObject({
      action: 'skip',
      restoredEarlier: true,
    });
    expect(third.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
  });

  it('never makes a second renamed copy of what an earlier round renamed', async () => {
    // Prepare: the target has every workflow already; the first run made renamed copies, inactive
    const source = seededSource();
    const archive = memoryArchive(source);
    const target = emptyTarget();
    await restorer(archive, target)({ workflowWrite: { activate: false } });
    const restore = restorer(archive, target);
    await restore({ conflicts: { onConflict: 'rename' }, workflowWrite: { activate: false } });
    const before = names(target);

    // Act: the same restore, now publishing what was active
    const second = await restore({ conflicts: { onConflict: 'rename' } });

    // Assess
    expect(second.report.complete).toBe(true);
    expect(names(target)).toEqual(before);
    expect(second.report.created.workflows).toBe(0);
    const renamedMain = target.workflows.filter((w) => w.name.startsWith('Main'));
    expect(renamedMain.map((w) => [w.name === 'Main', w.active])).toEqual(
      expect.arrayContaining([
        [true, false],
        [false, true],
      ]),
    );
  });
});

describe('a finished restore run again without --no-activate', () => {
  it('publishes what was active and writes nothing else', async () => {
    // Prepare
    const source = seededSource();
    const archive = memoryArchive(source);
    const target = emptyTarget();
    const restore = restorer(archive, target);
    const first = await restore({ workflowWrite: { activate: false } });
    const writes = target.writes.length;
    const activeAfterFirst = target.workflows.filter((w) => w.active);

    // Act
    const second = await restore();
    const third = await restore();

    // Assess
    expect(first.report.complete).toBe(true);
    expect(activeAfterFirst).toEqual([]);
    expect(second.report.complete).toBe(true);
    expect(second.report.created).toEqual(first.report.created ? zeroed(first.report.created) : {});
    expect(target.writes.slice(writes).every((w) => /\/(activate|publish)$/.test(w))).toBe(true);
    expect(target.workflows.filter((w) => w.active).map((w) => w.name)).toEqual(
      source.workflows.filter((w) => w.active).map((w) => w.name),
    );
    expect(third.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
    const diff = await diffInstances(archiveSnapshot(archive, 'archive'), liveSnapshot(target), {
      ignoreUsers: true,
    });
    expect(diff.differences).toEqual([]);
  });
});

describe('a finished restore run again once the secrets of its stubs are known', () => {
  it('writes each secret into its stub, and no longer lists it as waiting', async () => {
    // Prepare: the first run had no secrets, so every credential is a stub
    const source = seededSource();
    const target = emptyTarget();
    const restore = restorer(memoryArchive(source), target);
    const first = await restore();
    const slack = source.credentials.find((c) => c.name === 'Slack bot');
    const secrets: SecretSource = {
      get: async (name) =>
        name === slack?.id ? JSON.stringify({ accessToken: 'xoxb-known-now' }) : undefined,
    };

    // Act
    const second = await restore({}, secrets);
    const third = await restore({}, secrets);

    // Assess
    expect(first.report.credentialsAwaitingSecrets.map((c) => c.name)).toContain('Slack bot');
    expect(second.report.complete).toBe(true);
    expect(second.report.updated.credentials).toBe(1);
    expect(target.credentials.find((c) => c.name === 'Slack bot')?.data).toEqual({
      accessToken: 'xoxb-known-now',
    });
    expect(second.report.credentialsAwaitingSecrets.map((c) => c.name)).not.toContain('Slack bot');
    expect(second.report.credentialsAwaitingSecrets).toHaveLength(
      first.report.credentialsAwaitingSecrets.length - 1,
    );
    expect(target.credentials.filter((c) => c.name === 'Slack bot')).toHaveLength(1);
    expect(third.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
  });
});

describe('a restore whose activation failed for stub credentials (the runbook, docs/OPERATIONS.md step 6)', () => {
  it('ends incomplete naming it, fails again run as it is, and publishes it once run with the secrets', async () => {
    // Prepare: n8n refuses to publish "Main" while its Slack credential is a stub
    const source = seededSource();
    const target = emptyTarget();
    const publish = target.publishWorkflow.bind(target);
    const slack = source.credentials.find((c) => c.name === 'Slack bot');
    target.publishWorkflow = async (id) => {
      const stub = target.credentials.find((c) => c.id === slack?.id);
      if (target.workflows.find((w) => w.id === id)?.name === 'Main' && !stub?.data.accessToken)
        throw new N8nApiError('Workflow could not be activated', {
          status: 400,
          method: 'POST',
          path: `/workflows/${id}/activate`,
        });
      return publish(id);
    };
    const restore = restorer(memoryArchive(source), target);
    const secrets: SecretSource = {
      get: async (name) => (name === slack?.id ? JSON.stringify({ accessToken: 'xoxb' }) : undefined),
    };

    // Act
    const first = await restore();
    const same = await restore();
    const withSecrets = await restore({}, secrets);

    // Assess
    expect(first.report.complete).toBe(false);
    expect(first.report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'restore-failed',
        message: expect.stringContaining(
          'workflows "Main": activating it failed: n8n will not publish it: Workflow could not be activated (its credentials may still be stubs waiting for their secrets',
        ),
      }),
    );
    expect(same.report.complete).toBe(false);
    expect(withSecrets.report.complete).toBe(true);
    expect(withSecrets.report.updated.credentials).toBe(1);
    expect(target.workflows.find((w) => w.name === 'Main')?.active).toBe(true);
  });
});

describe('an unfinished restore run with other options', () => {
  it('is refused, naming the options it was started with, and writes nothing', async () => {
    // Prepare: a restore that ended incomplete (n8n refused one workflow)
    const target = emptyTarget();
    const restore = restorer(memoryArchive(seededSource()), target);
    refuseWorkflow(target, 'Sub A');
    await restore();
    const writes = target.writes.length;

    // Act
    const refused = await restore({ workflowWrite: { activate: false } }).catch((error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(RestoreError);
    expect(String((refused as Error).message)).toMatch(
      /is not finished \(1 object\(s\) failed\) and was started with other options \(.*activate=true.*; now .*activate=false/,
    );
    expect(target.writes.length).toBe(writes);
  });
});

describe('a dry run of a finished restore with other options', () => {
  it('shows the new plan, with what the earlier runs wrote as left as it is, and writes nothing', async () => {
    // Prepare
    const target = emptyTarget();
    const restore = restorer(memoryArchive(seededSource()), target);
    await restore({ selection: { workflow: 'Sub A' } });
    const writes = target.writes.length;

    // Act
    const dry = await restore({ selection: { workflow: 'Main' }, run: { dryRun: true } });

    // Assess
    expect(target.writes.length).toBe(writes);
    expect(dry.plan.entries.find((e) => e.name === 'Sub A')).toMatchObject({
      action: 'skip',
      reason: expect.stringMatching(/restored by an earlier run/),
    });
    expect(dry.plan.entries.find((e) => e.name === 'Main')?.action).toBe('create');
    expect(dry.report.notes[0]).toMatch(/finished earlier; it was run again with other options/);
  });
});

function zeroed(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(counts).map((k) => [k, 0]));
}

describe('a finished restore run again with --data-table-rows', () => {
  it('plans a new round that writes the rows it asks for, once; skip, the default, is the same round', async () => {
    // Prepare: the target has "orders" with rows of its own; the first run kept them (the default)
    const source = seededSource();
    const target = emptyTarget();
    const own = [{ number: 99, total: 1 }];
    const orders = target.seedDataTable(
      'orders',
      [
        { name: 'number', type: 'number' },
        { name: 'total', type: 'number' },
      ],
      own,
    );
    const restore = restorer(memoryArchive(source), target);
    const first = await restore();
    const archiveOrders = source.rows.get(source.dataTables.find((t) => t.name === 'orders')?.id ?? '') ?? [];
    const rowsOf = (id: string) =>
      (target.rows.get(id) ?? []).map(({ number, total }) => ({ number, total }));
    const customers = () => target.dataTables.find((t) => t.name === 'customers')?.id ?? '';
    const customersBefore = rowsOf(customers());

    // Act
    const same = await restore({ conflicts: { dataTableRows: 'skip' } });
    const replaced = await restore({ conflicts: { dataTableRows: 'replace' } });
    const again = await restore({ conflicts: { dataTableRows: 'replace' } });

    // Assess
    expect(first.report.complete).toBe(true);
    expect(same.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
    expect(replaced.report.complete).toBe(true);
    expect(rowsOf(orders.id)).toEqual(archiveOrders.map(({ number, total }) => ({ number, total })));
    expect(replaced.report.updated.dataTableRows).toBe(archiveOrders.length);
    expect(rowsOf(customers())).toEqual(customersBefore);
    expect(again.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
  });
});

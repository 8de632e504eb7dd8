import { describe, expect, it } from 'vitest';
import {
  archiveSnapshot,
  diffInstances,
  formatDifferences,
  liveSnapshot,
} from '../../functions/core/diff/index.js';
import { ArchiveIntegrityError, RestoreError } from '../../functions/core/errors.js';
import { placeholderCredentialData } from '../../functions/core/kinds/credentials/stub-data.js';
import { toWorkflowWrite } from '../../functions/core/kinds/workflows/write-body.js';
import type { Workflow } from '../../functions/core/n8n-types.js';
import { type Clock, type SecretSource, silentLogger, silentProgress } from '../../functions/core/ports.js';
import { planRestore, summarizePlan } from '../../functions/core/restore/plan.js';
import { runRestore } from '../../functions/core/restore/run.js';
import type { RestoreOptions } from '../../functions/core/restore/types.js';
import { type MemoryArchive, memoryArchive } from './fakes/memory-archive.js';
import { conditionalRequirement, type MemoryN8n } from './fakes/memory-n8n.js';
import { emptyTarget, seededSource } from './fakes/seeded-instance.js';
import { InMemoryLedgerStore } from './support/in-memory-ledger-store.js';

const clock: Clock = { now: () => new Date('2026-11-22T02:00:00.000Z') };

/** A ledger store whose saves can be frozen, as a killed process would stop saving. */
class FreezableLedgerStore extends InMemoryLedgerStore {
  private frozen = false;

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
  }

  override async save(contents: string): Promise<void> {
    if (!this.frozen) await super.save(contents);
  }
}

function deps(
  archive: MemoryArchive,
  target: MemoryN8n,
  ledgerStore = new InMemoryLedgerStore(),
  secrets?: SecretSource,
) {
  return {
    archive,
    api: target,
    ledgerStore,
    clock,
    logger: silentLogger,
    progress: silentProgress,
    ...(secrets ? { secrets } : {}),
  };
}

function byName(n8n: MemoryN8n, name: string): Workflow {
  const found = n8n.workflows.find((w) => w.name === name);
  if (!found) throw new Error(`no workflow ${name}`);
  return found;
}

function node(workflow: Workflow, name: string) {
  const found = workflow.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name}`);
  return found;
}

async function restoreFresh(source = seededSource(), target = emptyTarget(), options: RestoreOptions = {}) {
  const archive = memoryArchive(source);
  const ledgerStore = new InMemoryLedgerStore();
  const run = await runRestore(deps(archive, target, ledgerStore), options);
  return { source, target, archive, ledgerStore, run };
}

describe('planRestore', () => {
  it('plans to create everything in an empty target, in dependency order', async () => {
    const source = seededSource();

    const plan = await planRestore(memoryArchive(source), emptyTarget());

    const summary = summarizePlan(plan);
    // Three personal projects map to the same users' personal projects; the team project is new.
    expect(summary.projects).toEqual({ create: 1, update: 0, skip: 3, conflict: 0 });
    expect(summary.folders.create).toBe(2);
    expect(summary.tags.create).toBe(3);
    expect(summary.variables.create).toBe(2);
    expect(summary.credentials.create).toBe(2);
    expect(summary.dataTables.create).toBe(2);
    expect(summary.workflows.create).toBe(6);
    expect(plan.entries.map((e) => e.resource)).toEqual(
      [...plan.entries.map((e) => e.resource)].sort(
        (a, b) =>
          ['projects', 'folders', 'tags', 'variables', 'credentials', 'dataTables', 'workflows'].indexOf(a) -
          ['projects', 'folders', 'tags', 'variables', 'credentials', 'dataTables', 'workflows'].indexOf(b),
      ),
    );
    expect(
      plan.entries.find((e) => e.resource === 'credentials' && e.sourceId === 'credSlack0000001'),
    ).toMatchObject({
      action: 'create',
      createWithId: 'credSlack0000001',
    });
  });

  it('maps the personal project to the same user in the target and says so', async () => {
    const plan = await planRestore(memoryArchive(seededSource()), emptyTarget());

    const personal = plan.entries.find((e) => e.resource === 'projects' && e.action === 'skip');
    expect(personal?.reason).toContain('owner@example.com');
    expect(personal?.targetId).toBeDefined();
  });

  it('pulls the dependencies of a selected workflow in and says why', async () => {
    const plan = await planRestore(memoryArchive(seededSource()), emptyTarget(), {
      selection: { workflow: 'Mai?' },
    });

    const workflows = plan.entries
      .filter((e) => e.resource === 'workflows')
      .map((e) => [e.name, e.pulledInBy ?? 'selected']);
    expect(workflows).toEqual([
      ['Error handler', 'needed by workflow "Main"'],
      ['Main', 'selected'],
      ['Sub A', 'needed by workflow "Main"'],
    ]);
    expect(
      plan.entries
        .filter((e) => e.resource === 'credentials')
        .map((e) => e.sourceId)
        .sort(),
    ).toEqual(['credHeader000001', 'credSlack0000001']);
    expect(plan.entries.filter((e) => e.resource === 'dataTables').map((e) => e.name)).toEqual(['customers']);
    expect(plan.entries.filter((e) => e.resource === 'folders').map((e) => e.name)).toEqual([
      'Billing',
      'Billing/Invoices',
    ]);
    expect(
      plan.entries
        .filter((e) => e.resource === 'tags')
        .map((e) => e.name)
        .sort(),
    ).toEqual(['billing', 'prod']);
    expect(plan.notes.join('\n')).toContain('pulled in');
  });

  it('refuses a --project-map naming a project the archive lacks', async () => {
    await expect(
      planRestore(memoryArchive(seededSource()), emptyTarget(), {
        placement: { projectMap: new Map([['Nope', 'X']]) },
      }),
    ).rejects.toThrow(/no project of that name/);
  });

  it('sends the contents of an unlicensed target to the personal project, with a note', async () => {
    const plan = await planRestore(
      memoryArchive(seededSource()),
      emptyTarget({ licensed: { projects: false, variables: false, folders: false } }),
    );

    expect(plan.target).toMatchObject({ projects: false, variables: false, folders: false });
    expect(plan.notes.join('\n')).toMatch(/API key owner's personal project/);
    expect(plan.entries.filter((e) => e.resource === 'projects').every((e) => e.action === 'skip')).toBe(
      true,
    );
    expect(plan.entries.filter((e) => e.resource === 'variables').every((e) => e.action === 'skip')).toBe(
      true,
    );
  });

  it('names each reference the restore cannot satisfy by workflow and node', async () => {
    const source = seededSource();
    byName(source, 'Agent').nodes.push({
      name: 'Call the void',
      type: 'n8n-nodes-base.executeWorkflow',
      typeVersion: 1,
      position: [0, 0],
      parameters: { workflowId: 'doesNotExist0001' },
    });

    const plan = await planRestore(memoryArchive(source), emptyTarget());

    expect(plan.warnings).toContainEqual(
      expect.objectContaining({
        code: 'unresolved-reference',
        workflow: expect.objectContaining({ name: 'Agent' }),
        node: 'Call the void',
      }),
    );
  });

  it('words an empty sub-workflow reference as the backup does, never as the literal ${undefined}', async () => {
    const source = seededSource();
    byName(source, 'Agent').nodes.push({
      name: 'Call nothing',
      type: 'n8n-nodes-base.executeWorkflow',
      typeVersion: 1,
      position: [0, 0],
      parameters: { workflowId: '${undefined}' },
    });

    const plan = await planRestore(memoryArchive(source), emptyTarget());

    const warning = plan.warnings.find((w) => w.node === 'Call nothing');
    expect(warning?.code).toBe('dangling-reference');
    expect(warning?.message).toBe(
      'workflow "Agent" node "Call nothing" (nodes["Call nothing"].parameters.workflowId) refers to no workflow (the reference is empty); it is left as is',
    );
  });
});

describe('runRestore into an empty target', () => {
  it('recreates every resource so the target compares equal to the archive', async () => {
    const { archive, target, run } = await restoreFresh();

    expect(run.done).toBe(true);
    const diff = await diffInstances(archiveSnapshot(archive, 'archive'), liveSnapshot(target));
    expect(formatDifferences(diff)).toEqual([]);
    expect(run.report.created).toMatchObject({
      projects: 1,
      folders: 2,
      tags: 3,
      variables: 2,
      credentials: 2,
      dataTables: 2,
      dataTableRows: 10,
      workflows: 6,
    });
    expect(run.report.failed).toMatchObject({ workflows: 0, credentials: 0 });
  });

  it('rewrites every workflow reference to the new ids, keeping credential ids', async () => {
    const { source, target, run } = await restoreFresh();
    const ids = run.report.idMap;
    const subA = byName(target, 'Sub A');
    const main = byName(target, 'Main');

    expect(node(main, 'Call sub (list)').parameters.workflowId).toMatchObject({
      value: subA.id,
      cachedResultUrl: `/workflow/${subA.id}`,
    });
    expect(node(main, 'Call sub (string)').parameters.workflowId).toBe(subA.id);
    expect(node(main, 'Tell Slack').credentials).toEqual({
      slackApi: { id: 'credSlack0000001', name: 'Slack bot' },
    });
    const customers = target.dataTables.find((t) => t.name === 'customers');
    expect(node(main, 'Mark VIP').parameters.dataTableId).toMatchObject({ value: customers?.id });
    expect(main.settings.errorWorkflow).toBe(byName(target, 'Error handler').id);
    expect(subA.settings.callerIds).toBe(`${main.id}, ${byName(target, 'Error handler').id}`);
    const recursive = byName(target, 'Recursive');
    expect(node(recursive, 'Again').parameters.workflowId).toMatchObject({ value: recursive.id });
    expect(ids.workflows[byName(source, 'Main').id]).toBe(main.id);
    expect(ids.credentials).toEqual({
      credSlack0000001: 'credSlack0000001',
      credHeader000001: 'credHeader000001',
    });
  });

  it('brings archived workflows back archived, descriptions, tags, folders and activation', async () => {
    const { target } = await restoreFresh();
    const main = byName(target, 'Main');

    expect(byName(target, 'Old flow').isArchived).toBe(true);
    expect(main.description).toBe('Nightly invoice run');
    expect(main.tags?.map((t) => t.name).sort()).toEqual(['billing', 'prod']);
    expect(target.folders.find((f) => f.id === main.parentFolderId)?.name).toBe('Billing');
    expect(main.active).toBe(true);
    expect(byName(target, 'Agent').active).toBe(false);
  });

  it('creates credentials as stubs with schema placeholders and lists them as awaiting secrets', async () => {
    const { target, run } = await restoreFresh();

    expect(target.credentials.find((c) => c.id === 'credHeader000001')?.data).toEqual({
      name: '',
      value: '',
    });
    expect(run.report.credentialsAwaitingSecrets.map((c) => c.id).sort()).toEqual([
      'credHeader000001',
      'credSlack0000001',
    ]);
  });

  it('hydrates credentials from the secret source by id or by name', async () => {
    const secrets: SecretSource = {
      get: async (key) =>
        key === 'API header' ? JSON.stringify({ name: 'X-Key', value: 's3cret' }) : undefined,
    };
    const source = seededSource();
    const target = emptyTarget();

    const run = await runRestore(deps(memoryArchive(source), target, new InMemoryLedgerStore(), secrets));

    expect(target.credentials.find((c) => c.id === 'credHeader000001')?.data).toEqual({
      name: 'X-Key',
      value: 's3cret',
    });
    expect(run.report.credentialsAwaitingSecrets.map((c) => c.id)).toEqual(['credSlack0000001']);
    expect(JSON.stringify(run.report)).not.toContain('s3cret');
  });

  it('inserts rows in batches of the configured size', async () => {
    const source = seededSource({ rows: 600 });
    const target = emptyTarget();

    await runRestore(deps(memoryArchive(source), target), { run: { rowBatchSize: 250 } });

    const orders = target.dataTables.find((t) => t.name === 'orders');
    expect(target.writes.filter((w) => w === `POST /data-tables/${orders?.id}/rows`)).toHaveLength(3);
    expect(target.rows.get(orders?.id ?? '')?.map((r) => r.number)).toEqual(
      Array.from({ length: 600 }, (_, i) => i + 1),
    );
  });

  it("fails a workflow n8n will not publish, in n8n's words: what ran on the source must run", async () => {
    const source = seededSource();
    byName(source, 'Agent').active = true;
    byName(source, 'Agent').nodes.shift();

    const { run } = await restoreFresh(source);

    expect(run.done).toBe(true);
    expect(run.report.complete).toBe(false);
    expect(run.report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'restore-failed',
        workflow: expect.objectContaining({ name: 'Agent' }),
        message: expect.stringContaining(
          'activating it failed: n8n will not publish it: Workflow has no node to start the workflow',
        ),
      }),
    );
  });
});

describe('idempotency and resume', () => {
  it('writes nothing when the finished restore runs again', async () => {
    const { archive, target, ledgerStore } = await restoreFresh();
    const writes = target.writes.length;

    const again = await runRestore(deps(archive, target, ledgerStore));

    expect(target.writes.length).toBe(writes);
    expect(again.report.created.workflows).toBe(0);
    expect(again.report.warnings[0]?.code).toBe('already-restored');
  });

  it('creates and updates nothing when restoring the same archive again without the ledger', async () => {
    const { archive, target } = await restoreFresh();
    const writes = target.writes.length;

    const second = await runRestore(deps(archive, target, new InMemoryLedgerStore()));

    expect(Object.values(second.report.created).every((n) => n === 0)).toBe(true);
    expect(Object.values(second.report.updated).every((n) => n === 0)).toBe(true);
    expect(target.writes.length).toBe(writes);
  });

  it('makes no changes on a second overwrite run of an identical archive', async () => {
    const { archive, target } = await restoreFresh(seededSource(), emptyTarget(), {
      conflicts: { onConflict: 'overwrite' },
    });
    const writes = target.writes.length;

    const second = await runRestore(deps(archive, target, new InMemoryLedgerStore()), {
      conflicts: { onConflict: 'overwrite' },
    });

    expect(second.report.updated).toMatchObject({ workflows: 0, variables: 0, dataTables: 0 });
    expect(target.writes.slice(writes)).toEqual([]);
  });

  it('ends in the same state as an uninterrupted restore when it crashes at any write and runs again', async () => {
    const reference = await restoreFresh();
    const totalWrites = reference.target.writes.length;
    expect(totalWrites).toBeGreaterThan(20);

    for (const killed of [false, true]) {
      for (let crashAt = 1; crashAt <= totalWrites; crashAt += 1) {
        const label = `${killed ? 'killed' : 'failed'} at write ${crashAt}`;
        const archive = memoryArchive(seededSource());
        const target = emptyTarget();
        const ledgerStore = new FreezableLedgerStore();
        target.crashAtWrite = crashAt;
        // A killed process saves nothing after the crash; a failing one saves its ledger on the way out.
        if (killed) target.onCrash = () => ledgerStore.freeze();

        await expect(
          runRestore(deps(archive, target, ledgerStore), {
            run: { checkpoint: { everyChanges: 1000, everyMs: 60_000 } },
          }),
        ).rejects.toThrow(RestoreError);
        ledgerStore.thaw();
        const resumed = await runRestore(deps(archive, target, ledgerStore));

        expect(resumed.done, label).toBe(true);
        const diff = await diffInstances(liveSnapshot(reference.target), liveSnapshot(target));
        expect(formatDifferences(diff), label).toEqual([]);
        expect(target.workflows.length, label).toBe(reference.target.workflows.length);
        expect(target.tags.length, label).toBe(reference.target.tags.length);
        expect(target.variables.length, label).toBe(reference.target.variables.length);
        expect(target.dataTables.length, label).toBe(reference.target.dataTables.length);
        expect(target.credentials.length, label).toBe(reference.target.credentials.length);
        expect(target.folders.length, label).toBe(reference.target.folders.length);
        expect(target.projects.length, label).toBe(reference.target.projects.length);
      }
    }
  });

  it('refuses a ledger made for another archive', async () => {
    const { target, ledgerStore } = await restoreFresh();
    const other = seededSource();
    other.seedTag('extra');

    await expect(runRestore(deps(memoryArchive(other), target, ledgerStore))).rejects.toThrow(
      /belongs to another archive/,
    );
  });

  it('stops cleanly at its deadline and continues on the next run', async () => {
    const source = seededSource();
    const archive = memoryArchive(source);
    const target = emptyTarget();
    const ledgerStore = new InMemoryLedgerStore();
    let now = Date.parse('2026-11-22T02:00:00.000Z');
    const ticking: Clock = {
      now: () => {
        now += 1000;
        return new Date(now);
      },
    };
    const runs: boolean[] = [];

    for (let i = 0; i < 50; i += 1) {
      const deadline = now + 20_000;
      const run = await runRestore(
        { ...deps(archive, target, ledgerStore), clock: ticking },
        { run: { deadline, deadlineMarginMs: 2000 } },
      );
      runs.push(run.done);
      if (run.done) break;
    }

    expect(runs.length).toBeGreaterThan(1);
    expect(runs.at(-1)).toBe(true);
    const diff = await diffInstances(archiveSnapshot(archive, 'archive'), liveSnapshot(target));
    expect(formatDifferences(diff)).toEqual([]);
  });
});

describe('archive integrity', () => {
  it('refuses a corrupted archive before writing anything', async () => {
    const source = seededSource();
    const archive = memoryArchive(source);
    archive.corrupt.add('workflows.ndjson');
    const target = emptyTarget();

    await expect(runRestore(deps(archive, target))).rejects.toThrow(ArchiveIntegrityError);
    expect(target.writes).toEqual([]);
  });

  it('refuses a corrupted archive in a dry run too', async () => {
    const archive = memoryArchive(seededSource());
    archive.corrupt.add('tags.ndjson');

    await expect(runRestore(deps(archive, emptyTarget()), { run: { dryRun: true } })).rejects.toThrow(
      /failed verification/,
    );
  });

  it('writes nothing in a dry run, not even the ledger', async () => {
    const target = emptyTarget();
    const ledgerStore = new InMemoryLedgerStore();

    const run = await runRestore(deps(memoryArchive(seededSource()), target, ledgerStore), {
      run: { dryRun: true },
    });

    expect(target.writes).toEqual([]);
    expect(ledgerStore.saves).toBe(0);
    expect(run.report.created.workflows).toBe(6);
  });
});

describe('conflicts', () => {
  function targetWithChangedMain() {
    const target = emptyTarget();
    const ops = target.seedProject('Ops');
    target.seedWorkflow({ name: 'Main', nodes: [], description: 'edited in the target' }, ops.id);
    target.seedVariable('REGION', 'us-east-1');
    return target;
  }

  it('keeps the target version under --on-conflict skip', async () => {
    const target = targetWithChangedMain();

    const { run } = await restoreFresh(seededSource(), target);

    expect(target.workflows.filter((w) => w.name === 'Main')).toHaveLength(1);
    expect(byName(target, 'Main').description).toBe('edited in the target');
    expect(target.variables.find((v) => v.key === 'REGION')?.value).toBe('us-east-1');
    expect(run.report.skipped.workflows).toBe(1);
  });

  it('replaces the target version under --on-conflict overwrite', async () => {
    const target = targetWithChangedMain();

    const { run } = await restoreFresh(seededSource(), target, { conflicts: { onConflict: 'overwrite' } });

    expect(target.workflows.filter((w) => w.name === 'Main')).toHaveLength(1);
    expect(byName(target, 'Main').description).toBe('Nightly invoice run');
    expect(node(byName(target, 'Main'), 'Call sub (string)').parameters.workflowId).toBe(
      byName(target, 'Sub A').id,
    );
    expect(target.variables.find((v) => v.key === 'REGION')?.value).toBe('eu-west-1');
    expect(run.report.updated).toMatchObject({ workflows: 1, variables: 1 });
  });

  it('creates renamed copies under --on-conflict rename', async () => {
    const target = targetWithChangedMain();

    await restoreFresh(seededSource(), target, { conflicts: { onConflict: 'rename' } });

    expect(byName(target, 'Main').description).toBe('edited in the target');
    expect(byName(target, 'Main (restored)').description).toBe('Nightly invoice run');
    expect(target.variables.find((v) => v.key === 'REGION_RESTORED')?.value).toBe('eu-west-1');
  });

  it('reports a credential id taken by another type as a conflict and leaves it alone', async () => {
    const target = emptyTarget();
    target.seedCredential('Someone else', 'githubApi', target.ownerPersonalProjectId, 'credSlack0000001');

    const { run } = await restoreFresh(seededSource(), target);

    expect(run.report.failed.credentials).toBe(1);
    expect(run.report.warnings).toContainEqual(
      expect.objectContaining({ code: 'conflict', resource: 'credentials' }),
    );
    expect(target.credentials.find((c) => c.id === 'credSlack0000001')?.type).toBe('githubApi');
  });
});

describe('--keep-workflow-ids', () => {
  const keep: RestoreOptions = { workflowWrite: { keepWorkflowIds: true } };

  it('recreates every workflow under its archive id, references untouched, the target equal to the archive', async () => {
    const { source, archive, target, run } = await restoreFresh(seededSource(), emptyTarget(), keep);

    expect(run.done).toBe(true);
    expect(target.workflows.map((w) => w.id).sort()).toEqual(source.workflows.map((w) => w.id).sort());
    expect(Object.entries(run.report.idMap.workflows).every(([from, to]) => from === to)).toBe(true);
    const main = byName(target, 'Main');
    const subA = byName(source, 'Sub A');
    expect(node(main, 'Call sub (string)').parameters.workflowId).toBe(subA.id);
    expect(main.settings.errorWorkflow).toBe(byName(source, 'Error handler').id);
    expect(main.description).toBe('Nightly invoice run');
    expect(target.writes.filter((w) => w === 'POST /workflows')).toEqual([]);
    expect(target.writes.filter((w) => w === 'POST /n8n-packages/import').length).toBeGreaterThan(0);
    const diff = await diffInstances(archiveSnapshot(archive, 'archive'), liveSnapshot(target));
    expect(formatDifferences(diff)).toEqual([]);
    expect(run.report.created.workflows).toBe(6);
  });

  it('writes nothing when the same archive is restored again, matching workflows by id', async () => {
    const { archive, target } = await restoreFresh(seededSource(), emptyTarget(), keep);
    byName(target, 'Sub A').name = 'Sub A, renamed in the target';
    const writes = target.writes.length;

    const second = await runRestore(deps(archive, target, new InMemoryLedgerStore()), keep);

    expect(second.report.created.workflows).toBe(0);
    expect(second.report.skipped.workflows).toBe(6);
    expect(target.writes.slice(writes)).toEqual([]);
  });

  it('refuses before any write when the target has no package import (n8n before 2.24)', async () => {
    const target = emptyTarget({ packageImport: false });

    await expect(
      runRestore(deps(memoryArchive(seededSource()), target, new InMemoryLedgerStore()), keep),
    ).rejects.toThrow(/n8n-packages\/import.*nothing was written/);
    expect(target.writes).toEqual([]);
  });

  it('reports an id taken by another workflow under --on-conflict rename instead of dropping the id', async () => {
    const source = seededSource();
    const target = emptyTarget();
    const mainId = byName(source, 'Main').id;
    target.workflows.push({ ...structuredClone(byName(source, 'Sub A')), id: mainId, name: 'Squatter' });

    const { run } = await restoreFresh(source, target, { ...keep, conflicts: { onConflict: 'rename' } });

    expect(run.plan.entries.find((e) => e.sourceId === mainId)).toMatchObject({ action: 'conflict' });
    expect(run.report.failed.workflows).toBe(1);
    expect(target.workflows.find((w) => w.id === mainId)?.name).toBe('Squatter');
  });

  it('ends in the same state as an uninterrupted restore when it crashes at any write and runs again', async () => {
    const reference = await restoreFresh(seededSource(), emptyTarget(), keep);
    const totalWrites = reference.target.writes.length;

    for (let crashAt = 1; crashAt <= totalWrites; crashAt += 1) {
      const archive = memoryArchive(seededSource());
      const target = emptyTarget();
      const ledgerStore = new FreezableLedgerStore();
      target.crashAtWrite = crashAt;
      target.onCrash = () => ledgerStore.freeze();

      await expect(
        runRestore(deps(archive, target, ledgerStore), {
          ...keep,
          run: { checkpoint: { everyChanges: 1000, everyMs: 60_000 } },
        }),
      ).rejects.toThrow(RestoreError);
      ledgerStore.thaw();
      const resumed = await runRestore(deps(archive, target, ledgerStore), keep);

      const label = `killed at write ${crashAt}`;
      expect(resumed.done, label).toBe(true);
      const diff = await diffInstances(liveSnapshot(reference.target), liveSnapshot(target));
      expect(formatDifferences(diff), label).toEqual([]);
      expect(target.workflows.map((w) => w.id).sort(), label).toEqual(
        reference.target.workflows.map((w) => w.id).sort(),
      );
    }
  });
});

describe('unlicensed target', () => {
  it('lands everything in the personal project and restores what it can', async () => {
    const target = emptyTarget({ licensed: { projects: false, variables: false, folders: false } });

    const { run } = await restoreFresh(seededSource(), target);

    expect(run.done).toBe(true);
    expect(target.workflows).toHaveLength(6);
    expect(target.workflows.every((w) => w.shared?.[0]?.projectId === target.ownerPersonalProjectId)).toBe(
      true,
    );
    expect(target.variables).toHaveLength(0);
    expect(run.report.notes.join('\n')).toMatch(/personal project/);
  });
});

describe('workflow bodies', () => {
  it('drops read-only fields and keys n8n refuses on write', () => {
    const { body, dropped } = toWorkflowWrite({
      id: 'x',
      name: 'W',
      active: true,
      isArchived: false,
      versionId: 'v',
      tags: [],
      nodes: [{ name: 'N', type: 't', parameters: {}, extendsCredential: 'x' }],
      connections: {},
      settings: { executionOrder: 'v1', engineType: 'x', binaryMode: 'separate' },
      pinData: {},
      staticData: null,
    });

    expect(body).toEqual({
      name: 'W',
      nodes: [{ name: 'N', type: 't', parameters: {} }],
      connections: {},
      settings: { executionOrder: 'v1' },
    });
    expect(dropped.sort()).toEqual(['nodes[].extendsCredential', 'settings.engineType']);
  });

  it('builds placeholder credential data that satisfies conditional requirements', () => {
    const schema = {
      type: 'object',
      properties: {
        authentication: { type: 'string', enum: ['apiKey', 'oAuth2'] },
        apiKey: { type: 'string' },
        clientId: { type: 'string' },
      },
      required: ['authentication'],
      allOf: [
        conditionalRequirement('authentication', 'apiKey', 'apiKey'),
        conditionalRequirement('authentication', 'oAuth2', 'clientId'),
      ],
    };

    expect(placeholderCredentialData(schema)).toEqual({ authentication: 'apiKey', apiKey: '' });
  });
});

/**
 * A restore never lies: it ends with the target holding what the plan said, or it says what is
 * missing and a re-run writes it. Lost answers are reconciled, never duplicated.
 */
import { describe, expect, it } from 'vitest';
import { archiveSnapshot, diffInstances, liveSnapshot } from '../../../functions/core/diff/index.js';
import { AmbiguousWriteError, N8nApiError } from '../../../functions/core/errors.js';
import { type Clock, silentLogger, silentProgress } from '../../../functions/core/ports.js';
import { runRestore } from '../../../functions/core/restore/run.js';
import type { RestoreOptions } from '../../../functions/core/restore/types.js';
import { type MemoryArchive, memoryArchive } from '../fakes/memory-archive.js';
import type { MemoryN8n } from '../fakes/memory-n8n.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';
import { refuseWorkflow } from './refusal.js';

const clock: Clock = { now: () => new Date('2026-11-22T02:00:00.000Z') };

function restorer(archive: MemoryArchive, target: MemoryN8n) {
  const ledgerStore = new InMemoryLedgerStore();
  return (options: RestoreOptions = {}) =>
    runRestore(
      { archive, api: target, ledgerStore, clock, logger: silentLogger, progress: silentProgress },
      options,
    );
}

/** The names a resource has more than once in the target: duplicates a restore made. */
function duplicates(names: string[]): string[] {
  return names.filter((name, i) => names.indexOf(name) !== i);
}

/** Every `every`-th call of `method` does its work, then answers as if the connection dropped. */
function loseAnswers(
  target: MemoryN8n,
  method: 'createWorkflow' | 'createTag' | 'createDataTable' | 'createProject' | 'createFolder',
  every: number,
): () => number {
  const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  let calls = 0;
  let lost = 0;
  Object.assign(target, {
    [method]: async (...args: unknown[]) => {
      const answer = await original(...args);
      calls += 1;
      if (calls % every !== 0) return answer;
      lost += 1;
      throw new AmbiguousWriteError(`POST ${method}: the connection dropped after sending`, {
        method: 'POST',
        path: method,
      });
    },
  });
  return () => lost;
}

describe('a restore that cannot write something says so, and every re-run tries again', () => {
  it('ends incomplete naming the workflow n8n refuses, on the first run and on every re-run, and completes once n8n takes it', async () => {
    // Prepare: n8n refuses one workflow's body
    const source = seededSource();
    const target = emptyTarget();
    const restore = restorer(memoryArchive(source), target);
    const takeSubA = refuseWorkflow(target, 'Sub A');

    // Act
    const first = await restore();
    const second = await restore();
    takeSubA();
    const third = await restore();
    const fourth = await restore();

    // Assess
    for (const run of [first, second]) {
      expect(run.report.complete).toBe(false);
      expect(run.report.failed.workflows).toBe(1);
      expect(run.report.warnings.map((w) => w.message)).toContainEqual(
        expect.stringMatching(/workflows "Sub A"/),
      );
    }
    expect(third.report.complete).toBe(true);
    expect(third.report.failed.workflows).toBe(0);
    expect(target.workflows.filter((w) => w.name === 'Sub A')).toHaveLength(1);
    expect(duplicates(target.workflows.map((w) => w.name))).toEqual([]);
    // "Main", written while "Sub A" was missing, was written again once "Sub A" existed.
    const subA = target.workflows.find((w) => w.name === 'Sub A');
    const main = target.workflows.find((w) => w.name === 'Main');
    const calls = main?.nodes.filter((n) => n.type === 'n8n-nodes-base.executeWorkflow');
    expect(calls?.map((n) => JSON.stringify(n.parameters.workflowId))).toEqual([
      expect.stringContaining(`"value":"${subA?.id}"`),
      JSON.stringify(subA?.id),
    ]);
    expect(third.report.warnings.map((w) => w.code)).not.toContain('unresolved-reference');
    expect(fourth.report.complete).toBe(true);
    expect(fourth.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
  });

  it('finds by reading the target what a write claimed but did not leave, and writes it again on the next run', async () => {
    // Prepare: n8n answers a tag create with an id, but the tag is gone by the end
    const source = seededSource();
    const target = emptyTarget();
    const restore = restorer(memoryArchive(source), target);
    const createTag = target.createTag.bind(target);
    target.createTag = async (name: string) => {
      const tag = await createTag(name);
      if (name === 'billing')
        target.tags.splice(
          target.tags.findIndex((t) => t.id === tag.id),
          1,
        );
      return tag;
    };

    // Act
    const first = await restore();
    target.createTag = createTag;
    const second = await restore();

    // Assess
    expect(first.report.complete).toBe(false);
    expect(first.report.warnings.map((w) => w.message)).toContainEqual(
      expect.stringMatching(/tags "billing" is not in the target after the restore/),
    );
    expect(second.report.complete).toBe(true);
    expect(target.tags.map((t) => t.name).sort()).toEqual(source.tags.map((t) => t.name).sort());
  });
});

describe('a restore resumed in the middle of its references pass', () => {
  it('reports each reference it could not resolve once, not again for the workflows written before the crash', async () => {
    // Prepare: n8n refuses "Sub A", so "Main" keeps two references it cannot resolve
    const probe = emptyTarget();
    refuseWorkflow(probe, 'Sub A');
    await restorer(memoryArchive(seededSource()), probe)();
    const puts = probe.writes.flatMap((w, i) => (/^PUT \/workflows\/[^/]+$/.test(w) ? [i + 1] : []));
    const target = emptyTarget();
    refuseWorkflow(target, 'Sub A');
    target.crashAtWrite = puts.at(-1);
    const restore = restorer(memoryArchive(seededSource()), target);

    // Act: the run crashes at the references pass's last write; the next one resumes the pass
    await restore().catch(() => undefined);
    const resumed = await restore();

    // Assess
    const unresolved = resumed.report.warnings
      .filter((w) => w.code === 'unresolved-reference')
      .map((w) => `${w.workflow?.name} ${w.location}`);
    expect(puts.length).toBeGreaterThan(1);
    expect(unresolved.length).toBeGreaterThan(0);
    expect(unresolved).toEqual([...new Set(unresolved)]);
  });
});

describe('answers lost after n8n did the work are reconciled, never duplicated', () => {
  it('adopts what n8n created when the answer never came, in one run, with the target equal to the source', async () => {
    // Prepare
    const source = seededSource();
    const archive = memoryArchive(source);
    const target = emptyTarget();
    const lost = [
      loseAnswers(target, 'createWorkflow', 3),
      loseAnswers(target, 'createTag', 2),
      loseAnswers(target, 'createDataTable', 2),
      loseAnswers(target, 'createProject', 1),
      loseAnswers(target, 'createFolder', 2),
    ];

    // Act
    const run = await restorer(archive, target)();

    // Assess
    expect(lost.every((count) => count() > 0)).toBe(true);
    expect(run.report.complete).toBe(true);
    expect(duplicates(target.workflows.map((w) => w.name))).toEqual([]);
    expect(duplicates(target.tags.map((t) => t.name))).toEqual([]);
    expect(duplicates(target.dataTables.map((t) => t.name))).toEqual([]);
    const diff = await diffInstances(archiveSnapshot(archive, 'archive'), liveSnapshot(target), {
      ignoreUsers: true,
    });
    expect(diff.differences).toEqual([]);
  });
});

describe('a dry run over an existing ledger says what running the same command would do', () => {
  it('names what an incomplete restore would try again, and writes nothing', async () => {
    // Prepare: a restore that ended incomplete (n8n refused one workflow)
    const target = emptyTarget();
    const restore = restorer(memoryArchive(seededSource()), target);
    refuseWorkflow(target, 'Sub A');
    await restore();
    const writes = target.writes.length;

    // Act
    const dry = await restore({ run: { dryRun: true } });

    // Assess
    expect(target.writes.length).toBe(writes);
    expect(dry.report.created.workflows).toBe(1);
    expect(dry.report.notes.at(-1)).toMatch(/running it again continues it and tries again 1 object/);
    expect(dry.report.warnings.map((w) => w.message)).toContainEqual(
      expect.stringMatching(/workflows "Sub A"/),
    );
  });

  it('says a complete restore would write nothing', async () => {
    // Prepare
    const target = emptyTarget();
    const restore = restorer(memoryArchive(seededSource()), target);
    await restore();

    // Act
    const dry = await restore({ run: { dryRun: true } });

    // Assess
    expect(dry.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
    expect(Object.values(dry.report.created).every((n) => n === 0)).toBe(true);
  });
});

/** The next `times` calls of `method` fail as a lost answer; `done` says whether n8n did the work first. */
function loseNextAnswers(
  target: MemoryN8n,
  method: 'addProjectMembers' | 'createVariable' | 'createCredential',
  times: number,
  done: boolean,
): () => number {
  const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  let lost = 0;
  Object.assign(target, {
    [method]: async (...args: unknown[]) => {
      if (lost >= times) return original(...args);
      lost += 1;
      if (done) await original(...args);
      throw new AmbiguousWriteError(`POST ${method}: the answer was 502`, { method: 'POST', path: method });
    },
  });
  return () => lost;
}

describe('project members and variables whose answers were lost are reconciled too', () => {
  it.each([
    ['n8n added them: listed, not sent again', true, 1],
    ['n8n never saw the add: sent again', false, 2],
  ])('adds the members a lost answer left out, once (%s)', async (_, done, answersLost) => {
    // Prepare
    const source = seededSource();
    const archive = memoryArchive(source);
    const target = emptyTarget();
    const lost = loseNextAnswers(target, 'addProjectMembers', 2, done);

    // Act
    const run = await restorer(archive, target)();

    // Assess
    expect(lost()).toBe(answersLost);
    expect(run.report.complete).toBe(true);
    const ops = target.projects.find((p) => p.name === 'Ops');
    expect(ops?.members.map((m) => `${m.email} ${m.role}`).sort()).toEqual([
      'alice@example.com project:editor',
      'bob@example.com project:viewer',
      'owner@example.com project:admin',
    ]);
  });

  it('ends incomplete naming the project whose members could not be added, and the next run adds them', async () => {
    // Prepare: every add loses its answer before n8n sees it, more often than a run sends it
    const source = seededSource();
    const archive = memoryArchive(source);
    const target = emptyTarget();
    const restore = restorer(archive, target);
    const addProjectMembers = target.addProjectMembers.bind(target);
    loseNextAnswers(target, 'addProjectMembers', 100, false);

    // Act
    const first = await restore();
    target.addProjectMembers = addProjectMembers;
    const second = await restore();

    // Assess
    expect(first.report.complete).toBe(false);
    expect(first.report.failed.projects).toBe(1);
    expect(first.report.warnings.map((w) => w.message)).toContainEqual(
      expect.stringMatching(/projects "Ops": adding 2 member\(s\) failed/),
    );
    expect(second.report.complete).toBe(true);
    expect(target.projects.filter((p) => p.name === 'Ops')).toHaveLength(1);
    expect(target.projects.find((p) => p.name === 'Ops')?.members).toHaveLength(3);
  });

  it.each([
    ['n8n created it', true],
    ['n8n never saw the create', false],
  ])('creates a variable whose create lost its answer twice exactly once (%s)', async (_, done) => {
    // Prepare
    const source = seededSource();
    const archive = memoryArchive(source);
    const target = emptyTarget();
    const lost = loseNextAnswers(target, 'createVariable', 2, done);

    // Act
    const run = await restorer(archive, target)();

    // Assess
    expect(lost()).toBe(2);
    expect(run.report.complete).toBe(true);
    expect(target.variables.map((v) => v.key).sort()).toEqual(['OPS_CHANNEL', 'REGION']);
  });

  it.each([
    ['n8n created it', true],
    ['n8n never saw the create', false],
  ])(
    'creates a credential stub whose create lost its answer twice exactly once, under its id (%s)',
    async (_, done) => {
      // Prepare
      const source = seededSource();
      const archive = memoryArchive(source);
      const target = emptyTarget();
      const lost = loseNextAnswers(target, 'createCredential', 2, done);

      // Act
      const run = await restorer(archive, target)();

      // Assess
      expect(lost()).toBe(2);
      expect(run.report.complete).toBe(true);
      expect(target.credentials.map((c) => c.id).sort()).toEqual(source.credentials.map((c) => c.id).sort());
    },
  );
});

describe('project members', () => {
  it('fails the project when the target users cannot be listed, so the restore is not complete and a re-run adds the members', async () => {
    // Prepare: listing users works while planning, then fails while applying
    const target = emptyTarget();
    const restore = restorer(memoryArchive(seededSource()), target);
    const listUsers = target.listUsers.bind(target);
    let calls = 0;
    target.listUsers = async function* () {
      calls += 1;
      if (calls === 2)
        throw new N8nApiError('Internal Server Error', { status: 500, method: 'GET', path: '/users' });
      yield* listUsers();
    };

    // Act
    const first = await restore();
    const second = await restore();

    // Assess
    expect(first.report.complete).toBe(false);
    expect(first.report.warnings.map((w) => w.message)).toContainEqual(
      expect.stringMatching(/projects "Ops": adding its members \(listing the target users\) failed/),
    );
    expect(second.report.complete).toBe(true);
    expect(target.projects.find((p) => p.name === 'Ops')?.members.length).toBe(3);
  });
});

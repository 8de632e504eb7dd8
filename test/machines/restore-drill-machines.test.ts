/**
 * The restore and drill state machines as deployed (the cdk.json app synthesized, each definition
 * executed by aws-local-stepfunctions, each invocation the staged bundle in a process of its own; S3
 * and Secrets Manager on moto; n8n the API double at 10 ms a request). Every invocation believes it
 * has its function's whole timeout (15 minutes for a restore or drill slice, 10 for the verify) and
 * is killed 20 s in, as a crash or running out of memory kills it: the machines run each killed
 * slice again, the retry takes over its own execution's lock at once and goes on from the last
 * save, and the run ends restored (the target equal to the archive, `n8n-ark diff` exit 0) or the
 * drill passed, within the Retry's attempts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedCounts, seedInstance } from '../double/seed.js';
import { diffWithCli } from './support/archives.js';
import type { InvocationPolicy } from './support/lambda-process.js';
import { type Invocation, type MachineRun, runMachine } from './support/run-machine.js';
import { startWorld, type World } from './support/world.js';

let world: World;
let archive: { location: string; key: string; versionId: string };
let seeded: SeedCounts;
const KILLED_AT_MS = 20_000;
/** The Retry of a crashed slice (lib/sliced-machine.ts CRASHED_SLICE_RETRY): 6 attempts after the first. */
const RETRIES = 6;

/** Believes it has the function's timeout, dies 20 s in. */
const killedMidWork = ({ function: fn }: Invocation): InvocationPolicy => ({
  budgetMs: fn.timeoutSeconds * 1000,
  killAtMs: KILLED_AT_MS,
});

beforeAll(async () => {
  world = await startWorld({ latencyMs: 10 });
  // Large enough that a restore outlasts a 20 s slice on a quiet machine (2,000 + 50,000 did not).
  seeded = seedInstance(world.prod.state, { workflows: 4_000, rowsTotal: 100_000 });
  // The drill's scratch is marked once as a drill target, and holds an earlier drill's leftovers to
  // wipe (unlicensed: no projects, folders or variables, which a drill's wipe does not delete).
  world.scratch.state.createTag('n8n-ark-drill-target');
  seedInstance(world.scratch.state, { workflows: 300, rowsTotal: 2_000, seed: 7, licensed: false });
  // The targets have the source's people (a restore invites no one): their projects land as in prod.
  for (const target of [world.dr, world.scratch]) {
    const emails = new Set([...target.state.users.values()].map((u) => u.email));
    for (const user of world.prod.state.users.values())
      if (user.role !== 'global:owner' && !emails.has(user.email)) target.state.createUser({ ...user });
  }
  const backup = await runMachine(
    world.app,
    world.app.idOf('AWS::StepFunctions::StateMachine', 'BackupMachine'),
    { instance: 'prod' },
    { executionName: 'nightly', environment: (fn) => world.environment(fn) },
  );
  if (backup.error) throw new Error(`the backup machine failed: ${JSON.stringify(backup.error)}`);
  const location = (backup.output as { slice: { answer: { archive: string } } }).slice.answer.archive;
  const url = new URL(location);
  archive = { location, key: url.pathname.slice(1), versionId: url.searchParams.get('versionId') ?? '' };
}, 300_000);
afterAll(async () => {
  await world?.close();
});

/** Slices of one state killed one after another: how many there were, and the most in a row. */
function killedInARow(run: MachineRun, state: string): { killed: number; mostInARow: number } {
  let killed = 0;
  let row = 0;
  let mostInARow = 0;
  for (const invocation of run.invocations.filter((i) => i.function.startsWith(`${state} (`))) {
    if (invocation.outcome === 'killed') {
      killed += 1;
      row += 1;
      mostInARow = Math.max(mostInARow, row);
    } else row = 0;
  }
  return { killed, mostInARow };
}

describe('slices killed mid-work, each believing it had its whole timeout', () => {
  it('the restore machine runs them again and restores the whole archive within its retries', {
    timeout: 600_000,
  }, async () => {
    const run = await runMachine(
      world.app,
      world.app.idOf('AWS::StepFunctions::StateMachine', 'RestoreMachine'),
      { request: { archive: { key: archive.key, versionId: archive.versionId }, target: 'dr' } },
      { executionName: 'restore-1', environment: (fn) => world.environment(fn), policy: killedMidWork },
    );

    expect(run.error).toBeUndefined();
    const restores = killedInARow(run, 'Restore slice');
    expect(restores.killed).toBeGreaterThanOrEqual(1);
    expect(restores.mostInARow).toBeLessThanOrEqual(RETRIES);
    expect(killedInARow(run, 'Verify archive and target').mostInARow).toBeLessThanOrEqual(RETRIES);
    // What the operator is told counts every slice's work, not the last one's.
    const [notice] = run.published;
    expect(notice?.subject).toBe('n8n-ark restore finished');
    expect(notice?.message).toMatchObject({
      restore: { complete: true, created: { workflows: seeded.workflows, dataTables: seeded.dataTables } },
      comparison: { equal: true },
    });
    const diff = await diffWithCli(world, archive.location, world.dr, '--ignore-users');
    expect(diff.stdout + diff.stderr).not.toContain('only in');
    expect(diff.code).toBe(0);
  });

  it('the drill machine runs them again through wipe, restore and comparison, and the drill passes', {
    timeout: 600_000,
  }, async () => {
    const run = await runMachine(
      world.app,
      world.app.idOf('AWS::StepFunctions::StateMachine', 'Drills'),
      { instance: 'prod' },
      { executionName: 'drill-1', environment: (fn) => world.environment(fn), policy: killedMidWork },
    );

    expect(run.error).toBeUndefined();
    const slices = killedInARow(run, 'Restore slice');
    expect(slices.killed).toBeGreaterThanOrEqual(1);
    expect(slices.mostInARow).toBeLessThanOrEqual(RETRIES);
    const [notice] = run.published;
    expect(notice?.subject).toBe('n8n-ark restore drill finished');
    expect(notice?.message).toMatchObject({ drill: { verdict: 'pass' } });
    // The scratch holds the archive, and its marker as a drill target besides.
    const diff = await diffWithCli(world, archive.location, world.scratch, '--ignore-users');
    const differences = diff.stdout.split('\n').filter((line) => line.startsWith('  '));
    expect(differences).toEqual([`  tags n8n-ark-drill-target: only in ${world.scratch.url}`]);
  });
});

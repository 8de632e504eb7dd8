/**
 * The backup state machine as deployed (the cdk.json app synthesized, its definition executed by
 * aws-local-stepfunctions, each invocation the staged backup bundle in a process of its own; S3 and
 * Secrets Manager on moto; n8n the API double, answering after 10 ms as an instance behind a
 * network does). A nightly full backup of 3,000 workflows and 100,000 rows with every invocation
 * capped at 20 s is published in slices and equals the instance; the next night takes one or two;
 * slices killed mid-work are run again and go on; another execution's lock fails the run by name;
 * slices that get nowhere fail it by name, the upload aborted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import {
  diffWithCli,
  hideArchives,
  lockHeldByAnotherExecution,
  removeLock,
  uploadsInProgress,
  verifyWithCli,
} from './support/archives.js';
import { type MachineRun, runMachine } from './support/run-machine.js';
import { startWorld, type World } from './support/world.js';

let world: World;
let machine: string;
const PROGRESS = 'archives/prod/backup-in-progress.json';
const nightly = { instance: 'prod', shrinkAlarmShare: 0.2 };

beforeAll(async () => {
  world = await startWorld({ latencyMs: 10 });
  seedInstance(world.prod.state, { workflows: 3_000, rowsTotal: 100_000 });
  machine = world.app.idOf('AWS::StepFunctions::StateMachine', 'BackupMachine');
}, 180_000);
afterAll(async () => {
  await world?.close();
});

function backup(executionName: string, input: object, policy: Parameters<typeof runMachine>[3]['policy']) {
  return runMachine(world.app, machine, input, {
    executionName,
    environment: (fn) => world.environment(fn),
    ...(policy ? { policy } : {}),
  });
}

const archiveOf = (run: MachineRun) =>
  (run.output as { slice: { answer: { archive: string } } }).slice.answer.archive;

describe('the backup state machine', () => {
  it('publishes a full backup of 3,000 workflows and 100,000 rows in slices of 20 s that verifies and equals the instance', {
    timeout: 600_000,
  }, async () => {
    const run = await backup('nightly-1', nightly, () => ({ budgetMs: 20_000 }));

    expect(run.error).toBeUndefined();
    expect(run.invocations.length).toBeGreaterThanOrEqual(2);
    expect(run.invocations.every((i) => i.outcome === 'answered' && i.ms < 20_000)).toBe(true);
    const archive = archiveOf(run);
    expect((await verifyWithCli(world, archive)).code).toBe(0);
    const diff = await diffWithCli(world, archive, world.prod);
    expect(diff.stdout + diff.stderr).not.toContain('only in');
    expect(diff.code).toBe(0);
  });

  it('takes the next night, incremental over that archive, in one or two slices', {
    timeout: 300_000,
  }, async () => {
    const run = await backup('nightly-2', nightly, () => ({ budgetMs: 20_000 }));

    expect(run.error).toBeUndefined();
    expect(run.invocations.length).toBeLessThanOrEqual(2);
    expect((await diffWithCli(world, archiveOf(run), world.prod)).code).toBe(0);
  });

  it('runs slices killed mid-work again, each going on from the last save, and publishes the same instance', {
    timeout: 600_000,
  }, async () => {
    await hideArchives(world, 'prod');
    // Every other invocation dies 6 s in, believing it had 15 minutes; the others have 12 s (9 s of
    // work). The backup needs more than 15 s (about 9,000 requests at 10 ms, 4 at a time), so at
    // least the first and the third die, however fast the machine.
    const run = await backup('nightly-3', { ...nightly, checkpointSeconds: 2 }, ({ n }) =>
      n % 2 === 1 ? { budgetMs: 900_000, killAtMs: 6_000 } : { budgetMs: 12_000 },
    );

    expect(run.error).toBeUndefined();
    expect(run.invocations.filter((i) => i.outcome === 'killed').length).toBeGreaterThanOrEqual(2);
    const archive = archiveOf(run);
    expect((await verifyWithCli(world, archive)).code).toBe(0);
    expect((await diffWithCli(world, archive, world.prod)).code).toBe(0);
    expect(await uploadsInProgress(world)).toBe(0);
  });

  it('fails, named LedgerLockedError, while another execution holds the instance’s backup', {
    timeout: 120_000,
  }, async () => {
    await lockHeldByAnotherExecution(
      world,
      PROGRESS,
      'arn:aws:states:us-east-1:123456789012:execution:Backup:other',
    );
    try {
      const run = await backup('nightly-4', nightly, undefined);

      expect(run.error?.name).toBe('LedgerLockedError');
      expect(run.error?.cause).toContain(
        'execution arn:aws:states:us-east-1:123456789012:execution:Backup:other',
      );
    } finally {
      await removeLock(world, PROGRESS);
    }
  });

  it('fails, named SlicesStalledError, once two slices in a row got nowhere, and leaves no upload behind', {
    timeout: 300_000,
  }, async () => {
    await hideArchives(world, 'prod');
    // Each invocation dies 8 s in, long before its first save (every 10 minutes).
    const run = await backup('nightly-5', { ...nightly, checkpointSeconds: 600 }, () => ({
      budgetMs: 900_000,
      killAtMs: 8_000,
    }));

    expect(run.error?.name).toBe('SlicesStalledError');
    expect(run.error?.cause).toContain('the backup of prod made no progress in 2 slices in a row');
    expect(run.invocations.at(-1)?.event).toMatchObject({ abandon: { Error: 'SlicesStalledError' } });
    expect(await uploadsInProgress(world)).toBe(0);
  });
});

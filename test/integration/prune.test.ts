import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveFileName, FolderArchiveStore } from '../../functions/adapters/folder-store.js';
import { S3ArchiveStore } from '../../functions/adapters/s3-archive-store.js';
import { createZipArchiveWriter } from '../../functions/adapters/zip-archive-writer.js';
import { runBackup } from '../../functions/core/backup/run.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import type { PruneReport } from '../../functions/core/retention/prune.js';
import { memoryN8nHolding, ownedWorkflows, workflow } from '../unit/fakes/n8n-contents.js';
import { expectedKeep, type RuleCounts } from '../unit/support/retention-rule.js';
import { type Moto, startMoto } from './support/moto.js';
import { runCapturedCli } from './support/run-cli.js';

const DAY = 86_400_000;
/** 400 nightly archives at 02:00 UTC, 2025-10-25 … 2026-11-28: 13 months and some, 14 calendar months. */
const NIGHTS = Array.from({ length: 400 }, (_, i) => new Date(Date.UTC(2026, 10, 28, 2) - i * DAY));
const RULES = ['last', 'daily', 'weekly', 'monthly'] as const;
const POLICY = { last: 3, daily: 10, weekly: 6, monthly: 12 } satisfies RuleCounts;
const policyFlags = (p: RuleCounts) =>
  Object.entries(p).flatMap(([rule, n]) => [`--keep-${rule}`, String(n)]);

let scratch: string;
let archiveBytes: Buffer;
let moto: Moto;
const savedEnv = { ...process.env };

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ark-prune-'));
  // One real archive; its bytes stand for every night (prune reads only dates, and verifies the newest).
  const { archive } = await runBackup(
    {
      api: memoryN8nHolding(ownedWorkflows(workflow('w1', 'Orders'), workflow('w2', 'Invoices'))),
      store: new FolderArchiveStore(join(scratch, 'seed')),
      createWriter: createZipArchiveWriter,
      clock: { now: () => new Date('2026-11-28T02:00:00.000Z') },
      logger: silentLogger,
      progress: silentProgress,
      toolVersion: 'test',
    },
    { instance: 'prod' },
  );
  archiveBytes = await readFile(archive.location);
  moto = await startMoto();
  // The AWS SDK's default chain (endpoint, region, credentials) reads the process's environment.
  Object.assign(process.env, moto.env);
});
afterAll(async () => {
  process.env = savedEnv;
  await moto?.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function prune(
  store: string,
  policy: RuleCounts,
  env: Record<string, string> = {},
  ...flags: string[]
) {
  const run = await runCapturedCli(
    ['prune', '--instance', 'prod', '--store', store, ...policyFlags(policy), '--json', ...flags],
    env,
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as PruneReport;
}

/** The report's decision by night (ISO time) → the retention rules that keep it. */
function rulesByNight(report: PruneReport): Map<string, string[]> {
  return new Map(
    report.kept
      .map((k) => [k.createdAt, k.keptBy.filter((r) => (RULES as readonly string[]).includes(r))] as const)
      .filter(([, rules]) => rules.length > 0)
      .map(([at, rules]) => [at, [...rules]]),
  );
}

function expectedByNight(nights: Date[], policy: RuleCounts): Map<string, string[]> {
  return expectedKeep(
    nights.map((createdAt) => ({ id: createdAt.toISOString(), createdAt })),
    policy,
  );
}

async function folderWithNights(name: string, nights: Date[]): Promise<string> {
  const root = join(scratch, name);
  await mkdir(join(root, 'prod'), { recursive: true });
  const seed = join(scratch, 'seed.zip');
  await writeFile(seed, archiveBytes);
  for (const night of nights) await copyFile(seed, join(root, 'prod', archiveFileName(night)));
  return root;
}

describe('prune on a folder store', () => {
  it('keeps exactly what the documented rule keeps of 400 nightly archives, and only those', async () => {
    const root = await folderWithNights('gfs', NIGHTS);
    const expected = expectedByNight(NIGHTS, POLICY);

    const dry = await prune(root, POLICY, {}, '--dry-run');
    expect((await readdir(join(root, 'prod'))).length).toBe(400);
    const report = await prune(root, POLICY);

    expect(rulesByNight(dry)).toEqual(expected);
    expect(rulesByNight(report)).toEqual(expected);
    expect(report.kept.length + report.deleted.length).toBe(400);
    expect(report.newestVerified).toBe(join(root, 'prod', archiveFileName(NIGHTS[0] as Date)));
    const left = (await readdir(join(root, 'prod'))).sort();
    expect(left).toEqual([...expected.keys()].map((iso) => archiveFileName(new Date(iso))).sort());
    // 3 last + 10 daily + 6 weekly + 12 monthly, overlapping: the newest 10 nights, 5 more Sundays…
    expect(left.length).toBeLessThan(31);
    expect((await prune(root, POLICY)).deleted).toEqual([]);
  });

  it('keeps the oldest archive too when the monthly count outlasts the months the archives span', async () => {
    const root = await folderWithNights('oldest', NIGHTS);
    const policy = { monthly: 24 };

    const report = await prune(root, policy);

    expect(rulesByNight(report)).toEqual(expectedByNight(NIGHTS, policy));
    expect(report.kept.at(-1)?.createdAt).toBe((NIGHTS.at(-1) as Date).toISOString());
  });

  it('keeps the newest archive that verifies when newer ones do not, besides what the rules keep', async () => {
    const nights = NIGHTS.slice(0, 4);
    const root = await folderWithNights('corrupt', nights);
    const newest = join(root, 'prod', archiveFileName(nights[0] as Date));
    await writeFile(newest, archiveBytes.subarray(0, archiveBytes.length - 100));

    const report = await prune(root, { last: 1 });

    expect(report.failedVerification.map((f) => f.archive)).toEqual([newest]);
    expect(report.kept.map((k) => [k.createdAt, k.keptBy])).toEqual([
      [(nights[0] as Date).toISOString(), ['last']],
      [(nights[1] as Date).toISOString(), ['newest-verified']],
    ]);
    expect((await readdir(join(root, 'prod'))).length).toBe(2);
  });

  it('refuses to delete anything when no archive verifies', async () => {
    const root = join(scratch, 'all-corrupt');
    await mkdir(join(root, 'prod'), { recursive: true });
    for (const night of NIGHTS.slice(0, 3))
      await writeFile(join(root, 'prod', archiveFileName(night)), 'not a zip');

    const run = await runCapturedCli(
      ['prune', '--instance', 'prod', '--store', root, '--keep-last', '1'],
      {},
    );

    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(
      /none of the 3 archive\(s\) of prod .* passes verification, so nothing was deleted/,
    );
    expect((await readdir(join(root, 'prod'))).length).toBe(3);
  });

  it('never deletes an archive a restore has not finished from, and never touches a ledger', async () => {
    const nights = NIGHTS.slice(0, 5);
    const root = await folderWithNights('ledgers', nights);
    const base = (night: Date) => join(root, 'prod', archiveFileName(night).replace(/\.zip$/, ''));
    const running = `${base(nights[2] as Date)}.restore-dr.ledger.json`;
    const done = `${base(nights[3] as Date)}.restore-dr.ledger.json`;
    const lockOnly = `${base(nights[4] as Date)}.restore-staging.ledger.json.lock`;
    await writeFile(running, JSON.stringify({ status: 'incomplete' }));
    await writeFile(done, JSON.stringify({ status: 'done' }));
    await writeFile(lockOnly, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 'now' }));

    const report = await prune(root, { last: 2 });

    expect(report.kept.map((k) => [k.createdAt, k.keptBy, k.ledgers])).toEqual([
      [(nights[0] as Date).toISOString(), ['last', 'newest-verified'], undefined],
      [(nights[1] as Date).toISOString(), ['last'], undefined],
      [(nights[2] as Date).toISOString(), ['restore'], [running]],
      [(nights[4] as Date).toISOString(), ['restore'], [lockOnly.replace(/\.lock$/, '')]],
    ]);
    expect(report.deleted.map((d) => d.createdAt)).toEqual([(nights[3] as Date).toISOString()]);
    const left = await readdir(join(root, 'prod'));
    for (const ledger of [running, done, lockOnly]) expect(left).toContain(ledger.split('/').at(-1));
  });

  it('prints a table naming the rules that keep each archive, and refuses an empty policy', async () => {
    const root = await folderWithNights('table', NIGHTS.slice(0, 9));

    const run = await runCapturedCli(
      [
        'prune',
        '--instance',
        'prod',
        '--store',
        root,
        '--keep-daily',
        '2',
        '--keep-weekly',
        '2',
        '--dry-run',
      ],
      {},
    );
    const refused = await runCapturedCli(
      ['prune', '--instance', 'prod', '--store', root, '--keep-daily', '0'],
      {},
    );

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('2026-11-28T02:00:00.000Z  kept          daily, weekly, newest verified');
    expect(run.stdout).toContain('2026-11-22T02:00:00.000Z  kept          weekly');
    expect(run.stdout).toContain('2026-11-21T02:00:00.000Z  would delete');
    expect(run.stdout).toContain('3 kept, 6 would delete.');
    const traversal = await runCapturedCli(
      ['prune', '--instance', '../prod', '--store', root, '--keep-last', '1'],
      {},
    );
    expect(traversal.code).toBe(2);
    expect(traversal.stderr).toContain('--instance "../prod": use letters, digits');
    const help = await runCapturedCli(['prune', '--help'], {});
    expect(help.stdout).toMatch(/Examples:\n {2}n8n-ark prune --instance prod --keep-daily 7/);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly above 0',
    );
    expect((await readdir(join(root, 'prod'))).length).toBe(9);
  });
});

describe('prune on a versioned S3 bucket with Object Lock (moto)', () => {
  it('deletes by delete marker what the rule does not keep, reports what Object Lock keeps, leaves ledgers', async () => {
    const bucket = 'ark-prune-gfs';
    await moto.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    await moto.s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const store = new S3ArchiveStore({ client: moto.s3, bucket, prefix: 'archives' });
    for (let i = 0; i < NIGHTS.length; i += 8)
      await Promise.all(
        NIGHTS.slice(i, i + 8).map((night) =>
          moto.s3.send(
            new PutObjectCommand({ Bucket: bucket, Key: store.keyFor('prod', night), Body: archiveBytes }),
          ),
        ),
      );
    const expected = expectedByNight(NIGHTS, POLICY);
    const dropped = NIGHTS.filter((n) => !expected.has(n.toISOString()));
    const [retained, held, restoring] = [dropped[5], dropped[40], dropped[300]] as [Date, Date, Date];
    const retainUntil = new Date(Date.now() + 3 * DAY);
    retainUntil.setUTCMilliseconds(0);
    await moto.s3.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: store.keyFor('prod', retained),
        Retention: { Mode: 'GOVERNANCE', RetainUntilDate: retainUntil },
      }),
    );
    await moto.s3.send(
      new PutObjectLegalHoldCommand({
        Bucket: bucket,
        Key: store.keyFor('prod', held),
        LegalHold: { Status: 'ON' },
      }),
    );
    const ledgerKey = store.keyFor('prod', restoring).replace(/\.zip$/, '.restore-dr.ledger.json');
    await moto.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: ledgerKey, Body: JSON.stringify({ status: 'running' }) }),
    );

    const report = await prune(`s3://${bucket}/archives`, POLICY, moto.env);

    expect(rulesByNight(report)).toEqual(expected);
    const overrides = report.kept.filter((k) => !k.keptBy.some((r) => r in POLICY));
    expect(overrides.map((k) => [k.createdAt, k.keptBy, k.objectLock, k.ledgers])).toEqual([
      [
        retained.toISOString(),
        ['object-lock'],
        { retainUntil: retainUntil.toISOString(), mode: 'GOVERNANCE', legalHold: false },
        undefined,
      ],
      [held.toISOString(), ['object-lock'], { legalHold: true }, undefined],
      [restoring.toISOString(), ['restore'], undefined, [`s3://${bucket}/${ledgerKey}`]],
    ]);
    expect(report.deleted.length).toBe(400 - expected.size - 3);

    const current = await moto.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'archives/', MaxKeys: 1000 }),
    );
    const currentKeys = (current.Contents ?? []).map((o) => o.Key).sort();
    const keptNights = [...expected.keys()].map((iso) => new Date(iso)).concat([retained, held, restoring]);
    expect(currentKeys).toEqual([...keptNights.map((n) => store.keyFor('prod', n)), ledgerKey].sort());
    // Deleting meant a delete marker: each deleted archive's bytes remain as a noncurrent version.
    const versions = await moto.s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'archives/', MaxKeys: 1000 }),
    );
    expect(versions.Versions?.length).toBe(401);
    expect(versions.DeleteMarkers?.map((m) => m.Key).sort()).toEqual(
      report.deleted.map((d) => d.archive.replace(`s3://${bucket}/`, '')).sort(),
    );
    const ledger = await moto.s3.send(new GetObjectCommand({ Bucket: bucket, Key: ledgerKey }));
    expect(await ledger.Body?.transformToString()).toBe(JSON.stringify({ status: 'running' }));
  }, 180_000);
});

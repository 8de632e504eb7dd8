/** The prune Lambda handler in-process against moto: what the schedule invokes. */
import { CreateBucketCommand, ListObjectsV2Command, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3ArchiveStore } from '../../functions/adapters/s3-archive-store.js';
import { createZipArchiveWriter } from '../../functions/adapters/zip-archive-writer.js';
import { runBackup } from '../../functions/core/backup/run.js';
import { UsageError } from '../../functions/core/errors.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { handler as prune } from '../../functions/handlers/prune.js';
import { memoryN8nHolding, ownedWorkflows, workflow } from '../unit/fakes/n8n-contents.js';
import { type Moto, startMoto } from './support/moto.js';

let moto: Moto;
const saved = { ...process.env };
const bucket = 'ark-prune-lambda';
const nights = [
  '2026-11-28T02:00:00.000Z',
  '2026-11-27T02:00:00.000Z',
  '2026-11-20T02:00:00.000Z',
  '2026-10-01T02:00:00.000Z',
];

beforeAll(async () => {
  moto = await startMoto();
  await moto.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  const store = new S3ArchiveStore({ client: moto.s3, bucket, prefix: 'archives' });
  for (const night of nights)
    await runBackup(
      {
        api: memoryN8nHolding(ownedWorkflows(workflow('w1', 'Orders'))),
        store,
        createWriter: createZipArchiveWriter,
        clock: { now: () => new Date(night) },
        logger: silentLogger,
        progress: silentProgress,
        toolVersion: 'test',
      },
      { instance: 'prod' },
    );
  Object.assign(process.env, moto.env, {
    ARCHIVE_BUCKET: bucket,
    ARCHIVE_PREFIX: 'archives',
    INSTANCES: JSON.stringify({ prod: 'n8n-ark/prod' }),
  });
});

afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});

async function currentNights(): Promise<string[]> {
  const listing = await moto.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'archives/prod/' }));
  return (listing.Contents ?? [])
    .map((o) => (o.Key ?? '').split('/').at(-1) ?? '')
    .sort()
    .reverse();
}

describe('prune handler', () => {
  it('keeps what the scheduled policy keeps, deletes the rest, and logs one summary line', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let report: Awaited<ReturnType<typeof prune>>;
    try {
      const dry = await prune({ instance: 'prod', keep: { daily: 1, weekly: 2 }, dryRun: true });
      expect(dry.deleted).toHaveLength(2);
      expect(await currentNights()).toHaveLength(4);
      report = await prune({ instance: 'prod', keep: { daily: 1, weekly: 2 } });
    } finally {
      spy.mockRestore();
    }

    expect(report.kept.map((k) => [k.createdAt, k.keptBy])).toEqual([
      [nights[0], ['daily', 'weekly', 'newest-verified']],
      [nights[2], ['weekly']],
    ]);
    expect(await currentNights()).toEqual(['2026-11-28T02-00-00-000Z.zip', '2026-11-20T02-00-00-000Z.zip']);
    const summary = written
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === 'prune finished');
    expect(summary.at(-1)).toMatchObject({ instance: 'prod', kept: 2, deleted: 2, dryRun: false });
  });

  it('refuses an event without a policy, or with a rule it does not know, before touching the bucket', async () => {
    await expect(prune({ instance: 'prod', keep: {} })).rejects.toThrow(
      'give at least one of keep.last, keep.daily, keep.weekly, keep.monthly above 0',
    );
    await expect(prune({ instance: 'prod', keep: { yearly: 2 } })).rejects.toThrow(UsageError);
    await expect(prune({ instance: 'prod' })).rejects.toThrow(/invalid prune event: keep/);
    expect(await currentNights()).toHaveLength(2);
  });

  it('prunes only a configured instance: a name beside it, a prefix of it or a prototype name is refused', async () => {
    for (const instance of ['staging', 'constructor', 'toString'])
      await expect(prune({ instance, keep: { last: 1 }, dryRun: true }), instance).rejects.toThrow(
        `unknown instance "${instance}"; configured: prod`,
      );
    for (const instance of ['prod/2026', '../prod', '__proto__'])
      await expect(prune({ instance, keep: { last: 1 }, dryRun: true }), instance).rejects.toThrow(
        /invalid prune event: instance: .*use letters, digits/,
      );
    expect(await currentNights()).toHaveLength(2);
  });
});

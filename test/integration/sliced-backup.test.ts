/**
 * A backup in slices (core/backup/slice.ts) in-process, against moto's S3 (the multipart upload
 * written by several slices in turn, the state and lock beside it) and the API double over HTTP:
 * slices of a few hundred milliseconds publish one archive that verifies and equals the instance;
 * a slice that dies is taken up by the next from its last save, even when it died after storing
 * the archive's bytes but before saving the state that names them; another execution is refused;
 * a backup given up leaves no upload; slices that make no progress fail the run.
 */
import { hostname } from 'node:os';
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { createPausableZipWriter, type PausedZip } from '../../functions/adapters/pausable-zip-writer.js';
import { S3LedgerStore } from '../../functions/adapters/s3-ledger-store.js';
import { S3SlicedArchiveStore } from '../../functions/adapters/s3-sliced-upload.js';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../functions/core/archive/access.js';
import { verifyArchive } from '../../functions/core/archive/verify.js';
import { abandonBackup, type BackupSliceResult, runBackupSlice } from '../../functions/core/backup/slice.js';
import { archiveSnapshot, diffInstances, liveSnapshot } from '../../functions/core/diff/index.js';
import { LedgerLockedError, SlicesStalledError } from '../../functions/core/errors.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { createRandom } from '../double/prng.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { type Moto, startMoto } from './support/moto.js';

let moto: Moto;
let double: N8nDouble;
const bucket = 'ark-sliced';
const clock = { now: () => new Date() };

beforeAll(async () => {
  moto = await startMoto();
  await moto.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  double = await startN8nDouble({ licensed: 'all' });
  seedInstance(double.state, { workflows: 800, rowsTotal: 6_000, versions: 3 });
  // Rows of random text: an archive past 5 MiB, so it takes several parts.
  const [table] = double.state.dataTables.values();
  const random = createRandom(3);
  const text = () => Array.from({ length: 600 }, () => Math.floor(random() * 36).toString(36)).join('');
  const column = table?.columns.find((c) => c.type === 'string')?.name ?? 'name';
  double.state.insertRows(
    table as never,
    Array.from({ length: 12_000 }, () => ({ [column]: text() })) as never,
  );
});
afterAll(async () => {
  await Promise.all([double?.close(), moto?.stop()]);
});

const store = new Proxy({} as S3SlicedArchiveStore, {
  get: (_, name) => {
    const real = new S3SlicedArchiveStore({ client: moto.s3, bucket, prefix: 'archives' });
    const value = real[name as keyof S3SlicedArchiveStore];
    return typeof value === 'function' ? value.bind(real) : value;
  },
});

interface SliceOptions {
  execution: string;
  /** Each slice's time. */
  ms: number;
  /** The progress store fails the n-th save (from 1) of this slice, as a slice that dies there. */
  dieAtSave?: number;
  saveEveryMs?: number;
}

function slice(options: SliceOptions): Promise<BackupSliceResult> {
  let saves = 0;
  const real = new S3LedgerStore(moto.s3, bucket, 'archives/prod/backup-in-progress.json', {
    names: { job: 'backup', object: 'sliced backup state' },
  });
  const slices = Object.assign(Object.create(real) as S3LedgerStore, {
    save: async (text: string) => {
      saves += 1;
      if (saves === options.dieAtSave) throw new Error('the slice died');
      return real.save(text);
    },
  });
  const now = Date.now();
  return runBackupSlice(
    {
      api: createN8nClient({ baseUrl: double.url, apiKey: double.apiKey, retries: 0 }),
      store,
      createWriter: (state) => createPausableZipWriter(state ? { resume: state as PausedZip } : {}),
      slices,
      lockOwner: {
        pid: process.pid,
        host: hostname(),
        startedAt: new Date(now).toISOString(),
        endsBy: new Date(now + 3_600_000).toISOString(),
        execution: options.execution,
      },
      clock,
      logger: silentLogger,
      progress: silentProgress,
      toolVersion: 'test',
      openReader: openZipArchive,
    },
    { instance: 'prod' },
    { endsAt: now + options.ms, saveEveryMs: options.saveEveryMs ?? 200 },
  );
}

/** Slices of the same execution until one publishes. */
async function untilPublished(options: SliceOptions & { dieEvery?: number }) {
  for (let n = 1; n <= 500; n += 1) {
    const dying = options.dieEvery !== undefined && n % options.dieEvery === 0;
    const result = await slice({ ...options, ...(dying ? { dieAtSave: 3 } : {}) }).catch((error: Error) => {
      if (error.message !== 'the slice died') throw error;
      return undefined;
    });
    if (result?.done) return { ...result, invocations: n };
  }
  throw new Error('the backup was not published after 500 slices');
}

async function uploadsInProgress(): Promise<number> {
  const answer = await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return answer.Uploads?.length ?? 0;
}

describe('a backup in slices', () => {
  let first: Awaited<ReturnType<typeof untilPublished>>;

  it('publishes, over many short slices (every third dying mid-way), one archive that verifies and equals the instance', {
    timeout: 240_000,
  }, async () => {
    // Slices of 150 ms: many, however fast the machine (at 400 ms a quiet machine needed only 5).
    first = await untilPublished({ execution: 'nightly-1', ms: 150, dieEvery: 3 });

    expect(first.slices).toBeGreaterThan(5);
    expect(first.archive.size).toBeGreaterThan(5 * 1024 * 1024);
    expect((await verifyArchive(store, first.archive.location, openZipArchive)).ok).toBe(true);
    const archive = await openArchiveAt(store, first.archive.location, openZipArchive);
    try {
      const api = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey, retries: 0 });
      const diff = await diffInstances(archiveSnapshot(archive, first.archive.location), liveSnapshot(api));
      expect(diff.differences).toEqual([]);
      const versions = [...double.state.history.values()].reduce((n, v) => n + Math.min(10, v.length), 0);
      expect(archive.manifest.counts).toMatchObject({ workflows: 800, workflowHistory: versions });
    } finally {
      await archive.close();
    }
    expect(await uploadsInProgress()).toBe(0);
  });

  it('answers a retried last slice with the published archive again', async () => {
    const again = await slice({ execution: 'nightly-1', ms: 60_000 });

    expect(again).toMatchObject({ done: true, archive: { location: first.archive.location } });
  });

  it('takes the next night incrementally, in one slice, from the archive before', {
    timeout: 120_000,
  }, async () => {
    const next = await untilPublished({ execution: 'nightly-2', ms: 60_000 });

    expect(next.invocations).toBe(1);
    expect(next.manifest.incremental).toMatchObject({
      previousArchive: first.archive.location.replace(/\?versionId=.*$/, ''),
      workflowsReused: 800,
    });
  });

  it('refuses a slice of another execution while a backup holds the instance, and frees it once that is given up', async () => {
    const running = await slice({ execution: 'nightly-3', ms: 300 });
    expect(running.done).toBe(false);
    expect(await uploadsInProgress()).toBe(1);

    const refused = await slice({ execution: 'manual-1', ms: 300 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LedgerLockedError);
    expect((refused as Error).message).toMatch(
      /^another backup \(execution nightly-3, .*\) is using the sliced backup state /,
    );

    const locks = new S3LedgerStore(moto.s3, bucket, 'archives/prod/backup-in-progress.json');
    const owner = { pid: 1, host: 'h', startedAt: new Date().toISOString(), execution: 'nightly-3' };
    expect(await abandonBackup({ store, slices: locks, lockOwner: owner, logger: silentLogger })).toEqual({
      abandoned: true,
    });
    expect(await uploadsInProgress()).toBe(0);
    expect((await slice({ execution: 'manual-1', ms: 300 })).done).toBe(false);
    await abandonBackup({
      store,
      slices: locks,
      lockOwner: { ...owner, execution: 'manual-1' },
      logger: silentLogger,
    });
  });

  it('fails the run once two slices in a row saved nothing (each died before its first save)', async () => {
    const outcomes: unknown[] = [];
    for (let n = 1; n <= 6 && !(outcomes.at(-1) instanceof SlicesStalledError); n += 1)
      outcomes.push(
        await slice({ execution: 'stalling', ms: 60_000, dieAtSave: 2, saveEveryMs: 100 }).catch(
          (e: Error) => e,
        ),
      );

    const stalled = outcomes.at(-1) as Error;
    expect(stalled).toBeInstanceOf(SlicesStalledError);
    expect(stalled.message).toMatch(/^the backup of prod made no progress in 2 slices in a row/);
    // The first died before it recorded itself; the two after it recorded that they got nowhere.
    expect(outcomes.slice(0, -1).map((o) => (o as Error).message)).toEqual(Array(3).fill('the slice died'));
  });
});

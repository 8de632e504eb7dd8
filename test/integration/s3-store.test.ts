import { PassThrough, Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ArchiveStore } from '../../functions/adapters/s3-archive-store.js';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../../functions/adapters/zip-archive-writer.js';
import { openArchiveAt } from '../../functions/core/archive/access.js';
import { verifyArchive } from '../../functions/core/archive/verify.js';
import { runBackup } from '../../functions/core/backup/run.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { memoryN8nHolding, ownedWorkflows, workflow } from '../unit/fakes/n8n-contents.js';
import { type Moto, startMoto } from './support/moto.js';

let moto: Moto;

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

async function versionedBucket(name: string, objectLock = false): Promise<S3ArchiveStore> {
  await moto.s3.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: objectLock }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  return new S3ArchiveStore({ client: moto.s3, bucket: name, prefix: 'n8n', partSize: 5 * 1024 * 1024 });
}

function backupInto(store: S3ArchiveStore, names: string[], at: Date) {
  return runBackup(
    {
      api: memoryN8nHolding(ownedWorkflows(...names.map((n, i) => workflow(`w${i}`, n)))),
      store,
      createWriter: () => createZipArchiveWriter(),
      clock: { now: () => at },
      logger: silentLogger,
      progress: silentProgress,
      toolVersion: 'test',
    },
    { instance: 'prod' },
  );
}

describe('S3ArchiveStore against moto', () => {
  it('streams a backup into a dated key with metadata, and verifies it back with ranged reads', async () => {
    const store = await versionedBucket('ark-roundtrip');

    const { archive } = await backupInto(store, ['Orders', 'Invoices'], new Date('2026-11-22T01:00:00.000Z'));

    expect(archive.location).toMatch(
      /^s3:\/\/ark-roundtrip\/n8n\/prod\/2026\/11\/22\/2026-11-22T01-00-00-000Z\.zip\?versionId=.+/,
    );
    const head = await moto.s3.send(
      new HeadObjectCommand({
        Bucket: 'ark-roundtrip',
        Key: 'n8n/prod/2026/11/22/2026-11-22T01-00-00-000Z.zip',
      }),
    );
    expect(head.Metadata?.['n8n-ark-format-version']).toBe('1');
    expect((await verifyArchive(store, archive.location, openZipArchive)).ok).toBe(true);
  });

  it('keeps every nightly run as a version, and restores the older version on request', async () => {
    const store = await versionedBucket('ark-versions');
    const at = new Date('2026-11-22T01:00:00.000Z');
    const first = await backupInto(store, ['Old name'], at);
    const second = await backupInto(store, ['New name'], at);

    const versions = [];
    for await (const ref of store.list({ instance: 'prod', includeVersions: true }))
      versions.push(ref.versionId);
    const older = await openArchiveAt(store, first.archive.location, openZipArchive);
    const names = [];
    for await (const w of older.records<{ name: string }>('workflows.ndjson')) names.push(w.name);
    await older.close();

    expect(first.archive.versionId).not.toBe(second.archive.versionId);
    expect(versions).toEqual(expect.arrayContaining([first.archive.versionId, second.archive.versionId]));
    expect(names).toEqual(['Old name']);
  });

  it('leaves neither an object nor multipart parts when the archive stream fails', async () => {
    const store = await versionedBucket('ark-failed');
    const body = new PassThrough();
    const upload = store.put('prod', new Date(), body, {});
    // More than one part, so a multipart upload has really begun before the failure.
    body.write(Buffer.alloc(6 * 1024 * 1024, 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    body.destroy(new Error('n8n went away'));

    await expect(upload).rejects.toThrow(/n8n went away/);
    const objects = await moto.s3.send(new ListObjectsV2Command({ Bucket: 'ark-failed' }));
    const uploads = await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: 'ark-failed' }));
    expect(objects.Contents ?? []).toEqual([]);
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('with Object Lock, refuses to delete a locked archive version', async () => {
    const store = await versionedBucket('ark-locked', true);
    await moto.s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: 'ark-locked',
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } },
        },
      }),
    );
    const ref = await store.put('prod', new Date(), Readable.from([Buffer.from('archive bytes')]), {});
    const key = new URL(ref.location).pathname.slice(1);

    const head = await moto.s3.send(
      new HeadObjectCommand({ Bucket: 'ark-locked', Key: key, VersionId: ref.versionId }),
    );
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    await expect(
      moto.s3.send(new DeleteObjectCommand({ Bucket: 'ark-locked', Key: key, VersionId: ref.versionId })),
    ).rejects.toThrow();
  });

  it('reports a missing archive as a store error naming the location', async () => {
    const store = await versionedBucket('ark-missing');
    await expect(store.open('s3://ark-missing/n8n/prod/2026/01/01/nope.zip')).rejects.toThrow(
      /cannot open s3:\/\/ark-missing\/n8n\/prod\/2026\/01\/01\/nope\.zip: no such object/,
    );
  });
});

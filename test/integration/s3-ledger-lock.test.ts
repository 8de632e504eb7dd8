import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3LedgerStore, type S3LedgerStoreOptions } from '../../functions/adapters/s3-ledger-store.js';
import { LedgerLockedError } from '../../functions/core/errors.js';
import type { LockOwner } from '../../functions/core/ports.js';
import { type Moto, startMoto } from './support/moto.js';

let moto: Moto;
// The archive bucket is versioned: a released lock leaves a delete marker, which must not block the next.
const bucket = 'ark-ledger-locks';

beforeAll(async () => {
  moto = await startMoto();
  await moto.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
});
afterAll(async () => {
  await moto?.stop();
});

let ledgers = 0;
/** A ledger key of its own for each test, so no test sees another's lock. */
function nextKey(): string {
  ledgers += 1;
  return `n8n/prod/2026/11/22/backup-${ledgers}.restore-dr.ledger.json`;
}

function store(key: string, options: S3LedgerStoreOptions = {}): S3LedgerStore {
  return new S3LedgerStore(moto.s3, bucket, key, options);
}

/** A clock this far past the lock's LastModified, as a restore started after the holder died. */
function hoursLater(hours: number) {
  return { now: () => new Date(Date.now() + hours * 3_600_000) };
}

async function lockOwner(key: string): Promise<LockOwner & { token: string }> {
  const answer = await moto.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.lock` }));
  return JSON.parse((await answer.Body?.transformToString('utf8')) ?? '');
}

async function lockExists(key: string): Promise<boolean> {
  return moto.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${key}.lock` })).then(
    () => true,
    (error: { name?: string }) => {
      if (error.name === 'NotFound') return false;
      throw error;
    },
  );
}

async function failure(promise: Promise<unknown>): Promise<LedgerLockedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LedgerLockedError);
  return error as LedgerLockedError;
}

const first: LockOwner = { pid: 101, host: 'sandbox-a', startedAt: '2026-11-22T01:00:00.000Z' };
const second: LockOwner = { pid: 202, host: 'sandbox-b', startedAt: '2026-11-22T01:00:05.000Z' };

describe('S3LedgerStore.lock against moto', () => {
  it('writes the owner to <key>.lock and refuses a second restore (If-None-Match: *), naming the first', async () => {
    const key = nextKey();
    await store(key).lock(first);

    const error = await failure(store(key).lock(second));

    expect(error.holder).toBe('pid 101 on host sandbox-a, started 2026-11-22T01:00:00.000Z');
    expect(error.message).toBe(
      'another restore (pid 101 on host sandbox-a, started 2026-11-22T01:00:00.000Z) is using the ' +
        `restore ledger s3://${bucket}/${key}; wait for it, or if it is gone, delete ` +
        `s3://${bucket}/${key}.lock (a lock older than 2 h is taken over on its own)`,
    );
    expect(error.exitCode).toBe(6);
    expect(await lockOwner(key)).toMatchObject(first);
  });

  // Two locks sent at the same instant are not tested here: moto checks If-None-Match and then
  // writes as two steps, so under load both can win against moto (never against S3, whose
  // conditional writes are atomic). The file lock has that test; this store's refusal of a second
  // lock is tested above.

  it('after release, removes the lock and lets the next restore lock the ledger', async () => {
    const key = nextKey();
    const held = await store(key).lock(first);

    await held.release();
    const exists = await lockExists(key);
    const again = await store(key).lock(second);

    expect(exists).toBe(false);
    expect(await lockOwner(key)).toMatchObject(second);
    await again.release();
    expect(await lockExists(key)).toBe(false);
  });

  it('refuses a lock younger than staleAfterMs (default 2 h), however long it has been', async () => {
    const key = nextKey();
    await store(key).lock(first);
    const reported: LockOwner[] = [];

    await failure(
      store(key, { clock: hoursLater(1.9), onStaleLock: (holder) => reported.push(holder) }).lock(second),
    );

    expect(reported).toEqual([]);
    expect(await lockOwner(key)).toMatchObject(first);
  });

  it('takes over a lock older than staleAfterMs (If-Match on its ETag), and says whose it was', async () => {
    const key = nextKey();
    const dead = await store(key).lock(first);
    const reported: LockOwner[] = [];

    const held = await store(key, {
      clock: hoursLater(2.1),
      onStaleLock: (holder) => reported.push(holder),
    }).lock(second);

    expect(reported).toEqual([first]);
    expect(await lockOwner(key)).toMatchObject(second);
    // The first restore comes back to release: its ETag is no longer the lock's (If-Match on delete).
    await dead.release();
    expect(await lockOwner(key)).toMatchObject(second);
    await held.release();
    expect(await lockExists(key)).toBe(false);
  });

  it('takes over at once the lock of a Lambda slice past the time it said it would be gone by, and not before', async () => {
    const key = nextKey();
    const slice: LockOwner = { ...first, endsBy: new Date(Date.now() + 15 * 60_000).toISOString() };
    await store(key).lock(slice);
    const reported: LockOwner[] = [];
    const minutesLater = (minutes: number) => ({ now: () => new Date(Date.now() + minutes * 60_000) });

    await failure(store(key, { clock: minutesLater(14) }).lock(second));
    await store(key, { clock: minutesLater(16), onStaleLock: (holder) => reported.push(holder) }).lock(
      second,
    );

    expect(reported).toEqual([slice]);
    expect(await lockOwner(key)).toMatchObject(second);
  });

  it('takes over at once the lock of an earlier slice of the same execution (it is gone), and says so', async () => {
    const key = nextKey();
    const execution = 'arn:aws:states:us-east-1:123456789012:execution:Restore:nightly-1';
    const crashed: LockOwner = {
      ...first,
      execution,
      endsBy: new Date(Date.now() + 15 * 60_000).toISOString(),
    };
    await store(key).lock(crashed);
    const reported: LockOwner[] = [];

    const retry = await store(key, { onStaleLock: (holder) => reported.push(holder) }).lock({
      ...second,
      execution,
    });

    expect(reported).toEqual([crashed]);
    expect(await lockOwner(key)).toMatchObject({ ...second, execution });
    await retry.release();
  });

  it('refuses a slice of another execution while the holder may still run, naming the holder’s execution', async () => {
    const key = nextKey();
    const running: LockOwner = {
      ...first,
      execution: 'arn:aws:states:us-east-1:123456789012:execution:Restore:nightly-1',
      endsBy: new Date(Date.now() + 15 * 60_000).toISOString(),
    };
    await store(key).lock(running);

    const error = await failure(
      store(key).lock({
        ...second,
        execution: 'arn:aws:states:us-east-1:123456789012:execution:Restore:other',
      }),
    );

    expect(error.name).toBe('LedgerLockedError');
    expect(error.message).toContain(
      'execution arn:aws:states:us-east-1:123456789012:execution:Restore:nightly-1',
    );
    expect(await lockOwner(key)).toMatchObject(running);
  });

  it('honours a shorter staleAfterMs', async () => {
    const key = nextKey();
    await store(key).lock(first);

    await store(key, { staleAfterMs: 60_000, clock: hoursLater(0.5) }).lock(second);

    expect(await lockOwner(key)).toMatchObject(second);
  });

  it('lets only one of two restores take over the same stale lock', async () => {
    const key = nextKey();
    await store(key).lock(first);
    // Real time on both sides, so the winner's new lock is fresh to the loser's second look.
    // LastModified has whole seconds: 3 s waited against 2 s stale leaves a second of margin.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const reported: LockOwner[] = [];
    const options = { staleAfterMs: 2_000, onStaleLock: (holder: LockOwner) => reported.push(holder) };

    const outcomes = await Promise.allSettled([
      store(key, options).lock(second),
      store(key, options).lock({ ...second, pid: 303 }),
    ]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(LedgerLockedError);
    expect(reported).toEqual([first]);
  });

  it('never takes over a stale lock it cannot read as an owner', async () => {
    const key = nextKey();
    await moto.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}.lock`, Body: 'not json' }));

    const error = await failure(store(key, { clock: hoursLater(24) }).lock(second));

    expect(error.holder).toBe('a restore whose lock cannot be read');
  });

  it('on release, leaves a lock that is no longer its own', async () => {
    const key = nextKey();
    const held = await store(key).lock(first);
    // An operator deleted ours by hand and another restore locked the ledger since.
    await moto.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${key}.lock` }));
    await store(key).lock(second);

    await held.release();

    expect(await lockOwner(key)).toMatchObject(second);
  });

  it('gives two owners that print alike different locks, so neither releases the other', async () => {
    const key = nextKey();
    const held = await store(key).lock(first);
    await moto.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${key}.lock` }));
    await store(key).lock(first);
    const other = (await lockOwner(key)).token;

    await held.release();

    expect(await lockOwner(key)).toMatchObject({ ...first, token: other });
  });
});

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLedgerStore } from '../../functions/adapters/file-ledger-store.js';
import { LedgerLockedError } from '../../functions/core/errors.js';
import type { LockOwner } from '../../functions/core/ports.js';

let folder: string;
let ledger: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'n8n-ark-ledger-lock-'));
  ledger = join(folder, 'backup.restore-dr.ledger.json');
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

const here = hostname();
const us: LockOwner = { pid: process.pid, host: here, startedAt: '2026-11-22T01:00:00.000Z' };

/** The pid of a process that has run and exited: a restore that died without releasing its lock. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

async function failure(promise: Promise<unknown>): Promise<LedgerLockedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LedgerLockedError);
  return error as LedgerLockedError;
}

describe('FileLedgerStore.lock', () => {
  it('writes the owner to <ledger>.lock, readable by its owner only', async () => {
    const store = new FileLedgerStore(ledger);

    await store.lock(us);

    expect(store.lockPath).toBe(`${ledger}.lock`);
    expect(JSON.parse(await readFile(`${ledger}.lock`, 'utf8'))).toEqual(us);
    expect((await stat(`${ledger}.lock`)).mode & 0o777).toBe(0o600);
  });

  it('refuses a second lock on the same ledger, naming the first holder and what to do', async () => {
    const first = { pid: process.pid, host: here, startedAt: '2026-11-22T01:00:00.000Z' };
    await new FileLedgerStore(ledger).lock(first);

    const error = await failure(
      new FileLedgerStore(ledger).lock({ ...us, startedAt: '2026-11-22T01:00:05.000Z' }),
    );

    expect(error.holder).toBe(`pid ${process.pid} on host ${here}, started 2026-11-22T01:00:00.000Z`);
    expect(error.message).toBe(
      `another restore (pid ${process.pid} on host ${here}, started 2026-11-22T01:00:00.000Z) is using ` +
        `the restore ledger ${ledger}; wait for it, or if it is gone, remove ${ledger}.lock`,
    );
    expect(error.exitCode).toBe(6);
    expect(JSON.parse(await readFile(`${ledger}.lock`, 'utf8'))).toEqual(first);
  });

  it('lets exactly one of two restores started at once take the ledger', async () => {
    const a = new FileLedgerStore(ledger);
    const b = new FileLedgerStore(ledger);

    const outcomes = await Promise.allSettled([
      a.lock({ ...us, startedAt: 'a' }),
      b.lock({ ...us, startedAt: 'b' }),
    ]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(LedgerLockedError);
  });

  it('after release, removes the lock file and lets the next restore lock the ledger', async () => {
    const store = new FileLedgerStore(ledger);
    const held = await store.lock(us);

    await held.release();
    const again = await store.lock({ ...us, startedAt: '2026-11-22T02:00:00.000Z' });

    expect(JSON.parse(await readFile(`${ledger}.lock`, 'utf8')).startedAt).toBe('2026-11-22T02:00:00.000Z');
    await again.release();
    expect(await readdir(folder)).toEqual([]);
  });

  it('creates the folder the ledger will live in', async () => {
    const nested = join(folder, 'n8n-ark-ledgers', 'x.ledger.json');

    await new FileLedgerStore(nested).lock(us);

    expect(JSON.parse(await readFile(`${nested}.lock`, 'utf8'))).toEqual(us);
  });

  it('takes over the lock of a restore that died on this host, and says whose it was', async () => {
    const dead: LockOwner = { pid: await deadPid(), host: here, startedAt: '2026-11-21T23:00:00.000Z' };
    await writeFile(`${ledger}.lock`, JSON.stringify(dead));
    const reported: LockOwner[] = [];
    const store = new FileLedgerStore(ledger, { onStaleLock: (holder) => reported.push(holder) });

    const held = await store.lock(us);

    expect(reported).toEqual([dead]);
    expect(JSON.parse(await readFile(`${ledger}.lock`, 'utf8'))).toEqual(us);
    expect((await stat(`${ledger}.lock`)).mode & 0o777).toBe(0o600);
    await held.release();
    expect(await readdir(folder)).toEqual([]);
  });

  it('takes over a dead lock even when a restore was killed in the middle of taking it over', async () => {
    // Prepare: a dead restore's lock, and the takeover guard of another that died taking it over
    const dead: LockOwner = { pid: await deadPid(), host: here, startedAt: '2026-11-21T23:00:00.000Z' };
    const diedTakingOver: LockOwner = {
      pid: await deadPid(),
      host: here,
      startedAt: '2026-11-22T00:00:00.000Z',
    };
    await writeFile(`${ledger}.lock`, JSON.stringify(dead));
    await writeFile(`${ledger}.lock.takeover`, JSON.stringify(diedTakingOver));
    const store = new FileLedgerStore(ledger);

    // Act
    const held = await store.lock(us);

    // Assess
    expect(JSON.parse(await readFile(`${ledger}.lock`, 'utf8'))).toEqual(us);
    await held.release();
    expect(await readdir(folder)).toEqual([]);
  });

  it('leaves the takeover guard of a live restore in place', async () => {
    // Prepare: a dead restore's lock, being taken over right now by a live process
    const dead: LockOwner = { pid: await deadPid(), host: here, startedAt: '2026-11-21T23:00:00.000Z' };
    const takingOver: LockOwner = { pid: process.ppid, host: here, startedAt: '2026-11-22T00:00:00.000Z' };
    await writeFile(`${ledger}.lock`, JSON.stringify(dead));
    await writeFile(`${ledger}.lock.takeover`, JSON.stringify(takingOver));

    // Act
    await failure(new FileLedgerStore(ledger).lock(us));

    // Assess
    expect(JSON.parse(await readFile(`${ledger}.lock.takeover`, 'utf8'))).toEqual(takingOver);
  });

  it('lets only one of two restores take over the same stale lock', async () => {
    const dead: LockOwner = { pid: await deadPid(), host: here, startedAt: '2026-11-21T23:00:00.000Z' };
    await writeFile(`${ledger}.lock`, JSON.stringify(dead));
    const reported: LockOwner[] = [];
    const onStaleLock = (holder: LockOwner) => reported.push(holder);

    const outcomes = await Promise.allSettled([
      new FileLedgerStore(ledger, { onStaleLock }).lock({ ...us, startedAt: 'a' }),
      new FileLedgerStore(ledger, { onStaleLock }).lock({ ...us, startedAt: 'b' }),
    ]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(LedgerLockedError);
    expect(reported).toEqual([dead]);
    expect((await readdir(folder)).sort()).toEqual(['backup.restore-dr.ledger.json.lock']);
  });

  it('never takes over a lock from another host, even one whose pid is not running here', async () => {
    const elsewhere: LockOwner = {
      pid: await deadPid(),
      host: `not-${here}`,
      startedAt: '2026-11-21T23:00:00.000Z',
    };
    await writeFile(`${ledger}.lock`, JSON.stringify(elsewhere));
    const reported: LockOwner[] = [];
    const store = new FileLedgerStore(ledger, { onStaleLock: (holder) => reported.push(holder) });

    const error = await failure(store.lock(us));

    expect(error.holder).toBe(`pid ${elsewhere.pid} on host not-${here}, started 2026-11-21T23:00:00.000Z`);
    expect(reported).toEqual([]);
    expect(JSON.parse(await readFile(`${ledger}.lock`, 'utf8'))).toEqual(elsewhere);
  });

  it('refuses a lock file it cannot read as an owner (one being written this instant) and leaves it', async () => {
    await writeFile(`${ledger}.lock`, '');

    const error = await failure(new FileLedgerStore(ledger).lock(us));

    expect(error.message).toMatch(`remove ${ledger}.lock`);
    expect(await readFile(`${ledger}.lock`, 'utf8')).toBe('');
  });

  it('on release, leaves a lock that is no longer its own', async () => {
    const store = new FileLedgerStore(ledger);
    const held = await store.lock(us);
    // An operator removed ours by hand and another restore locked the ledger since.
    const other = { pid: process.pid, host: here, startedAt: '2026-11-22T03:00:00.000Z' };
    await rm(`${ledger}.lock`);
    await new FileLedgerStore(ledger).lock(other);

    await held.release();

    expect(JSON.parse(await readFile(`${ledger}.lock`, 'utf8'))).toEqual(other);
  });

  it('a release after the lock file is gone is quiet', async () => {
    const held = await new FileLedgerStore(ledger).lock(us);
    await rm(`${ledger}.lock`);

    await held.release();

    expect(await readdir(folder)).toEqual([]);
  });
});

import { spawnSync } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLedgerStore } from '../../functions/adapters/file-ledger-store.js';
import { FolderArchiveStore, ledgersAmong } from '../../functions/adapters/folder-store.js';
import { tempFolderPerTest } from './support/temp-folder.js';

const folder = tempFolderPerTest('n8n-ark-folder-store-');
let umask: number;

beforeEach(() => {
  // The most permissive umask: whatever the modes are, the store set them itself.
  umask = process.umask(0);
});
afterEach(() => {
  process.umask(umask);
});

const bytes = () => Readable.from([Buffer.from('archive bytes')]);

/** A pid no process has: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('FolderArchiveStore keeps archives private and never overwrites one', () => {
  it('writes archives readable by their owner only, in a folder only its owner can enter', async () => {
    // Prepare
    const store = new FolderArchiveStore(folder.path);

    // Act
    const ref = await store.put('prod', new Date('2026-11-22T01:00:00.000Z'), bytes(), {});

    // Assess
    expect((await stat(ref.location)).mode & 0o777).toBe(0o600);
    expect((await stat(join(folder.path, 'prod'))).mode & 0o777).toBe(0o700);
  });

  it('keeps all of 30 backups taken in the same millisecond, each under its own name, and lists them all', async () => {
    // Prepare
    const store = new FolderArchiveStore(folder.path);
    const at = new Date('2026-11-22T01:00:00.000Z');

    // Act
    const refs = await Promise.all(Array.from({ length: 30 }, () => store.put('prod', at, bytes(), {})));

    // Assess
    expect(new Set(refs.map((r) => r.location)).size).toBe(30);
    const listed = [];
    for await (const ref of store.list({ instance: 'prod' })) listed.push(ref.location);
    expect(listed.sort()).toEqual(refs.map((r) => r.location).sort());
  });

  it('removes the partial file a killed backup left, and leaves one a running backup is writing', async () => {
    // Prepare
    const store = new FolderArchiveStore(folder.path);
    await store.put('prod', new Date('2026-11-22T01:00:00.000Z'), bytes(), {});
    const instance = join(folder.path, 'prod');
    const dead = `.2026-11-22T02-00-00-000Z.zip.partial-${deadPid()}-abcd1234`;
    const running = `.2026-11-22T02-00-00-001Z.zip.partial-${process.ppid}-abcd1234`;
    await writeFile(join(instance, dead), 'half an archive');
    await writeFile(join(instance, running), 'being written');

    // Act
    await store.put('prod', new Date('2026-11-22T03:00:00.000Z'), bytes(), {});

    // Assess
    const names = await readdir(instance);
    expect(names).not.toContain(dead);
    expect(names).toContain(running);
  });
});

describe('FileLedgerStore keeps ledgers private', () => {
  it('writes the ledger readable by its owner only', async () => {
    // Prepare
    const path = join(folder.path, 'ledgers', 'restore.ledger.json');
    const store = new FileLedgerStore(path);

    // Act
    await store.save('{"format":"n8n-ark-restore-ledger"}');

    // Assess
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});

describe('archives and their ledgers by name', () => {
  it('names an encrypted archive ….zip.age, lists it as encrypted, and takes the next free name beside it', async () => {
    const store = new FolderArchiveStore(folder.path);
    const at = new Date('2026-12-07T02:00:00.000Z');
    const first = await store.put(
      'prod',
      at,
      Readable.from([Buffer.from('sealed')]),
      {},
      { encrypted: true },
    );
    const second = await store.put(
      'prod',
      at,
      Readable.from([Buffer.from('sealed')]),
      {},
      { encrypted: true },
    );
    const plain = await store.put('prod', at, Readable.from([Buffer.from('plain')]), {});

    expect(first.location).toMatch(/2026-12-07T02-00-00-000Z\.zip\.age$/);
    expect(second.location).toMatch(/2026-12-07T02-00-00-000Z-2\.zip\.age$/);
    expect(first.encrypted).toBe(true);
    const listed = [];
    for await (const ref of store.list({ instance: 'prod' }))
      listed.push([ref.location.split('/').at(-1), ref.encrypted]);
    expect(listed.sort()).toEqual([
      ['2026-12-07T02-00-00-000Z-2.zip.age', true],
      ['2026-12-07T02-00-00-000Z.zip', undefined],
      ['2026-12-07T02-00-00-000Z.zip.age', true],
    ]);
    expect(plain.encrypted).toBeUndefined();
  });

  it("finds a ledger's archive whether its name drops .zip (the CLI's), keeps it (the restore function's) or is an encrypted archive's", () => {
    expect(
      ledgersAmong([
        'A.zip',
        'A.restore-dr.ledger.json',
        'B.zip',
        'B.zip.restore-dr.ledger.json',
        'C.zip.age',
        'C.zip.age.restore-dr.ledger.json',
        'C.zip.age.restore-staging.ledger.json.lock',
      ]).sort((a, b) => a.ledger.localeCompare(b.ledger)),
    ).toEqual([
      { ledger: 'A.restore-dr.ledger.json', archive: 'A.zip' },
      { ledger: 'B.zip.restore-dr.ledger.json', archive: 'B.zip' },
      { ledger: 'C.zip.age.restore-dr.ledger.json', archive: 'C.zip.age' },
      { ledger: 'C.zip.age.restore-staging.ledger.json', archive: 'C.zip.age' },
    ]);
  });
});

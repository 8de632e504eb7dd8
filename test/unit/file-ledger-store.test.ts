import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLedgerStore } from '../../functions/adapters/file-ledger-store.js';
import { StoreError } from '../../functions/core/errors.js';

let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'n8n-ark-ledger-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('FileLedgerStore', () => {
  it('loads back what it saved, creating the folder it lives in', async () => {
    const path = join(folder, 'nested', 'backup.restore-dr.ledger.json');
    const store = new FileLedgerStore(path);

    await store.save('{"steps":["projects"]}');

    expect(await store.load()).toBe('{"steps":["projects"]}');
    expect(await readFile(path, 'utf8')).toBe('{"steps":["projects"]}');
    expect(store.description).toBe(path);
  });

  it('answers undefined for a ledger not written yet (a first run)', async () => {
    const store = new FileLedgerStore(join(folder, 'none.ledger.json'));

    expect(await store.load()).toBeUndefined();
  });

  it('replaces the ledger whole on each save and leaves no temporary file beside it', async () => {
    const store = new FileLedgerStore(join(folder, 'a.ledger.json'));

    await store.save('first');
    await store.save('second, longer than the first');

    expect(await store.load()).toBe('second, longer than the first');
    expect(await readdir(folder)).toEqual(['a.ledger.json']);
  });

  it('a save that cannot land is a StoreError naming the ledger, and removes its temporary file', async () => {
    // A folder where the ledger file should be: the temporary file is written, the rename fails.
    const path = join(folder, 'taken.ledger.json');
    await writeFile(join(folder, 'keep'), '');
    await mkdir(path);
    const store = new FileLedgerStore(path);

    const error = await store.save('{}').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).location).toBe(path);
    expect((error as Error).message).toMatch(`Cannot write the restore ledger ${path}`);
    expect((await readdir(folder)).sort()).toEqual(['keep', 'taken.ledger.json']);
  });

  it('a folder that cannot be made (a file is in the way) is a StoreError', async () => {
    await writeFile(join(folder, 'file'), 'not a folder');
    const path = join(folder, 'file', 'x.ledger.json');

    await expect(new FileLedgerStore(path).save('{}')).rejects.toMatchObject({
      name: 'StoreError',
      location: path,
    });
  });

  it('a ledger that exists but cannot be read is a StoreError, not a fresh start', async () => {
    const store = new FileLedgerStore(folder);

    await expect(store.load()).rejects.toBeInstanceOf(StoreError);
  });
});

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLedgerStore } from '../../functions/adapters/file-ledger-store.js';
import { StoreError } from '../../functions/core/errors.js';
import { tempFolderPerTest } from './support/temp-folder.js';

const folder = tempFolderPerTest('n8n-ark-ledger-');

describe('FileLedgerStore', () => {
  it('loads back what it saved, creating the folder it lives in', async () => {
    const path = join(folder.path, 'nested', 'backup.restore-dr.ledger.json');
    const store = new FileLedgerStore(path);

    await store.save('{"steps":["projects"]}');

    expect(await store.load()).toBe('{"steps":["projects"]}');
    expect(await readFile(path, 'utf8')).toBe('{"steps":["projects"]}');
    expect(store.description).toBe(path);
  });

  it('answers undefined for a ledger not written yet (a first run)', async () => {
    const store = new FileLedgerStore(join(folder.path, 'none.ledger.json'));

    expect(await store.load()).toBeUndefined();
  });

  it('replaces the ledger whole on each save and leaves no temporary file beside it', async () => {
    const store = new FileLedgerStore(join(folder.path, 'a.ledger.json'));

    await store.save('first');
    await store.save('second, longer than the first');

    expect(await store.load()).toBe('second, longer than the first');
    expect(await readdir(folder.path)).toEqual(['a.ledger.json']);
  });

  it('a save that cannot land is a StoreError naming the ledger, and removes its temporary file', async () => {
    // A folder where the ledger file should be: the temporary file is written, the rename fails.
    const path = join(folder.path, 'taken.ledger.json');
    await writeFile(join(folder.path, 'keep'), '');
    await mkdir(path);
    const store = new FileLedgerStore(path);

    const error = await store.save('{}').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).location).toBe(path);
    expect((error as Error).message).toMatch(`Cannot write the restore ledger ${path}`);
    expect((await readdir(folder.path)).sort()).toEqual(['keep', 'taken.ledger.json']);
  });

  it('a folder that cannot be made (a file is in the way) is a StoreError', async () => {
    await writeFile(join(folder.path, 'file'), 'not a folder');
    const path = join(folder.path, 'file', 'x.ledger.json');

    await expect(new FileLedgerStore(path).save('{}')).rejects.toMatchObject({
      name: 'StoreError',
      location: path,
    });
  });

  it('a ledger that exists but cannot be read is a StoreError, not a fresh start', async () => {
    const store = new FileLedgerStore(folder.path);

    await expect(store.load()).rejects.toBeInstanceOf(StoreError);
  });
});

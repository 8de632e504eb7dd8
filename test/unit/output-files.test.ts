/**
 * Files written for a person (`extract`): all or none, each 0600 in a folder made 0700, never over
 * an existing file, and a clear refusal for an --out that is a file.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FILE_MODE, type OutputFile, writeAllOrNone } from '../../functions/cli/output-files.js';
import { UsageError } from '../../functions/core/errors.js';
import { tempFolderPerTest } from './support/temp-folder.js';

const temp = tempFolderPerTest('n8n-ark-output-');
const folder = () => temp.path;

const text = (name: string, content: string): OutputFile => ({
  name,
  write: (path) => writeFile(path, content, { flag: 'wx', mode: FILE_MODE }),
});

describe('writeAllOrNone', () => {
  it('writes every file, each 0600, into a folder it makes 0700', async () => {
    const dir = join(folder(), 'new', 'out');

    const written = await writeAllOrNone(dir, [text('a.json', 'A'), text('b.json', 'B')]);

    expect(written).toEqual([join(dir, 'a.json'), join(dir, 'b.json')]);
    expect((await readdir(dir)).sort()).toEqual(['a.json', 'b.json']);
    expect(await readFile(join(dir, 'b.json'), 'utf8')).toBe('B');
    for (const file of written) expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('leaves nothing behind when one file of three fails to be written', async () => {
    const dir = join(folder(), 'out');
    await mkdir(dir);
    const failing: OutputFile = {
      name: 'c.json',
      write: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    };

    const run = writeAllOrNone(dir, [text('a.json', 'A'), text('b.json', 'B'), failing]);

    await expect(run).rejects.toThrow(
      /^cannot write ".+c\.json": ENOSPC: no space left on device; nothing was written/,
    );
    await expect(run).rejects.toBeInstanceOf(UsageError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes none when a name is taken, before or while it writes', async () => {
    const dir = join(folder(), 'out');
    await mkdir(dir);
    await writeFile(join(dir, 'b.json'), 'mine');
    const sneaky: OutputFile = {
      name: 'c.json',
      write: async (path) => {
        await writeFile(path, 'C', { flag: 'wx', mode: FILE_MODE });
        await writeFile(join(dir, 'a.json'), 'appeared meanwhile');
      },
    };

    await expect(writeAllOrNone(dir, [text('a.json', 'A'), text('b.json', 'B')])).rejects.toThrow(
      /b\.json already exists; nothing was written/,
    );
    await writeFile(join(dir, 'b.json'), 'mine');
    await expect(writeAllOrNone(join(dir), [text('a.json', 'A'), sneaky])).rejects.toThrow(
      /a\.json already exists; nothing was written/,
    );

    expect((await readdir(dir)).sort()).toEqual(['a.json', 'b.json']);
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('appeared meanwhile');
  });

  it('refuses a file as the folder, and a folder inside a file', async () => {
    const file = join(folder(), 'a-file');
    await writeFile(file, 'mine');

    for (const dir of [file, join(file, 'sub')])
      await expect(writeAllOrNone(dir, [text('a.json', 'A')])).rejects.toThrow(
        /is a file, or inside one, not a folder; nothing was written/,
      );
    expect(await readFile(file, 'utf8')).toBe('mine');
  });
});

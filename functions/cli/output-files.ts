/**
 * Files a command writes for a person (`extract`): into a folder created for its owner only (0700),
 * each file readable by its owner only (0600) — they hold workflows, pinned data and rows — and all
 * of them or none. Each is written under a short temporary name first; only once every one is
 * written are they given their names, never over an existing file; a failure removes what it wrote.
 */
import { randomBytes } from 'node:crypto';
import { chmod, constants, copyFile, link, lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isArkError } from '../core/errors.js';
import { cannotWriteOut, filesExist, outIsNotAFolder } from './errors.js';

export interface OutputFile {
  name: string;
  /** Writes the content to `path`, a new file (open it with flag `wx` and mode 0600). */
  write(path: string): Promise<void>;
}

export const FILE_MODE = 0o600;
const FOLDER_MODE = 0o700;

/** Writes every file into `dir`, or none of them; the paths written, in order. */
export async function writeAllOrNone(dir: string, files: readonly OutputFile[]): Promise<string[]> {
  const finals = files.map((file) => join(dir, file.name));
  await prepareFolder(dir);
  const existing: string[] = [];
  for (const path of finals) if (await lstat(path).catch(() => undefined)) existing.push(path);
  if (existing.length > 0) throw filesExist(existing);

  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temporaries = files.map((_, i) => join(dir, `.n8n-ark-partial-${tag}-${i}`));
  const named: string[] = [];
  let current = dir;
  try {
    for (const [i, file] of files.entries()) {
      current = finals[i] as string;
      await file.write(temporaries[i] as string);
      await chmod(temporaries[i] as string, FILE_MODE);
    }
    for (const [i, final] of finals.entries()) {
      current = final;
      await nameWithoutOverwriting(temporaries[i] as string, final);
      named.push(final);
    }
    return finals;
  } catch (error) {
    await Promise.all(named.map((path) => rm(path, { force: true }).catch(() => undefined)));
    if (isArkError(error)) throw error;
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw filesExist([current]);
    throw cannotWriteOut(current, error);
  } finally {
    await Promise.all(temporaries.map((path) => rm(path, { force: true }).catch(() => undefined)));
  }
}

/** The folder, made for its owner only when missing; a file of that name is refused. */
async function prepareFolder(dir: string): Promise<void> {
  const found = await lstat(dir).catch(() => undefined);
  if (found && !found.isDirectory()) throw outIsNotAFolder(dir);
  if (found) return;
  try {
    await mkdir(dir, { recursive: true, mode: FOLDER_MODE });
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOTDIR' ||
      (error as NodeJS.ErrnoException).code === 'EEXIST'
    )
      throw outIsNotAFolder(dir);
    throw cannotWriteOut(dir, error);
  }
}

/** A hard link never replaces a file; where links are not allowed, an exclusive copy does the same. */
async function nameWithoutOverwriting(temporary: string, final: string): Promise<void> {
  try {
    await link(temporary, final);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
    await copyFile(temporary, final, constants.COPYFILE_EXCL);
    await chmod(final, FILE_MODE);
  }
}

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StoreError } from '../core/errors.js';
import type { LedgerStore } from '../core/ports.js';

/**
 * A restore ledger kept in a local file. A save writes a temporary file beside it and renames it
 * over the ledger, so a crash mid-save leaves the previous ledger whole, never half of a new one.
 */
export class FileLedgerStore implements LedgerStore {
  readonly description: string;

  constructor(readonly path: string) {
    this.description = path;
  }

  async load(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreError(
        `Cannot read the restore ledger ${this.path}: ${(error as Error).message}`,
        { location: this.path },
        { cause: error },
      );
    }
  }

  async save(contents: string): Promise<void> {
    const folder = dirname(this.path);
    const temporary = join(folder, `.${basename(this.path)}.partial-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(folder, { recursive: true });
      await writeFile(temporary, contents, { flush: true });
      await rename(temporary, this.path);
    } catch (error) {
      // Best effort: when the folder itself is the problem the removal fails too, and the save's
      // failure is the one to report.
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new StoreError(
        `Cannot write the restore ledger ${this.path}: ${(error as Error).message}`,
        { location: this.path },
        { cause: error },
      );
    }
  }
}

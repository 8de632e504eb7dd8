import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  chmod,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StoreError } from '../core/errors.js';
import { checkedInstanceName } from '../core/instance/name.js';
import type {
  ArchiveAnnexStore,
  ArchiveBlob,
  ArchiveRef,
  ObjectLockHold,
  PrunableStore,
  PutOptions,
  StoredLedger,
} from '../core/ports.js';
import { storeFailure } from './store-failure.js';

/**
 * `2026-11-22T01:00:00.000Z` → `2026-11-22T01-00-00-000Z.zip` (no ':' so the name is valid
 * everywhere); an encrypted archive's is `….zip.age`.
 */
export function archiveFileName(createdAt: Date, options: PutOptions = {}): string {
  return `${createdAt.toISOString().replace(/[:.]/g, '-')}${options.encrypted ? ENCRYPTED_EXTENSION : '.zip'}`;
}

export const ENCRYPTED_EXTENSION = '.zip.age';

/** An archive's extension at the end of its name: `.zip`, or `.zip.age` for an encrypted one. */
export const ARCHIVE_EXTENSION = /\.zip(\.age)?$/;

/** The timestamp name, with `-2`, `-3`, … when backups of one instance share a millisecond. */
const ARCHIVE_NAME = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z(?:-\d+)?\.zip(?:\.age)?$/;
/** A partial file: `.<name>.partial-<pid>-<random>`; the pid tells whether its backup is still running. */
const PARTIAL_NAME = /^\..*\.partial-(\d+)-[0-9a-f]+$/;
const MAX_SAME_NAME = 1000;

function createdAtFromName(name: string): Date | undefined {
  const m = ARCHIVE_NAME.exec(name);
  return m ? new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`) : undefined;
}

/**
 * Gives the finished file its name without ever replacing an archive: a hard link fails when the
 * name exists (two backups in one millisecond), and the next free `-N` name is taken instead.
 */
async function publishUnderFreeName(temporary: string, location: string): Promise<string> {
  for (let n = 1; n <= MAX_SAME_NAME; n += 1) {
    const candidate = n === 1 ? location : location.replace(ARCHIVE_EXTENSION, `-${n}$&`);
    try {
      await link(temporary, candidate);
      await rm(temporary, { force: true });
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`${MAX_SAME_NAME} archives already have this timestamp`);
}

/** Partial files of backups that died (their process is gone) are removed; running ones are left. */
async function removeDeadPartials(folder: string): Promise<void> {
  for (const name of await readdir(folder)) {
    const pid = Number(PARTIAL_NAME.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    await rm(join(folder, name), { force: true });
  }
}

/**
 * Restore ledgers among the names of an instance's files (`<archive>.restore-<target>.ledger.json`,
 * or only its `.lock`), each with the name of the archive it belongs to. `<archive>` is the
 * archive's name without `.zip` (the CLI's), or its whole name (the restore function's, and an
 * encrypted archive's `….zip.age`).
 */
export function ledgersAmong(names: readonly string[]): { ledger: string; archive: string }[] {
  const ledgers = new Set(names.filter((n) => LEDGER_NAME.test(n)).map((n) => n.replace(/\.lock$/, '')));
  return [...ledgers].map((ledger) => {
    const base = ledger.replace(LEDGER_NAME, '');
    return { ledger, archive: ARCHIVE_EXTENSION.test(base) ? base : `${base}.zip` };
  });
}

const LEDGER_NAME = /\.restore-[^/]*\.ledger\.json(\.lock)?$/;

/** A ledger's text; undefined when only its lock exists (a restore that has not saved yet). */
async function readLedger(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storeFailure(`cannot read the restore ledger ${path}`, path, error);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Archives in a local folder: `<root>/<instance>/<UTC timestamp>.zip`. An archive is written under
 * a hidden temporary name, flushed to disk and renamed only when complete, so a crash or a failed
 * backup never leaves a file that looks like a good archive.
 */
export class FolderArchiveStore implements PrunableStore, ArchiveAnnexStore {
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = `folder ${this.root}`;
  }

  /** Metadata is not kept beside a folder archive: the manifest inside carries everything. */
  async put(
    instance: string,
    createdAt: Date,
    body: Readable,
    _metadata: Record<string, string> = {},
    options: PutOptions = {},
  ): Promise<ArchiveRef> {
    // The backup may fail (and destroy the body) while the folder is still being prepared: listen
    // at once, so that error reaches the pipeline below instead of crashing the process.
    body.on('error', () => {});
    const folder = join(this.root, checkedInstanceName(instance));
    let location = join(folder, archiveFileName(createdAt, options));
    const temporary = join(
      folder,
      `.${basename(location)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`,
    );
    try {
      // Archives hold variable values, rows and e-mails: the owner's only, whatever the umask.
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await chmod(folder, 0o700);
      await removeDeadPartials(folder);
      await pipeline(body, createWriteStream(temporary, { flags: 'wx', mode: 0o600 }));
      await chmod(temporary, 0o600);
      const handle = await open(temporary, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      location = await publishUnderFreeName(temporary, location);
      const { size } = await stat(location);
      return { location, instance, createdAt, size, ...encryptedIf(location) };
    } catch (error) {
      body.destroy();
      await rm(temporary, { force: true });
      // A first backup that failed leaves no empty instance folder behind either.
      await rmdir(folder).catch(() => {});
      throw storeFailure(`could not write the archive to ${location}`, location, error);
    }
  }

  async *list(options: { instance?: string } = {}): AsyncIterable<ArchiveRef> {
    let instances: string[];
    try {
      instances = options.instance ? [checkedInstanceName(options.instance)] : await readdir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw storeFailure(`cannot list ${this.root}`, this.root, error);
    }
    const found: ArchiveRef[] = [];
    for (const instance of instances) {
      const folder = join(this.root, instance);
      let names: string[];
      try {
        names = await readdir(folder);
      } catch {
        continue;
      }
      for (const name of names) {
        const createdAt = createdAtFromName(name);
        if (!createdAt) continue;
        const location = join(folder, name);
        found.push({
          location,
          instance,
          createdAt,
          size: (await stat(location)).size,
          ...encryptedIf(name),
        });
      }
    }
    found.sort(
      (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.location.localeCompare(a.location),
    );
    yield* found;
  }

  /** Ledgers a restore wrote beside an archive: `<archive name>.restore-<target>.ledger.json` (and `.lock`). */
  async restoreLedgers(instance: string): Promise<StoredLedger[]> {
    const folder = join(this.root, checkedInstanceName(instance));
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storeFailure(`cannot look for restore ledgers in ${folder}`, folder, error);
    }
    return ledgersAmong(names).map(({ ledger, archive }) => ({
      location: join(folder, ledger),
      archive: join(folder, archive),
      locked: names.includes(`${ledger}.lock`),
      read: () => readLedger(join(folder, ledger)),
    }));
  }

  /** A folder has no Object Lock. */
  async objectLock(_archive: ArchiveRef): Promise<ObjectLockHold | undefined> {
    return undefined;
  }

  async remove(archive: ArchiveRef): Promise<void> {
    try {
      await unlink(archive.location);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw storeFailure(`cannot delete ${archive.location}`, archive.location, error);
    }
  }

  async open(location: string): Promise<ArchiveBlob> {
    const path = resolve(location);
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch (error) {
      throw notOpened(path, error);
    }
    return {
      size,
      // createReadStream's `end` is inclusive; the port's is exclusive.
      readRange: (start, end) =>
        end > start ? createReadStream(path, { start, end: end - 1 }) : Readable.from([]),
      close: async () => {},
    };
  }

  /** A drill report beside its archive, the owner's only like the archive (it names workflows). */
  async writeBeside(archiveLocation: string, suffix: string, body: string): Promise<string> {
    const archive = resolve(archiveLocation);
    const path = join(dirname(archive), `${basename(archive).replace(ARCHIVE_EXTENSION, '')}${suffix}`);
    try {
      await writeFile(path, body, { mode: 0o600 });
      return path;
    } catch (error) {
      throw storeFailure(`could not write ${path}`, path, error);
    }
  }
}

/** `encrypted: true` for an encrypted archive's name (`….zip.age`), nothing for a plain one. */
export function encryptedIf(name: string): { encrypted?: true } {
  return name.endsWith(ENCRYPTED_EXTENSION) ? { encrypted: true } : {};
}

/** An archive that cannot be opened: no such file, or the file system's reason. */
function notOpened(path: string, error: unknown): StoreError {
  const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
  return new StoreError(`cannot open the archive ${path}: ${why}`, { location: path }, { cause: error });
}

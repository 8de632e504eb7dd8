import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { LedgerLockedError, StoreError } from '../core/errors.js';
import type { LedgerLock, LedgerStore, LockOwner } from '../core/ports.js';
import { parseLockOwner } from './lock-owner.js';
import { storeFailure } from './store-failure.js';

export interface FileLedgerStoreOptions {
  /** Told of a lock left by a restore that died on this host, once it has been taken over. */
  onStaleLock?: (holder: LockOwner) => void;
}

/**
 * A restore ledger kept in a local file. A save writes a temporary file beside it and renames it
 * over the ledger, so a crash mid-save leaves the previous ledger whole, never half of a new one.
 *
 * `lock` keeps one restore per ledger with `<ledger>.lock`, created exclusively and holding its
 * owner as JSON. A lock whose owner died on this host is taken over; any other lock is refused.
 */
export class FileLedgerStore implements LedgerStore {
  readonly description: string;
  readonly lockPath: string;

  constructor(
    readonly path: string,
    private readonly options: FileLedgerStoreOptions = {},
  ) {
    this.description = path;
    this.lockPath = `${path}.lock`;
  }

  async load(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storeFailure(`Cannot read the restore ledger ${this.path}`, this.path, error);
    }
  }

  async save(contents: string): Promise<void> {
    const folder = dirname(this.path);
    const temporary = join(folder, `.${basename(this.path)}.partial-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      // A ledger names objects, projects and e-mails: readable by its owner only, whatever the umask.
      await writeFile(temporary, contents, { mode: 0o600, flush: true });
      await chmod(temporary, 0o600);
      await rename(temporary, this.path);
    } catch (error) {
      // Best effort: when the folder itself is the problem the removal fails too, and the save's
      // failure is the one to report.
      await rm(temporary, { force: true }).catch(() => undefined);
      throw storeFailure(`Cannot write the restore ledger ${this.path}`, this.path, error);
    }
  }

  async lock(owner: LockOwner): Promise<LedgerLock> {
    const contents = JSON.stringify({ pid: owner.pid, host: owner.host, startedAt: owner.startedAt });
    await this.mkdirForLock();
    if (await this.createLock(this.lockPath, contents)) return this.heldLock(contents);
    const found = await this.readLock(this.lockPath);
    if (found === undefined) {
      // Released between our attempt and our look: one more try, then whoever won holds it.
      if (await this.createLock(this.lockPath, contents)) return this.heldLock(contents);
      throw this.locked(await this.readLock(this.lockPath));
    }
    const holder = parseLockOwner(found);
    if (!holder || !diedOnThisHost(holder)) throw this.locked(found);
    await this.takeOverStaleLock(found, holder, contents);
    return this.heldLock(contents);
  }

  /**
   * Replaces a dead restore's lock with ours. Two restores may find the same stale lock at once;
   * a second exclusive file serialises the takeover so only one of them replaces it, and the lock
   * is replaced by a rename so there is no moment without a lock for a third restore to slip into.
   */
  private async takeOverStaleLock(stale: string, holder: LockOwner, contents: string): Promise<void> {
    const guard = `${this.lockPath}.takeover`;
    if (!(await this.createLock(guard, contents)) && !(await this.clearDeadGuard(guard, contents))) {
      throw this.takeoverUnderWay(guard);
    }
    const temporary = `${this.lockPath}.${randomBytes(4).toString('hex')}`;
    try {
      const current = await this.readLock(this.lockPath);
      // Changed since we looked (taken over, perhaps released): no longer the dead restore's lock.
      if (current !== stale) {
        if (current === undefined && (await this.createLock(this.lockPath, contents))) return;
        throw this.locked(await this.readLock(this.lockPath));
      }
      await writeFile(temporary, contents, { mode: 0o600, flush: true });
      await rename(temporary, this.lockPath);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      if (error instanceof LedgerLockedError || error instanceof StoreError) throw error;
      throw this.lockFailure('take over', error);
    } finally {
      await rm(guard, { force: true }).catch(() => undefined);
    }
    this.options.onStaleLock?.(holder);
  }

  /**
   * A guard left by a restore killed in the middle of a takeover (its pid dead on this host) is
   * moved aside and ours created instead; true when ours is in place. The guard is moved, not
   * removed, so a live guard that replaced the dead one in the meantime can be put back untouched.
   */
  private async clearDeadGuard(guard: string, contents: string): Promise<boolean> {
    const found = await this.readLock(guard);
    const owner = found === undefined ? undefined : parseLockOwner(found);
    if (!owner || !diedOnThisHost(owner)) return false;
    const aside = `${guard}.dead-${randomBytes(4).toString('hex')}`;
    try {
      await rename(guard, aside);
    } catch {
      return false;
    }
    if ((await this.readLock(aside)) !== found) {
      await link(aside, guard).catch(() => undefined);
      await rm(aside, { force: true }).catch(() => undefined);
      return false;
    }
    await rm(aside, { force: true }).catch(() => undefined);
    return this.createLock(guard, contents);
  }

  private heldLock(contents: string): LedgerLock {
    return {
      release: async () => {
        // Someone may have removed ours by hand and started their own: that one is not ours to end.
        if ((await this.readLock(this.lockPath)) !== contents) return;
        await unlink(this.lockPath).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw this.lockFailure('release', error);
        });
      },
    };
  }

  /** True when the file was created; false when it already exists. */
  private async createLock(path: string, contents: string): Promise<boolean> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw this.lockFailure('create', error);
    }
    try {
      await handle.writeFile(contents);
      await handle.sync();
      await handle.close();
    } catch (error) {
      // A lock nobody can read would hold the ledger until removed by hand.
      await handle.close().catch(() => undefined);
      await rm(path, { force: true }).catch(() => undefined);
      throw this.lockFailure('write', error);
    }
    return true;
  }

  private async readLock(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.lockFailure('read', error);
    }
  }

  private async mkdirForLock(): Promise<void> {
    try {
      await mkdir(dirname(this.lockPath), { recursive: true });
    } catch (error) {
      throw this.lockFailure('create', error);
    }
  }

  private locked(found: string | undefined): LedgerLockedError {
    const owner = found === undefined ? undefined : parseLockOwner(found);
    // An empty or unreadable lock is one being written this instant, or one whose writer crashed
    // mid-write: either way nobody can tell it is free, so it is refused like any other.
    const holder = owner
      ? `pid ${owner.pid} on host ${owner.host}, started ${owner.startedAt}`
      : 'a restore whose lock file cannot be read';
    return new LedgerLockedError(
      `another restore (${holder}) is using the restore ledger ${this.path}; wait for it, or if it is ` +
        `gone, remove ${this.lockPath}`,
      { holder },
    );
  }

  private takeoverUnderWay(guard: string): LedgerLockedError {
    return new LedgerLockedError(
      `another restore is taking over the stale lock of the restore ledger ${this.path}; wait for ` +
        `it, or if none is running, remove ${guard} and ${this.lockPath}`,
      { holder: 'a restore taking over a stale lock' },
    );
  }

  private lockFailure(action: string, error: unknown): StoreError {
    return storeFailure(`Cannot ${action} the restore ledger's lock ${this.lockPath}`, this.lockPath, error);
  }
}

/**
 * Only a process on this machine can be asked whether it still runs; a lock from another host may
 * belong to a restore running right now, so it is never judged dead from here.
 */
function diedOnThisHost(holder: LockOwner): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * The CLI's target locks (one restore per target, core/restore/target-lock.ts): a lock file per
 * target in one folder per user on this machine — `$XDG_RUNTIME_DIR/n8n-ark/target-locks`, else
 * `<temp>/n8n-ark-<user>/target-locks` — so every restore this user runs here meets them, whatever
 * folder its ledger is in. Each lock is a ledger lock (`FileLedgerStore.lock`): a lock whose
 * restore died on this host is taken over. The folder is the user's own (0700); one found that is
 * not (a link, or another user's) is refused rather than used.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { StoreError } from '../core/errors.js';
import type { LedgerLock, LockOwner } from '../core/ports.js';
import { type TargetLocks, targetLockName } from '../core/restore/target-lock.js';
import { FileLedgerStore, type FileLedgerStoreOptions } from './file-ledger-store.js';
import { storeFailure } from './store-failure.js';

/** The folder of this user's target locks. */
export function targetLockFolder(env: NodeJS.ProcessEnv): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'n8n-ark', 'target-locks');
  const user = userInfo().username.replace(/[^A-Za-z0-9._-]+/g, '_') || 'user';
  return join(tmpdir(), `n8n-ark-${user}`, 'target-locks');
}

export class FileTargetLocks implements TargetLocks {
  constructor(
    private readonly folder: string,
    private readonly target: string,
    private readonly options: FileLedgerStoreOptions = {},
  ) {}

  async lock(owner: LockOwner): Promise<LedgerLock> {
    await privateFolder(this.folder);
    return new FileLedgerStore(join(this.folder, targetLockName(this.target)), this.options).lock(owner);
  }
}

/** Makes the folder (0700) and its parent when missing; the parent must be a folder of this user. */
async function privateFolder(folder: string): Promise<void> {
  const parent = join(folder, '..');
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw storeFailure(`cannot make the folder of target locks ${folder}`, folder, error);
  }
  const found = await lstat(parent);
  const uid = process.getuid?.();
  if (!found.isDirectory() || (uid !== undefined && found.uid !== uid))
    throw new StoreError(
      `${parent} is not a folder of this user; target locks are not kept there (move it away)`,
      { location: parent },
    );
}

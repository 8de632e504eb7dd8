/**
 * Migration from one live instance to another: a backup of the source into an archive, the same
 * verification every restore does, then a restore into the target. Going through a real archive
 * (rather than copying object by object) means a migration is exactly as safe and as resumable as a
 * restore, and the archive can be kept as the record of what was moved.
 */

import { openArchiveAt } from '../archive/access.js';
import { type BackupResult, runBackup } from '../backup/run.js';
import type {
  ArchiveStore,
  ArchiveWriter,
  Clock,
  LedgerStore,
  LockOwner,
  Logger,
  N8nApi,
  N8nCapabilities,
  OpenArchiveReader,
  Progress,
  SecretSource,
} from '../ports.js';
import { migrateIntoItself } from './errors.js';
import { runRestore } from './run.js';
import type { TargetLocks } from './target-lock.js';
import type { RestoreOptions, RestoreRun } from './types.js';

export interface MigrateDeps {
  source: N8nApi;
  target: N8nApi;
  /** What the target's key may do, so the restore half can refuse before writing. */
  targetCapabilities?: N8nCapabilities;
  /** Where the intermediate archive is written (a temporary folder unless the caller keeps it). */
  store: ArchiveStore;
  createWriter: () => ArchiveWriter;
  openReader: OpenArchiveReader;
  /** The ledger for the restore half; called with the archive's location once it exists. */
  ledgerStoreFor: (archiveLocation: string) => LedgerStore;
  /** Who holds the restore half's ledger lock. */
  lockOwner?: LockOwner;
  /** Where the restore half holds the target's lock (one restore per target). */
  targetLocks?: TargetLocks;
  secrets?: SecretSource;
  clock: Clock;
  logger: Logger;
  progress: Progress;
  toolVersion: string;
}

export interface MigrateOptions extends RestoreOptions {
  /** The name the intermediate archive is filed under (default: the source host). */
  instance: string;
}

export interface MigrateResult {
  backup: BackupResult;
  restore: RestoreRun;
}

export async function runMigrate(deps: MigrateDeps, options: MigrateOptions): Promise<MigrateResult> {
  if (sameInstance(deps.source.baseUrl, deps.target.baseUrl)) throw migrateIntoItself(deps.source.baseUrl);
  const backup = await runBackup(
    {
      api: deps.source,
      store: deps.store,
      createWriter: deps.createWriter,
      clock: deps.clock,
      logger: deps.logger,
      progress: deps.progress,
      toolVersion: deps.toolVersion,
    },
    { instance: options.instance },
  );
  const archive = await openArchiveAt(deps.store, backup.archive.location, deps.openReader);
  try {
    const restore = await runRestore(
      {
        archive,
        api: deps.target,
        ledgerStore: deps.ledgerStoreFor(backup.archive.location),
        ...(deps.lockOwner ? { lockOwner: deps.lockOwner } : {}),
        ...(deps.targetLocks ? { targetLocks: deps.targetLocks } : {}),
        ...(deps.targetCapabilities ? { capabilities: deps.targetCapabilities } : {}),
        ...(deps.secrets ? { secrets: deps.secrets } : {}),
        clock: deps.clock,
        logger: deps.logger,
        progress: deps.progress,
      },
      options,
    );
    return { backup, restore };
  } finally {
    await archive.close();
  }
}

function sameInstance(a: string, b: string): boolean {
  const normalize = (url: string) => url.replace(/\/+$/, '').toLowerCase();
  return normalize(a) === normalize(b);
}

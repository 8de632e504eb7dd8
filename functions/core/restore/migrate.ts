/**
 * Migration from one live instance to another: a backup of the source into an archive, the same
 * verification every restore does, then a restore into the target. Going through a real archive
 * (rather than copying object by object) means a migration is exactly as safe and as resumable as a
 * restore, and the archive can be kept as the record of what was moved.
 */

import type { BackupResult } from '../backup/run.js';
import type { LedgerStore, N8nCapabilities } from '../ports.js';
import { migrateIntoItself } from './errors.js';
import { backupSource, restoreArchive, type TransferDeps } from './transfer.js';
import type { RestoreOptions, RestoreRun } from './types.js';

export interface MigrateDeps extends TransferDeps {
  /** What the target's key may do, so the restore half can refuse before writing. */
  targetCapabilities?: N8nCapabilities;
  /** The ledger for the restore half; called with the archive's location once it exists. */
  ledgerStoreFor: (archiveLocation: string) => LedgerStore;
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
  const backup = await backupSource(deps, { instance: options.instance });
  const location = backup.archive.location;
  const restore = await restoreArchive(
    deps,
    location,
    {
      ledgerStore: deps.ledgerStoreFor(location),
      ...(deps.targetCapabilities ? { capabilities: deps.targetCapabilities } : {}),
    },
    options,
  );
  return { backup, restore };
}

function sameInstance(a: string, b: string): boolean {
  const normalize = (url: string) => url.replace(/\/+$/, '').toLowerCase();
  return normalize(a) === normalize(b);
}

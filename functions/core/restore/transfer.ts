/**
 * One instance's content carried into another through an archive, the way a migration and each
 * pass of a cutover do it: a backup of the source into a store, then a restore of that archive
 * into the target through the ledger the caller names (so a transfer that stopped continues where
 * it was, as any restore does).
 */
import { openArchiveAt } from '../archive/access.js';
import { type BackupOptions, type BackupResult, runBackup } from '../backup/run.js';
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
import { runRestore } from './run.js';
import type { TargetLocks } from './target-lock.js';
import type { RestoreOptions, RestoreRun } from './types.js';

/** What a transfer is given: the two instances and the store its archives go through. */
export interface TransferDeps {
  source: N8nApi;
  target: N8nApi;
  store: ArchiveStore;
  createWriter: () => ArchiveWriter;
  openReader: OpenArchiveReader;
  /** Who holds the restore's ledger lock (ignored by a dry run, which takes no lock). */
  lockOwner?: LockOwner;
  /** Where the restore holds the target's lock (one restore per target). */
  targetLocks?: TargetLocks;
  secrets?: SecretSource;
  clock: Clock;
  logger: Logger;
  progress: Progress;
  toolVersion: string;
  /** Waits between polls (the restore's, and a cutover's for executions and webhooks); default a timer. */
  pause?: (ms: number) => Promise<void>;
}

/** A backup of the source into the transfer's store. */
export function backupSource(deps: TransferDeps, options: BackupOptions): Promise<BackupResult> {
  return runBackup(
    {
      api: deps.source,
      store: deps.store,
      createWriter: deps.createWriter,
      clock: deps.clock,
      logger: deps.logger,
      progress: deps.progress,
      toolVersion: deps.toolVersion,
    },
    options,
  );
}

/** Where the restore half keeps its ledger, and what the target's key may do (asked when absent). */
export interface RestoreHalf {
  ledgerStore: LedgerStore;
  capabilities?: N8nCapabilities;
}

/** The archive at `location` in the transfer's store, restored into the target. */
export async function restoreArchive(
  deps: TransferDeps,
  location: string,
  half: RestoreHalf,
  options: RestoreOptions,
): Promise<RestoreRun> {
  const archive = await openArchiveAt(deps.store, location, deps.openReader);
  try {
    return await runRestore(
      {
        archive,
        api: deps.target,
        ledgerStore: half.ledgerStore,
        ...(half.capabilities ? { capabilities: half.capabilities } : {}),
        ...(deps.lockOwner ? { lockOwner: deps.lockOwner } : {}),
        ...(deps.targetLocks ? { targetLocks: deps.targetLocks } : {}),
        ...(deps.secrets ? { secrets: deps.secrets } : {}),
        ...(deps.pause ? { pause: deps.pause } : {}),
        clock: deps.clock,
        logger: deps.logger,
        progress: deps.progress,
      },
      options,
    );
  } finally {
    await archive.close();
  }
}

/**
 * The two passes the copy and the delta are made of: a backup of the source into the cutover's
 * store, and a restore of that archive into the target through its own ledger (so a pass that
 * stopped continues where it was, as any restore does).
 */
import { openArchiveAt } from '../archive/access.js';
import { runBackup } from '../backup/run.js';
import { runRestore } from '../restore/run.js';
import type { RestoreOptions, RestoreRun } from '../restore/types.js';
import type { CutoverDeps } from './types.js';

/** A backup of the source; its archive's location. */
export async function backupSource(
  deps: CutoverDeps,
  instance: string,
): Promise<{ location: string; ms: number }> {
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
    { instance, full: true },
  );
  return { location: backup.archive.location, ms: backup.durationMs };
}

/** The archive at `location` restored into the target with these options. */
export async function restoreInto(
  deps: CutoverDeps,
  location: string,
  options: RestoreOptions,
): Promise<RestoreRun> {
  const archive = await openArchiveAt(deps.store, location, deps.openReader);
  try {
    return await runRestore(
      {
        archive,
        api: deps.target,
        ledgerStore: deps.restoreLedgerFor(location),
        capabilities: deps.target,
        ...(deps.lockOwner && !options.run?.dryRun ? { lockOwner: deps.lockOwner } : {}),
        ...(deps.targetLocks && !options.run?.dryRun ? { targetLocks: deps.targetLocks } : {}),
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

/** The restore options of a pass: nothing published (the switch publishes), ids kept when asked. */
export function passOptions(
  keepWorkflowIds: boolean | undefined,
  extra: RestoreOptions = {},
): RestoreOptions {
  return {
    ...extra,
    workflowWrite: {
      ...extra.workflowWrite,
      activate: false,
      ...(keepWorkflowIds ? { keepWorkflowIds: true } : {}),
    },
  };
}

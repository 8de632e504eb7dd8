/**
 * The two passes the copy and the delta are made of (restore/transfer.ts, as a migration): a full
 * backup of the source into the cutover's store, and a restore of that archive into the target
 * through the pass's own ledger.
 */
import { backupSource as backupInto, restoreArchive } from '../restore/transfer.js';
import type { RestoreOptions, RestoreRun } from '../restore/types.js';
import type { CutoverDeps } from './types.js';

/** A full backup of the source; its archive's location. */
export async function backupSource(
  deps: CutoverDeps,
  instance: string,
): Promise<{ location: string; ms: number }> {
  const backup = await backupInto(deps, { instance, full: true });
  return { location: backup.archive.location, ms: backup.durationMs };
}

/** The archive at `location` restored into the target with these options, through its own ledger. */
export function restoreInto(
  deps: CutoverDeps,
  location: string,
  options: RestoreOptions,
): Promise<RestoreRun> {
  return restoreArchive(
    deps,
    location,
    { ledgerStore: deps.restoreLedgerFor(location), capabilities: deps.target },
    options,
  );
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

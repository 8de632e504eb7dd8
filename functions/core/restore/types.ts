/**
 * The restore's vocabulary: what a run reports, and the options and ports a restore is given. What
 * a plan says per object is the kinds' (kinds/shared/plan-records.ts), re-exported here.
 */

import type { OpenedArchive } from '../archive/format.js';
import type { RestoreResource } from '../kinds/index.js';
import type { RestorePlan, RestoreWarning } from '../kinds/kind.js';
import type {
  Clock,
  LedgerStore,
  LockOwner,
  Logger,
  N8nApi,
  N8nCapabilities,
  Progress,
  SecretSource,
} from '../ports.js';
import type { CheckpointPolicy, Counts, CredentialAwaitingSecret } from './ledger-state.js';
import type { GroupedRestoreOptions } from './options.js';
import type { TargetLocks } from './target-lock.js';

export type { PlannedRows } from '../kinds/data-tables/index.js';
export type { PlanAction, PlanEntry, RestorePlan, RestoreWarning } from '../kinds/kind.js';
export type { CommunityPackageInstall } from '../kinds/workflows/index.js';

/**
 * A restore's options, one object per what they decide: `selection`, `conflicts`, `placement`,
 * `workflowWrite`, `preflight`, `run`. Each option is declared once, with its meaning, in
 * `RESTORE_OPTIONS` (options.ts); the run's controls below no edge sets directly.
 */
export type RestoreOptions = Omit<GroupedRestoreOptions, 'run'> & {
  run?: NonNullable<GroupedRestoreOptions['run']> & RunControls;
};

/** How a run proceeds, beyond `dryRun` and `rowBatchSize`: set by the edge (the deadline) or by tests. */
export interface RunControls {
  /** Workflow creates and updates in flight. Default 4. */
  concurrency?: number;
  /** Stop at the next object boundary once `deadline - deadlineMarginMs` (epoch ms) has passed. */
  deadline?: number;
  /** Default 5000. */
  deadlineMarginMs?: number;
  checkpoint?: CheckpointPolicy;
}

/** What planning decides by. */
export type PlanOptions = Pick<
  RestoreOptions,
  'selection' | 'conflicts' | 'placement' | 'workflowWrite' | 'preflight'
>;

/** What applying a plan decides by (rows per request default 250 in the core). */
export type ApplyOptions = Pick<RestoreOptions, 'workflowWrite' | 'run'>;

/** What a finished restore wrote, for planning the next round of it against the same target. */
export interface EarlierRestore {
  /** resource → source id → target id, of the objects its runs created or overwrote. */
  written: Map<RestoreResource, Map<string, string>>;
  /** Whether those runs published what was active (false after `--no-activate`). */
  activated: boolean;
  /**
   * What they wrote that the target holds but does not run as written (a workflow unpublished, a
   * webhook of it not registered): resource → source id → target id, written again over that object.
   */
  rewrite?: Map<RestoreResource, Map<string, string>>;
  /** `--on-conflict overwrite` asked again: what they wrote is overwritten where it differs from the archive. */
  overwrite?: boolean;
}

export interface RestoreDeps {
  archive: OpenedArchive;
  api: N8nApi;
  ledgerStore: LedgerStore;
  /** Credential data by credential id or name (JSON object text); without it credentials are stubs. */
  secrets?: SecretSource;
  /** What the key may do (GET /discover): lets the restore refuse before its first write. */
  capabilities?: N8nCapabilities;
  clock: Clock;
  logger: Logger;
  progress: Progress;
  /** Who this restore is, to hold the ledger's lock (one restore per ledger); without it no lock is taken. */
  lockOwner?: LockOwner;
  /** Where the target's lock is held (one restore per target, target-lock.ts); without it none is taken. */
  targetLocks?: TargetLocks;
  /** Waits between polls of the closing check (a webhook registers a moment after its publish); default a timer. */
  pause?: (ms: number) => Promise<void>;
}

export interface RestoreReport {
  archive: string;
  target: string;
  /** False when the run stopped at its deadline; run again to continue. */
  done: boolean;
  /**
   * The target holds everything the plan said it would: every step ran, nothing failed, and the
   * closing check found nothing missing. False means run again (or see the warnings).
   */
  complete: boolean;
  created: Counts;
  updated: Counts;
  skipped: Counts;
  failed: Counts;
  /** resource → source id → target id */
  idMap: Record<RestoreResource, Record<string, string>>;
  warnings: RestoreWarning[];
  notes: string[];
  credentialsAwaitingSecrets: CredentialAwaitingSecret[];
  /** Runs this restore took, including this one. */
  runs: number;
  durationMs: number;
}

export interface RestoreRun {
  done: boolean;
  report: RestoreReport;
  plan: RestorePlan;
}

/**
 * The restore's vocabulary: what a run reports, and the options and ports a restore is given. What
 * a plan says per object is the kinds' (kinds/shared/plan-records.ts), re-exported here.
 */
import type { OpenedArchive } from '../archive/format.js';
import type { RestoreResource } from '../kinds/index.js';
import type { RestorePlan, RestoreWarning } from '../kinds/kind.js';
import type { ConflictPolicy, DataTableRowsPolicy } from '../kinds/shared/conflict-policy.js';
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

export type { PlannedRows } from '../kinds/data-tables/index.js';
export type { PlanAction, PlanEntry, RestorePlan, RestoreWarning } from '../kinds/kind.js';
export type { CommunityPackageInstall } from '../kinds/workflows/index.js';

export interface PlanOptions {
  onConflict?: ConflictPolicy;
  /** The rows of data tables the target already has (and the selection chose): default `skip`. */
  dataTableRows?: DataTableRowsPolicy;
  /** Source project name → target project name. */
  projectMap?: ReadonlyMap<string, string>;
  /** Restore only these resources; references to others resolve to what the target already has. */
  only?: readonly RestoreResource[];
  /** Only objects of this source project (by name), plus what they need. */
  project?: string;
  /** Only workflows carrying this tag (by name), plus what they need. */
  tag?: string;
  /** Only workflows whose name matches this glob (`*`, `?`), plus what they need. */
  workflow?: string;
  /**
   * Create workflows under their archive ids through POST /n8n-packages/import (n8n 2.24+), so
   * links, webhook callers and logs that name a workflow id keep working after a disaster recovery.
   */
  keepWorkflowIds?: boolean;
  /**
   * Refuse, before anything is written, a target whose n8n major.minor is not the source's, or whose
   * version (or the source's) could not be learned. Without it an older target is only a warning.
   */
  requireSameMinor?: boolean;
  /**
   * Install the community packages the plan lists (`communityPackagesToInstall`) before anything is
   * written, through POST /community-packages; a failure ends the restore before its first write.
   */
  installCommunityPackages?: boolean;
  /**
   * Install them without n8n's check against its vetted list (`verify: false`): n8n installs the
   * archive's version from its npm registry. Without it n8n installs only vetted packages.
   */
  unverifiedCommunityPackages?: boolean;
  /** A later round of a finished restore: what its earlier runs wrote (see `restoredEarlier`). */
  earlier?: EarlierRestore;
  logger?: Logger;
  progress?: Progress;
}

/** What a finished restore wrote, for planning the next round of it against the same target. */
export interface EarlierRestore {
  /** resource → source id → target id, of the objects its runs created or overwrote. */
  written: Map<RestoreResource, Map<string, string>>;
  /** Whether those runs published what was active (false after `--no-activate`). */
  activated: boolean;
}

export interface ApplyOptions {
  /** Rows per POST /data-tables/{id}/rows. Default 250. */
  rowBatchSize?: number;
  /** Workflow creates and updates in flight. Default 4. */
  concurrency?: number;
  /** Publish workflows that were active in the archive. Default true. */
  activate?: boolean;
  /** Stop at the next object boundary once `deadline - deadlineMarginMs` (epoch ms) has passed. */
  deadline?: number;
  deadlineMarginMs?: number;
  checkpoint?: CheckpointPolicy;
}

export interface RestoreOptions extends PlanOptions, ApplyOptions {
  /** Plan only: nothing is written, not even the ledger. */
  dryRun?: boolean;
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

/**
 * The restore's vocabulary: what a plan says per object, what a run reports, and the options and
 * ports a restore is given. The plan is saved in the ledger, so its shape is part of the ledger format.
 */
import type { OpenedArchive } from '../archive/format.js';
import type { RestoreResource } from '../kinds/index.js';
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
import type { CheckpointPolicy, Counts, CredentialAwaitingSecret } from './ledger.js';

export type PlanAction = 'create' | 'update' | 'skip' | 'conflict';

export interface PlanEntry {
  resource: RestoreResource;
  sourceId: string;
  /** How people recognise it: the workflow or tag name, the variable key, "Project / name". */
  name: string;
  action: PlanAction;
  reason: string;
  /** The existing target object this one matched (skip, update, conflict). */
  targetId?: string;
  /** The name a create takes instead of `name` (on-conflict rename). */
  renameTo?: string;
  /** The source project the object belongs to; the applier maps it to a target project. */
  sourceProjectId?: string;
  /**
   * Why an object outside the selection is restored anyway, e.g. `needed by workflow "Orders"`. Such
   * a dependency is only created when missing: --on-conflict and --data-table-rows leave it alone.
   */
  pulledInBy?: string;
  /** Data tables: the rows the archive holds for it, and what the restore does with the target's. */
  rows?: PlannedRows;
  /** Workflows: the matched target workflow is archived / active (an update must undo that first). */
  targetArchived?: boolean;
  targetActive?: boolean;
  /** Credentials: the id n8n should give it (the source id, unless n8n would refuse it). */
  createWithId?: string;
  /** Credentials matched by id but owned by another project than the mapped one (moved by the transfer step). */
  transferToSourceProject?: boolean;
  /** Credentials: global on the source (`isGlobal`), so made global once created (where the target's licence allows). */
  makeGlobal?: boolean;
  /**
   * Written by an earlier run of this restore (its ledger holds the id) and still in the target: a
   * re-run with other options leaves it as it is (a skip), yet publishes it, fills its secret or
   * rewrites its references to objects written now when those options ask for it.
   */
  restoredEarlier?: boolean;
}

export interface PlannedRows {
  /** Rows the archive holds for the table (what a create, append or replace writes). */
  archive: number;
  /** Rows the matched target table held when planned. */
  target?: number;
  /** For an existing table (an `update`): add the archive's rows, or delete the target's first. */
  mode?: 'append' | 'replace';
}

export interface RestoreWarning {
  code: string;
  message: string;
  resource?: RestoreResource | 'dataTableRows';
  workflow?: { id: string; name: string };
  node?: string;
  /** Where in the workflow, for reference warnings, e.g. `nodes["Call"].parameters.workflowId.value`. */
  location?: string;
}

export interface RestorePlan {
  archive: { digest: string; instance: string; sourceUrl: string; startedAt: string };
  target: {
    url: string;
    /** Features the target can be written to; false when unlicensed or the key lacks the scope. */
    projects: boolean;
    folders: boolean;
    variables: boolean;
    dataTables: boolean;
    tags: boolean;
  };
  onConflict: ConflictPolicy;
  /** Workflows are created under their archive ids (n8n package import), not given new ones. */
  keepWorkflowIds?: boolean;
  /** A later round of a finished restore: whether its earlier runs published what was active. */
  activatedEarlier?: boolean;
  /**
   * Written workflows (source id) that use node types the target lacks (`type@typeVersion`): they
   * are written but not published (restore/node-type-check.ts).
   */
  missingNodeTypes?: Record<string, string[]>;
  /** Community packages the target lacks, at the archive's versions, that provide missing node types. */
  communityPackagesToInstall?: CommunityPackageInstall[];
  /** In dependency order (KINDS), then in archive order. */
  entries: PlanEntry[];
  /** Things a person should know before applying (unlicensed target, selection pulled objects in). */
  notes: string[];
  warnings: RestoreWarning[];
}

export interface CommunityPackageInstall {
  name: string;
  version: string;
}

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

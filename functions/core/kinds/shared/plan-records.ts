/**
 * The plan's generic records: what a plan says per object, the warnings a run reports, and the plan
 * itself. They carry no kind's fields: each kind adds its own to `PlanEntryDetail` and
 * `RestorePlanDetail` in its own module (TypeScript's declaration merging), and the records below
 * are the generic ones joined with every kind's. The plan is saved in the restore ledger, so this
 * shape (details included, flat on the records) is part of the ledger format.
 */
import type { RestoreResource } from '../index.js';
import type { ConflictPolicy } from './conflict-policy.js';

/**
 * Every kind's own fields on a plan entry, each optional: a kind adds its own with
 * `declare module '…/shared/plan-records.js' { interface PlanEntryDetail extends ItsDetail {} }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: a registry the kinds' modules extend by declaration merging
export interface PlanEntryDetail {}

/** Every kind's own fields on the plan, each optional; extended by the kinds like `PlanEntryDetail`. */
// biome-ignore lint/suspicious/noEmptyInterface: a registry the kinds' modules extend by declaration merging
export interface RestorePlanDetail {}

export type PlanAction = 'create' | 'update' | 'skip' | 'conflict';

/** One object's decision, as every kind plans it. */
export interface GenericPlanEntry {
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
  /**
   * Written by an earlier run of this restore (its ledger holds the id) and still in the target: a
   * re-run with other options leaves it as it is (a skip), yet publishes it, fills its secret or
   * rewrites its references to objects written now when those options ask for it.
   */
  restoredEarlier?: boolean;
  /**
   * Why n8n will refuse it, known before writing (its body is past the target's payload limit):
   * the run writes nothing of it and counts it failed; a later run asks the target again.
   */
  refusedBy?: string;
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

/** An entry with the detail its kind declares (each kind's own fields, flat on the record). */
export type PlanEntry = GenericPlanEntry & PlanEntryDetail;

/** The plan as every kind shares it; `target` says, per kind, whether the target can take it. */
export interface GenericRestorePlan {
  archive: { digest: string; instance: string; sourceUrl: string; startedAt: string };
  /** Per kind the restore writes whose listing the target may refuse: false when it did (unlicensed, a scope the key lacks). */
  target: { url: string } & Partial<Record<RestoreResource, boolean>>;
  onConflict: ConflictPolicy;
  /** In dependency order (KINDS), then in archive order. */
  entries: PlanEntry[];
  /** Things a person should know before applying (unlicensed target, selection pulled objects in). */
  notes: string[];
  warnings: RestoreWarning[];
  /**
   * What the target's payload limit refuses, learnt by probing when the archive holds bodies large
   * enough to meet it (restore/body-limit.ts): the largest body it reads (`accepts`), and the
   * archive's records past it.
   */
  bodyLimit?: { accepts: number; oversized: OversizedRecord[] };
}

/** An archived record whose write body n8n's payload limit refuses. */
export interface OversizedRecord {
  resource: string;
  id: string;
  /** The entry and line it was read from, for people. */
  entry: string;
  line: number;
  /** The body a restore would send for it, in bytes. */
  bytes: number;
  /** For a row: its table. */
  dataTableId?: string;
}

/** The plan with every kind's plan-wide detail (each kind's own, typed where the kind declares it). */
export type RestorePlan = GenericRestorePlan & RestorePlanDetail;

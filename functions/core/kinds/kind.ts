/**
 * The contract every resource kind fulfils (Velero's restore item actions are the model): its
 * natural key, how it is planned, and the apply steps that write it. The restore loop and the diff
 * know kinds only through this contract and the one list in `index.ts`.
 *
 * Kinds never import each other. What one kind decides that another needs (where a source project's
 * objects land, which credentials a workflow may name) travels through the contexts.
 */
import { z } from 'zod';
import type { OpenedArchive } from '../archive/format.js';
import type { N8nApi } from '../ports.js';
import type { RestoreLedger } from '../restore/ledger.js';
import type { SourceState, TargetState } from '../restore/plan-state.js';
import type {
  ApplyOptions,
  PlanEntry,
  PlanOptions,
  RestoreDeps,
  RestorePlan,
  RestoreWarning,
} from '../restore/types.js';
import type { RestoreResource, RestoreStep } from './index.js';
import type { ConflictPolicy } from './shared/conflict-policy.js';

/**
 * Where an object sits, as a token two instances agree on: the target project id it lands in (or
 * `personal` for the API key owner's personal project, `new:<name>` for a project the restore
 * creates); in a diff, the project's own natural key. Undefined = no project.
 */
export type Place = (projectId: string | undefined) => string;

/** Where a source project's objects land in the target. */
export type ProjectScope =
  | { kind: 'existing'; id: string }
  | { kind: 'new'; name: string }
  | { kind: 'personal' };

export interface PlanContext {
  readonly archive: OpenedArchive;
  readonly api: N8nApi;
  readonly options: PlanOptions;
  readonly onConflict: ConflictPolicy;
  readonly source: SourceState;
  readonly target: TargetState;
  /** In the selection (--only, --project, --tag, --workflow, and what they pull in). */
  isSelected(resource: RestoreResource, id: string): boolean;
  /** Outside --only, yet matched to the target so references to it resolve. */
  isMatchable(resource: RestoreResource): boolean;
  pulledInBy(resource: RestoreResource, id: string): { pulledInBy?: string };
  /**
   * --on-conflict for an object the selection chose; `skip` for one it pulled in (a dependency that
   * exists is kept as it is: overwriting or copying it needs its own selection).
   */
  conflictPolicy(resource: RestoreResource, id: string): ConflictPolicy;
  /** The projects kind decides where each source project's objects land; the others ask. */
  setScope(sourceProjectId: string, scope: ProjectScope): void;
  scopeOf(sourceProjectId: string | undefined): ProjectScope;
  /** The place a source object lands in, for matching natural keys against the target's. */
  readonly sourcePlace: Place;
  /**
   * The places a target object answers to, in the same tokens: its project id, and `personal` too
   * when it may be the key owner's personal project (a source object bound there matches it).
   */
  targetPlaces(targetProjectId: string | undefined): string[];
  add(entry: PlanEntry): void;
  entries(resource: RestoreResource): readonly PlanEntry[];
  note(text: string): void;
  warn(warning: RestoreWarning): void;
}

export interface ApplyContext {
  readonly plan: RestorePlan;
  readonly deps: RestoreDeps;
  readonly api: N8nApi;
  readonly options: ApplyOptions;
  readonly ledger: RestoreLedger;
  readonly rowBatchSize: number;
  readonly concurrency: number;
  /** What the run has said or learnt so far, so that a later step neither repeats nor re-reads it. */
  readonly memo: ApplyMemo;
  entries(resource: RestoreResource): readonly PlanEntry[];
  /** Throws DeadlineReached once the slice's deadline is near: the step stops at an object boundary. */
  checkDeadline(): void;
  deadlineNear(): boolean;
  /** One object's work; a non-fatal failure is counted, reported and marked, and the run goes on. */
  attempt(step: RestoreStep, entry: PlanEntry, what: string, work: () => Promise<void>): Promise<boolean>;
  fail(step: RestoreStep, entry: PlanEntry, what: string, error: unknown): void;
  hasFailed(entry: PlanEntry): boolean;
  /** The target project an object goes to; undefined = the API key owner's personal project. */
  targetProject(entry: PlanEntry): string | undefined;
  /**
   * The plan puts the object in a project (mapped or to be created) that has no target id: its
   * creation failed. The object must fail too, not land in the key owner's personal project.
   */
  projectMissing(entry: PlanEntry): boolean;
  /** Fails the object when its project is missing (see projectMissing); true when it did. */
  failIfProjectMissing(step: RestoreStep, entry: PlanEntry): boolean;
  /** One archive entry's records by id (small entries only: never workflows or rows). */
  sourceRecords<T extends { id: string }>(resource: RestoreResource): Promise<Map<string, T>>;
}

export interface ApplyMemo {
  /** Workflow fields n8n refuses on write, warned about once per run. */
  readonly warnedDrops: Set<string>;
  /** "workflowId|location" of references the plan already warned about. */
  readonly predicted: Set<string>;
  readonly reportedUnresolved: Set<string>;
  /** Per-workflow facts gathered while its body was read, so later steps need not read it again. */
  readonly workflowFacts: Map<string, WorkflowFacts>;
}

export interface WorkflowFacts {
  tagIds: string[];
  archived: boolean;
  active: boolean;
  /** Ids of the workflows it calls (sub-workflows), for publishing callees first. */
  calls: string[];
  /** Published with content other than its draft (see kinds/workflows/published.ts). */
  publishedDiffers?: boolean;
}

export interface ApplyStep<S extends string = string> {
  readonly name: S;
  /** Runs after every kind's other steps (credentials move to their projects once workflows are written). */
  readonly last?: boolean;
  run(ctx: ApplyContext, resumed: boolean): Promise<void>;
}

export interface Kind<R extends string = string, S extends string = string> {
  readonly resource: R;
  /** Whether a restore writes it. Users are compared, never created: n8n invites them by e-mail. */
  readonly restored: boolean;
  /**
   * Lists the instance's objects of this kind, for reading whether the instance has them (doctor,
   * diff). Absent for kinds listed per parent (folders are listed per project).
   */
  readonly list?: (api: N8nApi) => AsyncIterable<unknown>;
  /**
   * The schemas of the records this kind writes to the archive, by the manifest resource of their
   * entries. An archive whose records do not fit is refused before the first write.
   */
  readonly records: RecordSchemas;
  /** The API-key scopes a restore of this kind uses (doctor reports the missing ones; a restore refuses without them). */
  readonly restoreScopes: readonly string[];
  /** Resources this kind reports besides itself (data tables report their rows). */
  readonly alsoCounted?: readonly string[];
  /** Adds this kind's plan entries, notes and warnings. */
  plan?(ctx: PlanContext): void | Promise<void>;
  readonly steps: readonly ApplyStep<S>[];
}

/** Thrown inside a step to stop cleanly at an object boundary. */
export class DeadlineReached extends Error {}

// --- building blocks of the kinds' archive record schemas ----------------------------------------
// A record must carry the fields a restore relies on, with the right types; fields n8n adds later
// stay allowed (loose objects).

export const id = z.string().min(1);
export const text = z.string();
export const optionalText = z.string().nullish();
export const jsonObject = z.record(z.string(), z.unknown());

/** A record type a kind writes to the archive, keyed by the manifest's `resource` of its entries. */
export type RecordSchemas = Readonly<Record<string, z.ZodType>>;

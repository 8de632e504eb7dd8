/**
 * The contract every resource kind fulfils (Velero's restore item actions are the model): its
 * natural key and archive entries, how it is listed from n8n and read from a live target, how a
 * diff, an inspect and a drill see it, how it is planned, and the apply steps that write it. The
 * backup, the restore loop, the closing checks, the diff, the drill and inspect know kinds only
 * through this contract and the one list in `index.ts`.
 *
 * Kinds never import each other, nor the restore's internals: what one kind decides that another
 * needs (where a source project's objects land, which credentials a workflow may name) travels
 * through the contexts declared here, and what kinds share lives in `shared/`.
 */
import { z } from 'zod';
import type { OpenedArchive } from '../archive/format.js';
import type { InstanceNames } from '../instance/identity.js';
import type { Json } from '../n8n-types.js';
import type { Logger, N8nApi, N8nCapabilities, N8nScratchApi, Progress, SecretSource } from '../ports.js';
import type { CountedResource, RestoreResource, RestoreStep } from './index.js';
import type { ClosingJudge } from './shared/closing-judge.js';
import type { ConflictPolicy, DataTableRowsPolicy } from './shared/conflict-policy.js';
import type { ArchiveEntrySpec } from './shared/entry-spec.js';
import type { PlanEntry, RestorePlan, RestoreWarning } from './shared/plan-records.js';
import type { SourceRecords, SourceState, TargetRecords, TargetState } from './shared/state.js';

export type { ArchiveEntrySpec, ArchiveReference } from './shared/entry-spec.js';
export type { PlanAction, PlanEntry, RestorePlan, RestoreWarning } from './shared/plan-records.js';

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

/** The restore options kinds read (restore/types.ts declares them all, restore/options.ts validates them). */
export interface KindPlanOptions {
  readonly placement?: {
    /** Source project name → target project name. */
    readonly projectMap?: ReadonlyMap<string, string> | undefined;
  };
  readonly conflicts?: { readonly dataTableRows?: DataTableRowsPolicy | undefined };
  readonly workflowWrite?: KindApplyOptions['workflowWrite'] & { readonly keepWorkflowIds?: boolean };
  readonly preflight?: {
    readonly installCommunityPackages?: boolean | undefined;
    readonly unverifiedCommunityPackages?: boolean | undefined;
  };
  /** A later round: whether earlier runs published what was active; what they wrote that must be written again. */
  readonly earlier?: {
    readonly activated: boolean;
    readonly rewrite?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  };
}

export interface KindApplyOptions {
  /** Publish workflows that were active in the archive. Default true. */
  readonly workflowWrite?: { readonly activate?: boolean | undefined };
}

export interface PlanContext {
  readonly archive: OpenedArchive;
  readonly api: N8nApi;
  readonly options: KindPlanOptions;
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

/** Credentials created without their secret, as the ledger (format 1) keeps them. */
export interface CredentialAwaitingSecret {
  id: string;
  name: string;
  type: string;
}

/** What kinds read and write of the restore ledger (restore/ledger.ts is the whole of it). */
export interface KindLedger {
  readonly state: {
    readonly warnings: readonly RestoreWarning[];
    credentialsAwaitingSecrets: CredentialAwaitingSecret[];
  };
  idMap(resource: RestoreResource): Map<string, string>;
  targetId(resource: RestoreResource, sourceId: string): string | undefined;
  recordId(resource: RestoreResource, sourceId: string, targetId: string): void;
  claimedTargetIds(resource: RestoreResource): Set<string>;
  isMarked(step: RestoreStep, key: string): boolean;
  mark(step: RestoreStep, key: string): void;
  count(kind: 'created' | 'updated' | 'skipped' | 'failed', resource: CountedResource, by?: number): void;
  warn(warning: RestoreWarning): void;
  /** Counts a change made to `state` toward the next checkpoint. */
  changed(): void;
  checkpoint(): Promise<void>;
  save(): Promise<void>;
}

/** What the restore hands the kinds besides the target (restore/types.ts's RestoreDeps has these and more). */
export interface KindDeps {
  readonly archive: OpenedArchive;
  /** Waits between polls (a webhook's registration lags its publish); default a timer. */
  readonly pause?: (ms: number) => Promise<void>;
  /** Credential data by credential id or name; without it credentials are stubs. */
  readonly secrets?: SecretSource;
  readonly capabilities?: N8nCapabilities;
  readonly logger: Logger;
  readonly progress: Progress;
}

export interface ApplyContext {
  readonly plan: RestorePlan;
  readonly deps: KindDeps;
  readonly api: N8nApi;
  readonly options: KindApplyOptions;
  readonly ledger: KindLedger;
  readonly rowBatchSize: number;
  readonly concurrency: number;
  /**
   * The step was running when the last run stopped: an object it wrote may be in the target without
   * the ledger knowing, so creates look for it first (create-or-adopt).
   */
  readonly resumed: boolean;
  /** A kind's state for this run, made by `create` the first time it is asked for (what it said or learnt). */
  memo<M>(kind: string, create: () => M): M;
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

export interface ApplyStep<S extends string = string> {
  readonly name: S;
  /** Runs after every kind's other steps (credentials move to their projects once workflows are written). */
  readonly last?: boolean;
  run(ctx: ApplyContext): Promise<void>;
}

/**
 * A kind's own fields on its plan entries (`E`) and on the plan (`P`), flat on the generic records
 * (plan-records.ts), so the ledger format does not change with them.
 */
export interface KindDetail<E extends object, P extends object = object> {
  /** Entry fields that tell the target as planned: dropped when a later round keeps what an earlier run wrote. */
  readonly ofTarget: readonly (keyof E & string)[];
  /** Adds the kind's plan-wide detail once every kind has planned and references are checked. */
  finishPlan?(ctx: PlanContext, plan: RestorePlan & P): Promise<void>;
}

/** What `beforeWrite` may use: the plan is made and the key's scopes checked; nothing is written yet. */
export interface BeforeWriteContext {
  readonly api: N8nApi;
  readonly capabilities?: N8nCapabilities;
  readonly logger: Logger;
  readonly plan: RestorePlan;
  readonly options: KindPlanOptions;
}

/** Why a finished restore plans a new round for this kind, and the scopes that round needs besides its writes. */
export interface RoundReason {
  why: string;
  /** Added to the new plan's note, e.g. `2 stub(s) get their secret`. */
  detail: string;
  scopes: readonly string[];
}

/** A retry of an incomplete restore, as a kind sees it before failed objects become pending again. */
export interface RetryView {
  /** The objects that failed, as "resource:sourceId". */
  readonly failures: readonly string[];
  readonly warnings: readonly RestoreWarning[];
  /** Forgets that a step finished these objects (all of them without `keys`), so the step does them again. */
  clearMarks(step: RestoreStep, keys?: Iterable<string>): void;
}

/** How a backup reads a kind, where that is not its listing as it is. */
export interface BackupSpec {
  /** The records of its entry (projects with their members, credentials with their flags). */
  records?(api: N8nApi, read: BackupRead): AsyncIterable<unknown>;
  /** The projects a record belongs to or is shared with: kinds listed per project are read in these. */
  projectsOf?(record: unknown): Iterable<string>;
}

export interface BackupRead {
  /** GETs in flight at once for per-object detail. */
  readonly concurrency: number;
  /** Where a kind's reading adds warnings for the manifest. */
  readonly warnings: { code: string; message: string }[];
}

/** How planning reads a kind from the target: `read` says what others read (folders need the projects). */
export interface TargetRead {
  readonly api: N8nApi;
  of<R extends keyof TargetRecords>(resource: R): Promise<TargetRecords[R]>;
  /** Why a resource could not be read, once `of` has settled for it. */
  why(resource: string): string | undefined;
}

/** A kind cannot be read from the target for a reason other than n8n's refusal (what it depends on is unavailable). */
export class Unavailable extends Error {}

/** How --project, --tag and --workflow choose a kind's objects and what they pull in. */
export interface SelectionSpec {
  /** --project chooses its objects with it: the source project a record belongs to. */
  chosenWithProject?(record: unknown): string | null | undefined;
  /** What a chosen object needs restored with it (its project, a workflow's credentials…), and why. */
  needs?(record: unknown, find: FindSource): Need[];
  /** Said when a selection without --project leaves this kind out. */
  withoutProject?: string;
}

export interface Need {
  resource: RestoreResource;
  id: string;
  why: string;
}

export type FindSource = <R extends keyof SourceRecords>(
  resource: R,
  id: string,
) => SourceRecords[R] extends readonly (infer T)[] ? T | undefined : never;

/** How a diff compares a kind: every record of one side under its natural key, in a canonical form. */
export interface DiffSpec {
  /** Reads a live instance's records for the diff, where that is not the kind's listing. */
  read?(api: N8nApi): AsyncIterable<unknown>;
  /** Keys and canonical forms (and ids, for what is compared further, like a table's rows); may name ids in `names`. */
  index(records: readonly unknown[], names: InstanceNames): Iterable<DiffRecord>;
}

export interface DiffRecord {
  key: string;
  canonical: Json;
  id: string;
}

/** How `inspect --contents` shows a kind. */
export interface ContentsSpec {
  /** Names this kind's ids for the rows of every kind (project names, folder paths), before any row. */
  names?(records: readonly unknown[], names: InstanceNames): void;
  /** The source project a record belongs to, for --project; none: never filtered. */
  projectOf?(record: unknown): string | null | undefined;
  row(record: unknown, names: ContentNames): object;
}

export interface ContentNames {
  project(id: string | null | undefined): string | null;
  folder(id: string): string | undefined;
  archive: OpenedArchive;
}

/** What a drill's scratch instance holds of a kind, and whether a wipe deletes it. */
export interface ScratchSpec {
  /** Whether a listed object counts as something the instance holds (personal projects come with users). */
  counts?(record: unknown): boolean;
  /**
   * Deletes one object (`--wipe-scratch`; `pause` waits between tries of a delete n8n is not ready
   * for); absent: a wipe cannot, and a scratch holding it is refused.
   */
  wipe?(api: N8nScratchApi, record: unknown, pause: (ms: number) => Promise<void>): Promise<void>;
  /** The API-key scopes its wipe uses, as n8n names them (a wipe the key could only half do is refused first). */
  readonly wipeScopes?: readonly string[];
}

export interface Kind<R extends string = string, S extends string = string> {
  readonly resource: R;
  /** Whether a restore writes it. Users are compared, never created: n8n invites them by e-mail. */
  readonly restored: boolean;
  /**
   * Without it an instance has nothing worth backing up or restoring (workflows): a listing it
   * refuses fails the run. Any other kind may be unavailable (unlicensed, a scope the key lacks).
   */
  readonly required?: boolean;
  /**
   * The n8n-ark version whose backups first wrote this kind: an archive written before it may lack
   * the kind without saying why. Absent: every archive has it or says why not.
   */
  readonly recordedSince?: string;
  /** The archive entries it writes, by the manifest `resource` of each; its own first. */
  readonly entries: Readonly<Record<string, ArchiveEntrySpec>>;
  /** Lists the instance's objects of this kind (ids and names for the closing checks, doctor's and the diff's probes). */
  readonly list?: (api: N8nApi) => AsyncIterable<unknown>;
  /** For a kind listed per project (folders): one project's objects, each with its `projectId`. */
  readonly listInProject?: (api: N8nApi, projectId: string) => AsyncIterable<unknown>;
  readonly backup?: BackupSpec;
  /** A source record as planning keeps it (workflows: a summary, never the body). */
  summarize?(record: unknown): unknown;
  /** Refuses, before anything is read, a target that cannot take this kind as the options ask (nothing written). */
  refuseUnfitTarget?(api: N8nApi, options: KindPlanOptions): Promise<void>;
  /** Reads the target for planning; default: its listing (per project for a kind listed so). */
  readTarget?(read: TargetRead): Promise<readonly { id: string }[]>;
  /** The API-key scopes a restore of this kind uses (doctor reports the missing ones; a restore refuses without them). */
  readonly restoreScopes: readonly string[];
  /** Resources this kind reports besides itself (data tables report their rows). */
  readonly alsoCounted?: readonly string[];
  readonly selection?: SelectionSpec;
  /** Adds this kind's plan entries, notes and warnings. */
  plan?(ctx: PlanContext): void | Promise<void>;
  readonly detail?: KindDetail<object, object>;
  readonly steps: readonly ApplyStep<S>[];
  /** The closing check compares the name too: the plan's name (or rename) is the object's name in the target. */
  readonly closingCheckNames?: boolean;
  /** The closing check's judgement of what more this kind's objects must be (workflows: what runs). */
  judgeRestored?(ctx: ApplyContext): ClosingJudge;
  /** Scopes the plan's writes of this kind need besides `restoreScopes` (a package import, a PATCH). */
  extraScopes?(plan: RestorePlan, options: KindPlanOptions): readonly string[];
  /** Work before the first write (installing the community packages workflows need). */
  beforeWrite?(ctx: BeforeWriteContext): Promise<void>;
  /** Why a finished restore should plan again for this kind (secrets now known for its stubs). */
  nextRound?(ctx: {
    archive: OpenedArchive;
    ledger: KindLedger;
    secrets?: SecretSource;
  }): Promise<RoundReason | undefined>;
  /** Before failed objects are tried again: what else this kind's steps must do again. */
  beforeRetry?(retry: RetryView): void;
  /** What a dry run counts of an entry besides the entry itself (a table's rows). */
  plannedCounts?(entry: PlanEntry): PlannedCount | undefined;
  readonly diff?: DiffSpec;
  readonly contents?: ContentsSpec;
  readonly scratch?: ScratchSpec;
}

/** Objects a plan entry writes besides itself, as a run counts them. */
export interface PlannedCount {
  resource: CountedResource;
  bucket: 'created' | 'updated';
  count: number;
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

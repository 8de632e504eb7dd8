/**
 * The applier: carries a RestorePlan out against the target in dependency order, one step at a
 * time, recording every new id and finished object in the ledger so an interrupted restore
 * continues where it stopped and a finished one writes nothing.
 *
 * Every step converges rather than replays: before creating an object a resumed step looks for
 * one it created in the moment between the write and the ledger save (same name, same place, not
 * claimed by the ledger) and adopts it, so a crash at any point leaves no duplicate behind.
 */
import { ENTRY, type OpenedArchive } from './archive-format.js';
import { chunks, mapOrdered } from './async-iterables.js';
import { rowContent, WRITABLE_NODE_KEYS, WRITABLE_SETTINGS_KEYS } from './diff.js';
import { assertRestoreScopes } from './doctor.js';
import {
  ArchiveIntegrityError,
  ArkError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  MissingScopeError,
  PaginationError,
  RestoreError,
  SecretError,
} from './errors.js';
import type {
  CredentialMeta,
  DataTable,
  DataTableRow,
  Folder,
  Json,
  JsonObject,
  Project,
  ProjectMember,
  Variable,
  Workflow,
  WorkflowNode,
  WorkflowWrite,
} from './n8n-types.js';
import type { Clock, LedgerStore, Logger, N8nApi, N8nCapabilities, Progress, SecretSource } from './ports.js';
import {
  findWorkflowReferences,
  type IdMaps,
  isDanglingReference,
  rewriteWorkflowReferences,
  type WorkflowReference,
} from './references.js';
import {
  type CheckpointPolicy,
  type Counts,
  type CredentialAwaitingSecret,
  RESTORE_STEPS,
  RestoreLedger,
  type RestoreStep,
} from './restore-ledger.js';
import {
  manifestDigest,
  type PlanEntry,
  type PlanOptions,
  planRestore,
  type RestorePlan,
  type RestoreResource,
  type RestoreWarning,
} from './restore-plan.js';

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

export interface RestoreReport {
  archive: string;
  target: string;
  /** False when the run stopped at its deadline; run again to continue. */
  done: boolean;
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

const DEFAULT_ROW_BATCH = 250;
/** Workflows per n8n package import: small packages keep one refusal cheap to retry one by one. */
const IMPORT_BATCH = 100;

/**
 * The whole restore, resumable and bounded: verifies the archive (once per ledger), plans (or
 * takes the plan an interrupted run saved), and applies until done or the deadline. Run it again
 * with the same ledger store to continue; once finished it writes nothing.
 */
export async function runRestore(deps: RestoreDeps, options: RestoreOptions = {}): Promise<RestoreRun> {
  const started = deps.clock.now().getTime();
  const digest = manifestDigest(deps.archive.manifest);
  const existing = options.dryRun
    ? undefined
    : await RestoreLedger.load(
        deps.ledgerStore,
        deps.clock,
        { archiveDigest: digest, target: deps.api.baseUrl },
        options.checkpoint,
      );

  // Even a finished restore talks to the target once: a wrong key or URL must fail, not pass silently.
  await confirmTargetAnswers(deps.api);
  if (existing?.finished) {
    deps.logger.info('restore already finished; nothing to do', { ledger: existing.description });
    return {
      done: true,
      plan: existing.state.plan,
      report: finishedAgainReport(existing, deps.clock.now().getTime() - started),
    };
  }
  if (!existing?.state.verified) await verifyOrRefuse(deps);

  if (existing) {
    deps.logger.info('resuming restore', { ledger: existing.description, runs: existing.state.runs });
    return applyWithLedger(existing.state.plan, deps, options, existing, started);
  }
  const plan = await planRestore(deps.archive, deps.api, {
    ...options,
    logger: deps.logger,
    progress: deps.progress,
  });
  if (options.dryRun)
    return { done: false, plan, report: planReport(plan, deps.clock.now().getTime() - started) };
  if (deps.capabilities) {
    const writes = plan.entries
      .filter((e) => e.action === 'create' || e.action === 'update')
      .map((e) => e.resource);
    const creatingWorkflows = plan.entries.some((e) => e.resource === 'workflows' && e.action === 'create');
    await assertRestoreScopes(
      deps.capabilities,
      writes,
      plan.keepWorkflowIds && creatingWorkflows ? ['workflow:import'] : [],
    );
  }
  const ledger = RestoreLedger.create(deps.ledgerStore, deps.clock, plan, options.checkpoint);
  ledger.markVerified();
  return applyWithLedger(plan, deps, options, ledger, started);
}

/** One authenticated read of the target; its errors (401, unreachable, not n8n) end the run. */
async function confirmTargetAnswers(api: N8nApi): Promise<void> {
  for await (const _ of api.listTags()) break;
}

/** Applies a plan (continuing the ledger the store holds for it, if any). Prefer runRestore, which verifies first. */
export async function applyRestore(
  plan: RestorePlan,
  deps: RestoreDeps,
  options: ApplyOptions = {},
): Promise<RestoreReport> {
  const started = deps.clock.now().getTime();
  if (plan.archive.digest !== manifestDigest(deps.archive.manifest)) {
    throw new RestoreError('This plan was made for another archive; plan again against this one.');
  }
  const ledger =
    (await RestoreLedger.load(
      deps.ledgerStore,
      deps.clock,
      { archiveDigest: plan.archive.digest, target: deps.api.baseUrl },
      options.checkpoint,
    )) ?? RestoreLedger.create(deps.ledgerStore, deps.clock, plan, options.checkpoint);
  if (ledger.finished) return finishedAgainReport(ledger, deps.clock.now().getTime() - started);
  return (await applyWithLedger(ledger.state.plan, deps, options, ledger, started)).report;
}

async function verifyOrRefuse(deps: RestoreDeps): Promise<void> {
  deps.progress.start('verify archive');
  const report = await deps.archive.verify();
  deps.progress.done('verify archive', report.ok ? `${report.entriesChecked} entries OK` : 'FAILED');
  if (!report.ok) {
    const first = report.problems[0];
    throw new ArchiveIntegrityError(
      `The archive failed verification (${report.problems.length} problem(s)${first ? `; first: ${first.entry}: ${first.problem}` : ''}). Nothing was written to the target. Restore from another archive.`,
      { entry: first?.entry ?? '(archive)' },
    );
  }
}

async function applyWithLedger(
  plan: RestorePlan,
  deps: RestoreDeps,
  options: ApplyOptions,
  ledger: RestoreLedger,
  started: number,
): Promise<RestoreRun> {
  ledger.beginRun();
  const applier = new Applier(plan, deps, options, ledger);
  const done = await applier.run();
  const report = reportOf(plan, ledger, done, deps.clock.now().getTime() - started);
  deps.logger.info(done ? 'restore finished' : 'restore paused at its deadline; run again to continue', {
    target: plan.target.url,
    ledger: ledger.description,
    created: report.created,
    updated: report.updated,
    failed: report.failed,
    warnings: report.warnings.length,
    durationMs: report.durationMs,
  });
  return { done, plan, report };
}

function reportOf(
  plan: RestorePlan,
  ledger: RestoreLedger,
  done: boolean,
  durationMs: number,
): RestoreReport {
  const state = ledger.state;
  return {
    archive: `${plan.archive.instance} ${plan.archive.startedAt}`,
    target: plan.target.url,
    done,
    created: { ...state.created },
    updated: { ...state.updated },
    skipped: { ...state.skipped },
    failed: { ...state.failed },
    idMap: Object.fromEntries(
      (['projects', 'folders', 'tags', 'variables', 'credentials', 'dataTables', 'workflows'] as const).map(
        (r) => [r, Object.fromEntries(ledger.idMap(r))],
      ),
    ) as RestoreReport['idMap'],
    warnings: [...plan.warnings, ...state.warnings],
    notes: plan.notes,
    credentialsAwaitingSecrets: state.credentialsAwaitingSecrets,
    runs: state.runs,
    durationMs,
  };
}

function finishedAgainReport(ledger: RestoreLedger, durationMs: number): RestoreReport {
  const report = reportOf(ledger.state.plan, ledger, true, durationMs);
  const zero = (counts: Counts) => Object.fromEntries(Object.keys(counts).map((k) => [k, 0])) as Counts;
  return {
    ...report,
    created: zero(report.created),
    updated: zero(report.updated),
    skipped: zero(report.skipped),
    failed: zero(report.failed),
    warnings: [
      {
        code: 'already-restored',
        message: `This restore finished earlier (ledger ${ledger.description}); nothing was written. Move the ledger away to restore again.`,
      },
    ],
    credentialsAwaitingSecrets: [],
  };
}

/** What a dry run reports: the plan's decisions as counts, ids of matches, and its warnings. */
export function planReport(plan: RestorePlan, durationMs: number): RestoreReport {
  const counts = { created: zero(), updated: zero(), skipped: zero(), failed: zero() };
  const idMap = Object.fromEntries(
    (['projects', 'folders', 'tags', 'variables', 'credentials', 'dataTables', 'workflows'] as const).map(
      (r) => [r, {}],
    ),
  ) as RestoreReport['idMap'];
  for (const entry of plan.entries) {
    const bucket = {
      create: counts.created,
      update: counts.updated,
      skip: counts.skipped,
      conflict: counts.failed,
    }[entry.action];
    bucket[entry.resource] += 1;
    if (entry.targetId && entry.action !== 'conflict') idMap[entry.resource][entry.sourceId] = entry.targetId;
  }
  return {
    archive: `${plan.archive.instance} ${plan.archive.startedAt}`,
    target: plan.target.url,
    done: false,
    ...counts,
    idMap,
    warnings: plan.warnings,
    notes: plan.notes,
    credentialsAwaitingSecrets: [],
    runs: 0,
    durationMs,
  };
}

function zero(): Counts {
  return {
    projects: 0,
    folders: 0,
    tags: 0,
    variables: 0,
    credentials: 0,
    dataTables: 0,
    dataTableRows: 0,
    workflows: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Bodies

/**
 * A workflow as POST/PUT /workflows accept it: read-only fields dropped, node and settings keys
 * limited to n8n's schema (it refuses any other key with 400), empty optional parts left out.
 */
export function toWorkflowWrite(workflow: Workflow): { body: WorkflowWrite; dropped: string[] } {
  const dropped = new Set<string>();
  const nodes = (workflow.nodes ?? []).map((node) => {
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (WRITABLE_NODE_KEYS.includes(key)) kept[key] = value;
      else dropped.add(`nodes[].${key}`);
    }
    return kept as WorkflowNode;
  });
  const settings: JsonObject = {};
  for (const [key, value] of Object.entries(workflow.settings ?? {})) {
    if (WRITABLE_SETTINGS_KEYS.includes(key)) settings[key] = value;
    else if (key !== 'binaryMode' && key !== 'credentialResolverId') dropped.add(`settings.${key}`);
  }
  const body: WorkflowWrite = {
    name: workflow.name,
    nodes,
    connections: workflow.connections ?? {},
    settings,
  };
  if (workflow.staticData !== undefined && workflow.staticData !== null)
    body.staticData = workflow.staticData;
  if (workflow.pinData && Object.keys(workflow.pinData).length > 0) body.pinData = workflow.pinData;
  if (workflow.nodeGroups && workflow.nodeGroups.length > 0) body.nodeGroups = workflow.nodeGroups;
  return { body, dropped: [...dropped] };
}

interface CredentialSchema {
  properties?: Record<string, { type?: string; enum?: Json[]; default?: Json }>;
  required?: string[];
  allOf?: {
    if?: { properties?: Record<string, { enum?: Json[]; const?: Json[]; not?: { const?: Json[] } }> };
    then?: { allOf?: { required?: string[] }[] };
    else?: { allOf?: { not?: { required?: string[] } }[] };
  }[];
}

/**
 * Placeholder `data` that n8n's schema for the credential type accepts, so a stub can be created
 * before its secret is known. n8n's schema (toJsonSchema in its public API) makes fields required
 * or forbidden depending on other fields' values (if/then/else), so required fields are filled and
 * the conditions re-evaluated until nothing changes.
 */
export function placeholderCredentialData(schema: JsonObject): JsonObject {
  const s = schema as unknown as CredentialSchema;
  const properties = s.properties ?? {};
  const data: JsonObject = {};
  const fill = (name: string) => {
    if (name in data) return;
    const property = properties[name] ?? {};
    data[name] =
      property.default !== undefined
        ? property.default
        : property.enum && property.enum.length > 0
          ? (property.enum[0] ?? '')
          : property.type === 'number'
            ? 0
            : property.type === 'boolean'
              ? false
              : property.type === 'object' || property.type === 'json'
                ? {}
                : '';
  };
  for (const name of s.required ?? []) fill(name);
  for (let round = 0; round < 16; round += 1) {
    const before = JSON.stringify(data);
    for (const condition of s.allOf ?? []) {
      const holds = Object.entries(condition.if?.properties ?? {}).every(([name, test]) => {
        // JSON Schema's `properties` only constrains fields that are present.
        if (!(name in data)) return true;
        const value = data[name];
        if (test.enum) return test.enum.some((v) => JSON.stringify(v) === JSON.stringify(value));
        if (test.const) return test.const.some((v) => JSON.stringify(v) === JSON.stringify(value));
        if (test.not?.const) return !test.not.const.some((v) => JSON.stringify(v) === JSON.stringify(value));
        return true;
      });
      if (holds)
        for (const part of condition.then?.allOf ?? []) for (const name of part.required ?? []) fill(name);
      else
        for (const part of condition.else?.allOf ?? [])
          for (const name of part.not?.required ?? []) delete data[name];
    }
    if (JSON.stringify(data) === before) break;
  }
  return data;
}

// ---------------------------------------------------------------------------------------------

/** Thrown inside a step to stop cleanly at an object boundary. */
class DeadlineReached extends Error {}

/** Failures that end the run (the ledger keeps what was done); others fail one object and go on. */
function isFatal(error: unknown): boolean {
  return (
    !(error instanceof ArkError) ||
    error instanceof ConnectionError ||
    error instanceof AuthenticationError ||
    error instanceof MissingScopeError ||
    error instanceof PaginationError ||
    error instanceof ArchiveIntegrityError ||
    error instanceof SecretError
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class Applier {
  private readonly api: N8nApi;
  private readonly entriesByResource = new Map<RestoreResource, PlanEntry[]>();
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly warnedDrops = new Set<string>();
  /** Locations the plan already warned about, so the applier does not say it twice. */
  private readonly predicted: Set<string>;

  constructor(
    private readonly plan: RestorePlan,
    private readonly deps: RestoreDeps,
    private readonly options: ApplyOptions,
    private readonly ledger: RestoreLedger,
  ) {
    this.api = deps.api;
    for (const entry of plan.entries) {
      const list = this.entriesByResource.get(entry.resource) ?? [];
      list.push(entry);
      this.entriesByResource.set(entry.resource, list);
    }
    this.batchSize = Math.max(1, options.rowBatchSize ?? DEFAULT_ROW_BATCH);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.predicted = new Set(
      plan.warnings.filter((w) => w.workflow && w.location).map((w) => `${w.workflow?.id}|${w.location}`),
    );
  }

  private entries(resource: RestoreResource): PlanEntry[] {
    return this.entriesByResource.get(resource) ?? [];
  }

  async run(): Promise<boolean> {
    if (!this.ledger.state.seeded) this.seed();
    const steps: Record<RestoreStep, (resumed: boolean) => Promise<void>> = {
      projects: (r) => this.projects(r),
      folders: (r) => this.folders(r),
      tags: (r) => this.tags(r),
      variables: (r) => this.variables(r),
      credentials: (r) => this.credentials(r),
      dataTables: (r) => this.dataTables(r),
      dataTableRows: () => this.dataTableRows(),
      workflows: (r) => this.createWorkflows(r),
      workflowReferences: () => this.updateWorkflows(),
      workflowTags: () => this.workflowTags(),
      workflowArchive: () => this.archiveWorkflows(),
      activation: () => this.activate(),
      transfers: () => this.transfers(),
    };
    try {
      for (const step of RESTORE_STEPS) {
        const status = this.ledger.stepStatus(step);
        if (status === 'done') continue;
        this.checkDeadline();
        await this.ledger.startStep(step);
        this.deps.progress.start(step);
        const started = this.deps.clock.now().getTime();
        await steps[step](status === 'running');
        await this.ledger.finishStep(step);
        this.deps.progress.done(step);
        this.deps.logger.debug('restore step done', {
          step,
          durationMs: this.deps.clock.now().getTime() - started,
        });
      }
    } catch (error) {
      await this.ledger.save();
      if (error instanceof DeadlineReached) return false;
      this.deps.logger.error('restore stopped; what was done is in the ledger, run again to continue', {
        ledger: this.ledger.description,
        error: messageOf(error),
      });
      if (error instanceof ArkError) throw error;
      throw new RestoreError(
        `The restore stopped: ${messageOf(error)}. What was done is in the ledger ${this.ledger.description}; run the same command again to continue.`,
        { cause: error },
      );
    }
    await this.ledger.finish();
    return true;
  }

  /** First run only: record the plan's matches and count what it skips or cannot do. */
  private seed(): void {
    for (const entry of this.plan.entries) {
      if (entry.targetId && (entry.action === 'skip' || entry.action === 'update')) {
        this.ledger.recordId(entry.resource, entry.sourceId, entry.targetId);
      }
      if (entry.action === 'skip') this.ledger.count('skipped', entry.resource);
      if (entry.action === 'conflict') {
        this.ledger.count('failed', entry.resource);
        this.ledger.warn({
          code: 'conflict',
          resource: entry.resource,
          message: `${entry.resource} "${entry.name}": ${entry.reason}`,
        });
      }
    }
    this.ledger.markSeeded();
  }

  private checkDeadline(): void {
    const { deadline } = this.options;
    if (deadline === undefined) return;
    if (this.deps.clock.now().getTime() >= deadline - (this.options.deadlineMarginMs ?? 5000))
      throw new DeadlineReached();
  }

  /** Runs one object's work; a non-fatal failure is counted and reported, and the object marked so it is not retried. */
  private async attempt(
    step: RestoreStep,
    entry: PlanEntry,
    what: string,
    work: () => Promise<void>,
  ): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (error) {
      if (isFatal(error)) throw error;
      this.fail(step, entry, what, error);
      return false;
    }
  }

  private fail(step: RestoreStep, entry: PlanEntry, what: string, error: unknown): void {
    this.ledger.count('failed', entry.resource);
    this.ledger.mark(step, entry.sourceId);
    this.ledger.markFailed(entry.resource, entry.sourceId);
    this.ledger.warn({
      code: 'restore-failed',
      resource: entry.resource,
      message: `${entry.resource} "${entry.name}": ${what} failed: ${messageOf(error)}`,
      ...(entry.resource === 'workflows' ? { workflow: { id: entry.sourceId, name: entry.name } } : {}),
    });
  }

  private hasFailed(entry: PlanEntry): boolean {
    return this.ledger.hasFailed(entry.resource, entry.sourceId);
  }

  /** The target project an object goes to; undefined = the API key owner's personal project. */
  private targetProject(entry: PlanEntry): string | undefined {
    return entry.sourceProjectId ? this.ledger.targetId('projects', entry.sourceProjectId) : undefined;
  }

  private async collectArchive<T>(resource: string, name: string): Promise<T[]> {
    const all: T[] = [];
    if (this.deps.archive.entriesOf(resource).length === 0) return all;
    for await (const item of this.deps.archive.records<T>(name)) all.push(item);
    return all;
  }

  /**
   * Unclaimed target objects by key, for adopting what an interrupted run created but did not
   * record. An object may be filed under several keys (e.g. "project/name" and "* /name"); taking
   * it under one takes it under all.
   */
  private adoptionIndex<T extends { id: string }>(
    resource: RestoreResource,
    items: T[],
    keys: (item: T) => string[],
  ) {
    const claimed = this.ledger.claimedTargetIds(resource);
    const index = new Map<string, string[]>();
    for (const item of items) {
      if (claimed.has(item.id)) continue;
      for (const key of keys(item)) index.set(key, [...(index.get(key) ?? []), item.id]);
    }
    return {
      take: (key: string): string | undefined => {
        const ids = index.get(key) ?? [];
        while (ids.length > 0) {
          const id = ids.shift() as string;
          if (!claimed.has(id)) {
            claimed.add(id);
            return id;
          }
        }
        return undefined;
      },
    };
  }

  // --- projects ------------------------------------------------------------------------------

  private async projects(resumed: boolean): Promise<void> {
    const entries = this.entries('projects');
    if (entries.length === 0) return;
    const sourceProjects = new Map(
      (await this.collectArchive<Project & { members?: ProjectMember[] }>('projects', ENTRY.projects)).map(
        (p) => [p.id, p],
      ),
    );
    const adoption = resumed
      ? this.adoptionIndex('projects', await collectAll(this.api.listProjects()), (p) =>
          p.type === 'team' ? [p.name] : [],
        )
      : undefined;
    let users: Map<string, string> | undefined;
    for (const entry of entries) {
      if (this.ledger.isMarked('projects', entry.sourceId)) continue;
      this.checkDeadline();
      const source = sourceProjects.get(entry.sourceId);
      if (entry.action === 'create' && !this.ledger.targetId('projects', entry.sourceId)) {
        const name = entry.renameTo ?? entry.name;
        const ok = await this.attempt('projects', entry, 'creating the project', async () => {
          const adopted = adoption?.take(name);
          const id = adopted ?? (await this.api.createProject(name)).id;
          this.ledger.recordId('projects', entry.sourceId, id);
          this.ledger.count('created', 'projects');
        });
        if (!ok) continue;
      }
      const targetId = this.ledger.targetId('projects', entry.sourceId);
      const addMembers =
        entry.action === 'create' || (this.plan.onConflict === 'overwrite' && entry.action === 'skip');
      if (targetId && source?.type === 'team' && addMembers && (source.members ?? []).length > 0) {
        users ??= await this.targetUsers();
        await this.addMembers(entry, targetId, source.members ?? [], users);
      }
      this.ledger.mark('projects', entry.sourceId);
      await this.ledger.checkpoint();
    }
  }

  private async targetUsers(): Promise<Map<string, string>> {
    try {
      return new Map((await collectAll(this.api.listUsers())).map((u) => [u.email.toLowerCase(), u.id]));
    } catch (error) {
      if (isFatal(error)) throw error;
      this.ledger.warn({
        code: 'members-not-restored',
        resource: 'projects',
        message: `project members cannot be restored: listing users failed: ${messageOf(error)}`,
      });
      return new Map();
    }
  }

  private async addMembers(
    entry: PlanEntry,
    projectId: string,
    members: ProjectMember[],
    users: Map<string, string>,
  ): Promise<void> {
    const present = new Set(
      (await collectAll(this.api.listProjectMembers(projectId))).map((m) => m.email.toLowerCase()),
    );
    const relations: { userId: string; role: string }[] = [];
    for (const member of members) {
      const email = member.email.toLowerCase();
      if (member.role === 'project:personalOwner' || present.has(email)) continue;
      const userId = users.get(email);
      if (userId) relations.push({ userId, role: member.role });
    }
    if (relations.length === 0) return;
    try {
      await this.api.addProjectMembers(projectId, relations);
    } catch (error) {
      if (isFatal(error)) throw error;
      this.ledger.warn({
        code: 'members-not-restored',
        resource: 'projects',
        message: `project "${entry.name}": adding ${relations.length} member(s) failed: ${messageOf(error)}`,
      });
    }
  }

  // --- folders -------------------------------------------------------------------------------

  private async folders(resumed: boolean): Promise<void> {
    const entries = this.entries('folders').filter((e) => e.action === 'create');
    if (entries.length === 0) return;
    const sourceFolders = new Map(
      (await this.collectArchive<Folder>('folders', ENTRY.folders)).map((f) => [f.id, f]),
    );
    const adoptions = new Map<string, ReturnType<typeof this.adoptionIndex<Folder>>>();
    for (const entry of entries) {
      if (this.ledger.isMarked('folders', entry.sourceId) || this.ledger.targetId('folders', entry.sourceId))
        continue;
      this.checkDeadline();
      const folder = sourceFolders.get(entry.sourceId);
      const projectId = this.targetProject(entry);
      if (!folder || !projectId) {
        this.fail('folders', entry, 'placing the folder', new Error('its project was not restored'));
        continue;
      }
      const parentFolderId = folder.parentFolderId
        ? (this.ledger.targetId('folders', folder.parentFolderId) ?? null)
        : null;
      await this.attempt('folders', entry, 'creating the folder', async () => {
        let adopted: string | undefined;
        if (resumed) {
          let adoption = adoptions.get(projectId);
          if (!adoption) {
            adoption = this.adoptionIndex(
              'folders',
              await collectAll(this.api.listFolders(projectId)),
              (f) => [`${f.parentFolderId ?? ''}/${f.name}`],
            );
            adoptions.set(projectId, adoption);
          }
          adopted = adoption.take(`${parentFolderId ?? ''}/${folder.name}`);
        }
        const id =
          adopted ?? (await this.api.createFolder(projectId, { name: folder.name, parentFolderId })).id;
        this.ledger.recordId('folders', entry.sourceId, id);
        this.ledger.count('created', 'folders');
      });
      await this.ledger.checkpoint();
    }
  }

  // --- tags ----------------------------------------------------------------------------------

  private async tags(resumed: boolean): Promise<void> {
    const entries = this.entries('tags').filter((e) => e.action === 'create');
    if (entries.length === 0) return;
    let adoption = resumed
      ? this.adoptionIndex('tags', await collectAll(this.api.listTags()), (t) => [t.name])
      : undefined;
    for (const entry of entries) {
      if (this.ledger.targetId('tags', entry.sourceId) || this.ledger.isMarked('tags', entry.sourceId))
        continue;
      this.checkDeadline();
      const name = entry.renameTo ?? entry.name;
      await this.attempt('tags', entry, 'creating the tag', async () => {
        let id = adoption?.take(name);
        if (!id) {
          try {
            id = (await this.api.createTag(name)).id;
          } catch (error) {
            // 409 "Tag already exists": one this restore made before an interruption, or a race.
            if (!(error instanceof ConflictError)) throw error;
            adoption = this.adoptionIndex('tags', await collectAll(this.api.listTags()), (t) => [t.name]);
            id = adoption.take(name);
            if (!id) throw error;
          }
        }
        this.ledger.recordId('tags', entry.sourceId, id);
        this.ledger.count('created', 'tags');
      });
      await this.ledger.checkpoint();
    }
  }

  // --- variables -----------------------------------------------------------------------------

  private async variables(resumed: boolean): Promise<void> {
    const entries = this.entries('variables').filter((e) => e.action === 'create' || e.action === 'update');
    if (entries.length === 0) return;
    const sourceVariables = new Map(
      (await this.collectArchive<Variable>('variables', ENTRY.variables)).map((v) => [v.id, v]),
    );
    const variableKey = (key: string, projectId: string | undefined | null) => `${projectId ?? ''}/${key}`;
    const listed = async () => collectAll(this.api.listVariables());
    const adoption = resumed
      ? this.adoptionIndex('variables', await listed(), (v) => [variableKey(v.key, v.project?.id)])
      : undefined;
    const created: { entry: PlanEntry; key: string }[] = [];
    for (const entry of entries) {
      if (this.ledger.isMarked('variables', entry.sourceId)) continue;
      this.checkDeadline();
      const variable = sourceVariables.get(entry.sourceId);
      if (!variable) continue;
      const projectId = this.targetProject(entry);
      const key = entry.renameTo ?? variable.key;
      const body = { key, value: variable.value, ...(projectId ? { projectId } : {}) };
      await this.attempt(
        'variables',
        entry,
        entry.action === 'create' ? 'creating the variable' : 'updating the variable',
        async () => {
          if (entry.action === 'update' && entry.targetId) {
            await this.api.updateVariable(entry.targetId, body);
            this.ledger.count('updated', 'variables');
          } else {
            const adopted = adoption?.take(variableKey(key, projectId));
            if (adopted) this.ledger.recordId('variables', entry.sourceId, adopted);
            else {
              await this.api.createVariable(body);
              created.push({ entry, key: variableKey(key, projectId) });
            }
            this.ledger.count('created', 'variables');
          }
          this.ledger.mark('variables', entry.sourceId);
        },
      );
      await this.ledger.checkpoint();
    }
    if (created.length === 0) return;
    // n8n answers 201 without a body: the new ids come from listing again.
    const after = this.adoptionIndex('variables', await listed(), (v) => [variableKey(v.key, v.project?.id)]);
    for (const { entry, key } of created) {
      const id = after.take(key);
      if (id) this.ledger.recordId('variables', entry.sourceId, id);
    }
  }

  // --- credentials ---------------------------------------------------------------------------

  private async credentials(resumed: boolean): Promise<void> {
    const entries = this.entries('credentials').filter((e) => e.action === 'create');
    if (entries.length === 0) return;
    const sourceCredentials = new Map(
      (await this.collectArchive<CredentialMeta>('credentials', ENTRY.credentials)).map((c) => [c.id, c]),
    );
    const schemas = new Map<string, Promise<JsonObject>>();
    let targetById: Map<string, CredentialMeta> | undefined = resumed
      ? new Map((await collectAll(this.api.listCredentials())).map((c) => [c.id, c]))
      : undefined;
    for (const entry of entries) {
      if (
        this.ledger.targetId('credentials', entry.sourceId) ||
        this.ledger.isMarked('credentials', entry.sourceId)
      )
        continue;
      this.checkDeadline();
      const credential = sourceCredentials.get(entry.sourceId);
      if (!credential) continue;
      const name = entry.renameTo ?? credential.name;
      await this.attempt('credentials', entry, 'creating the credential', async () => {
        const chosenId = entry.renameTo ? undefined : entry.createWithId;
        const adopted = chosenId ? targetById?.get(chosenId) : undefined;
        if (adopted && adopted.type === credential.type) {
          this.ledger.recordId('credentials', entry.sourceId, adopted.id);
          this.ledger.count('created', 'credentials');
          return;
        }
        const secret = await this.secretFor(credential);
        let data = secret;
        if (!data) {
          let schema = schemas.get(credential.type);
          if (!schema) {
            schema = this.api.getCredentialSchema(credential.type);
            schemas.set(credential.type, schema);
            schema.catch(() => {});
          }
          data = placeholderCredentialData(await schema);
        }
        const projectId = this.targetProject(entry);
        let createdId: string;
        try {
          createdId = (
            await this.api.createCredential({
              ...(chosenId ? { id: chosenId } : {}),
              name,
              type: credential.type,
              data,
              ...(projectId ? { projectId } : {}),
            })
          ).id;
        } catch (error) {
          if (!(error instanceof ConflictError) || !chosenId) throw error;
          // 409 on our chosen id: adopt it if it is the stub an interrupted run made.
          targetById = new Map((await collectAll(this.api.listCredentials())).map((c) => [c.id, c]));
          const existing = targetById.get(chosenId);
          if (!existing || existing.type !== credential.type) throw error;
          createdId = existing.id;
        }
        this.ledger.recordId('credentials', entry.sourceId, createdId);
        this.ledger.count('created', 'credentials');
        if (!secret) this.ledger.awaitingSecret({ id: createdId, name, type: credential.type });
      });
      await this.ledger.checkpoint();
    }
  }

  /** Credential data from the secret source, by id then by name; its value never reaches a message. */
  private async secretFor(credential: CredentialMeta): Promise<JsonObject | undefined> {
    const secrets = this.deps.secrets;
    if (!secrets) return undefined;
    for (const key of [credential.id, credential.name]) {
      const text = await secrets.get(key);
      if (text === undefined) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new SecretError(
          `The secret for credential "${credential.name}" (looked up as ${JSON.stringify(key)}) is not JSON; it must be a JSON object of the credential's fields.`,
          {
            secretName: key,
          },
        );
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new SecretError(
          `The secret for credential "${credential.name}" (looked up as ${JSON.stringify(key)}) must be a JSON object of the credential's fields.`,
          {
            secretName: key,
          },
        );
      }
      return parsed as JsonObject;
    }
    return undefined;
  }

  // --- data tables ---------------------------------------------------------------------------

  private async dataTables(resumed: boolean): Promise<void> {
    const entries = this.entries('dataTables').filter((e) => e.action === 'create');
    if (entries.length === 0) return;
    const sourceTables = new Map(
      (await this.collectArchive<DataTable>('dataTables', ENTRY.dataTables)).map((t) => [t.id, t]),
    );
    const tableKey = (name: string, projectId: string | undefined) => `${projectId ?? ''}/${name}`;
    // Without a project id a table lands in the key owner's personal project, whose id the API does not tell: "*/name".
    const tableKeys = (t: DataTable) => [tableKey(t.name, t.projectId), tableKey(t.name, '*')];
    let adoption = resumed
      ? this.adoptionIndex('dataTables', await collectAll(this.api.listDataTables()), tableKeys)
      : undefined;
    for (const entry of entries) {
      if (
        this.ledger.targetId('dataTables', entry.sourceId) ||
        this.ledger.isMarked('dataTables', entry.sourceId)
      )
        continue;
      this.checkDeadline();
      const table = sourceTables.get(entry.sourceId);
      if (!table) continue;
      const name = entry.renameTo ?? table.name;
      const projectId = this.targetProject(entry);
      await this.attempt('dataTables', entry, 'creating the data table', async () => {
        let id = adoption?.take(tableKey(name, projectId ?? '*'));
        if (!id) {
          try {
            id = (
              await this.api.createDataTable({
                name,
                columns: [...table.columns]
                  .sort((a, b) => a.index - b.index)
                  .map((c) => ({ name: c.name, type: c.type })),
                ...(projectId ? { projectId } : {}),
              })
            ).id;
          } catch (error) {
            if (!(error instanceof ConflictError)) throw error;
            adoption = this.adoptionIndex(
              'dataTables',
              await collectAll(this.api.listDataTables()),
              tableKeys,
            );
            id = adoption.take(tableKey(name, projectId ?? '*'));
            if (!id) throw error;
          }
        }
        this.ledger.recordId('dataTables', entry.sourceId, id);
        this.ledger.count('created', 'dataTables');
      });
      await this.ledger.checkpoint();
    }
  }

  private async dataTableRows(): Promise<void> {
    const entries = this.entries('dataTables').filter((e) => e.action === 'create' || e.action === 'update');
    for (const entry of entries) {
      const targetId = this.ledger.targetId('dataTables', entry.sourceId);
      if (!targetId || this.hasFailed(entry) || this.ledger.isMarked('dataTableRows', entry.sourceId))
        continue;
      this.checkDeadline();
      const chunksOfTable = this.deps.archive
        .entriesOf('dataTableRows')
        .filter((e) => e.dataTableId === entry.sourceId)
        .sort((a, b) => a.name.localeCompare(b.name));
      const startedBefore = this.ledger.isMarked('dataTableRows', `started:${entry.sourceId}`);
      await this.attempt('dataTableRows', entry, 'restoring its rows', async () => {
        // Rows get new ids, so a partly filled table cannot be continued row by row: it is emptied and filled again.
        if (entry.action === 'update' || startedBefore) await this.api.clearDataTableRows(targetId);
        if (chunksOfTable.length === 0) return;
        this.ledger.mark('dataTableRows', `started:${entry.sourceId}`);
        await this.ledger.save();
        const archive = this.deps.archive;
        const rows = async function* () {
          for (const chunk of chunksOfTable)
            for await (const row of archive.records<DataTableRow>(chunk.name)) yield rowContent(row);
        };
        let inserted = 0;
        for await (const batch of chunks(rows(), this.batchSize)) {
          const list: DataTableRow[] = [];
          for await (const row of batch) list.push(row);
          this.checkDeadline();
          inserted += await this.api.insertDataTableRows(targetId, list);
          this.deps.progress.advance('dataTableRows', list.length);
        }
        this.ledger.count(entry.action === 'update' ? 'updated' : 'created', 'dataTableRows', inserted);
        if (entry.action === 'update') this.ledger.count('updated', 'dataTables');
      });
      this.ledger.mark('dataTableRows', entry.sourceId);
      await this.ledger.checkpoint();
    }
  }

  // --- workflows -----------------------------------------------------------------------------

  private idMaps(): IdMaps {
    return {
      workflows: this.ledger.idMap('workflows'),
      credentials: this.ledger.idMap('credentials'),
      dataTables: this.ledger.idMap('dataTables'),
    };
  }

  /** Source workflows the plan writes (create or update), streamed from the archive with their entries. */
  private async *plannedWorkflows(
    actions: PlanEntry['action'][],
  ): AsyncGenerator<{ workflow: Workflow; entry: PlanEntry }> {
    const entries = new Map(
      this.entries('workflows')
        .filter((e) => actions.includes(e.action))
        .map((e) => [e.sourceId, e]),
    );
    if (entries.size === 0 || this.deps.archive.entriesOf('workflows').length === 0) return;
    for await (const workflow of this.deps.archive.records<Workflow>(ENTRY.workflows)) {
      const entry = entries.get(workflow.id);
      if (entry && !this.hasFailed(entry)) yield { workflow, entry };
    }
  }

  private writeBody(
    workflow: Workflow,
    entry: PlanEntry,
    rewritten = rewriteWorkflowReferences(workflow, this.idMaps()).workflow,
  ): WorkflowWrite {
    const { body, dropped } = toWorkflowWrite({ ...rewritten, name: entry.renameTo ?? workflow.name });
    for (const field of dropped) {
      if (this.warnedDrops.has(field)) continue;
      this.warnedDrops.add(field);
      this.ledger.warn({
        code: 'field-dropped',
        resource: 'workflows',
        message: `${field} is not accepted by n8n's Public API on write and was left out (first seen in workflow "${workflow.name}")`,
      });
    }
    return body;
  }

  /**
   * Workflow-to-workflow references (calls, error workflow, callers, itself) that only the final id
   * map resolves. Judged from what was unresolved when the body was written: with creates running
   * concurrently, a callee may get its id while the caller's request is in flight.
   */
  private needsSecondPass(
    workflow: Workflow,
    entry: PlanEntry,
    unresolvedAtWrite: WorkflowReference[],
    pending: Set<string>,
  ): boolean {
    if (entry.action === 'update' || workflow.description) return true;
    if (unresolvedAtWrite.some((r) => r.kind !== 'credential' && r.kind !== 'dataTable' && pending.has(r.id)))
      return true;
    return findWorkflowReferences(workflow, { includeSelf: true }).some(
      (r) => r.kind !== 'credential' && r.kind !== 'dataTable' && r.id === workflow.id,
    );
  }

  private async createWorkflows(resumed: boolean): Promise<void> {
    if (this.plan.keepWorkflowIds) return this.importWorkflowsKeepingIds(resumed);
    const creates = this.entries('workflows').filter((e) => e.action === 'create');
    if (creates.length === 0) return;
    const pending = new Set(
      creates.filter((e) => !this.ledger.targetId('workflows', e.sourceId)).map((e) => e.sourceId),
    );
    const adoption = resumed
      ? this.adoptionIndex(
          'workflows',
          await collectAll(this.api.listWorkflows({ excludePinnedData: true })),
          (w) => [`${ownerOf(w) ?? ''}/${w.name}`, `*/${w.name}`],
        )
      : undefined;

    const self = this;
    const todo = async function* () {
      for await (const item of self.plannedWorkflows(['create'])) {
        if (self.ledger.targetId('workflows', item.entry.sourceId)) continue;
        // Stop handing out new work near the deadline; what is in flight finishes and is recorded.
        if (self.deadlineNear()) return;
        yield item;
      }
    };
    const results = mapOrdered(todo(), this.concurrency, async ({ workflow, entry }) => {
      const projectId = this.targetProject(entry);
      const name = entry.renameTo ?? workflow.name;
      const adopted = adoption?.take(`${projectId ?? '*'}/${name}`);
      if (adopted) return { entry, id: adopted, finalBody: false };
      // Decided before the request: the id map may grow while it is in flight.
      const { workflow: rewritten, unresolved } = rewriteWorkflowReferences(workflow, this.idMaps());
      const body = this.writeBody(workflow, entry, rewritten);
      const finalBody = !this.needsSecondPass(workflow, entry, unresolved, pending);
      const folderId = workflow.parentFolderId
        ? this.ledger.targetId('folders', workflow.parentFolderId)
        : undefined;
      try {
        const created = await this.api.createWorkflow({
          ...body,
          ...(projectId ? { projectId } : {}),
          ...(folderId ? { parentFolderId: folderId } : {}),
        });
        return { entry, id: created.id, finalBody };
      } catch (error) {
        if (isFatal(error)) throw error;
        return { entry, error };
      }
    });
    for await (const result of results) {
      if ('error' in result) {
        this.fail('workflows', result.entry, 'creating the workflow', result.error);
      } else {
        this.ledger.recordId('workflows', result.entry.sourceId, result.id);
        this.ledger.count('created', 'workflows');
        pending.delete(result.entry.sourceId);
        if (result.finalBody) this.ledger.mark('workflowReferences', result.entry.sourceId);
      }
      this.deps.progress.advance('workflows');
      await this.ledger.checkpoint();
    }
    this.checkDeadline();
  }

  /**
   * --keep-workflow-ids: creates the workflows under their archive ids through n8n's package import,
   * in batches per target project. Only identity travels in the package; the content (nodes,
   * references, pinned data, description) follows in the second pass by the same PUT that a restore
   * with new ids uses, so both paths write the same bodies and pass the same checks.
   */
  private async importWorkflowsKeepingIds(resumed: boolean): Promise<void> {
    let todo = this.entries('workflows').filter(
      (e) => e.action === 'create' && !this.hasFailed(e) && !this.ledger.targetId('workflows', e.sourceId),
    );
    if (todo.length === 0) return;
    if (resumed) {
      // An import whose answer was lost before the ledger saw it: the workflow is there under its own id.
      const present = new Set<string>();
      for await (const w of this.api.listWorkflows({ excludePinnedData: true })) present.add(w.id);
      for (const entry of todo.filter((e) => present.has(e.sourceId)))
        this.recordImported(entry, entry.sourceId);
      todo = todo.filter((e) => !present.has(e.sourceId));
    }
    const byProject = new Map<string, PlanEntry[]>();
    for (const entry of todo) {
      const project = this.targetProject(entry) ?? '';
      byProject.set(project, [...(byProject.get(project) ?? []), entry]);
    }
    for (const [project, entries] of byProject) {
      for (let i = 0; i < entries.length; i += IMPORT_BATCH) {
        if (this.deadlineNear()) break;
        await this.importBatch(entries.slice(i, i + IMPORT_BATCH), project || undefined);
        await this.ledger.checkpoint();
      }
    }
    this.checkDeadline();
  }

  /** One package import; when n8n refuses the batch, each workflow is tried alone so one bad apple fails alone. */
  private async importBatch(batch: PlanEntry[], projectId: string | undefined): Promise<void> {
    const shells = batch.map((e) => ({ id: e.sourceId, name: e.renameTo ?? e.name }));
    let imported: { sourceId: string; id: string }[];
    try {
      imported = await this.api.importWorkflowsKeepingIds(shells, projectId ? { projectId } : {});
    } catch (error) {
      if (isFatal(error)) throw error;
      const [only] = batch;
      if (batch.length > 1 || !only) {
        for (const entry of batch) await this.importBatch([entry], projectId);
      } else {
        this.fail('workflows', only, 'creating it under its own id (n8n package import)', error);
        this.deps.progress.advance('workflows');
      }
      return;
    }
    const ids = new Map(imported.map((r) => [r.sourceId, r.id]));
    for (const entry of batch) {
      const id = ids.get(entry.sourceId);
      if (id === undefined) {
        this.fail('workflows', entry, 'importing it', new Error("n8n's import answer does not list it"));
        this.deps.progress.advance('workflows');
      } else this.recordImported(entry, id);
    }
  }

  private recordImported(entry: PlanEntry, id: string): void {
    this.ledger.recordId('workflows', entry.sourceId, id);
    this.ledger.count('created', 'workflows');
    this.deps.progress.advance('workflows');
    if (id !== entry.sourceId) {
      this.ledger.warn({
        code: 'id-not-kept',
        resource: 'workflows',
        workflow: { id: entry.sourceId, name: entry.name },
        message: `workflow "${entry.name}" was created as ${id}, not under its archive id ${entry.sourceId}; references to it are rewritten`,
      });
    }
  }

  private deadlineNear(): boolean {
    const { deadline } = this.options;
    return (
      deadline !== undefined &&
      this.deps.clock.now().getTime() >= deadline - (this.options.deadlineMarginMs ?? 5000)
    );
  }

  /** Second pass: PUT with the final id map (and the description, which POST refuses); overwrites happen here. */
  private async updateWorkflows(): Promise<void> {
    const self = this;
    const todo = async function* () {
      for await (const item of self.plannedWorkflows(['create', 'update'])) {
        if (self.deadlineNear()) return;
        yield item;
      }
    };
    const results = mapOrdered(todo(), this.concurrency, async ({ workflow, entry }) => {
      const targetId = this.ledger.targetId('workflows', entry.sourceId);
      const { workflow: rewritten, unresolved } = rewriteWorkflowReferences(workflow, this.idMaps());
      if (!targetId || this.ledger.isMarked('workflowReferences', entry.sourceId))
        return { entry, unresolved, workflow };
      const body = this.writeBody(workflow, entry, rewritten);
      try {
        if (entry.action === 'update') {
          if (entry.targetArchived) await this.api.unarchiveWorkflow(targetId).catch(() => {});
          const folderId = workflow.parentFolderId
            ? this.ledger.targetId('folders', workflow.parentFolderId)
            : undefined;
          await this.api.updateWorkflow(targetId, {
            ...body,
            parentFolderId: folderId ?? null,
            description: workflow.description ?? '',
          });
        } else {
          // Imported workflows (--keep-workflow-ids) land at the project root; the folder comes with the content.
          const folderId =
            this.plan.keepWorkflowIds && workflow.parentFolderId
              ? this.ledger.targetId('folders', workflow.parentFolderId)
              : undefined;
          await this.api.updateWorkflow(targetId, {
            ...body,
            ...(folderId ? { parentFolderId: folderId } : {}),
            ...(workflow.description ? { description: workflow.description } : {}),
          });
        }
        return { entry, unresolved, workflow, written: true };
      } catch (error) {
        if (isFatal(error)) throw error;
        return { entry, unresolved, workflow, error };
      }
    });
    for await (const result of results) {
      if (result.error !== undefined)
        this.fail('workflowReferences', result.entry, 'writing its final references', result.error);
      else if (result.written) {
        if (result.entry.action === 'update') this.ledger.count('updated', 'workflows');
        this.ledger.mark('workflowReferences', result.entry.sourceId);
      }
      if (result.written || this.ledger.isMarked('workflowReferences', result.entry.sourceId))
        this.reportUnresolved(result.workflow, result.unresolved);
      await this.ledger.checkpoint();
    }
    this.checkDeadline();
  }

  private readonly reportedUnresolved = new Set<string>();

  private reportUnresolved(
    workflow: Workflow,
    unresolved: ReturnType<typeof rewriteWorkflowReferences>['unresolved'],
  ): void {
    for (const reference of unresolved) {
      if (isDanglingReference(reference)) continue;
      const key = `${workflow.id}|${reference.location}`;
      if (this.reportedUnresolved.has(key)) continue;
      this.reportedUnresolved.add(key);
      if (this.predicted.has(`${workflow.id}|${reference.location}`)) continue;
      this.ledger.warn({
        code: 'unresolved-reference',
        resource: 'workflows',
        workflow: { id: workflow.id, name: workflow.name },
        ...(reference.node ? { node: reference.node } : {}),
        location: reference.location,
        message: `workflow "${workflow.name}"${reference.node ? ` node "${reference.node}"` : ''} (${reference.location}) still refers to ${reference.kind} ${reference.id}: it was not restored`,
      });
    }
  }

  /**
   * Runs one per-workflow step over the restored workflows with `concurrency` requests in flight,
   * marking each in the ledger; `needed` leaves out workflows with nothing to do in this step.
   */
  private async eachRestoredWorkflow(
    step: RestoreStep,
    what: string,
    work: (workflow: Workflow, entry: PlanEntry, targetId: string) => Promise<void>,
    needed: (workflow: Workflow, entry: PlanEntry) => boolean,
  ): Promise<void> {
    const self = this;
    const todo = async function* () {
      for await (const { workflow, entry } of self.plannedWorkflows(['create', 'update'])) {
        const targetId = self.ledger.targetId('workflows', entry.sourceId);
        if (!targetId || self.ledger.isMarked(step, entry.sourceId) || !needed(workflow, entry)) continue;
        if (self.deadlineNear()) return;
        yield { workflow, entry, targetId };
      }
    };
    const results = mapOrdered(todo(), this.concurrency, async ({ workflow, entry, targetId }) => {
      try {
        await work(workflow, entry, targetId);
        return { entry };
      } catch (error) {
        if (isFatal(error)) throw error;
        return { entry, error };
      }
    });
    for await (const result of results) {
      if ('error' in result) this.fail(step, result.entry, what, result.error);
      else this.ledger.mark(step, result.entry.sourceId);
      await this.ledger.checkpoint();
    }
    this.checkDeadline();
  }

  private targetTagIds(workflow: Workflow): string[] {
    return (workflow.tags ?? [])
      .map((t) => this.ledger.targetId('tags', t.id))
      .filter((id): id is string => id !== undefined);
  }

  private async workflowTags(): Promise<void> {
    await this.eachRestoredWorkflow(
      'workflowTags',
      'setting its tags',
      async (workflow, _entry, targetId) => {
        await this.api.setWorkflowTags(targetId, this.targetTagIds(workflow));
      },
      // A new workflow has no tags; an overwritten one gets the archive's, even none.
      (workflow, entry) => entry.action === 'update' || this.targetTagIds(workflow).length > 0,
    );
  }

  private async archiveWorkflows(): Promise<void> {
    await this.eachRestoredWorkflow(
      'workflowArchive',
      'archiving it',
      async (_workflow, _entry, targetId) => {
        try {
          await this.api.archiveWorkflow(targetId);
        } catch (error) {
          // Archived already by an interrupted run: n8n refuses to archive twice.
          if (isFatal(error) || (await this.api.getWorkflow(targetId)).isArchived !== true) throw error;
        }
      },
      (workflow) => workflow.isArchived === true,
    );
  }

  /**
   * Publishes what was active; a workflow n8n will not activate (a stub credential, no trigger) is
   * reported, not fatal. n8n 2.41 refuses to publish a workflow whose sub-workflows are unpublished,
   * so publishing runs in levels: callees first, then their callers.
   */
  private async activate(): Promise<void> {
    if (this.options.activate === false) return;
    const publishes = (workflow: Workflow) => workflow.active === true;
    const wanted = (workflow: Workflow, entry: PlanEntry) =>
      workflow.isArchived !== true &&
      (publishes(workflow) || (entry.action === 'update' && entry.targetActive === true));
    const levels = await this.activationLevels(wanted);
    const deepest = Math.max(0, ...levels.values());
    for (let level = 0; level <= deepest; level += 1) {
      await this.eachRestoredWorkflow(
        'activation',
        'activating it',
        async (workflow, _entry, targetId) => {
          const publish = publishes(workflow);
          try {
            if (publish) await this.api.publishWorkflow(targetId);
            else await this.api.unpublishWorkflow(targetId);
          } catch (error) {
            if (isFatal(error)) throw error;
            this.ledger.warn({
              code: publish ? 'activation-failed' : 'deactivation-failed',
              resource: 'workflows',
              workflow: { id: workflow.id, name: workflow.name },
              message: `workflow "${workflow.name}" could not be ${publish ? 'activated' : 'deactivated'}: ${messageOf(error)}${
                publish && this.ledger.state.credentialsAwaitingSecrets.length > 0
                  ? ' (its credentials may still be stubs waiting for their secrets)'
                  : ''
              }`,
            });
          }
        },
        (workflow, entry) => wanted(workflow, entry) && (levels.get(workflow.id) ?? 0) === level,
      );
    }
  }

  /** Source id → how many sub-workflow calls deep it sits among the workflows to publish (0: calls none). */
  private async activationLevels(
    wanted: (workflow: Workflow, entry: PlanEntry) => boolean,
  ): Promise<Map<string, number>> {
    const callees = new Map<string, string[]>();
    for await (const { workflow, entry } of this.plannedWorkflows(['create', 'update'])) {
      if (!wanted(workflow, entry)) continue;
      const called = findWorkflowReferences(workflow)
        .filter((r) => r.kind === 'workflow' && r.id !== workflow.id)
        .map((r) => r.id);
      callees.set(workflow.id, called);
    }
    const levels = new Map<string, number>();
    const visiting = new Set<string>();
    const levelOf = (id: string): number => {
      const known = levels.get(id);
      if (known !== undefined) return known;
      // A call cycle cannot be ordered; n8n decides, and a failure is reported per workflow.
      if (visiting.has(id)) return 0;
      visiting.add(id);
      const deps = (callees.get(id) ?? []).filter((callee) => callees.has(callee));
      const level = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(levelOf));
      visiting.delete(id);
      levels.set(id, level);
      return level;
    };
    for (const id of callees.keys()) levelOf(id);
    return levels;
  }

  private async transfers(): Promise<void> {
    for (const entry of this.entries('credentials')) {
      if (
        !entry.transferToSourceProject ||
        !entry.targetId ||
        this.ledger.isMarked('transfers', entry.sourceId)
      )
        continue;
      const projectId = this.targetProject(entry);
      if (!projectId) continue;
      this.checkDeadline();
      await this.attempt('transfers', entry, 'moving it to its project', async () => {
        await this.api.transferCredential(entry.targetId as string, projectId);
        this.ledger.count('updated', 'credentials');
      });
      this.ledger.mark('transfers', entry.sourceId);
      await this.ledger.checkpoint();
    }
  }
}

function ownerOf(workflow: Workflow): string | undefined {
  const shares = workflow.shared ?? [];
  return (shares.find((s) => s.role.endsWith(':owner')) ?? shares[0])?.projectId;
}

async function collectAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/**
 * Planning and applying one resource kind alone, over the in-memory n8n and archive fakes: the plan
 * context, ledger and apply context are the real ones, so a kind's test sees what the restore loop
 * would give it, without the other kinds' plans and steps. What those would have decided (a table's
 * target id, a credential's) is handed in as ledger ids.
 */
import { expect } from 'vitest';
import { N8nApiError } from '../../../functions/core/errors.js';
import type { RestoreResource } from '../../../functions/core/kinds/index.js';
import type { ApplyStep, PlanContext } from '../../../functions/core/kinds/kind.js';
import { projectsKind } from '../../../functions/core/kinds/projects/index.js';
import type { Workflow, WorkflowNode } from '../../../functions/core/n8n-types.js';
import {
  type Clock,
  type SecretSource,
  silentLogger,
  silentProgress,
} from '../../../functions/core/ports.js';
import { createApplyContext, seed, stepContext } from '../../../functions/core/restore/apply.js';
import { RestoreLedger } from '../../../functions/core/restore/ledger.js';
import { createPlanContext } from '../../../functions/core/restore/plan.js';
import { readSource, readTarget } from '../../../functions/core/restore/plan-state.js';
import type {
  ApplyOptions,
  PlanEntry,
  PlanOptions,
  RestorePlan,
} from '../../../functions/core/restore/types.js';
import { type MemoryArchive, memoryArchive } from '../fakes/memory-archive.js';
import { InjectedCrash, MemoryN8n, type MemoryN8nOptions } from '../fakes/memory-n8n.js';
import { emptyTarget, SEED_USERS } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';

export const clock: Clock = { now: () => new Date('2026-11-22T02:00:00.000Z') };

/** A source instance with users (the seed users) and nothing else; each test seeds what it is about. */
export function emptySource(users: MemoryN8nOptions['users'] = SEED_USERS): MemoryN8n {
  return new MemoryN8n({ baseUrl: 'http://source.test', idPrefix: 's', users });
}

interface PlannableKind {
  readonly resource: RestoreResource;
  plan(ctx: PlanContext): void | Promise<void>;
}

export interface Planned {
  readonly context: PlanContext;
  /** The entries of the kind under test. */
  readonly entries: readonly PlanEntry[];
  /** The whole plan (with the projects' entries the kind depended on). */
  readonly plan: RestorePlan;
  readonly archive: MemoryArchive;
  /** The instance planned against, which `applyStep` writes to. */
  readonly target: MemoryN8n;
}

/**
 * Plans one kind from a backup of `source` against `target`. As in the restore loop, the projects
 * kind plans first and decides where each source project's objects land (unless it is the kind under test).
 */
export async function planKind(
  kind: PlannableKind,
  source: MemoryN8n,
  target: MemoryN8n,
  options: PlanOptions = {},
): Promise<Planned> {
  const archive = memoryArchive(source);
  const context = createPlanContext(
    archive,
    target,
    options,
    await readSource(archive),
    await readTarget(target),
  );
  if (kind.resource !== projectsKind.resource) await projectsKind.plan(context);
  await kind.plan(context);
  return { context, entries: context.entries(kind.resource), plan: context.toPlan(), archive, target };
}

/** The entry planned for the source object with this id. */
export function entryOf(planned: Planned, sourceId: string): PlanEntry {
  const entry = planned.entries.find((e) => e.sourceId === sourceId);
  if (!entry) throw new Error(`nothing planned for ${sourceId}`);
  return entry;
}

/**
 * A ledger as a restore's first run starts one, before any step: the plan's matches recorded, so
 * objects of a project the target already has find their project's target id. This mirrors the
 * id-recording part of the private `seed(plan, ledger)` in functions/core/restore/apply.ts; keep
 * the two in step.
 */
export function newLedger(planned: Planned, store = new InMemoryLedgerStore()): RestoreLedger {
  const ledger = RestoreLedger.create(store, clock, planned.plan);
  seed(planned.plan, ledger);
  return ledger;
}

export interface StepOptions extends ApplyOptions {
  /** The step was running when the last run stopped. */
  resumed?: boolean;
  /** The ledger of earlier steps of the same restore; default a new one. */
  ledger?: RestoreLedger;
  /** Source id → target id, per resource, as other kinds' steps would have recorded them. */
  ids?: Partial<Record<RestoreResource, Record<string, string>>>;
  secrets?: SecretSource;
}

/** Runs one apply step of the plan against its target; returns the ledger it wrote to. */
export async function applyStep(
  step: ApplyStep,
  planned: Planned,
  options: StepOptions = {},
): Promise<RestoreLedger> {
  const { resumed = false, ledger = newLedger(planned), ids = {}, secrets, ...applyOptions } = options;
  for (const [resource, map] of Object.entries(ids))
    for (const [sourceId, targetId] of Object.entries(map))
      ledger.recordId(resource as RestoreResource, sourceId, targetId);
  const deps = {
    archive: planned.archive,
    api: planned.target,
    ledgerStore: new InMemoryLedgerStore(),
    clock,
    logger: silentLogger,
    progress: silentProgress,
    ...(secrets ? { secrets } : {}),
  };
  const context = createApplyContext(planned.plan, deps, applyOptions, ledger);
  // As in a restore, the projects step has run before any other: objects find their project's id.
  if (step.name !== 'projects' && ids.projects === undefined)
    for (const projectStep of projectsKind.steps) await projectStep.run(stepContext(context, true));
  await step.run(stepContext(context, resumed));
  return ledger;
}

/**
 * An interrupted run and the next: runs the step until the target crashes at its `atWrite`-th write
 * from now, then runs it again as resumed (on a ledger started as a first run starts one); returns
 * the resumed run's ledger.
 */
export async function resumeAfterCrash(
  step: ApplyStep,
  planned: Planned,
  { atWrite }: { atWrite: number },
): Promise<RestoreLedger> {
  planned.target.crashAtWrite = planned.target.writes.length + atWrite;
  await expect(applyStep(step, planned)).rejects.toThrow(InjectedCrash);
  return applyStep(step, planned, { resumed: true });
}

type Writer = 'createProject' | 'createFolder' | 'createTag' | 'createVariable';

/** Makes the fake target answer 400 to the writes `refused` picks, as n8n refuses one object it finds invalid. */
export function refuseWrites<K extends Writer>(
  target: MemoryN8n,
  writer: K,
  refused: (...args: Parameters<MemoryN8n[K]>) => boolean,
): void {
  const write = (target[writer] as (...args: Parameters<MemoryN8n[K]>) => unknown).bind(target);
  const guarded = async (...args: Parameters<MemoryN8n[K]>) => {
    if (refused(...args))
      throw new N8nApiError('request/body is invalid', { status: 400, method: 'POST', path: writer });
    return write(...args);
  };
  Object.assign(target, { [writer]: guarded });
}

/** The one target object with this name (or key), failing the test when there are none or several. */
export function exactlyOne<T>(items: readonly T[], matches: (item: T) => boolean): T {
  const found = items.filter(matches);
  if (found.length !== 1) throw new Error(`expected one match, found ${found.length}`);
  return found[0] as T;
}

/** The target's writes that were this one, e.g. `writesTo(target, 'POST /credentials')`. */
export function writesTo(target: MemoryN8n, write: string): string[] {
  return target.writes.filter((w) => w === write);
}

/** The instance's workflow of this name. */
export function workflowNamed(n8n: MemoryN8n, name: string): Workflow {
  const found = n8n.workflows.find((w) => w.name === name);
  if (!found) throw new Error(`no workflow ${name} in ${n8n.baseUrl}`);
  return found;
}

/** Workflow nodes: a trigger, so n8n will publish the workflow, and a sub-workflow call. */
function triggerNode(type = 'n8n-nodes-base.executeWorkflowTrigger'): WorkflowNode {
  return { id: 'n1', name: 'Start', type, typeVersion: 1, position: [0, 0], parameters: {} };
}

function callNode(workflowId: string): WorkflowNode {
  return {
    id: 'n2',
    name: 'Call',
    type: 'n8n-nodes-base.executeWorkflow',
    typeVersion: 1.2,
    position: [200, 0],
    parameters: { workflowId: { __rl: true, value: workflowId, mode: 'id' } },
  };
}

/**
 * Workflows referring to a credential, a data table and each other: Caller (active, tagged) calls
 * Callee (active) and comes before it, so only the second pass can resolve that call; Old is
 * archived, in a team project. `ids` are what the other kinds' steps would have recorded.
 */
/** `packageImport: false`: a target without n8n's package import, so every workflow goes by POST. */
export function callerAndCallee(targetOptions: MemoryN8nOptions = {}) {
  const source = emptySource();
  const ops = source.seedProject('Ops');
  const prod = source.seedTag('prod');
  const table = source.seedDataTable('orders', [{ name: 'n', type: 'number' }], []);
  const caller = source.seedWorkflow({
    name: 'Caller',
    active: true,
    tags: [prod],
    nodes: [
      triggerNode('n8n-nodes-base.scheduleTrigger'),
      callNode('PENDING'),
      {
        name: 'Orders',
        type: 'n8n-nodes-base.dataTable',
        parameters: { dataTableId: { __rl: true, value: table.id, mode: 'id' } },
        credentials: { httpHeaderAuth: { id: 'credApi000000001', name: 'API' } },
      },
    ],
  });
  const callee = source.seedWorkflow({ name: 'Callee', active: true, nodes: [triggerNode()] });
  caller.nodes[1] = callNode(callee.id);
  source.seedWorkflow({ name: 'Old', isArchived: true, nodes: [triggerNode()] }, ops.id);
  const target = emptyTarget(targetOptions);
  const targetTable = target.seedDataTable('orders', [{ name: 'n', type: 'number' }], []);
  target.seedCredential('API', 'httpHeaderAuth', target.ownerPersonalProjectId, 'credApiNew000001');
  const ids: NonNullable<StepOptions['ids']> = {
    credentials: { credApi000000001: 'credApiNew000001' },
    dataTables: { [table.id]: targetTable.id },
    tags: { [prod.id]: target.seedTag('prod').id },
  };
  return { source, target, ids, ops, callee, targetTable };
}

/**
 * Planning and applying one kind alone, over the in-memory n8n and archive fakes: the plan context
 * and the apply context are the real ones, so a kind's test sees what the restore loop would give it.
 */
import { N8nApiError } from '../../../functions/core/errors.js';
import type { RestoreResource } from '../../../functions/core/kinds/index.js';
import type { ApplyStep, PlanContext } from '../../../functions/core/kinds/kind.js';
import { projectsKind } from '../../../functions/core/kinds/projects.js';
import { type Clock, silentLogger, silentProgress } from '../../../functions/core/ports.js';
import { createApplyContext } from '../../../functions/core/restore/apply.js';
import { RestoreLedger } from '../../../functions/core/restore/ledger.js';
import { createPlanContext } from '../../../functions/core/restore/plan.js';
import { readSource, readTarget } from '../../../functions/core/restore/plan-state.js';
import type { PlanEntry, PlanOptions, RestorePlan } from '../../../functions/core/restore/types.js';
import { type MemoryArchive, memoryArchive } from '../fakes/memory-archive.js';
import { MemoryN8n, type MemoryN8nOptions } from '../fakes/memory-n8n.js';
import { SEED_USERS } from '../fakes/seeded-instance.js';
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

/** Kinds whose plan asks where a source project's objects land, which the projects kind decides. */
const PLACED_BY_PROJECTS: ReadonlySet<RestoreResource> = new Set(['folders', 'variables']);

export interface Planned {
  readonly context: PlanContext;
  /** The entries of the kind under test. */
  readonly entries: readonly PlanEntry[];
  /** The whole plan (with the projects' entries the kind depended on). */
  readonly plan: RestorePlan;
  readonly archive: MemoryArchive;
}

/** Plans one kind from a backup of `source` against `target`, after the projects kind where it depends on it. */
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
  if (PLACED_BY_PROJECTS.has(kind.resource)) await projectsKind.plan(context);
  await kind.plan(context);
  return { context, entries: context.entries(kind.resource), plan: context.toPlan(), archive };
}

/**
 * A ledger as a first run starts one: the plan's matches recorded, so objects of a project the
 * target already has find their project's target id.
 */
export function startLedger(planned: Planned, store = new InMemoryLedgerStore()): RestoreLedger {
  const ledger = RestoreLedger.create(store, clock, planned.plan);
  for (const entry of planned.plan.entries)
    if (entry.targetId && (entry.action === 'skip' || entry.action === 'update'))
      ledger.recordId(entry.resource, entry.sourceId, entry.targetId);
  return ledger;
}

/** Runs one apply step of a plan against `target`; `resumed` as after an interrupted run of that step. */
export async function applyStep(
  step: ApplyStep,
  planned: Planned,
  target: MemoryN8n,
  { resumed = false, ledger = startLedger(planned) }: { resumed?: boolean; ledger?: RestoreLedger } = {},
): Promise<RestoreLedger> {
  const deps = {
    archive: planned.archive,
    api: target,
    ledgerStore: new InMemoryLedgerStore(),
    clock,
    logger: silentLogger,
    progress: silentProgress,
  };
  await step.run(createApplyContext(planned.plan, deps, {}, ledger), resumed);
  return ledger;
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

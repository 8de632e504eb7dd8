/**
 * The one step loop: runs every kind's steps in KINDS order (RESTORE_STEPS), each at most once to
 * completion, recording every new id and finished object in the ledger so an interrupted restore
 * continues where it stopped and a finished one writes nothing. It owns the deadline, the
 * checkpoints and the failure policy; what a step does is its kind's business.
 */
import { ArkError } from '../errors.js';
import { collect } from '../json.js';
import { EVERY_KIND, RESTORE_STEPS, type RestoreResource, type RestoreStep } from '../kinds/index.js';
import { type ApplyContext, DeadlineReached } from '../kinds/kind.js';
import { isFatal, messageOf } from '../kinds/shared/failure-policy.js';
import type { N8nApi } from '../ports.js';
import { restoreStopped } from './errors.js';
import type { RestoreLedger } from './ledger.js';
import type { ApplyOptions, PlanEntry, RestoreDeps, RestorePlan } from './types.js';

/** Rows per insert request (each also kept within ROW_BATCH_MAX_BYTES): 20,000 rows into real n8n 2.41.1 took 5.7 s in batches of 250, 2.6 s of 1,000, 1.2 s of 5,000. */
export const DEFAULT_ROW_BATCH = 5000;
const DEFAULT_CONCURRENCY = 4;

const STEP_RUNNERS = new Map(EVERY_KIND.flatMap((kind) => kind.steps.map((step) => [step.name, step])));

/** Applies the plan until done (true) or the deadline (false); fatal failures are rethrown, the ledger saved. */
export async function applySteps(
  ctx: ApplyContext,
  deps: RestoreDeps,
  ledger: RestoreLedger,
): Promise<boolean> {
  if (!ledger.state.seeded) seed(ctx.plan, ledger);
  try {
    for (const step of RESTORE_STEPS) await runStep(ctx, { deps, ledger }, step);
  } catch (error) {
    await ledger.save();
    if (error instanceof DeadlineReached) return false;
    deps.logger.error('restore stopped; what was done is in the ledger, run again to continue', {
      ledger: ledger.description,
      error: messageOf(error),
    });
    if (error instanceof ArkError) throw error;
    throw restoreStopped(messageOf(error), ledger.description, error);
  }
  return true;
}

async function runStep(
  ctx: ApplyContext,
  { deps, ledger }: { deps: RestoreDeps; ledger: RestoreLedger },
  step: RestoreStep,
): Promise<void> {
  const status = ledger.stepStatus(step);
  if (status === 'done') return;
  ctx.checkDeadline();
  await ledger.startStep(step);
  deps.progress.start(step);
  const started = deps.clock.now().getTime();
  await STEP_RUNNERS.get(step)?.run(stepContext(ctx, status === 'running'));
  await ledger.finishStep(step);
  deps.progress.done(step);
  deps.logger.debug('restore step done', { step, durationMs: deps.clock.now().getTime() - started });
}

/** First run only: record the plan's matches and count what it skips or cannot do. */
export function seed(plan: RestorePlan, ledger: RestoreLedger): void {
  for (const entry of plan.entries) {
    if (entry.targetId && (entry.action === 'skip' || entry.action === 'update'))
      ledger.recordId(entry.resource, entry.sourceId, entry.targetId);
    if (entry.action === 'skip') ledger.count('skipped', entry.resource);
    if (entry.action === 'conflict') {
      ledger.count('failed', entry.resource);
      ledger.warn({
        code: 'conflict',
        resource: entry.resource,
        message: `${entry.resource} "${entry.name}": ${entry.reason}`,
      });
    }
  }
  ledger.markSeeded();
}

/** The context kinds apply in (applySteps makes one per run; tests make their own to run one step). */
export function createApplyContext(
  plan: RestorePlan,
  deps: RestoreDeps,
  options: ApplyOptions,
  ledger: RestoreLedger,
): ApplyContext {
  return new RunContext(plan, deps, options, ledger);
}

/** The run's context as one step sees it: the same run (entries, memos, ledger), resumed or not. */
export function stepContext(run: ApplyContext, resumed: boolean): ApplyContext {
  return Object.create(run, { resumed: { value: resumed } }) as ApplyContext;
}

class RunContext implements ApplyContext {
  readonly api: N8nApi;
  readonly rowBatchSize: number;
  readonly concurrency: number;
  readonly resumed: boolean = false;
  private readonly memos = new Map<string, unknown>();
  private readonly byResource = new Map<RestoreResource, PlanEntry[]>();

  constructor(
    readonly plan: RestorePlan,
    readonly deps: RestoreDeps,
    readonly options: ApplyOptions,
    readonly ledger: RestoreLedger,
  ) {
    this.api = deps.api;
    for (const entry of plan.entries) {
      // What n8n refuses for its size is failed up front (body-limit.ts): no step sees it.
      if (entry.refusedBy) continue;
      const list = this.byResource.get(entry.resource) ?? [];
      list.push(entry);
      this.byResource.set(entry.resource, list);
    }
    this.rowBatchSize = Math.max(1, options.run?.rowBatchSize ?? DEFAULT_ROW_BATCH);
    this.concurrency = Math.max(1, options.run?.concurrency ?? DEFAULT_CONCURRENCY);
  }

  memo<M>(kind: string, create: () => M): M {
    if (!this.memos.has(kind)) this.memos.set(kind, create());
    return this.memos.get(kind) as M;
  }

  entries(resource: RestoreResource): readonly PlanEntry[] {
    return this.byResource.get(resource) ?? [];
  }

  deadlineNear(): boolean {
    const deadline = this.options.run?.deadline;
    return (
      deadline !== undefined &&
      this.deps.clock.now().getTime() >= deadline - (this.options.run?.deadlineMarginMs ?? 5000)
    );
  }

  checkDeadline(): void {
    if (this.deadlineNear()) throw new DeadlineReached();
  }

  async attempt(
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

  fail(step: RestoreStep, entry: PlanEntry, what: string, error: unknown): void {
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

  hasFailed(entry: PlanEntry): boolean {
    return this.ledger.hasFailed(entry.resource, entry.sourceId);
  }

  targetProject(entry: PlanEntry): string | undefined {
    return entry.sourceProjectId ? this.ledger.targetId('projects', entry.sourceProjectId) : undefined;
  }

  projectMissing(entry: PlanEntry): boolean {
    const sourceProjectId = entry.sourceProjectId;
    if (!sourceProjectId || this.ledger.targetId('projects', sourceProjectId)) return false;
    const project = this.entries('projects').find((p) => p.sourceId === sourceProjectId);
    return project !== undefined && (project.action === 'create' || project.targetId !== undefined);
  }

  failIfProjectMissing(step: RestoreStep, entry: PlanEntry): boolean {
    if (!this.projectMissing(entry)) return false;
    this.fail(step, entry, 'placing it', new Error('its project could not be restored'));
    return true;
  }

  async sourceRecords<T extends { id: string }>(resource: RestoreResource): Promise<Map<string, T>> {
    const [entry] = this.deps.archive.entriesOf(resource);
    if (!entry) return new Map();
    return new Map((await collect(this.deps.archive.records<T>(entry.name))).map((r) => [r.id, r]));
  }
}

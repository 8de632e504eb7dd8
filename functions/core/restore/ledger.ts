/**
 * The restore ledger: what a restore has done so far (source id → target id, which steps and
 * objects are finished, the running report), saved through the LedgerStore port so a re-run
 * continues where the last one stopped. It names the archive (by manifest digest) and the target
 * it belongs to, so it is never applied to another archive or instance.
 */

import {
  type CountedResource,
  EVERY_KIND,
  RESTORE_RESOURCES,
  RESTORE_STEPS,
  type RestoreResource,
  type RestoreStep,
} from '../kinds/index.js';
import type { KindLedger, RestorePlan, RestoreWarning, RetryView } from '../kinds/kind.js';
import type { Clock, LedgerStore } from '../ports.js';
import { startSlice } from '../slices.js';
import { ledgerNotJson, ledgerOfAnotherArchive, ledgerOfAnotherTarget, notALedger } from './errors.js';
import {
  type CheckpointPolicy,
  isObjectFailure,
  LEDGER_FORMAT,
  LEDGER_VERSION,
  type LedgerState,
  type Round,
  type StepStatus,
  zeroCounts,
} from './ledger-state.js';

export * from './ledger-state.js';

export class RestoreLedger implements KindLedger {
  private readonly ids: Record<RestoreResource, Map<string, string>>;
  private readonly progressMarks: Map<RestoreStep, Set<string>>;
  private readonly failedObjects: Set<string>;
  private changesSinceSave = 0;
  private lastSave: number;
  /** Each step's marks as last serialised; dropped when they change. */
  private readonly marksJson = new Map<RestoreStep, string>();
  /** The plan never changes once made, and is most of the ledger: serialised once, not on every save. */
  private planJson: string | undefined;
  /** How many times it was written (tests and the bench read it). */
  saves = 0;

  private constructor(
    private readonly store: LedgerStore,
    private readonly clock: Clock,
    readonly state: LedgerState,
    private readonly checkpointPolicy: CheckpointPolicy = {},
  ) {
    this.ids = Object.fromEntries(
      Object.entries(state.ids).map(([resource, map]) => [resource, new Map(Object.entries(map))]),
    ) as Record<RestoreResource, Map<string, string>>;
    this.progressMarks = new Map(
      Object.entries(state.progress).map(([step, marks]) => [step as RestoreStep, new Set(marks)]),
    );
    this.failedObjects = new Set(state.failedObjects ?? []);
    this.lastSave = clock.now().getTime();
  }

  /**
   * Reads the ledger the store holds, if any, and checks it belongs to this archive and target.
   * A ledger of another archive is refused: applying its id map elsewhere would corrupt the target.
   */
  static async load(
    store: LedgerStore,
    clock: Clock,
    expected: { archiveDigest: string; target: string },
    checkpointPolicy?: CheckpointPolicy,
  ): Promise<RestoreLedger | undefined> {
    const text = await store.load();
    if (text === undefined) return undefined;
    let state: LedgerState;
    try {
      state = JSON.parse(text) as LedgerState;
    } catch (error) {
      throw ledgerNotJson(store.description, error);
    }
    if (state?.format !== LEDGER_FORMAT || state.version !== LEDGER_VERSION)
      throw notALedger(store.description, LEDGER_VERSION);
    if (state.archiveDigest !== expected.archiveDigest)
      throw ledgerOfAnotherArchive(store.description, state.archiveDigest, expected.archiveDigest);
    if (normalizeUrl(state.target) !== normalizeUrl(expected.target))
      throw ledgerOfAnotherTarget(store.description, state.target, expected.target);
    return new RestoreLedger(store, clock, state, checkpointPolicy);
  }

  static create(
    store: LedgerStore,
    clock: Clock,
    plan: RestorePlan,
    checkpointPolicy?: CheckpointPolicy,
    round?: Round,
  ): RestoreLedger {
    const now = clock.now().toISOString();
    const state: LedgerState = {
      format: LEDGER_FORMAT,
      version: LEDGER_VERSION,
      archiveDigest: plan.archive.digest,
      target: plan.target.url,
      startedAt: now,
      updatedAt: now,
      verified: false,
      status: 'running',
      runs: 0,
      seeded: false,
      failedObjects: [],
      plan,
      ...(round ? { round } : {}),
      steps: pendingSteps(),
      ids: Object.fromEntries(RESTORE_RESOURCES.map((r) => [r, {}])) as LedgerState['ids'],
      progress: {},
      created: zeroCounts(),
      updated: zeroCounts(),
      skipped: zeroCounts(),
      failed: zeroCounts(),
      warnings: [],
      credentialsAwaitingSecrets: [],
    };
    return new RestoreLedger(store, clock, state, checkpointPolicy);
  }

  /**
   * A finished restore takes a new plan (a new round): every step runs again over it and the
   * counts start afresh, while the ids are kept (what the earlier runs wrote is matched by them)
   * but for objects the new plan creates, which the target no longer holds.
   */
  startRound(plan: RestorePlan, round: Round): void {
    for (const entry of plan.entries)
      if (entry.action === 'create') this.ids[entry.resource].delete(entry.sourceId);
    Object.assign(this.state, {
      plan,
      round,
      status: 'running',
      seeded: false,
      steps: pendingSteps(),
      created: zeroCounts(),
      updated: zeroCounts(),
      skipped: zeroCounts(),
      failed: zeroCounts(),
      warnings: [],
    });
    this.planJson = undefined;
    this.progressMarks.clear();
    this.marksJson.clear();
    this.failedObjects.clear();
    this.changesSinceSave += 1;
  }

  get description(): string {
    return this.store.description;
  }

  get finished(): boolean {
    return this.state.status === 'done';
  }

  /** The objects that failed, as "resource:sourceId". */
  get failures(): readonly string[] {
    return [...this.failedObjects];
  }

  /**
   * Before a re-run of an incomplete restore: failed objects become pending again (their marks in
   * every step are cleared, their failure count and warnings dropped) and every step runs again as
   * resumed, so what is done is skipped or adopted and what failed is tried again.
   */
  retryFailed(): void {
    if (this.failedObjects.size === 0) return;
    const retried = new Set([...this.failedObjects].map((key) => key.slice(key.indexOf(':') + 1)));
    for (const marks of this.progressMarks.values())
      for (const id of retried) {
        marks.delete(id);
        marks.delete(`started:${id}`);
      }
    // What stays failed is what the plan itself could not do (its conflicts); the rest is counted anew.
    this.state.failed = zeroCounts();
    for (const entry of this.state.plan.entries)
      if (entry.action === 'conflict') this.state.failed[entry.resource] += 1;
    // What else each kind's steps must do again (workflows are tagged again when a tag is made again).
    const view = this.retryView();
    for (const kind of EVERY_KIND) kind.beforeRetry?.(view);
    this.marksJson.clear();
    this.failedObjects.clear();
    this.state.warnings = this.state.warnings.filter(
      (w) => !isObjectFailure(w) && w.code !== 'unresolved-reference',
    );
    for (const step of RESTORE_STEPS)
      if (this.state.steps[step] === 'done') this.state.steps[step] = 'running';
    this.state.status = 'running';
    this.changesSinceSave += 1;
  }

  private retryView(): RetryView {
    return {
      failures: [...this.failedObjects],
      warnings: this.state.warnings,
      clearMarks: (step, keys) => {
        if (keys === undefined) this.progressMarks.delete(step);
        else for (const key of keys) this.progressMarks.get(step)?.delete(key);
      },
    };
  }

  /** The live id map of one resource (the applier and the reference rewriter read and extend it). */
  idMap(resource: RestoreResource): Map<string, string> {
    return this.ids[resource];
  }

  targetId(resource: RestoreResource, sourceId: string): string | undefined {
    return this.ids[resource].get(sourceId);
  }

  recordId(resource: RestoreResource, sourceId: string, targetId: string): void {
    this.ids[resource].set(sourceId, targetId);
    this.changesSinceSave += 1;
  }

  /** Target ids the ledger already accounts for, so a resumed step never adopts them twice. */
  claimedTargetIds(resource: RestoreResource): Set<string> {
    return new Set(this.ids[resource].values());
  }

  stepStatus(step: RestoreStep): StepStatus {
    return this.state.steps[step];
  }

  async startStep(step: RestoreStep): Promise<void> {
    if (this.state.steps[step] === 'pending') {
      this.state.steps[step] = 'running';
      await this.save();
    }
  }

  /** A finished step keeps its marks: a retry of failed objects runs it again and skips what is done. */
  async finishStep(step: RestoreStep): Promise<void> {
    this.state.steps[step] = 'done';
    await this.save();
  }

  isMarked(step: RestoreStep, key: string): boolean {
    return this.progressMarks.get(step)?.has(key) === true;
  }

  mark(step: RestoreStep, key: string): void {
    let marks = this.progressMarks.get(step);
    if (!marks) {
      marks = new Set();
      this.progressMarks.set(step, marks);
    }
    marks.add(key);
    this.marksJson.delete(step);
    this.changesSinceSave += 1;
  }

  /**
   * The marks of every step as JSON. A step's marks are serialised again only when they changed:
   * finished steps keep theirs (for retries), and re-serialising them on every save would make a
   * 10,000-workflow restore spend its time writing the same lists.
   */
  private progressJson(): string {
    const parts: string[] = [];
    for (const [step, marks] of this.progressMarks) {
      let json = this.marksJson.get(step);
      if (json === undefined) {
        json = JSON.stringify([...marks]);
        this.marksJson.set(step, json);
      }
      parts.push(`${JSON.stringify(step)}:${json}`);
    }
    return `{${parts.join(',')}}`;
  }

  /** Drops a recorded target id (the object is not in the target after all), so a re-run creates it. */
  forgetId(resource: RestoreResource, sourceId: string): void {
    this.ids[resource].delete(sourceId);
    this.changesSinceSave += 1;
  }

  markFailed(resource: RestoreResource, sourceId: string): void {
    this.failedObjects.add(`${resource}:${sourceId}`);
    this.changesSinceSave += 1;
  }

  hasFailed(resource: RestoreResource, sourceId: string): boolean {
    return this.failedObjects.has(`${resource}:${sourceId}`);
  }

  markSeeded(): void {
    this.state.seeded = true;
    this.changesSinceSave += 1;
  }

  count(kind: 'created' | 'updated' | 'skipped' | 'failed', resource: CountedResource, by = 1): void {
    this.state[kind][resource] += by;
    this.changesSinceSave += 1;
  }

  warn(warning: RestoreWarning): void {
    this.state.warnings.push(warning);
    this.changesSinceSave += 1;
  }

  /** A change a kind made to `state` (kinds/credentials/awaiting.ts): counted toward the next checkpoint. */
  changed(): void {
    this.changesSinceSave += 1;
  }

  markVerified(): void {
    this.state.verified = true;
  }

  beginRun(): void {
    this.state.runs += 1;
  }

  /**
   * A state machine's slice starts on this ledger: counted, and refused (SlicesStalledError) when
   * the two slices before it saved no progress; saved at once, so a slice that dies still counts.
   */
  async startSlice(execution: string): Promise<void> {
    this.state.slices = startSlice(this.state.slices, execution, this.work(), 'the restore');
    await this.save();
  }

  /** Whether an earlier slice of this execution wrote the ledger (its answer may have been lost). */
  slicedBy(execution: string | undefined): boolean {
    return execution !== undefined && this.state.slices?.execution === execution;
  }

  /** How much the ledger records: ids, progress marks, steps done and failures; it only grows while a restore runs. */
  private work(): number {
    let work = this.failedObjects.size + (this.finished ? 1 : 0);
    for (const map of Object.values(this.ids)) work += map.size;
    for (const marks of this.progressMarks.values()) work += marks.size;
    for (const status of Object.values(this.state.steps)) if (status === 'done') work += 1;
    return work;
  }

  /** The steps ran to their end: done, or incomplete while any object failed. */
  async finish(): Promise<void> {
    this.state.status = this.failedObjects.size === 0 ? 'done' : 'incomplete';
    await this.save();
  }

  /** Saves when enough has changed or enough time has passed since the last save. */
  async checkpoint(): Promise<void> {
    const everyChanges = this.checkpointPolicy.everyChanges ?? 1000;
    const everyMs = this.checkpointPolicy.everyMs ?? 5000;
    if (this.changesSinceSave === 0) return;
    if (this.changesSinceSave >= everyChanges || this.clock.now().getTime() - this.lastSave >= everyMs)
      await this.save();
  }

  async save(): Promise<void> {
    this.state.updatedAt = this.clock.now().toISOString();
    this.state.ids = Object.fromEntries(
      Object.entries(this.ids).map(([resource, map]) => [resource, Object.fromEntries(map)]),
    ) as LedgerState['ids'];
    this.state.failedObjects = [...this.failedObjects];
    this.planJson ??= JSON.stringify(this.state.plan);
    const { plan: _plan, progress: _progress, ...rest } = this.state;
    await this.store.save(
      `${JSON.stringify(rest).slice(0, -1)},"progress":${this.progressJson()},"plan":${this.planJson}}`,
    );
    this.saves += 1;
    this.changesSinceSave = 0;
    this.lastSave = this.clock.now().getTime();
  }
}

function pendingSteps(): Record<RestoreStep, StepStatus> {
  return Object.fromEntries(RESTORE_STEPS.map((s) => [s, 'pending'])) as Record<RestoreStep, StepStatus>;
}

function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, '').toLowerCase();
}

/**
 * The cutover's journal: its ledger, saved through the LedgerStore port after every change that
 * matters for putting things back. It names the source and the target (a journal is never applied
 * to another pair), records each step as done, the archives the copy and the delta restore (so a
 * re-run restores the same ones, continuing their own ledgers), every workflow frozen on the source
 * with the version that ran (written before the first unpublish), and every publish on the target.
 */
import type { Clock, LedgerStore } from '../ports.js';
import { journalNotJson, journalOfAnotherPair, notAJournal } from './errors.js';
import {
  CUTOVER_STEPS,
  type CutoverStep,
  type FrozenWorkflow,
  type IdMapsRecord,
  type PublishedWorkflow,
  type StepTime,
} from './types.js';

export const JOURNAL_FORMAT = 'n8n-ark-cutover-journal';
export const JOURNAL_VERSION = 1;

export interface JournalState {
  format: typeof JOURNAL_FORMAT;
  version: typeof JOURNAL_VERSION;
  source: string;
  target: string;
  startedAt: string;
  updatedAt: string;
  /** Steps done, with their times. */
  done: StepTime[];
  copyArchive?: string;
  deltaArchive?: string;
  /** Set once, before the first unpublish; each entry gets `unpublishedAt` when n8n answered. */
  frozen?: FrozenWorkflow[];
  /** Publishes on the target, each saved when n8n answered. */
  published: PublishedWorkflow[];
  idMaps?: IdMapsRecord;
  drained?: { waitedMs: number; checked: boolean };
  /** Credentials the target holds as stubs (no secret was given): a person enters them. */
  awaitingSecrets?: string[];
  /** Project members without an account on the target (the restore report's waitingForAccount): a person invites them. */
  toInvite?: string[];
  /** A rollback ran to its end: the source runs again what it ran, the target nothing of it. */
  rolledBackAt?: string;
}

export class CutoverJournal {
  private constructor(
    private readonly store: LedgerStore,
    private readonly clock: Clock,
    readonly state: JournalState,
  ) {}

  /** The journal the store holds for this pair, if any; one of another pair is refused. */
  static async load(store: LedgerStore, clock: Clock, pair: { source: string; target: string }) {
    const text = await store.load();
    if (text === undefined) return undefined;
    let state: JournalState;
    try {
      state = JSON.parse(text) as JournalState;
    } catch (error) {
      throw journalNotJson(store.description, error);
    }
    if (state?.format !== JOURNAL_FORMAT || state.version !== JOURNAL_VERSION)
      throw notAJournal(store.description);
    if (
      normalizeUrl(state.source) !== normalizeUrl(pair.source) ||
      normalizeUrl(state.target) !== normalizeUrl(pair.target)
    )
      throw journalOfAnotherPair(store.description, state, pair);
    return new CutoverJournal(store, clock, state);
  }

  static create(store: LedgerStore, clock: Clock, pair: { source: string; target: string }): CutoverJournal {
    const now = clock.now().toISOString();
    return new CutoverJournal(store, clock, {
      format: JOURNAL_FORMAT,
      version: JOURNAL_VERSION,
      source: pair.source,
      target: pair.target,
      startedAt: now,
      updatedAt: now,
      done: [],
      published: [],
    });
  }

  get description(): string {
    return this.store.description;
  }

  /** A source workflow's id on the target (its own where the delta recorded none: kept ids). */
  targetId(sourceId: string): string {
    return this.state.idMaps?.workflows[sourceId] ?? sourceId;
  }

  isDone(step: CutoverStep): boolean {
    return this.state.done.some((time) => time.step === step);
  }

  /** The first step not done yet, or undefined when the cutover has switched. */
  get next(): CutoverStep | undefined {
    return CUTOVER_STEPS.find((step) => !this.isDone(step));
  }

  async finishStep(time: StepTime): Promise<void> {
    this.state.done.push(time);
    await this.save();
  }

  async update(change: (state: JournalState) => void): Promise<void> {
    change(this.state);
    await this.save();
  }

  async save(): Promise<void> {
    this.state.updatedAt = this.clock.now().toISOString();
    await this.store.save(`${JSON.stringify(this.state, null, 2)}\n`);
  }
}

export function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, '').toLowerCase();
}

/**
 * What the restore's closing check asks of a kind beyond "there, under its name", from the same
 * read of the target (Kind.judgeRestored): workflows, that what ran on the source runs.
 */
import type { PlanEntry } from './plan-records.js';

export interface ClosingJudge {
  /** Each record the closing read lists of this kind, as it passes (keep what is small). */
  see(record: unknown): void;
  /** After the read: the plan's objects not in the state it said, each with why. */
  finish(): Promise<ClosingFinding[]>;
}

export interface ClosingFinding {
  entry: PlanEntry;
  why: string;
  /** `not-running`: it does not run as planned (unpublished, a webhook not registered); `differs`: other than written. */
  finding: 'not-running' | 'differs';
}

/**
 * The restore ledger's saved shape (JSON) and its small vocabulary: step statuses, counts, the round,
 * credentials waiting for secrets, the checkpoint policy. The ledger itself is in ledger.ts.
 */
import {
  COUNTED_RESOURCES,
  type CountedResource,
  type RestoreResource,
  type RestoreStep,
} from '../kinds/index.js';
import type { CredentialAwaitingSecret, RestorePlan, RestoreWarning } from '../kinds/kind.js';
import type { SliceRecord } from '../slices.js';

export type { CountedResource, RestoreStep } from '../kinds/index.js';

/** A warning about one object the run failed to put in place (retried by the next run). */
export function isObjectFailure(warning: RestoreWarning): boolean {
  return (
    warning.code === 'restore-failed' ||
    warning.code === 'missing-after-restore' ||
    warning.code === 'not-running-after-restore'
  );
}

export const LEDGER_FORMAT = 'n8n-ark-restore-ledger';
export const LEDGER_VERSION = 1;

export type StepStatus = 'pending' | 'running' | 'done';

export type Counts = Record<CountedResource, number>;

export function zeroCounts(): Counts {
  return Object.fromEntries(COUNTED_RESOURCES.map((r) => [r, 0])) as Counts;
}

export type { CredentialAwaitingSecret } from '../kinds/kind.js';

/** The ledger as saved (JSON). */
export interface LedgerState {
  format: typeof LEDGER_FORMAT;
  version: typeof LEDGER_VERSION;
  archiveDigest: string;
  target: string;
  startedAt: string;
  updatedAt: string;
  /** The whole archive passed verification once; later runs need not read it all again. */
  verified: boolean;
  /**
   * `done`: every object the plan wrote is in place. `incomplete`: the steps ran to their end but
   * some objects failed; a re-run tries those again (never `done` while anything is missing).
   */
  status: 'running' | 'done' | 'incomplete';
  /** Runs that worked on this restore (a finished restore run again adds none). */
  runs: number;
  /** The plan's matches and skips are recorded (done once, on the first run). */
  seeded: boolean;
  /** Objects whose write failed ("resource:sourceId"); later steps leave them alone. */
  failedObjects: string[];
  plan: RestorePlan;
  /** The options the plan was made with; a finished restore run with others plans a new round. */
  round?: Round;
  steps: Record<RestoreStep, StepStatus>;
  /** resource → source id → target id */
  ids: Record<RestoreResource, Record<string, string>>;
  /** Objects finished within a step (its progress marks), by step. */
  progress: Partial<Record<RestoreStep, string[]>>;
  created: Counts;
  updated: Counts;
  skipped: Counts;
  failed: Counts;
  warnings: RestoreWarning[];
  credentialsAwaitingSecrets: CredentialAwaitingSecret[];
  /** A state machine's slices of this restore (core/slices.ts): whose, how many, whether they move. */
  slices?: SliceRecord;
}

/** The options that shape what a restore writes, as the ledger records them (option keys, defaults filled in). */
export interface Round {
  options: Record<string, unknown>;
}

export interface CheckpointPolicy {
  /**
   * Save after this many changes at most. Default 1,000: each save writes the whole ledger, so
   * saving every 100 made a 10,000-workflow restore quadratic (4× its write floor on the bench).
   * Fewer saves lose no safety: a resumed run adopts objects it finds by name instead of duplicating.
   */
  everyChanges?: number;
  /** Save when this long has passed since the last save. Default 5 s. */
  everyMs?: number;
}

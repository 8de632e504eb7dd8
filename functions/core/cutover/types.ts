/**
 * The cutover's vocabulary: the ports it is given, its options, and what it reports. A cutover moves
 * a live instance: preflight → copy → freeze → delta → switch (run.ts), or puts the source back
 * (rollback.ts); its journal (journal.ts) records each step so a re-run continues.
 */

import type { LedgerStore, N8nApi, N8nCapabilities, N8nExecutionsApi } from '../ports.js';
import type { IdMaps } from '../references/workflow-references.js';
import type { TransferDeps } from '../restore/transfer.js';
import type { RestoreWarning } from '../restore/types.js';

/** The steps, in order; each is done once and recorded in the journal. */
export const CUTOVER_STEPS = ['preflight', 'copy', 'freeze', 'delta', 'switch'] as const;
export type CutoverStep = (typeof CUTOVER_STEPS)[number];

export type CutoverInstance = N8nApi & N8nCapabilities & N8nExecutionsApi;

/** A transfer's deps (restore/transfer.ts; its store keeps the passes' archives, so a re-run restores the same archive), with two live instances. */
export interface CutoverDeps extends TransferDeps {
  source: CutoverInstance;
  target: CutoverInstance;
  /** The cutover's own journal (its ledger). */
  journalStore: LedgerStore;
  /** The ledger of each restore pass, by its archive's location. */
  restoreLedgerFor: (archiveLocation: string) => LedgerStore;
}

export interface CutoverOptions {
  /** The name the archives are filed under (default: the source host). */
  instance: string;
  /** Preflight only: reads both instances, writes nothing to either. */
  dryRun?: boolean;
  /** Create workflows on the target under the source's ids (n8n 2.24+). */
  keepWorkflowIds?: boolean;
  /** How long the freeze waits for the source's running executions to end. Default 60 s. */
  drainMs?: number;
}

/** One workflow the freeze unpublished on the source, as the journal keeps it. */
export interface FrozenWorkflow {
  id: string;
  name: string;
  /** The version that ran (activeVersionId): the rollback publishes exactly it. */
  versionId: string;
  /** Whether its draft was another version than the one that ran. */
  draftDiffers: boolean;
  /** It holds a trigger of its own (schedule, polling, webhook…), not only a sub-workflow's. */
  triggers: boolean;
  /** Digest of what ran (canonical nodes and connections, in the source's ids). */
  graph: string;
  /** The workflows what ran calls (Execute Workflow, workflow tools): published first on the target. */
  calls?: string[];
  /** Production webhooks it held (`POST webhook/orders/new`): their callers must be pointed at the target. */
  webhooks: string[];
  unpublishedAt?: string;
}

/** One workflow the switch published on the target. */
export interface PublishedWorkflow {
  sourceId: string;
  targetId: string;
  name: string;
  publishedAt: string;
}

export interface StepTime {
  step: CutoverStep | 'rollback';
  startedAt: string;
  finishedAt: string;
  ms: number;
  /** What it did, for a person. */
  summary: string;
}

export interface PreflightReport {
  sourceVersion: string | null;
  targetVersion: string | null;
  /** What stops the cutover (a real run refuses before any write). */
  refusals: string[];
  warnings: RestoreWarning[];
  notes: string[];
  /** Workflows the freeze unpublishes on the source and the switch publishes on the target. */
  toFreeze: { id: string; name: string; triggers: boolean; webhooks: string[] }[];
  /** The restore plan's counts: create / update / skip / conflict. */
  plan: Record<string, number>;
  /** The archive the copy restores (the preflight's backup). */
  archive: string;
  backupMs: number;
  /**
   * What the freeze window will take at least, measured now: the delta's backup and planning (this
   * backup's time and this plan's); its writes and the publishes come on top.
   */
  freezeFloorMs: number;
}

export interface CutoverReport {
  source: string;
  target: string;
  dryRun: boolean;
  preflight?: PreflightReport;
  steps: StepTime[];
  /** First unpublish on the source → last publish on the target. */
  freezeWindowMs?: number;
  frozen: FrozenWorkflow[];
  published: PublishedWorkflow[];
  /** Still running on the source when the freeze ended waiting; `undefined` when it could not be asked. */
  drained?: { waitedMs: number; checked: boolean };
  /** What a person must do (webhook callers to repoint, credential secrets…). */
  needsAPerson: string[];
  idMaps?: IdMapsRecord;
}

/** The id maps (source id → target id) of the workflows, credentials and data tables, as JSON. */
export type IdMapsRecord = { [K in keyof IdMaps]: Record<string, string> };

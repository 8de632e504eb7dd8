/**
 * What the workflow steps of one run learn and say, so that a later step neither reads a body again
 * nor repeats a warning: the kind's memo (ApplyContext.memo), made on first use.
 */
import type { JsonObject } from '../../n8n-types.js';
import type { ApplyContext } from '../kind.js';

export interface WorkflowFacts {
  tagIds: string[];
  archived: boolean;
  active: boolean;
  /** Ids of the workflows it calls (sub-workflows), for publishing callees first. */
  calls: string[];
  /** Published with content other than its draft (see published.ts). */
  publishedDiffers?: boolean;
  /** Published on the source (and not archived): what it runs there (closing.ts compares the target's). */
  runs?: PublishedRun;
}

/** What a published workflow runs, in the archive's ids. */
export interface PublishedRun {
  /** Digest of its published version's canonical graph (canonical.ts). */
  graph: string;
  /** Its settings as a restore writes them. */
  settings: JsonObject;
  /** Its production webhooks (`POST orders`), which n8n must register on the target. */
  webhooks: string[];
}

export interface WorkflowsMemo {
  /** Workflow fields n8n refuses on write, warned about once per run. */
  readonly warnedDrops: Set<string>;
  /** "workflowId|location" of references the plan already warned about. */
  readonly predicted: Set<string>;
  readonly reportedUnresolved: Set<string>;
  /** Per-workflow facts gathered while its body was read, so later steps need not read it again. */
  readonly workflowFacts: Map<string, WorkflowFacts>;
}

const referenceKey = (w: { workflow?: { id: string }; location?: string }) =>
  `${w.workflow?.id}|${w.location}`;

export function workflowsMemo(ctx: ApplyContext): WorkflowsMemo {
  return ctx.memo('workflows', () => ({
    warnedDrops: new Set(),
    predicted: new Set(ctx.plan.warnings.filter((w) => w.workflow && w.location).map(referenceKey)),
    // What an earlier run of this restore reported already (it is in the ledger) is not reported twice.
    reportedUnresolved: new Set(
      ctx.ledger.state.warnings
        .filter((w) => w.code === 'unresolved-reference' && w.workflow && w.location)
        .map(referenceKey),
    ),
    workflowFacts: new Map(),
  }));
}

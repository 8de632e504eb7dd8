/**
 * What the workflow steps of one run learn and say, so that a later step neither reads a body again
 * nor repeats a warning: the kind's memo (ApplyContext.memo), made on first use.
 */
import type { ApplyContext } from '../kind.js';

export interface WorkflowFacts {
  tagIds: string[];
  archived: boolean;
  active: boolean;
  /** Ids of the workflows it calls (sub-workflows), for publishing callees first. */
  calls: string[];
  /** Published with content other than its draft (see published.ts). */
  publishedDiffers?: boolean;
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

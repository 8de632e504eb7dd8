/**
 * One per-workflow step over the written workflows (tags, archiving, activation), `concurrency`
 * requests in flight, each workflow marked in the ledger when done. Works from the workflows'
 * facts, not their bodies, so it reads nothing from the archive.
 */
import { mapOrdered } from '../../async-iterables.js';
import type { RestoreStep } from '../index.js';
import type { ApplyContext, PlanEntry } from '../kind.js';
import { isFatal } from '../shared/failure-policy.js';
import type { WorkflowFacts } from './memo.js';
import { restoredWorkflowFacts } from './planned.js';

export interface RestoredWorkflow {
  entry: PlanEntry;
  facts: WorkflowFacts;
  targetId: string;
}

export async function eachRestoredWorkflow(
  ctx: ApplyContext,
  step: RestoreStep,
  what: string,
  work: (workflow: RestoredWorkflow) => Promise<void>,
  needed: (workflow: Omit<RestoredWorkflow, 'targetId'>) => boolean,
): Promise<void> {
  const all = await restoredWorkflowFacts(ctx);
  const todo = async function* () {
    for (const { entry, facts } of all) {
      const targetId = ctx.ledger.targetId('workflows', entry.sourceId);
      if (!targetId || ctx.ledger.isMarked(step, entry.sourceId) || !needed({ entry, facts })) continue;
      if (ctx.deadlineNear()) return;
      yield { entry, facts, targetId };
    }
  };
  const results = mapOrdered(todo(), ctx.concurrency, async (workflow) => {
    try {
      await work(workflow);
      return { entry: workflow.entry };
    } catch (error) {
      if (isFatal(error)) throw error;
      return { entry: workflow.entry, error };
    }
  });
  for await (const result of results) {
    if ('error' in result) ctx.fail(step, result.entry, what, result.error);
    else ctx.ledger.mark(step, result.entry.sourceId);
    await ctx.ledger.checkpoint();
  }
  ctx.checkDeadline();
}

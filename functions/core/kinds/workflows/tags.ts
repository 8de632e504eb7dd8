/** Tagging the written workflows (POST refuses tags; PUT /workflows/{id}/tags sets them). */
import type { ApplyContext } from '../kind.js';
import { eachRestoredWorkflow } from './each-restored.js';
import type { WorkflowFacts } from './memo.js';

function targetTagIds(ctx: ApplyContext, facts: WorkflowFacts): string[] {
  return facts.tagIds
    .map((id) => ctx.ledger.targetId('tags', id))
    .filter((id): id is string => id !== undefined);
}

export async function tagWorkflows(ctx: ApplyContext): Promise<void> {
  await eachRestoredWorkflow(
    ctx,
    'workflowTags',
    'setting its tags',
    async ({ facts, targetId }) => {
      await ctx.api.setWorkflowTags(targetId, targetTagIds(ctx, facts));
    },
    // A new workflow has no tags; an overwritten one gets the archive's, even none; one an earlier
    // round wrote has them already (its tags were restored with it), and one only published is kept.
    ({ entry, facts }) =>
      entry.action !== 'skip' && (entry.action === 'update' || targetTagIds(ctx, facts).length > 0),
  );
}

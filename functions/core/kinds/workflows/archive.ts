/** Archiving what was archived in the source (n8n refuses to archive twice, so a resumed run checks). */

import type { ApplyContext } from '../kind.js';
import { isFatal } from '../shared/failure-policy.js';
import { eachRestoredWorkflow } from './each-restored.js';

export async function archiveWorkflows(ctx: ApplyContext): Promise<void> {
  await eachRestoredWorkflow(
    ctx,
    'workflowArchive',
    'archiving it',
    async ({ targetId }) => {
      try {
        await ctx.api.archiveWorkflow(targetId);
      } catch (error) {
        // Archived already by an interrupted run: n8n refuses to archive twice.
        if (isFatal(error) || (await ctx.api.getWorkflow(targetId)).isArchived !== true) throw error;
      }
    },
    ({ entry, facts }) => facts.archived && !entry.restoredEarlier,
  );
}

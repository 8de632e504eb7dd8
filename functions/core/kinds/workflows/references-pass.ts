/**
 * The second pass over the written workflows: a PUT with the final id map (references to workflows
 * created after their caller) and what POST refuses (the description). Overwrites happen here.
 * It is the last step that reads workflow bodies; it keeps each workflow's facts for the steps after.
 */
import { mapOrdered } from '../../async-iterables.js';
import type { Workflow } from '../../n8n-types.js';
import {
  findWorkflowReferences,
  isDanglingReference,
  rewriteWorkflowReferences,
  type WorkflowReference,
} from '../../references/workflow-references.js';
import type { RestoreResource } from '../index.js';
import type { ApplyContext, PlanEntry } from '../kind.js';
import { isFatal } from '../shared/failure-policy.js';
import { workflowsMemo } from './memo.js';
import { idMaps, plannedWorkflows } from './planned.js';
import { contentBeforePublishing } from './published.js';
import { writeBody } from './write-body.js';

export async function writeFinalReferences(ctx: ApplyContext): Promise<void> {
  // Every body final at its create (the common case): nothing to write, so the archive is not read
  // again (a workflow with 32 MiB of pinned data costs seconds to parse).
  const pending = ctx
    .entries('workflows')
    .some(
      (e) =>
        e.restoredEarlier ||
        ((e.action === 'create' || e.action === 'update') &&
          !ctx.hasFailed(e) &&
          !ctx.ledger.isMarked('workflowReferences', e.sourceId)),
    );
  if (!pending) return;
  const createdNow = createdNowCheck(ctx);
  const todo = async function* () {
    for await (const { workflow: archived, entry } of plannedWorkflows(ctx, ['create', 'update'], {
      earlier: true,
    })) {
      // Written with what ran on the source; its draft comes after publishing (published.ts).
      const { workflow, apart } = contentBeforePublishing(ctx, entry, archived);
      // One an earlier round wrote is written again only to point at what this round creates, or to
      // put back what ran on the source before this round publishes it; one only published is not.
      if (entry.action === 'skip' && !entry.restoredEarlier) continue;
      if (entry.restoredEarlier && !apart && !findWorkflowReferences(archived).some(createdNow)) continue;
      if (ctx.deadlineNear()) return;
      yield { workflow, entry };
    }
  };
  const results = mapOrdered(todo(), ctx.concurrency, async ({ workflow, entry }) => {
    const targetId = ctx.ledger.targetId('workflows', entry.sourceId);
    const { workflow: rewritten, unresolved } = rewriteWorkflowReferences(workflow, idMaps(ctx));
    if (!targetId || ctx.ledger.isMarked('workflowReferences', entry.sourceId))
      return { entry, unresolved, workflow };
    try {
      await putWorkflow(ctx, workflow, entry, rewritten, targetId);
      return { entry, unresolved, workflow, written: true };
    } catch (error) {
      if (isFatal(error)) throw error;
      return { entry, unresolved, workflow, error };
    }
  });
  for await (const result of results) {
    if (result.error !== undefined)
      ctx.fail('workflowReferences', result.entry, 'writing its final references', result.error);
    else if (result.written) {
      if (result.entry.action !== 'create') ctx.ledger.count('updated', 'workflows');
      ctx.ledger.mark('workflowReferences', result.entry.sourceId);
    }
    if (result.written || ctx.ledger.isMarked('workflowReferences', result.entry.sourceId))
      reportUnresolved(ctx, result.workflow, result.unresolved);
    await ctx.ledger.checkpoint();
  }
  ctx.checkDeadline();
}

/** Whether a reference names an object this plan creates (its target id is new this round). */
function createdNowCheck(ctx: ApplyContext): (reference: WorkflowReference) => boolean {
  const created = (resource: RestoreResource) =>
    new Set(
      ctx
        .entries(resource)
        .filter((e) => e.action === 'create')
        .map((e) => e.sourceId),
    );
  const workflows = created('workflows');
  const credentials = created('credentials');
  const tables = created('dataTables');
  return (reference) =>
    (reference.kind === 'credential' ? credentials : reference.kind === 'dataTable' ? tables : workflows).has(
      reference.id,
    );
}

async function putWorkflow(
  ctx: ApplyContext,
  workflow: Workflow,
  entry: PlanEntry,
  rewritten: Workflow,
  targetId: string,
): Promise<void> {
  const body = writeBody(ctx, workflow, rewritten, entry.renameTo ?? workflow.name);
  const folderId = workflow.parentFolderId
    ? ctx.ledger.targetId('folders', workflow.parentFolderId)
    : undefined;
  if (entry.action === 'update') {
    if (entry.targetArchived) await ctx.api.unarchiveWorkflow(targetId).catch(() => {});
    await ctx.api.updateWorkflow(targetId, {
      ...body,
      parentFolderId: folderId ?? null,
      description: workflow.description ?? '',
    });
    return;
  }
  // Imported workflows (kept ids) land at the project root; the folder comes with the content.
  const importedFolder = ctx.plan.keepWorkflowIds ? folderId : undefined;
  await ctx.api.updateWorkflow(targetId, {
    ...body,
    ...(importedFolder ? { parentFolderId: importedFolder } : {}),
    ...(workflow.description ? { description: workflow.description } : {}),
  });
}

function reportUnresolved(ctx: ApplyContext, workflow: Workflow, unresolved: WorkflowReference[]): void {
  const memo = workflowsMemo(ctx);
  for (const reference of unresolved) {
    if (isDanglingReference(reference)) continue;
    const key = `${workflow.id}|${reference.location}`;
    if (memo.reportedUnresolved.has(key)) continue;
    memo.reportedUnresolved.add(key);
    if (memo.predicted.has(key)) continue;
    ctx.ledger.warn({
      code: 'unresolved-reference',
      resource: 'workflows',
      workflow: { id: workflow.id, name: workflow.name },
      ...(reference.node ? { node: reference.node } : {}),
      location: reference.location,
      message: `workflow "${workflow.name}"${reference.node ? ` node "${reference.node}"` : ''} (${reference.location}) still refers to ${reference.kind} ${reference.id}: it was not restored`,
    });
  }
}

/**
 * Creating workflows with new ids: first what n8n's package import carries exactly, in packages
 * (package-create.ts), then the rest `concurrency` at a time by POST /workflows, each with every
 * reference the id map already resolves. A workflow whose body is final at create (nothing left to resolve, nothing
 * POST refuses) is not written again by the references pass.
 */
import { mapOrdered } from '../../async-iterables.js';
import { owningProjectId } from '../../instance/identity.js';
import type { Workflow } from '../../n8n-types.js';
import { findWorkflowReferences, type WorkflowReference } from '../../references/workflow-references.js';
import type { ApplyContext, PlanEntry } from '../kind.js';
import { Adoption } from '../shared/adoption.js';
import { isFatal } from '../shared/failure-policy.js';
import { prepareCreate } from './create-body.js';
import { createByPackage } from './package-create.js';
import { workflowKey } from './plan.js';
import { plannedWorkflows } from './planned.js';

type Created = { entry: PlanEntry; id: string; finalBody: boolean } | { entry: PlanEntry; error: unknown };

export async function createWorkflows(ctx: ApplyContext): Promise<void> {
  const creates = ctx.entries('workflows').filter((e) => e.action === 'create');
  if (creates.length === 0) return;
  // Filed under its owner and under "*": a workflow created without a project lands in the key owner's personal one.
  const adoption = new Adoption(
    ctx.ledger,
    'workflows',
    {
      list: () => ctx.api.listWorkflows({ excludePinnedData: true }),
      keys: (w) => [workflowKey(owningProjectId(w) ?? '', w.name), workflowKey('*', w.name)],
    },
    ctx.resumed,
  );
  // What a package carries goes first (package-create.ts); a lost import answer means listing again.
  if (await createByPackage(ctx, adoption)) await adoption.refresh();
  const pending = new Set(
    creates.filter((e) => !ctx.ledger.targetId('workflows', e.sourceId)).map((e) => e.sourceId),
  );
  // Packages carried every workflow: the archive need not be read again.
  if (creates.every((e) => !pending.has(e.sourceId) || ctx.hasFailed(e))) return ctx.checkDeadline();
  const todo = async function* () {
    for await (const item of plannedWorkflows(ctx, ['create'])) {
      if (ctx.ledger.targetId('workflows', item.entry.sourceId)) continue;
      if (ctx.failIfProjectMissing('workflows', item.entry)) continue;
      // Stop handing out new work near the deadline; what is in flight finishes and is recorded.
      if (ctx.deadlineNear()) return;
      yield item;
    }
  };
  const results = mapOrdered(todo(), ctx.concurrency, ({ workflow, entry }) =>
    createOne(ctx, workflow, entry, adoption, pending),
  );
  for await (const result of results) {
    if ('error' in result) ctx.fail('workflows', result.entry, 'creating the workflow', result.error);
    else {
      ctx.ledger.recordId('workflows', result.entry.sourceId, result.id);
      ctx.ledger.count('created', 'workflows');
      pending.delete(result.entry.sourceId);
      if (result.finalBody) ctx.ledger.mark('workflowReferences', result.entry.sourceId);
    }
    ctx.deps.progress.advance('workflows');
    await ctx.ledger.checkpoint();
  }
  ctx.checkDeadline();
}

async function createOne(
  ctx: ApplyContext,
  archived: Workflow,
  entry: PlanEntry,
  adoption: Adoption<Workflow>,
  pending: Set<string>,
): Promise<Created> {
  const { workflow, key, projectId, folderId, body, unresolved } = prepareCreate(ctx, archived, entry);
  const adopted = await adoption.take(key);
  if (adopted) return { entry, id: adopted, finalBody: false };
  const finalBody = !needsSecondPass(workflow, entry, unresolved, pending);
  try {
    // A create whose answer was lost is looked up by name in its project before it is sent again.
    const id = await adoption.createOrAdopt(key, async () => {
      const created = await ctx.api.createWorkflow({
        ...body,
        ...(projectId ? { projectId } : {}),
        ...(folderId ? { parentFolderId: folderId } : {}),
      });
      return created.id;
    });
    return { entry, id, finalBody };
  } catch (error) {
    if (isFatal(error)) throw error;
    return { entry, error };
  }
}

/**
 * Workflow-to-workflow references (calls, error workflow, callers, itself) that only the final id
 * map resolves. Judged from what was unresolved when the body was written: with creates running
 * concurrently, a callee may get its id while the caller's request is in flight.
 */
function needsSecondPass(
  workflow: Workflow,
  entry: PlanEntry,
  unresolvedAtWrite: WorkflowReference[],
  pending: Set<string>,
): boolean {
  if (entry.action === 'update' || workflow.description) return true;
  const toWorkflow = (r: WorkflowReference) => r.kind !== 'credential' && r.kind !== 'dataTable';
  if (unresolvedAtWrite.some((r) => toWorkflow(r) && pending.has(r.id))) return true;
  return findWorkflowReferences(workflow, { includeSelf: true }).some(
    (r) => toWorkflow(r) && r.id === workflow.id,
  );
}

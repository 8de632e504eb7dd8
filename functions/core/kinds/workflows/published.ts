/**
 * Published vs draft (n8n 2.x). A published workflow runs its `activeVersion`; edits saved in the
 * editor change only the draft (`nodes`, `connections`), so the two can differ. What ran on the
 * source runs on the target: such a workflow is written with its published content, published, and
 * then given its draft with `publishIfActive=false` (a plain PUT would publish the draft too; see
 * docs/REAL-N8N-FINDINGS.md). A workflow whose draft is its published version stays one write.
 */
import { stableStringify } from '../../json.js';
import type { Json, JsonObject, Workflow, WorkflowNode } from '../../n8n-types.js';
import { rewriteWorkflowReferences } from '../../references/workflow-references.js';
import type { ApplyContext, PlanEntry } from '../kind.js';
import { type WorkflowFacts, workflowsMemo } from './memo.js';
import { idMaps, plannedWorkflows, restoredWorkflowFacts } from './planned.js';
import { writeBody } from './write-body.js';

interface PublishedVersion {
  versionId?: string;
  nodes?: WorkflowNode[];
  connections?: JsonObject;
  nodeGroups?: Json[];
}

function publishedVersionOf(workflow: Workflow): PublishedVersion | undefined {
  const version = workflow.activeVersion;
  if (!version || typeof version !== 'object' || Array.isArray(version)) return undefined;
  const published = version as PublishedVersion;
  return Array.isArray(published.nodes) ? published : undefined;
}

/** The workflow runs another content than its draft: its published version's nodes or connections differ. */
export function publishedDiffersFromDraft(workflow: Workflow): boolean {
  const published = publishedVersionOf(workflow);
  if (!published || workflow.active !== true) return false;
  if (published.versionId !== undefined && published.versionId === workflow.versionId) return false;
  const content = (w: PublishedVersion) =>
    stableStringify({ nodes: w.nodes, connections: w.connections ?? {} });
  return content(published) !== content(workflow);
}

/** The workflow with its published version's content in place of the draft's. */
export function publishedView(workflow: Workflow): Workflow {
  const published = publishedVersionOf(workflow);
  if (!published) return workflow;
  return {
    ...workflow,
    nodes: published.nodes ?? workflow.nodes,
    connections: published.connections ?? workflow.connections,
    ...(published.nodeGroups !== undefined ? { nodeGroups: published.nodeGroups } : {}),
  };
}

/**
 * Whether this restore writes the workflow's published content apart from its draft: it was
 * published with another draft, and this restore publishes it (activation on, not archived). One an
 * earlier round wrote is left as it is, unless that round did not publish (it wrote the draft only).
 */
export function restoresPublishedApart(ctx: ApplyContext, entry: PlanEntry, facts: WorkflowFacts): boolean {
  return (
    facts.publishedDiffers === true &&
    facts.active &&
    !facts.archived &&
    ctx.options.workflowWrite?.activate !== false &&
    (entry.action !== 'skip' || entry.restoredEarlier === true) &&
    (entry.restoredEarlier !== true || ctx.plan.activatedEarlier === false)
  );
}

/**
 * The content a workflow is written with before publishing: what ran on the source when this
 * restore writes it apart from its draft, else the archived workflow itself. Its facts are known
 * once the archive's body was read (plannedWorkflows records them before handing it over).
 */
export function contentBeforePublishing(
  ctx: ApplyContext,
  entry: PlanEntry,
  archived: Workflow,
): { workflow: Workflow; apart: boolean } {
  const facts = workflowsMemo(ctx).workflowFacts.get(archived.id);
  const apart = facts !== undefined && restoresPublishedApart(ctx, entry, facts);
  return { workflow: apart ? publishedView(archived) : archived, apart };
}

/** After publishing: each workflow written with its published content gets its draft, not published. */
export async function writeDrafts(ctx: ApplyContext): Promise<void> {
  const apart = new Set(
    (await restoredWorkflowFacts(ctx))
      .filter(({ entry, facts }) => restoresPublishedApart(ctx, entry, facts))
      .filter(({ entry }) => !ctx.ledger.isMarked('workflowDrafts', entry.sourceId))
      .map(({ entry }) => entry.sourceId),
  );
  if (apart.size === 0) return;
  for await (const { workflow, entry } of plannedWorkflows(ctx, ['create', 'update'], { earlier: true })) {
    const targetId = ctx.ledger.targetId('workflows', entry.sourceId);
    if (!apart.has(entry.sourceId) || !targetId) continue;
    ctx.checkDeadline();
    await ctx.attempt('workflowDrafts', entry, 'writing its draft', async () => {
      const { workflow: rewritten } = rewriteWorkflowReferences(workflow, idMaps(ctx));
      const body = writeBody(ctx, workflow, rewritten, entry.renameTo ?? workflow.name);
      await ctx.api.updateWorkflow(
        targetId,
        { ...body, ...(workflow.description ? { description: workflow.description } : {}) },
        { publishIfActive: false },
      );
    });
    ctx.ledger.mark('workflowDrafts', entry.sourceId);
    await ctx.ledger.checkpoint();
  }
}

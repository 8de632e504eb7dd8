/**
 * What creating one workflow with a new id sends, decided once for both ways of sending it (POST
 * /workflows in create.ts, a package import in package-create.ts): the content that ran when
 * published differs from the draft, every reference the id map resolves so far, the planned name,
 * project and folder, and the key it is adopted by after a lost answer.
 */
import type { Workflow, WorkflowWrite } from '../../n8n-types.js';
import { rewriteWorkflowReferences, type WorkflowReference } from '../../references/workflow-references.js';
import type { ApplyContext, PlanEntry } from '../kind.js';
import { workflowKey } from './plan.js';
import { idMaps } from './planned.js';
import { contentBeforePublishing } from './published.js';
import { writeBody } from './write-body.js';

export interface PreparedCreate {
  entry: PlanEntry;
  /** The archived workflow as it is created (published content first, see published.ts). */
  workflow: Workflow;
  key: string;
  projectId: string | undefined;
  folderId: string | undefined;
  body: WorkflowWrite;
  /** References left without a target id when the body was written. */
  unresolved: WorkflowReference[];
}

export function prepareCreate(ctx: ApplyContext, archived: Workflow, entry: PlanEntry): PreparedCreate {
  // One published with another draft is created with what ran; its draft is written after publishing.
  const { workflow } = contentBeforePublishing(ctx, entry, archived);
  const projectId = ctx.targetProject(entry);
  const name = entry.renameTo ?? workflow.name;
  // Decided before the request: the id map may grow while it is in flight.
  const { workflow: rewritten, unresolved } = rewriteWorkflowReferences(workflow, idMaps(ctx));
  const folderId = workflow.parentFolderId
    ? ctx.ledger.targetId('folders', workflow.parentFolderId)
    : undefined;
  return {
    entry,
    workflow,
    key: workflowKey(projectId ?? '*', name),
    projectId,
    folderId,
    body: writeBody(ctx, workflow, rewritten, name),
    unresolved,
  };
}

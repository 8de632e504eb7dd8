/**
 * What a workflow needs restored with it when a selection chooses it (its credentials, tables,
 * tags, folder and its parents, project), and what a retry of an incomplete restore does again.
 */
import type { FindSource, Need, RetryView } from '../kind.js';
import type { WorkflowSummary } from './summary.js';

/** Folder parents followed at most this deep: a cycle would be n8n's bug, not a reason to loop. */
const MAX_FOLDER_DEPTH = 64;

export function workflowNeeds(workflow: WorkflowSummary, find: FindSource): Need[] {
  const why = `needed by workflow "${workflow.name}"`;
  const needs: Need[] = [];
  for (const reference of workflow.references) {
    if (reference.kind === 'credential') needs.push({ resource: 'credentials', id: reference.id, why });
    if (reference.kind === 'dataTable') needs.push({ resource: 'dataTables', id: reference.id, why });
  }
  for (const tagId of workflow.tagIds) needs.push({ resource: 'tags', id: tagId, why });
  for (let folderId = workflow.folderId, depth = 0; folderId && depth < MAX_FOLDER_DEPTH; depth += 1) {
    needs.push({ resource: 'folders', id: folderId, why });
    folderId = find('folders', folderId)?.parentFolderId ?? null;
  }
  if (workflow.projectId) needs.push({ resource: 'projects', id: workflow.projectId, why });
  return needs;
}

export function beforeRetry(retry: RetryView): void {
  // A tag made again has a new id: the workflows that carry it are tagged again (an idempotent PUT).
  if (retry.failures.some((key) => key.startsWith('tags:'))) retry.clearMarks('workflowTags');
  // A workflow written while something it refers to was missing keeps that reference as it was:
  // it is written again once what failed exists (the warning comes back if it still does not).
  retry.clearMarks(
    'workflowReferences',
    retry.warnings.flatMap((w) => (w.code === 'unresolved-reference' && w.workflow ? [w.workflow.id] : [])),
  );
}

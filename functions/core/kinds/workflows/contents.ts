/** A workflow as `inspect --workflows` lists it: one row each, the body never held. */
import { owningProjectId } from '../../instance/identity.js';
import type { Workflow } from '../../n8n-types.js';
import type { ContentNames } from '../kind.js';
import type { WorkflowSummary } from './summary.js';

export interface WorkflowRow {
  id: string;
  name: string;
  project: string | null;
  /** "Parent/Child", or null at the project's root or where the archive does not know it. */
  folder: string | null;
  tags: string[];
  active: boolean;
  archived: boolean;
  updatedAt: string | null;
}

/** What --project, --tag and --workflow choose a workflow by. */
export function choosable(workflow: Workflow): Pick<WorkflowSummary, 'name' | 'projectId' | 'tagNames'> {
  return {
    name: workflow.name,
    projectId: owningProjectId(workflow),
    tagNames: (workflow.tags ?? []).map((t) => t.name),
  };
}

export function workflowRow(workflow: Workflow, names: ContentNames): WorkflowRow {
  const { projectId, tagNames } = choosable(workflow);
  const folderId = workflow.parentFolderId;
  return {
    id: workflow.id,
    name: workflow.name,
    project: names.project(projectId),
    folder: folderId ? (names.folder(folderId) ?? `(unknown folder ${folderId})`) : null,
    tags: tagNames.sort(),
    active: workflow.active === true,
    archived: workflow.isArchived === true,
    updatedAt: workflow.updatedAt ?? null,
  };
}

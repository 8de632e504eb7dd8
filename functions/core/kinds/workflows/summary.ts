/**
 * Workflows as planning keeps them: a source workflow reduced to what planning and the later steps
 * need (never its body), a target workflow to its id, name, place and state.
 */
import { owningProjectId } from '../../instance/identity.js';
import { nodeTypeKey, nodeTypesOf } from '../../instance/node-types.js';
import type { NodeTypeUse, Workflow } from '../../n8n-types.js';
import { findWorkflowReferences, type WorkflowReference } from '../../references/workflow-references.js';
import type { TargetRead } from '../kind.js';
import { routeKey, webhookRoutes } from './webhooks.js';

declare module '../shared/state.js' {
  interface SourceRecords {
    workflows: WorkflowSummary[];
  }
  interface TargetRecords {
    workflows: TargetWorkflow[];
  }
}

export interface WorkflowSummary {
  id: string;
  name: string;
  projectId: string | undefined;
  folderId: string | null | undefined;
  tagIds: string[];
  tagNames: string[];
  references: WorkflowReference[];
  /** The node types (with versions) it uses, draft and published version alike. */
  nodeTypes?: NodeTypeUse[];
  /** Those of the version a restore publishes (`type@typeVersion`): the published one, else the draft. */
  publishedNodeTypes?: string[];
  /** Published on the source. */
  active?: boolean;
  archived?: boolean;
  /** The production webhooks of the version a restore publishes (`POST orders`), where it has any. */
  webhooks?: string[];
}

export interface TargetWorkflow {
  id: string;
  name: string;
  projectId: string | undefined;
  archived: boolean;
  active: boolean;
  /** The production webhooks its published version holds (`POST orders`), where it has any. */
  webhooks?: string[];
}

export function summarize(workflow: Workflow): WorkflowSummary {
  const webhooks = webhookRoutes(publishedNodes(workflow)).map(routeKey);
  return {
    id: workflow.id,
    name: workflow.name,
    projectId: owningProjectId(workflow),
    folderId: workflow.parentFolderId,
    tagIds: (workflow.tags ?? []).map((t) => t.id),
    tagNames: (workflow.tags ?? []).map((t) => t.name),
    references: findWorkflowReferences(workflow),
    nodeTypes: nodeTypesOf(workflow),
    publishedNodeTypes: nodeTypesOf({ nodes: publishedNodes(workflow) }).map(nodeTypeKey),
    ...(workflow.active === true ? { active: true } : {}),
    ...(workflow.isArchived === true ? { archived: true } : {}),
    ...(webhooks.length > 0 ? { webhooks } : {}),
  };
}

/** The nodes a workflow runs once published: its published version's where it is published, else its own. */
export function publishedNodes(workflow: Workflow): Workflow['nodes'] {
  const published = (workflow.activeVersion as { nodes?: unknown } | null | undefined)?.nodes;
  return workflow.active && Array.isArray(published) ? (published as Workflow['nodes']) : workflow.nodes;
}

/** The target's workflows, streamed and reduced (never 10,000 bodies held at once). */
export async function readTargetWorkflows(read: TargetRead): Promise<TargetWorkflow[]> {
  const workflows: TargetWorkflow[] = [];
  for await (const workflow of read.api.listWorkflows({ excludePinnedData: true })) {
    const active = workflow.active === true;
    const webhooks = active ? webhookRoutes(publishedNodes(workflow)).map(routeKey) : [];
    workflows.push({
      id: workflow.id,
      name: workflow.name,
      projectId: owningProjectId(workflow),
      archived: workflow.isArchived === true,
      active,
      ...(webhooks.length > 0 ? { webhooks } : {}),
    });
  }
  return workflows;
}

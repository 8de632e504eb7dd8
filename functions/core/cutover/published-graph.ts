/**
 * What a published workflow runs, as the cutover compares it across the two instances: the digest
 * of its published version's canonical graph (nodes by name, connections), in the source's ids (a
 * target's references mapped back through the id maps); its production webhooks; whether it holds a
 * trigger of its own (anything but a sub-workflow's Execute Workflow Trigger).
 */
import { digestOf } from '../json.js';
import { canonicalGraph } from '../kinds/workflows/canonical.js';
import { publishedNodes } from '../kinds/workflows/summary.js';
import { webhookRoutes } from '../kinds/workflows/webhooks.js';
import type { Workflow } from '../n8n-types.js';
import {
  findWorkflowReferences,
  type IdMaps,
  rewriteWorkflowReferences,
} from '../references/workflow-references.js';
import type { IdMapsRecord } from './types.js';

const SUB_WORKFLOW_TRIGGER = 'n8n-nodes-base.executeWorkflowTrigger';

/** The published version of an active workflow, in the ids `inverse` maps to (none: its own). */
export function publishedGraph(workflow: Workflow, inverse?: IdMaps): string {
  const version = workflow.activeVersion as { connections?: unknown } | null | undefined;
  const view: Workflow = {
    ...workflow,
    nodes: publishedNodes(workflow),
    connections: (version?.connections ?? workflow.connections) as Workflow['connections'],
  };
  const mapped = inverse ? rewriteWorkflowReferences(view, inverse).workflow : view;
  return digestOf(canonicalGraph(mapped));
}

/** Its production webhooks as `POST webhook/orders/new` (the URL path below the host). */
export function publishedWebhooks(workflow: Workflow): string[] {
  return [
    ...new Set(
      webhookRoutes(publishedNodes(workflow)).map((r) => `${r.method} ${r.endpoint}/${r.requestPath}`),
    ),
  ];
}

/** The workflows its published version calls (sub-workflows, workflow tools), by id. */
export function publishedCalls(workflow: Workflow): string[] {
  const view: Workflow = { ...workflow, nodes: publishedNodes(workflow) };
  const calls = findWorkflowReferences(view).filter((r) => r.kind === 'workflow' && r.id !== '');
  return [...new Set(calls.map((r) => r.id))];
}

export function holdsOwnTrigger(workflow: Workflow): boolean {
  return publishedNodes(workflow).some(
    (node) =>
      node.disabled !== true &&
      node.type !== SUB_WORKFLOW_TRIGGER &&
      (/trigger$/i.test(node.type) ||
        node.type === 'n8n-nodes-base.webhook' ||
        node.type.endsWith('.formTrigger')),
  );
}

/** Target id → source id, from the id maps (source id → target id) the delta's restore recorded. */
export function inverseOf(maps: IdMapsRecord): IdMaps {
  const invert = (map: Record<string, string>) => new Map(Object.entries(map).map(([s, t]) => [t, s]));
  return {
    workflows: invert(maps.workflows),
    credentials: invert(maps.credentials),
    dataTables: invert(maps.dataTables),
  };
}

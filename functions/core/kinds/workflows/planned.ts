/**
 * The restored workflows as the steps see them. Bodies are streamed from the archive (never held);
 * what later steps need of each (tags, archived, active, calls) is kept as small facts the first
 * time a body is read, so tagging, archiving and activation read workflows.ndjson no more.
 */

import { digestOf } from '../../json.js';
import type { Workflow } from '../../n8n-types.js';
import { findWorkflowReferences, type IdMaps } from '../../references/workflow-references.js';
import type { ApplyContext, PlanAction, PlanEntry } from '../kind.js';
import { canonicalGraph, writableSettings } from './canonical.js';
import { WORKFLOWS_ENTRY } from './entry-names.js';
import { type PublishedRun, type WorkflowFacts, workflowsMemo } from './memo.js';
import { publishedDiffersFromDraft, publishedView } from './published.js';
import { routeKey, webhookRoutes } from './webhooks.js';

export function idMaps(ctx: ApplyContext): IdMaps {
  return {
    workflows: ctx.ledger.idMap('workflows'),
    credentials: ctx.ledger.idMap('credentials'),
    dataTables: ctx.ledger.idMap('dataTables'),
  };
}

export function factsOf(workflow: Workflow): WorkflowFacts {
  const archived = workflow.isArchived === true;
  const active = workflow.active === true;
  const published = publishedView(workflow);
  return {
    tagIds: (workflow.tags ?? []).map((t) => t.id),
    archived,
    active,
    calls: findWorkflowReferences(published)
      .filter((r) => r.kind === 'workflow' && r.id !== workflow.id)
      .map((r) => r.id),
    ...(publishedDiffersFromDraft(workflow) ? { publishedDiffers: true } : {}),
    ...(active && !archived ? { runs: publishedRun(published) } : {}),
  };
}

/** What a published workflow runs, in the ids it carries (closing.ts maps the target's back to them). */
export function publishedRun(published: Workflow): PublishedRun {
  return {
    graph: digestOf(canonicalGraph(published)),
    settings: writableSettings(published.settings),
    webhooks: webhookRoutes(published.nodes).map(routeKey),
  };
}

/**
 * Entries of these actions; `earlier`: also those a finished run of this restore wrote (a later
 * round), and those the target holds unpublished that this run publishes.
 */
function plannedEntries(
  ctx: ApplyContext,
  actions: readonly PlanAction[],
  earlier: boolean,
): Map<string, PlanEntry> {
  return new Map(
    ctx
      .entries('workflows')
      .filter(
        (e) =>
          actions.includes(e.action) ||
          (earlier && (e.restoredEarlier === true || e.publishWaiting === true)),
      )
      .map((e) => [e.sourceId, e]),
  );
}

/** Source workflows the plan writes, streamed from the archive with their entries (one read). */
export async function* plannedWorkflows(
  ctx: ApplyContext,
  actions: readonly PlanAction[],
  { earlier = false }: { earlier?: boolean } = {},
): AsyncGenerator<{ workflow: Workflow; entry: PlanEntry }> {
  const entries = plannedEntries(ctx, actions, earlier);
  if (entries.size === 0 || ctx.deps.archive.entriesOf('workflows').length === 0) return;
  for await (const workflow of ctx.deps.archive.records<Workflow>(WORKFLOWS_ENTRY)) {
    const entry = entries.get(workflow.id);
    if (!entry) continue;
    const { workflowFacts } = workflowsMemo(ctx);
    if (!workflowFacts.has(workflow.id)) workflowFacts.set(workflow.id, factsOf(workflow));
    if (!ctx.hasFailed(entry)) yield { workflow, entry };
  }
}

/**
 * The written workflows with their facts, in archive order, and those an earlier round wrote. A
 * run that resumes after the last body-reading step has no facts yet: it reads the archive once.
 */
export async function restoredWorkflowFacts(
  ctx: ApplyContext,
): Promise<{ entry: PlanEntry; facts: WorkflowFacts }[]> {
  const entries = [...plannedEntries(ctx, ['create', 'update'], true).values()];
  const { workflowFacts } = workflowsMemo(ctx);
  if (entries.some((e) => !workflowFacts.has(e.sourceId))) {
    for await (const _ of plannedWorkflows(ctx, ['create', 'update'], { earlier: true }));
  }
  return entries.flatMap((entry) => {
    const facts = workflowFacts.get(entry.sourceId);
    return facts && !ctx.hasFailed(entry) ? [{ entry, facts }] : [];
  });
}

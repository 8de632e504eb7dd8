/**
 * Planning workflows: a workflow is its name in the project it lands in; keeping ids, a target
 * workflow with the archive's id is that workflow whatever its name. Under overwrite, a match whose
 * content is already the archive's (compared by names, not ids) is skipped, not rewritten.
 */

import { emptyInstanceNames, folderPaths, type InstanceNames, projectKey } from '../../instance/identity.js';
import { digestOf } from '../../json.js';
import type { JsonObject, Project, Workflow } from '../../n8n-types.js';
import type { PlanContext, PlanEntry } from '../kind.js';
import { decideConflict, renamedName } from '../shared/conflict-policy.js';
import { TargetMatcher } from '../shared/matching.js';
import { WorkflowCanonicalizer } from './canonical.js';
import { WORKFLOWS_ENTRY } from './entry-names.js';
import { notRunningOnTarget } from './errors.js';
import { publishedView } from './published.js';
import type { TargetWorkflow, WorkflowSummary } from './summary.js';

/** The natural key: `<place> / <name>`. */
export function workflowKey(place: string, name: string): string {
  return `${place} / ${name}`;
}

export async function planWorkflows(ctx: PlanContext): Promise<void> {
  const workflows = ctx.source.workflows.filter(
    (w) => ctx.isSelected('workflows', w.id) || ctx.isMatchable('workflows'),
  );
  const matcher = new TargetMatcher(ctx.target.workflows, (t) =>
    ctx.targetPlaces(t.projectId).map((place) => workflowKey(place, t.name)),
  );
  const takenNames = new Set(ctx.target.workflows.map((w) => w.name));
  const keepIds = ctx.options.workflowWrite?.keepWorkflowIds === true;
  const byId = new Map(keepIds ? ctx.target.workflows.map((t) => [t.id, t]) : []);
  /** Target workflows that carry an archive workflow's id belong to that workflow, not to a namesake. */
  const reserved = new Set(workflows.filter((w) => byId.has(w.id)).map((w) => w.id));
  /** source id → target id, for overwrite's identical check */
  const compare = new Map<string, string>();
  /** source id → target id of skipped workflows the target holds unpublished, while they ran on the source */
  const unpublished = new Map<string, string>();
  const again = writeAgain(ctx, matcher);
  for (const workflow of workflows) {
    if (again.has(workflow.id)) continue;
    const sameId = byId.get(workflow.id);
    const existing =
      sameId && !matcher.isClaimed(sameId.id)
        ? sameId
        : matcher.find(
            workflowKey(ctx.sourcePlace(workflow.projectId), workflow.name),
            (t) => !reserved.has(t.id),
          );
    const entry = planOne(ctx, workflow, existing, existing !== undefined && existing === sameId, takenNames);
    if (existing) matcher.claim(existing);
    if (entry?.action === 'update') compare.set(workflow.id, existing?.id ?? '');
    if (entry?.action === 'skip' && existing && waitsForPublishing(ctx, workflow, existing))
      unpublished.set(workflow.id, existing.id);
  }
  if (compare.size > 0 || unpublished.size > 0) await compareWithTarget(ctx, compare, unpublished);
}

/**
 * A later round: what an earlier run wrote and the target holds but does not run as written (the
 * closing check found it unpublished, or a webhook of it not registered) is written again over that
 * very workflow, and published.
 */
function writeAgain(ctx: PlanContext, matcher: TargetMatcher<TargetWorkflow>): Set<string> {
  const rewrite = ctx.options.earlier?.rewrite?.get('workflows');
  const done = new Set<string>();
  if (!rewrite) return done;
  const targets = new Map(ctx.target.workflows.map((t) => [t.id, t]));
  for (const workflow of ctx.source.workflows) {
    const target = targets.get(rewrite.get(workflow.id) ?? '');
    if (!target) continue;
    matcher.claim(target);
    done.add(workflow.id);
    ctx.add({
      resource: 'workflows',
      sourceId: workflow.id,
      name: workflow.name,
      ...(workflow.projectId ? { sourceProjectId: workflow.projectId } : {}),
      action: 'update',
      targetId: target.id,
      reason:
        'restored by an earlier run of this restore, which the target no longer runs as written: written again',
      ...(target.name !== workflow.name ? { renameTo: target.name } : {}),
      targetArchived: target.archived,
      targetActive: target.active,
    });
  }
  return done;
}

/** It ran on the source, and the target's counterpart is not published (nor archived) there. */
function waitsForPublishing(ctx: PlanContext, workflow: WorkflowSummary, existing: TargetWorkflow): boolean {
  return (
    workflow.active === true &&
    workflow.archived !== true &&
    !existing.active &&
    !existing.archived &&
    ctx.options.workflowWrite?.activate !== false
  );
}

function planOne(
  ctx: PlanContext,
  workflow: WorkflowSummary,
  existing: TargetWorkflow | undefined,
  sameId: boolean,
  takenNames: Set<string>,
): PlanEntry | undefined {
  const selected = ctx.isSelected('workflows', workflow.id);
  const base = {
    resource: 'workflows' as const,
    sourceId: workflow.id,
    name: workflow.name,
    ...(workflow.projectId ? { sourceProjectId: workflow.projectId } : {}),
    ...ctx.pulledInBy('workflows', workflow.id),
  };
  if (!existing)
    return selected ? add(ctx, { ...base, action: 'create', reason: 'not in the target' }) : undefined;
  if (!selected)
    return add(ctx, {
      ...base,
      action: 'skip',
      targetId: existing.id,
      reason: 'not selected; matched by name',
    });
  const policy = ctx.conflictPolicy('workflows', workflow.id);
  if (policy === 'rename' && sameId)
    return add(ctx, {
      ...base,
      action: 'conflict',
      targetId: existing.id,
      reason: `its id ${workflow.id} is taken in the target (by "${existing.name}"), and a renamed copy could not keep it; use --on-conflict skip or overwrite`,
    });
  const why = sameId
    ? `the target has this workflow already (same id${existing.name === workflow.name ? '' : `, named "${existing.name}" there`})`
    : 'a workflow of that name exists in its project';
  if (base.pulledInBy)
    return add(ctx, {
      ...base,
      action: 'skip',
      targetId: existing.id,
      reason: `${why}; kept as it is: a workflow pulled in is only created when missing (select it too to overwrite it)`,
    });
  return add(
    ctx,
    decideConflict(policy, base, {
      targetId: existing.id,
      why,
      rename: () => {
        const renamed = renamedName(workflow.name, (n) => takenNames.has(n));
        takenNames.add(renamed);
        return renamed;
      },
      extra: { targetArchived: existing.archived, targetActive: existing.active },
    }),
  );
}

function add(ctx: PlanContext, entry: PlanEntry): PlanEntry {
  ctx.add(entry);
  return entry;
}

/**
 * One more read of workflows.ndjson, for what only the bodies tell. Under overwrite, a workflow
 * identical to its match is skipped. A skipped workflow that ran on the source and that the target
 * holds unpublished is published if what the target holds is what ran (an earlier restore wrote it
 * and could not publish it); otherwise it is kept as it is, and a warning says it does not run.
 */
async function compareWithTarget(
  ctx: PlanContext,
  compare: Map<string, string>,
  unpublished: Map<string, string>,
): Promise<void> {
  const sourceCanonical = new WorkflowCanonicalizer(sourceNamesAsTarget(ctx));
  const targetCanonical = new WorkflowCanonicalizer(targetNames(ctx));
  const tagsById = new Map(ctx.source.tags.map((t) => [t.id, t.name]));
  const sourceDigests = new Map<string, string>();
  for await (const workflow of ctx.archive.records<Workflow>(WORKFLOWS_ENTRY)) {
    if (compare.has(workflow.id)) {
      const tags = (workflow.tags ?? []).map((t) => ({ id: t.id, name: tagsById.get(t.id) ?? t.name }));
      sourceDigests.set(workflow.id, digestOf(sourceCanonical.canonical({ ...workflow, tags })));
    } else if (unpublished.has(workflow.id))
      sourceDigests.set(workflow.id, digestOf(runs(sourceCanonical.canonical(publishedView(workflow)))));
  }
  const entries = new Map(ctx.entries('workflows').map((e) => [e.sourceId, e]));
  for (const [sourceId, targetId] of compare) {
    const current = await ctx.api.getWorkflow(targetId);
    if (digestOf(targetCanonical.canonical(current)) !== sourceDigests.get(sourceId)) continue;
    const entry = entries.get(sourceId);
    if (entry) {
      entry.action = 'skip';
      entry.reason = 'identical workflow exists';
    }
  }
  for (const [sourceId, targetId] of unpublished) {
    const entry = entries.get(sourceId);
    if (!entry) continue;
    const current = await ctx.api.getWorkflow(targetId);
    if (digestOf(runs(targetCanonical.canonical(current))) === sourceDigests.get(sourceId)) {
      entry.publishWaiting = true;
      entry.reason = `${entry.reason}; it holds the version that ran on the source, unpublished: published now`;
    } else ctx.warn(notRunningOnTarget(entry));
  }
}

/** What runs of a canonical workflow: its graph and settings. */
function runs(canonical: JsonObject): JsonObject {
  return {
    nodes: canonical.nodes ?? null,
    connections: canonical.connections ?? null,
    settings: canonical.settings ?? null,
  };
}

/** Source id → name tables, with projects named as the target will know them (after mapping). */
function sourceNamesAsTarget(ctx: PlanContext): InstanceNames {
  const names = emptyInstanceNames();
  for (const w of ctx.source.workflows) names.workflows.set(w.id, w.name);
  for (const c of ctx.source.credentials) names.credentials.set(c.id, c.name);
  for (const t of ctx.source.dataTables) names.dataTables.set(t.id, t.name);
  const targetProjects = new Map((ctx.target.projects ?? []).map((p) => [p.id, p]));
  for (const p of ctx.source.projects) {
    const scope = ctx.scopeOf(p.id);
    const mapped = scope.kind === 'existing' ? targetProjects.get(scope.id) : undefined;
    names.projects.set(p.id, mapped ? targetProjectKey(mapped) : projectKey(p, p.members));
  }
  names.folders = folderPaths(ctx.source.folders);
  return names;
}

function targetNames(ctx: PlanContext): InstanceNames {
  const names = emptyInstanceNames();
  for (const w of ctx.target.workflows) names.workflows.set(w.id, w.name);
  for (const c of ctx.target.credentials ?? []) names.credentials.set(c.id, c.name);
  for (const t of ctx.target.dataTables ?? []) names.dataTables.set(t.id, t.name);
  for (const p of ctx.target.projects ?? []) names.projects.set(p.id, targetProjectKey(p));
  names.folders = folderPaths(ctx.target.folders ?? []);
  return names;
}

/** A target project's natural key: a personal one is its owner's, where its members told who that is. */
function targetProjectKey(project: Project & { owner?: string }): string {
  if (project.type === 'personal' && project.owner) return `personal:${project.owner}`;
  return projectKey(project, undefined);
}

/**
 * The switch: publish on the target what ran on the source, sub-workflows first (the reverse of the
 * freeze's order), each publish saved in the journal as n8n answers it, so a rollback knows what to
 * unpublish. The source was frozen before: the two never run a trigger at once. Then the check of
 * what runs (what-runs.ts); the switch is done only when the target runs what the source ran.
 */
import { toWorkflowWrite } from '../kinds/workflows/write-body.js';
import type { WorkflowNode } from '../n8n-types.js';
import { rewriteWorkflowReferences } from '../references/workflow-references.js';
import { republishedOnSource, switchNotRunning } from './errors.js';
import type { CutoverJournal } from './journal.js';
import type { CutoverDeps, FrozenWorkflow } from './types.js';
import { whatRuns } from './what-runs.js';

export async function switchOver(deps: CutoverDeps, journal: CutoverJournal): Promise<string> {
  const frozen = calleesFirst(journal.state.frozen ?? []);
  const published = new Set(journal.state.published.map((p) => p.sourceId));
  await refuseRepublished(deps, frozen);
  for (const workflow of frozen) {
    if (published.has(workflow.id)) continue;
    const targetId = journal.targetId(workflow.id);
    if (workflow.draftDiffers) await publishWhatRan(deps, journal, workflow, targetId);
    else await deps.target.publishWorkflow(targetId);
    await journal.update((state) => {
      state.published.push({
        sourceId: workflow.id,
        targetId,
        name: workflow.name,
        publishedAt: deps.clock.now().toISOString(),
      });
    });
  }
  const findings = await whatRuns(deps, journal);
  if (findings.length > 0) throw switchNotRunning(findings);
  return `published ${frozen.length} workflow(s) on the target; each runs what ran on the source`;
}

/**
 * The frozen workflows in publishing order: each after the workflows it calls (n8n refuses to
 * publish a caller of an unpublished sub-workflow), else those without a trigger of their own first.
 */
export function calleesFirst(frozen: readonly FrozenWorkflow[]): FrozenWorkflow[] {
  const byId = new Map(frozen.map((w) => [w.id, w]));
  const ordered: FrozenWorkflow[] = [];
  const placed = new Set<string>();
  const place = (workflow: FrozenWorkflow, path: Set<string>) => {
    if (placed.has(workflow.id) || path.has(workflow.id)) return;
    path.add(workflow.id);
    for (const id of workflow.calls ?? []) {
      const callee = byId.get(id);
      if (callee) place(callee, path);
    }
    placed.add(workflow.id);
    ordered.push(workflow);
  };
  for (const workflow of [...frozen].reverse()) place(workflow, new Set());
  return ordered;
}

/** The guard: a workflow published again on the source meanwhile would run on both; refused before any publish. */
async function refuseRepublished(deps: CutoverDeps, frozen: readonly FrozenWorkflow[]): Promise<void> {
  const running: string[] = [];
  for (const workflow of frozen)
    if ((await deps.source.getWorkflow(workflow.id)).active === true) running.push(workflow.name);
  if (running.length > 0) throw republishedOnSource(running);
}

/**
 * A workflow whose draft on the source was ahead of what ran: the target holds that draft (the
 * delta's archive is of the frozen source, which runs nothing). What ran is written and published,
 * then the draft saved again over it without publishing (`publishIfActive=false`), as a restore does.
 */
async function publishWhatRan(
  deps: CutoverDeps,
  journal: CutoverJournal,
  workflow: FrozenWorkflow,
  targetId: string,
): Promise<void> {
  const ran = await deps.source.getWorkflowVersion(workflow.id, workflow.versionId);
  const current = await deps.target.getWorkflow(targetId);
  const maps = journal.state.idMaps;
  const toTarget = {
    workflows: new Map(Object.entries(maps?.workflows ?? {})),
    credentials: new Map(Object.entries(maps?.credentials ?? {})),
    dataTables: new Map(Object.entries(maps?.dataTables ?? {})),
  };
  const graph = rewriteWorkflowReferences(
    { ...current, nodes: ran.nodes as WorkflowNode[], connections: ran.connections },
    toTarget,
  ).workflow;
  await deps.target.updateWorkflow(targetId, toWorkflowWrite(graph).body);
  await deps.target.publishWorkflow(targetId);
  await deps.target.updateWorkflow(targetId, toWorkflowWrite(current).body, { publishIfActive: false });
}

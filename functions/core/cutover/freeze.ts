/**
 * Freeze the source: every published workflow unpublished, those with a trigger of their own first
 * (a sub-workflow stays published while a caller may still run). The list, with the version each
 * one ran, is written to the journal before the first unpublish, and each unpublish is saved as n8n
 * answers it, so a crash anywhere leaves a journal that says what to publish again. Then it waits,
 * bounded, until the source runs no execution of them (when the key may list executions).
 */
import { MissingScopeError } from '../errors.js';
import type { Workflow } from '../n8n-types.js';
import { stillRunning } from './errors.js';
import type { CutoverJournal } from './journal.js';
import { isRunning } from './preflight.js';
import { holdsOwnTrigger, publishedCalls, publishedGraph, publishedWebhooks } from './published-graph.js';
import type { CutoverDeps, CutoverOptions, FrozenWorkflow } from './types.js';

export const DEFAULT_DRAIN_MS = 60_000;
const DRAIN_POLL_MS = 1000;

export async function freeze(
  deps: CutoverDeps,
  options: CutoverOptions,
  journal: CutoverJournal,
): Promise<string> {
  if (!journal.state.frozen) {
    const frozen = await toFreeze(deps);
    await journal.update((state) => {
      state.frozen = frozen;
    });
  }
  const frozen = journal.state.frozen ?? [];
  for (const workflow of frozen) {
    if (workflow.unpublishedAt) continue;
    await deps.source.unpublishWorkflow(workflow.id);
    await journal.update(() => {
      workflow.unpublishedAt = deps.clock.now().toISOString();
    });
  }
  const drained = await drain(deps, new Set(frozen.map((w) => w.id)), options.drainMs ?? DEFAULT_DRAIN_MS);
  await journal.update((state) => {
    state.drained = drained;
  });
  const waited = drained.checked
    ? `waited ${drained.waitedMs} ms for running executions`
    : 'running executions not checked';
  return `unpublished ${frozen.length} workflow(s) on the source; ${waited}`;
}

async function toFreeze(deps: CutoverDeps): Promise<FrozenWorkflow[]> {
  const found: FrozenWorkflow[] = [];
  for await (const listed of deps.source.listWorkflows({ excludePinnedData: true })) {
    if (!isRunning(listed)) continue;
    const workflow = listed.activeVersion ? listed : await deps.source.getWorkflow(listed.id);
    found.push(frozenOf(workflow));
  }
  return found.sort((a, b) => Number(b.triggers) - Number(a.triggers));
}

function frozenOf(workflow: Workflow): FrozenWorkflow {
  const versionId = String(workflow.activeVersionId ?? workflow.versionId);
  return {
    id: workflow.id,
    name: workflow.name,
    versionId,
    draftDiffers: workflow.versionId !== undefined && workflow.versionId !== versionId,
    triggers: holdsOwnTrigger(workflow),
    graph: publishedGraph(workflow),
    calls: publishedCalls(workflow),
    webhooks: publishedWebhooks(workflow),
  };
}

/** Polls GET /executions?status=running until none of `ids` runs, or `limitMs` has passed. */
async function drain(
  deps: CutoverDeps,
  ids: ReadonlySet<string>,
  limitMs: number,
): Promise<{ waitedMs: number; checked: boolean }> {
  const pause = deps.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = deps.clock.now().getTime();
  for (;;) {
    let running: string[];
    try {
      running = (await deps.source.runningExecutions()).filter((e) => ids.has(e.workflowId)).map((e) => e.id);
    } catch (error) {
      if (error instanceof MissingScopeError) return { waitedMs: 0, checked: false };
      throw error;
    }
    const waitedMs = deps.clock.now().getTime() - started;
    if (running.length === 0) return { waitedMs, checked: true };
    if (waitedMs >= limitMs) throw stillRunning(running, waitedMs);
    await pause(DRAIN_POLL_MS);
  }
}

/**
 * The way back, from the journal, after a cutover or a crash at any step: on the target, every
 * workflow the cutover froze on the source and may have published there is unpublished (those with
 * a trigger of their own first); then on the source each one is published again at exactly the
 * version that ran (the journal's versionId; a draft saved since is left the draft), sub-workflows
 * first. Workflows are asked, not trusted to the journal: a crash between an answer and its save
 * leaves nothing behind. What the copy wrote on the target stays there, unpublished.
 */
import { NotFoundError } from '../errors.js';
import { nothingToRollBack, rollbackIncomplete } from './errors.js';
import { CutoverJournal } from './journal.js';
import type { CutoverDeps, FrozenWorkflow } from './types.js';

export interface RollbackResult {
  unpublishedOnTarget: string[];
  republishedOnSource: string[];
  ms: number;
}

export async function runRollback(deps: CutoverDeps): Promise<RollbackResult> {
  const started = deps.clock.now().getTime();
  const pair = { source: deps.source.baseUrl, target: deps.target.baseUrl };
  const lock =
    deps.lockOwner && deps.journalStore.lock ? await deps.journalStore.lock(deps.lockOwner) : undefined;
  try {
    const journal = await CutoverJournal.load(deps.journalStore, deps.clock, pair);
    if (!journal) throw nothingToRollBack(deps.journalStore.description);
    return await rollBack(deps, journal, started);
  } finally {
    await lock?.release();
  }
}

async function rollBack(
  deps: CutoverDeps,
  journal: CutoverJournal,
  started: number,
): Promise<RollbackResult> {
  const frozen = journal.state.frozen ?? [];
  const unpublishedOnTarget = await unpublishOnTarget(deps, journal, frozen);
  const republishedOnSource: string[] = [];
  for (const workflow of [...frozen].reverse())
    if (await republish(deps, workflow)) republishedOnSource.push(workflow.name);
  const findings = await stillDiffering(deps, journal, frozen);
  if (findings.length > 0) throw rollbackIncomplete(findings);
  await journal.update((state) => {
    state.rolledBackAt = deps.clock.now().toISOString();
  });
  return { unpublishedOnTarget, republishedOnSource, ms: deps.clock.now().getTime() - started };
}

/** Only ids the delta mapped, or that the journal saw published, can be the cutover's on the target. */
function targetIds(journal: CutoverJournal, workflow: FrozenWorkflow): string | undefined {
  const published = journal.state.published.find((p) => p.sourceId === workflow.id);
  if (published) return published.targetId;
  return journal.state.idMaps ? journal.targetId(workflow.id) : undefined;
}

async function unpublishOnTarget(
  deps: CutoverDeps,
  journal: CutoverJournal,
  frozen: readonly FrozenWorkflow[],
): Promise<string[]> {
  const done: string[] = [];
  for (const workflow of frozen) {
    const targetId = targetIds(journal, workflow);
    if (targetId === undefined) continue;
    const onTarget = await readOrNone(deps.target, targetId);
    if (onTarget?.active !== true) continue;
    await deps.target.unpublishWorkflow(targetId);
    done.push(workflow.name);
  }
  return done;
}

async function republish(deps: CutoverDeps, workflow: FrozenWorkflow): Promise<boolean> {
  const onSource = await deps.source.getWorkflow(workflow.id);
  if (onSource.active === true && onSource.activeVersionId === workflow.versionId) return false;
  await deps.source.publishWorkflow(workflow.id, { versionId: workflow.versionId });
  return true;
}

async function stillDiffering(
  deps: CutoverDeps,
  journal: CutoverJournal,
  frozen: readonly FrozenWorkflow[],
): Promise<string[]> {
  const findings: string[] = [];
  for (const workflow of frozen) {
    const onSource = await deps.source.getWorkflow(workflow.id);
    if (onSource.active !== true || onSource.activeVersionId !== workflow.versionId)
      findings.push(`workflow "${workflow.name}" does not run version ${workflow.versionId} on the source`);
    const targetId = targetIds(journal, workflow);
    const onTarget = targetId === undefined ? undefined : await readOrNone(deps.target, targetId);
    if (onTarget?.active === true)
      findings.push(`workflow "${workflow.name}" is still published on the target`);
  }
  return findings;
}

async function readOrNone(api: CutoverDeps['target'], id: string) {
  try {
    return await api.getWorkflow(id);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

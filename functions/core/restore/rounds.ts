/**
 * Rounds of one restore. A finished restore run again with the same options writes nothing. Run
 * with other options (another selection, another conflict policy, activation after a run that did
 * not activate), or once secrets for the stubs it created are known, it plans again against the
 * target and applies what the new plan needs, keeping what its earlier runs wrote: those objects are
 * recognised by the ledger's ids, not by name, so a renamed copy is never made a second time.
 */
import { stableStringify } from '../json.js';
import { EVERY_KIND, type RestoreResource } from '../kinds/index.js';

export type { Round } from './ledger-state.js';

import type { RoundReason } from '../kinds/kind.js';
import { createApplyContext } from './apply.js';
import { closingCheck, type MissingObject } from './closing-check.js';
import type { RestoreLedger, Round } from './ledger.js';
import type { TargetState } from './plan-state.js';
import type { EarlierRestore, PlanEntry, RestoreDeps, RestoreOptions } from './types.js';

export function roundOf({
  conflicts = {},
  selection = {},
  placement = {},
  workflowWrite = {},
}: RestoreOptions): Round {
  return {
    options: {
      onConflict: conflicts.onConflict ?? 'skip',
      // Recorded only when not the default, so ledgers written before the option keep their round.
      ...(conflicts.dataTableRows && conflicts.dataTableRows !== 'skip'
        ? { dataTableRows: conflicts.dataTableRows }
        : {}),
      ...(selection.only ? { only: [...selection.only].sort() } : {}),
      ...(placement.projectMap
        ? { projectMap: Object.fromEntries([...placement.projectMap].sort(([a], [b]) => a.localeCompare(b))) }
        : {}),
      ...(selection.project !== undefined ? { project: selection.project } : {}),
      ...(selection.tag !== undefined ? { tag: selection.tag } : {}),
      ...(selection.workflow !== undefined ? { workflow: selection.workflow } : {}),
      keepWorkflowIds: workflowWrite.keepWorkflowIds === true,
      activate: workflowWrite.activate !== false,
    },
  };
}

export function sameRound(a: Round, b: Round): boolean {
  return stableStringify(a.options) === stableStringify(b.options);
}

/** The options as a person reads them in a message: `onConflict=skip, workflow="A*", activate=false`. */
export function describeRound(round: Round): string {
  return Object.entries(round.options)
    .map(
      ([key, value]) =>
        `${key}=${typeof value === 'string' ? JSON.stringify(value) : stableStringify(value)}`,
    )
    .join(', ');
}

/** What a finished restore's runs wrote: its creates and overwrites, and what earlier rounds carried. */
export function earlierOf(ledger: RestoreLedger): EarlierRestore {
  const written = new Map<RestoreResource, Map<string, string>>();
  for (const entry of ledger.state.plan.entries) {
    if (entry.action !== 'create' && entry.action !== 'update' && !entry.restoredEarlier) continue;
    const id = ledger.targetId(entry.resource, entry.sourceId);
    if (!id) continue;
    const ids = written.get(entry.resource) ?? new Map<string, string>();
    ids.set(entry.sourceId, id);
    written.set(entry.resource, ids);
  }
  const activate = ledger.state.round?.options.activate;
  return { written, activated: activate !== false };
}

/**
 * Marks the new plan's entries for objects the earlier runs wrote and the target still holds: left
 * as they are. One the target lost keeps the new plan's decision (it is written again), and so do
 * one the target no longer runs as written (the kind plans it again, `rewrite`) and, when
 * `--on-conflict overwrite` is asked again, an overwrite of that very object (unless identical).
 */
export function carryOver(
  entries: (resource: RestoreResource) => readonly PlanEntry[],
  earlier: EarlierRestore,
  target: TargetState,
): void {
  for (const kind of EVERY_KIND) {
    if (!kind.restored) continue;
    const resource = kind.resource as RestoreResource;
    const written = earlier.written.get(resource);
    if (!written) continue;
    const present = targetIds(target, resource);
    for (const entry of entries(resource)) {
      const id = written.get(entry.sourceId);
      if (!id || !present.has(id)) continue;
      if (earlier.rewrite?.get(resource)?.has(entry.sourceId)) continue;
      if (earlier.overwrite && entry.action === 'update' && entry.targetId === id) continue;
      // What the plan said of the target's object (a rename, where it stood) no longer applies.
      delete entry.renameTo;
      for (const field of kind.detail?.ofTarget ?? [])
        delete (entry as unknown as Record<string, unknown>)[field];
      Object.assign(entry, {
        action: 'skip',
        targetId: id,
        reason: 'restored by an earlier run of this restore; left as it is',
        restoredEarlier: true,
      });
    }
  }
}

/** The ids the target holds of one resource. */
function targetIds(target: TargetState, resource: RestoreResource): Set<string> {
  const listed = (target as unknown as Record<string, readonly { id: string }[] | undefined>)[resource];
  return new Set((listed ?? []).map((object) => object.id));
}

/**
 * What a finished restore wrote that the target no longer holds, or no longer runs as written (a
 * workflow unpublished, a webhook of it not registered): the closing check again, one read of the
 * target, judged by the options that restore ran with.
 */
export async function lostSince(ledger: RestoreLedger, deps: RestoreDeps): Promise<MissingObject[]> {
  const activate = ledger.state.round?.options.activate !== false;
  const ctx = createApplyContext(ledger.state.plan, deps, { workflowWrite: { activate } }, ledger);
  const found = await closingCheck(ctx, ledger);
  return found.filter((object) => object.finding === 'missing' || object.finding === 'not-running');
}

/** Why a finished restore plans again when the target lost what it wrote: the objects, by name. */
export function lostReason(lost: readonly MissingObject[]): RoundReason {
  const named = lost
    .slice(0, 5)
    .map((object) => `${object.resource} "${object.name}": ${object.why}`)
    .join('; ');
  return {
    why: `the target no longer holds, or no longer runs, ${lost.length} object(s) it wrote (${named}${lost.length > 5 ? '; …' : ''})`,
    detail: `${lost.length} object(s) written again`,
    scopes: [],
  };
}

/** `--on-conflict overwrite` asked again of a finished restore: an explicit request, like a new selection. */
export const OVERWRITE_AGAIN: RoundReason = {
  why: '--on-conflict overwrite asks again to overwrite what differs from the archive',
  detail: 'what differs from the archive is overwritten',
  scopes: [],
};

/** Of what the target lost, what it still holds but does not run: resource → source id → target id. */
export function rewriteOf(
  ledger: RestoreLedger,
  lost: readonly MissingObject[],
): Map<RestoreResource, Map<string, string>> {
  const rewrite = new Map<RestoreResource, Map<string, string>>();
  for (const object of lost) {
    const targetId = ledger.targetId(object.resource, object.sourceId);
    if (object.finding !== 'not-running' || !targetId) continue;
    const ids = rewrite.get(object.resource) ?? new Map<string, string>();
    ids.set(object.sourceId, targetId);
    rewrite.set(object.resource, ids);
  }
  return rewrite;
}

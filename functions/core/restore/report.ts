/** What a restore run reports: counts per resource, the id map, warnings and notes. */
import { kindOf, RESTORE_RESOURCES } from '../kinds/index.js';
import { type Counts, isObjectFailure, type RestoreLedger, zeroCounts } from './ledger.js';
import type { PlanEntry, RestorePlan, RestoreReport } from './types.js';

function emptyIdMap(): RestoreReport['idMap'] {
  return Object.fromEntries(RESTORE_RESOURCES.map((r) => [r, {}])) as RestoreReport['idMap'];
}

export function reportOf(
  plan: RestorePlan,
  ledger: RestoreLedger,
  done: boolean,
  durationMs: number,
): RestoreReport {
  const state = ledger.state;
  return {
    archive: `${plan.archive.instance} ${plan.archive.startedAt}`,
    target: plan.target.url,
    done,
    complete: done && Object.values(state.failed).every((n) => n === 0),
    created: { ...state.created },
    updated: { ...state.updated },
    skipped: { ...state.skipped },
    failed: { ...state.failed },
    idMap: Object.fromEntries(
      RESTORE_RESOURCES.map((r) => [r, Object.fromEntries(ledger.idMap(r))]),
    ) as RestoreReport['idMap'],
    warnings: [...plan.warnings, ...state.warnings],
    notes: plan.notes,
    credentialsAwaitingSecrets: state.credentialsAwaitingSecrets,
    runs: state.runs,
    durationMs,
  };
}

/**
 * A finished restore run again writes nothing, and says so; what the plan could not do (its
 * conflicts) is still counted and named, so such a restore never reads as complete.
 */
export function finishedAgainReport(ledger: RestoreLedger, durationMs: number): RestoreReport {
  const report = reportOf(ledger.state.plan, ledger, true, durationMs);
  const failed = zeroCounts();
  for (const entry of ledger.state.plan.entries) if (entry.action === 'conflict') failed[entry.resource] += 1;
  return {
    ...report,
    complete: Object.values(failed).every((n) => n === 0),
    created: zeroCounts(),
    updated: zeroCounts(),
    skipped: zeroCounts(),
    failed,
    warnings: [
      {
        code: 'already-restored',
        message: `This restore finished earlier (ledger ${ledger.description}), and the target still holds and runs what it wrote (checked now); nothing was written. Run it with other options (another selection, activation) or with the secrets of its stubs to add what they need; move the ledger away to restore afresh.`,
      },
      ...ledger.state.warnings.filter((w) => w.code === 'conflict'),
    ],
    credentialsAwaitingSecrets: [],
  };
}

/** What a dry run reports: the plan's decisions as counts, ids of matches, and its warnings. */
export function planReport(plan: RestorePlan, durationMs: number): RestoreReport {
  const counts: Record<'created' | 'updated' | 'skipped' | 'failed', Counts> = {
    created: zeroCounts(),
    updated: zeroCounts(),
    skipped: zeroCounts(),
    failed: zeroCounts(),
  };
  const bucketOf = { create: 'created', update: 'updated', skip: 'skipped', conflict: 'failed' } as const;
  const idMap = emptyIdMap();
  for (const entry of plan.entries) {
    counts[entry.refusedBy ? 'failed' : bucketOf[entry.action]][entry.resource] += 1;
    if (entry.targetId && entry.action !== 'conflict') idMap[entry.resource][entry.sourceId] = entry.targetId;
    const also = kindOf(entry.resource).plannedCounts?.(entry);
    if (also) counts[also.bucket][also.resource] += also.count;
  }
  return {
    archive: `${plan.archive.instance} ${plan.archive.startedAt}`,
    target: plan.target.url,
    done: false,
    complete: false,
    ...counts,
    idMap,
    warnings: plan.warnings,
    notes: plan.notes,
    credentialsAwaitingSecrets: [],
    runs: 0,
    durationMs,
  };
}

/** Why a restore is not complete, naming the first objects missing: for the CLI's exit 6 and a failed execution. */
export function incompleteSummary(report: RestoreReport, limit = 5): string {
  const failed = Object.values(report.failed).reduce((a, b) => a + b, 0);
  const named = report.warnings
    .filter((w) => isObjectFailure(w) || w.code === 'conflict')
    .map((w) => w.message);
  const shown = named.slice(0, limit).join('; ');
  return `the restore is incomplete: ${failed} object(s) are not in the target as planned${shown ? ` (${shown}${named.length > limit ? '; …' : ''})` : ''}. Run it again to retry them; the ledger keeps what was done.`;
}

/**
 * A dry run over an existing ledger: what the same command would do now. A complete restore would
 * write nothing; an unfinished or incomplete one would write what is still pending (counted as
 * created/updated) and try again what failed (named).
 */
export function resumeReport(ledger: RestoreLedger, durationMs: number): RestoreReport {
  const plan = ledger.state.plan;
  if (ledger.finished) return { ...finishedAgainReport(ledger, durationMs), done: false };
  const pending = planReport(
    { ...plan, entries: plan.entries.filter((e) => isPending(ledger, e)) },
    durationMs,
  );
  const retried = ledger.failures.length;
  return {
    ...pending,
    idMap: reportOf(plan, ledger, false, durationMs).idMap,
    notes: [
      ...plan.notes,
      `This restore was started earlier (ledger ${ledger.description}, ${ledger.state.runs} run(s)); running it again continues it${
        retried > 0 ? ` and tries again ${retried} object(s) that failed` : ''
      }.`,
    ],
    warnings: [...plan.warnings, ...ledger.state.warnings.filter(isObjectFailure)],
  };
}

/** Written by the plan, and not yet in place: no target id recorded, or failed. */
function isPending(ledger: RestoreLedger, entry: PlanEntry): boolean {
  if (entry.action !== 'create' && entry.action !== 'update') return false;
  return (
    ledger.hasFailed(entry.resource, entry.sourceId) ||
    !ledger.targetId(entry.resource, entry.sourceId) ||
    entry.action === 'update'
  );
}

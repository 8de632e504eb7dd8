/**
 * A drill's report: the verdict and what it rests on (counts per kind, the closing check's failures,
 * the diff's differences), how long each part took and the recovery-time estimate it gives. Plain
 * data: the JSON file is this object, the HTML page is rendered from it (html.ts).
 */
import type { Manifest } from '../archive/format.js';
import type { DiffResult } from '../diff/index.js';
import { formatDifferences } from '../diff/index.js';
import { COUNTED_RESOURCES, type CountedResource } from '../kinds/index.js';
import { isObjectFailure } from '../restore/ledger-state.js';
import { incompleteSummary } from '../restore/report.js';
import type { RestoreReport } from '../restore/types.js';
import type { WipeCounts } from './scratch.js';
import { type StepTime, timePerKind } from './timing.js';

export const DRILL_REPORT_FORMAT = 'n8n-ark-drill-report';
/** At most this many differences and failures are written out (their totals are always given). */
const LISTED = 200;

export interface DrillKindCounts {
  resource: string;
  /** Objects the archive holds (its manifest's count). */
  inArchive: number;
  /**
   * What the scratch instance holds of it after the restore (the comparison's count; the restore's
   * created, updated and matched where the comparison could not run).
   */
  restored: number;
  failed: number;
}

export interface DrillReport {
  format: typeof DRILL_REPORT_FORMAT;
  formatVersion: 1;
  verdict: 'pass' | 'fail';
  /** Why the drill failed, one line each; empty when it passed. */
  reasons: string[];
  archive: { location: string; instance: string; backedUpAt: string; sourceUrl: string };
  target: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /**
   * Recovery-time estimate: archive verification, plan, restore, closing check and comparison as
   * measured here (the wipe left out), i.e. the time from an empty n8n to a checked one.
   */
  rtoEstimateMs: number;
  wiped?: WipeCounts;
  kinds: DrillKindCounts[];
  restore: { complete: boolean; runs: number; durationMs: number; warnings: number };
  failures: { total: number; listed: string[] };
  /**
   * `leftOut`: differences not counted because a restore cannot write them (personal projects and
   * project members follow users, whom n8n only invites by e-mail).
   */
  differences: { total: number; listed: string[]; leftOut: number };
  /** Resources the archive did not hold (skipped at backup), with why. */
  skippedAtBackup: { resource: string; reason: string }[];
  steps: StepTime[];
  perKind: { kind: string; ms: number }[];
}

export interface DrillFacts {
  location: string;
  manifest: Manifest;
  target: string;
  startedAt: Date;
  finishedAt: Date;
  /** The restore's report, or why it stopped with an error. */
  restore: { done: boolean; report: RestoreReport } | { done: true; error: string };
  /** `error`: the comparison could not run, and why. */
  diff: DiffResult & { error?: string };
  steps: readonly StepTime[];
  wiped?: WipeCounts;
}

export function buildDrillReport(facts: DrillFacts): DrillReport {
  const { diff, manifest } = facts;
  const restore = 'report' in facts.restore ? facts.restore.report : undefined;
  const failures = (restore?.warnings ?? [])
    .filter((w) => isObjectFailure(w) || w.code === 'conflict')
    .map((w) => w.message);
  const differenceLines = formatDifferences(diff);
  const reasons = reasonsOf(facts.restore, diff);
  const rtoSteps = facts.steps.filter((s) => s.step !== 'wipe scratch');
  return {
    format: DRILL_REPORT_FORMAT,
    formatVersion: 1,
    verdict: reasons.length === 0 ? 'pass' : 'fail',
    reasons,
    archive: {
      location: facts.location,
      instance: manifest.source.instance,
      backedUpAt: manifest.startedAt,
      sourceUrl: manifest.source.url,
    },
    target: facts.target,
    startedAt: facts.startedAt.toISOString(),
    finishedAt: facts.finishedAt.toISOString(),
    durationMs: facts.finishedAt.getTime() - facts.startedAt.getTime(),
    rtoEstimateMs: rtoSteps.reduce((sum, s) => sum + s.ms, 0),
    ...(facts.wiped ? { wiped: facts.wiped } : {}),
    kinds: COUNTED_RESOURCES.map((resource) => ({
      resource,
      inArchive: manifest.counts[resource] ?? 0,
      restored: held(diff, resource, restore),
      failed: restore ? restore.failed[resource] : 0,
    })),
    restore: {
      complete: restore?.complete ?? false,
      runs: restore?.runs ?? 0,
      durationMs: restore?.durationMs ?? 0,
      warnings: restore?.warnings.length ?? 0,
    },
    failures: { total: failures.length, listed: failures.slice(0, LISTED) },
    differences: {
      total: diff.differences.length,
      listed: differenceLines.slice(0, LISTED),
      leftOut: diff.leftOut ?? 0,
    },
    skippedAtBackup: [
      ...manifest.skipped.map((s) => ({ resource: s.resource, reason: s.reason })),
      ...(manifest.excluded ?? []).map((e) => ({ resource: e.resource, reason: `excluded by ${e.askedBy}` })),
    ],
    steps: [...facts.steps],
    perKind: timePerKind(facts.steps),
  };
}

/**
 * What the scratch holds of a kind: counted by the comparison, so a kind the scratch cannot hold
 * (unlicensed) or objects planned as skipped that never landed show as what they are.
 */
function held(
  diff: DrillFacts['diff'],
  resource: CountedResource,
  restore: RestoreReport | undefined,
): number {
  const counted = diff.error ? undefined : diff.compared[resource]?.b;
  if (counted !== undefined) return counted;
  return restore ? restore.created[resource] + restore.updated[resource] : 0;
}

/** Why a drill failed, one line each: the restore stopped or is incomplete, or the comparison found differences. */
function reasonsOf(outcome: DrillFacts['restore'], diff: DrillFacts['diff']): string[] {
  const restore = 'report' in outcome ? outcome.report : undefined;
  return [
    ...('error' in outcome ? [`the restore stopped: ${outcome.error}`] : []),
    ...(restore && !restore.done ? ['the restore did not reach its end'] : []),
    ...(restore?.done && !restore.complete ? [incompleteSummary(restore)] : []),
    ...(diff.error ? [`the comparison with the archive stopped: ${diff.error}`] : []),
    ...(diff.equal || diff.error
      ? []
      : [
          `the scratch instance differs from the archive in ${diff.differences.length} object(s) (see differences)`,
        ]),
  ];
}

/** `2026-11-29T20:00:00.000Z` → `2026-11-29T20-00-00-000Z`, as archive names write times. */
export function drillStamp(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

/** The suffixes of a drill's two report files beside its archive. */
export function reportSuffixes(at: Date): { html: string; json: string } {
  const stamp = drillStamp(at);
  return { html: `.drill-${stamp}.html`, json: `.drill-${stamp}.json` };
}

/**
 * A restore drill: prove that an archive restores. Into a scratch instance marked as a drill target
 * (scratch.ts), emptied first only when asked: restore the whole archive (verify, plan, apply,
 * closing check), compare the scratch instance with the archive as `n8n-ark diff` does, time every
 * part, and write the report (JSON and HTML) beside the archive. The CLI runs the three phases in
 * one go; the Lambda path runs the restore in slices between prepare and finish.
 */
import type { OpenedArchive } from '../archive/format.js';
import {
  archiveSnapshot,
  type Difference,
  type DiffResult,
  diffInstances,
  liveSnapshot,
} from '../diff/index.js';
import { messageOf } from '../kinds/shared/failure-policy.js';
import type {
  ArchiveAnnexStore,
  Clock,
  LedgerStore,
  Logger,
  N8nApi,
  N8nCapabilities,
  N8nScratchApi,
  Progress,
  SecretSource,
} from '../ports.js';
import { isObjectFailure } from '../restore/ledger-state.js';
import { runRestore } from '../restore/run.js';
import type { RestoreDeps, RestoreOptions, RestoreReport } from '../restore/types.js';
import { renderDrillHtml } from './html.js';
import { buildDrillReport, type DrillReport, reportSuffixes } from './report.js';
import {
  deleteFromScratch,
  inspectScratch,
  leaveOutMarker,
  refuseUnfitScratch,
  refuseWipeWithoutScopes,
  toWipe,
  type WipeCounts,
  wipeScratch,
} from './scratch.js';
import { type StepTime, StepTimer } from './timing.js';

export interface DrillDeps {
  archive: OpenedArchive;
  /** The archive's location in its store (the report goes beside it). */
  location: string;
  api: N8nScratchApi;
  capabilities?: N8nCapabilities;
  secrets?: SecretSource;
  reports: ArchiveAnnexStore;
  clock: Clock;
  logger: Logger;
  progress: Progress;
  /** Waits between tries of a delete n8n refuses while a workflow is still unpublishing. */
  pause?: (ms: number) => Promise<void>;
}

/** A drill restores for real, under the drill's own ledger: no dry run, no checkpoint policy. */
export type DrillRestoreOptions = Omit<RestoreOptions, 'run'> & {
  run?: Omit<NonNullable<RestoreOptions['run']>, 'dryRun' | 'checkpoint'>;
};

export interface DrillOutcome {
  report: DrillReport;
  /** Where the report was written: the HTML page and the JSON file. */
  files: { html: string; json: string };
}

/** The whole drill in one process (the CLI): prepare → restore → finish. */
export async function runDrill(
  deps: DrillDeps,
  options: { wipe: boolean; restore?: DrillRestoreOptions },
): Promise<DrillOutcome> {
  const startedAt = deps.clock.now();
  const { wiped, steps } = await prepareDrill(deps, options.wipe);
  const slice = await restoreSlice(deps, new FreshLedgerStore(), options.restore ?? {}, steps);
  return finishDrill(deps, {
    startedAt,
    restore: slice.outcome,
    steps: slice.steps,
    ...(wiped ? { wiped } : {}),
  });
}

/**
 * Refuses an unfit scratch instance (DrillRefusedError, nothing written); wipes it when asked, or
 * with `later` only says what the wipe will delete (the drill machine wipes in slices, wipeSlice).
 */
export async function prepareDrill(
  deps: Pick<DrillDeps, 'api' | 'capabilities' | 'clock' | 'progress' | 'logger' | 'pause'>,
  wipe: boolean,
  options: { later?: boolean } = {},
): Promise<{ wiped?: WipeCounts; steps: StepTime[] }> {
  const contents = await inspectScratch(deps.api);
  refuseUnfitScratch(deps.api.baseUrl, contents, wipe);
  const timer = new StepTimer(deps.clock, deps.progress);
  if (!wipe) return { steps: [] };
  if (deps.capabilities) await refuseWipeWithoutScopes(deps.capabilities);
  if (options.later) return { wiped: toWipe(contents), steps: [] };
  const wiped = await timer.time('wipe scratch', () => wipeScratch(deps.api, deps.pause));
  deps.logger.info('scratch instance wiped', { target: deps.api.baseUrl, ...wiped });
  return { wiped, steps: timer.steps() };
}

/**
 * One slice of a scratch's wipe: deletes until `endsAt`, then answers whether anything is left and
 * how much. A wipe that dies is run again and deletes what is left.
 */
export async function wipeSlice(
  deps: Pick<DrillDeps, 'api' | 'clock' | 'pause'>,
  endsAt: number,
): Promise<{ done: boolean; left: number }> {
  const stop = () => deps.clock.now().getTime() >= endsAt;
  const { done } = await deleteFromScratch(deps.api, deps.pause ?? (async () => {}), stop);
  if (done) return { done, left: 0 };
  const contents = await inspectScratch(deps.api);
  return { done: false, left: Object.values(toWipe(contents)).reduce((a, b) => a + b, 0) };
}

/** How a restore (slice) ended: its report, or why it stopped with an error. */
export type RestoreOutcome = { done: boolean; report: RestoreReport } | { done: true; error: string };

/**
 * Runs the restore (or one bounded slice of it, with `deadline`) with its steps timed, adding to
 * the steps timed before. A restore that stops with an error ends the drill as failed, not in a crash.
 */
export async function restoreSlice(
  deps: DrillDeps | (Omit<DrillDeps, 'reports' | 'location'> & { location?: string }),
  ledgerStore: LedgerStore,
  options: DrillRestoreOptions,
  earlier: readonly StepTime[],
  lockOwner?: RestoreDeps['lockOwner'],
): Promise<{ outcome: RestoreOutcome; steps: StepTime[] }> {
  const timer = new StepTimer(deps.clock, deps.progress, earlier);
  try {
    const run = await runRestore(
      {
        archive: deps.archive,
        api: deps.api,
        ledgerStore,
        ...(deps.capabilities ? { capabilities: deps.capabilities } : {}),
        ...(deps.secrets ? { secrets: deps.secrets } : {}),
        ...(lockOwner ? { lockOwner } : {}),
        clock: deps.clock,
        logger: deps.logger,
        progress: timer,
      },
      options,
    );
    return { outcome: { done: run.done, report: run.report }, steps: timer.steps() };
  } catch (error) {
    deps.logger.error('the drill restore stopped', { error: messageOf(error) });
    return { outcome: { done: true, error: messageOf(error) }, steps: timer.steps() };
  }
}

/**
 * A restore outcome small enough to travel between Step Functions states (256 KB): without the id
 * map, with at most `keep` warnings (object failures first; the counts stay whole).
 */
export function slimOutcome(outcome: RestoreOutcome, keep = 100): RestoreOutcome {
  if ('error' in outcome) return { done: true, error: outcome.error.slice(0, 2000) };
  const warnings = [...outcome.report.warnings].sort(
    (a, b) => Number(isObjectFailure(b)) - Number(isObjectFailure(a)),
  );
  return {
    done: outcome.done,
    report: {
      ...outcome.report,
      idMap: {} as RestoreReport['idMap'],
      warnings: warnings.slice(0, keep),
      notes: outcome.report.notes.slice(0, 20),
      credentialsAwaitingSecrets: outcome.report.credentialsAwaitingSecrets.slice(0, keep),
    },
  };
}

/**
 * Compares the scratch instance with the archive, builds the report and writes it beside the
 * archive; `compared`: the comparison a sliced drill made already (drillComparisonOf).
 */
export async function finishDrill(
  deps: DrillDeps,
  facts: {
    startedAt: Date;
    restore: RestoreOutcome;
    steps: readonly StepTime[];
    wiped?: WipeCounts;
    compared?: DrillComparison;
  },
): Promise<DrillOutcome> {
  const timer = new StepTimer(deps.clock, deps.progress, facts.steps);
  const compared = facts.compared;
  // A comparison that cannot run (the archive unreadable, the scratch gone) fails the drill, reported.
  const diff = await timer
    .time('diff', async () => compared ?? compareWithArchive(deps.archive, deps.location, deps.api))
    .catch((error: unknown) => ({
      equal: false,
      a: deps.location,
      b: deps.api.baseUrl,
      differences: [],
      compared: {},
      notComparable: [],
      leftOut: 0,
      error: messageOf(error),
    }));
  const report = buildDrillReport({
    location: deps.location,
    manifest: deps.archive.manifest,
    target: deps.api.baseUrl,
    startedAt: facts.startedAt,
    finishedAt: deps.clock.now(),
    restore: facts.restore,
    diff,
    steps: timer.steps(),
    ...(facts.wiped ? { wiped: facts.wiped } : {}),
  });
  const suffixes = reportSuffixes(facts.startedAt);
  const json = await deps.reports.writeBeside(
    deps.location,
    suffixes.json,
    `${JSON.stringify(report, null, 2)}\n`,
    'application/json',
  );
  const html = await deps.reports.writeBeside(
    deps.location,
    suffixes.html,
    renderDrillHtml(report),
    'text/html',
  );
  deps.logger.info('drill finished', { verdict: report.verdict, archive: deps.location, html, json });
  return { report, files: { html, json } };
}

/**
 * The archive against the scratch instance, as `n8n-ark diff --ignore-users` compares them (users,
 * personal projects and project memberships follow users, whom a restore cannot create; what was
 * left out is counted, not hidden), less the drill-target tag. What the scratch's licence keeps it
 * from holding fails the drill: a drill proves the archive restores whole.
 */
export async function compareWithArchive(
  archive: OpenedArchive,
  location: string,
  api: N8nApi,
): Promise<DrillComparison> {
  return drillComparisonOf(
    await diffInstances(archiveSnapshot(archive, location), liveSnapshot(api), { ignoreUsers: true }),
  );
}

/**
 * A comparison (users left out: no restore creates them) less the drill target's own mark. What the
 * scratch cannot hold fails the drill; what the archive's own source could not hold (projects on a
 * community edition) is not in the archive, so the scratch having some is not comparable, no failure.
 */
export function drillComparisonOf(diff: DiffResult): DrillComparison {
  const result = leaveOutMarker(diff);
  const cannotHold = result.notComparable
    .filter((n) => n.side === 'b')
    .map(
      (n): Difference => ({
        resource: n.resource as Difference['resource'],
        key: '*',
        change: 'unavailable',
        details: [n.reason],
      }),
    );
  const differences = [...cannotHold, ...result.differences];
  const notComparable = result.notComparable.filter((n) => n.side === 'a');
  return { ...result, equal: differences.length === 0, differences, notComparable };
}

/** What a drill's comparison says (a diff; `leftOut` counts what follows users). */
export type DrillComparison = DiffResult;

/** A drill restores afresh every time: its ledger lives in memory (a finished ledger would write nothing). */
class FreshLedgerStore implements LedgerStore {
  readonly description = 'the drill (in memory)';
  private contents: string | undefined;

  async load(): Promise<string | undefined> {
    return this.contents;
  }

  async save(contents: string): Promise<void> {
    this.contents = contents;
  }
}

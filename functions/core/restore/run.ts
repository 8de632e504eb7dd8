/**
 * The whole restore, resumable and bounded: verify → plan → apply → report. The archive is verified
 * (once per ledger) before anything is written; the plan is made once and saved in the ledger; each
 * run applies until done or the deadline. Run it again with the same ledger store to continue; once
 * finished it writes nothing.
 */

import { checkArchiveContent } from '../archive/check.js';
import { RestoreError } from '../errors.js';
import { assertRestoreScopes } from '../instance/doctor.js';
import type { RestoreResource } from '../kinds/index.js';
import { EVERY_KIND } from '../kinds/index.js';
import type { RoundReason } from '../kinds/kind.js';
import type { N8nApi } from '../ports.js';
import { applySteps, createApplyContext } from './apply.js';
import { refuseOversized } from './body-limit.js';
import { closingCheck, type MissingObject } from './closing-check.js';
import { archiveFailedVerification, unfinishedWithOtherOptions } from './errors.js';
import { RestoreLedger } from './ledger.js';
import { manifestDigest, planRestore } from './plan.js';
import { SourceCollector, type SourceState } from './plan-state.js';
import { finishedAgainReport, planReport, reportOf, resumeReport } from './report.js';
import {
  describeRound,
  earlierOf,
  lostReason,
  lostSince,
  OVERWRITE_AGAIN,
  type Round,
  rewriteOf,
  roundOf,
  sameRound,
} from './rounds.js';
import { holdTarget } from './target-lock.js';
import type {
  ApplyOptions,
  RestoreDeps,
  RestoreOptions,
  RestorePlan,
  RestoreReport,
  RestoreRun,
} from './types.js';
import { refreshVersionNotes } from './version-check.js';

export async function runRestore(deps: RestoreDeps, options: RestoreOptions = {}): Promise<RestoreRun> {
  // One restore per ledger: a second one started on it writes nothing (LedgerLockedError).
  const owner = options.run?.dryRun ? undefined : deps.lockOwner;
  const lock = owner && deps.ledgerStore.lock ? await deps.ledgerStore.lock(owner) : undefined;
  try {
    // One restore per target, whatever its ledger (target-lock.ts).
    const target =
      owner && deps.targetLocks ? await holdTarget(deps.targetLocks, owner, deps.api.baseUrl) : undefined;
    try {
      return await restoreHoldingLedger(deps, options);
    } finally {
      await target?.release();
    }
  } finally {
    await lock?.release();
  }
}

async function restoreHoldingLedger(deps: RestoreDeps, options: RestoreOptions): Promise<RestoreRun> {
  const started = deps.clock.now().getTime();
  const elapsed = () => deps.clock.now().getTime() - started;
  const digest = manifestDigest(deps.archive.manifest);
  const existing = await RestoreLedger.load(
    deps.ledgerStore,
    deps.clock,
    { archiveDigest: digest, target: deps.api.baseUrl },
    options.run?.checkpoint,
  );
  const round = roundOf(options);
  // Even a finished restore talks to the target once: a wrong key or URL must fail, not pass silently.
  await confirmTargetAnswers(deps.api);
  const execution = options.run?.dryRun ? undefined : deps.lockOwner?.execution;
  const answered = existing && execution ? await sliceOn(existing, execution, elapsed()) : undefined;
  if (answered) return answered;
  if (existing) await refreshVersionNotes(existing.state.plan, deps.archive.manifest.source, deps.api);
  if (existing) {
    // A ledger is a memory, not a proof: a finished restore reads the target once to see that
    // what it wrote is still there and still runs, and writes again what is not.
    const lost = existing.finished ? await lostSince(existing, deps) : [];
    const next = await nextRound(existing, deps, options, round, lost);
    if (next) return planNextRound(existing, deps, options, round, next, started);
    // A dry run: what running the same command would do now, continue this ledger, not plan afresh.
    if (options.run?.dryRun)
      return { done: false, plan: existing.state.plan, report: resumeReport(existing, elapsed()) };
    if (existing.finished) {
      deps.logger.info('restore already finished; nothing to do', { ledger: existing.description });
      return { done: true, plan: existing.state.plan, report: finishedAgainReport(existing, elapsed()) };
    }
  }
  const source = existing?.state.verified ? undefined : await verifyOrRefuse(deps);
  if (existing) {
    if (existing.state.status === 'incomplete') {
      deps.logger.info('retrying what failed', {
        ledger: existing.description,
        failed: existing.failures.length,
      });
      existing.retryFailed();
    }
    deps.logger.info('resuming restore', { ledger: existing.description, runs: existing.state.runs });
    // What this run is asked to do before writing (--install-community-packages given now): the
    // packages its plan named are installed, so what waited for them is published.
    await refuseWithoutScopes(deps, existing.state.plan, options);
    await beforeFirstWrite(deps, existing.state.plan, options);
    return applyWithLedger(existing.state.plan, deps, options, existing, started);
  }
  const plan = await planRestore(deps.archive, deps.api, options, {
    ...(source ? { source } : {}),
    logger: deps.logger,
    progress: deps.progress,
  });
  if (options.run?.dryRun) return { done: false, plan, report: planReport(plan, elapsed()) };
  await refuseWithoutScopes(deps, plan, options);
  await beforeFirstWrite(deps, plan, options);
  const ledger = RestoreLedger.create(deps.ledgerStore, deps.clock, plan, options.run?.checkpoint, round);
  ledger.markVerified();
  if (execution) await ledger.startSlice(execution);
  return applyWithLedger(plan, deps, options, ledger, started);
}

/**
 * Why a restore with this ledger plans again (a new round), or undefined to go on with its plan. A
 * finished one plans again when run with other options, once secrets for its stubs are known, when
 * the target lost what it wrote (or does not run it), or when `--on-conflict overwrite` asks again;
 * an unfinished one run with other options is refused: what it started must end first.
 */
async function nextRound(
  ledger: RestoreLedger,
  deps: RestoreDeps,
  options: RestoreOptions,
  round: Round,
  lost: readonly MissingObject[],
): Promise<NextRound | undefined> {
  const recorded = ledger.state.round;
  const otherOptions = recorded !== undefined && !sameRound(recorded, round);
  if (!ledger.finished) {
    if (!otherOptions) return undefined;
    const stoppedHow =
      ledger.state.status === 'incomplete'
        ? `${ledger.failures.length} object(s) failed`
        : 'it stopped before its end';
    throw unfinishedWithOtherOptions(ledger.description, stoppedHow, {
      was: describeRound(recorded),
      now: describeRound(round),
    });
  }
  const reasons: RoundReason[] = [];
  for (const kind of EVERY_KIND) {
    const reason = await kind.nextRound?.({
      archive: deps.archive,
      ledger,
      plan: ledger.state.plan,
      api: deps.api,
      ...(deps.secrets ? { secrets: deps.secrets } : {}),
    });
    if (reason) reasons.push(reason);
  }
  if (lost.length > 0) reasons.push(lostReason(lost));
  const overwrite = options.conflicts?.onConflict === 'overwrite';
  if (overwrite) reasons.push(OVERWRITE_AGAIN);
  const scopes = reasons.flatMap((reason) => reason.scopes);
  const detail = reasons.map((reason) => reason.detail).join('; ');
  const again = { rewrite: rewriteOf(ledger, lost), overwrite };
  if (otherOptions)
    return {
      why: `run again with other options (${describeRound(round)}; before: ${describeRound(recorded)})`,
      detail,
      scopes,
      ...again,
    };
  return reasons.length > 0
    ? {
        why: `run again now that ${reasons.map((reason) => reason.why).join(' and ')}`,
        detail,
        scopes,
        ...again,
      }
    : undefined;
}

/** Why a finished restore plans again, what the new round adds (for its note) and the scopes that needs. */
interface NextRound {
  why: string;
  detail: string;
  scopes: readonly string[];
  /** What the earlier runs wrote that the target holds but does not run as written (written again). */
  rewrite: Map<RestoreResource, Map<string, string>>;
  overwrite: boolean;
}

/** Plans a finished restore again, keeping what its runs wrote, and applies the new plan (unless a dry run). */
async function planNextRound(
  ledger: RestoreLedger,
  deps: RestoreDeps,
  options: RestoreOptions,
  round: Round,
  next: NextRound,
  started: number,
): Promise<RestoreRun> {
  const { why, detail, scopes } = next;
  deps.logger.info('restore finished earlier; planning again against the target', {
    ledger: ledger.description,
    why,
  });
  const plan = await planRestore(deps.archive, deps.api, options, {
    earlier: { ...earlierOf(ledger), rewrite: next.rewrite, overwrite: next.overwrite },
    logger: deps.logger,
    progress: deps.progress,
  });
  plan.notes.unshift(
    `This restore finished earlier; it was ${why}: what its runs wrote is kept, and the plan adds what is needed now${detail ? ` (${detail})` : ''}.`,
  );
  if (options.run?.dryRun)
    return { done: false, plan, report: planReport(plan, deps.clock.now().getTime() - started) };
  await refuseWithoutScopes(deps, plan, options, scopes);
  await beforeFirstWrite(deps, plan, options);
  ledger.startRound(plan, round);
  return applyWithLedger(plan, deps, options, ledger, started);
}

/** The key must hold every scope the plan's writes need (and what kinds ask besides), before the first write. */
async function refuseWithoutScopes(
  deps: RestoreDeps,
  plan: RestorePlan,
  options: RestoreOptions,
  roundScopes: readonly string[] = [],
): Promise<void> {
  if (!deps.capabilities) return;
  const writes = plan.entries
    .filter((e) => e.action === 'create' || e.action === 'update')
    .map((e) => e.resource);
  const extra = new Set([
    ...roundScopes,
    ...EVERY_KIND.flatMap((kind) => kind.extraScopes?.(plan, options) ?? []),
  ]);
  await assertRestoreScopes(deps.capabilities, writes, [...extra]);
}

/** What kinds do once the plan is made and the key's scopes checked, before the first write. */
async function beforeFirstWrite(
  deps: RestoreDeps,
  plan: RestorePlan,
  options: RestoreOptions,
): Promise<void> {
  for (const kind of EVERY_KIND)
    await kind.beforeWrite?.({
      api: deps.api,
      ...(deps.capabilities ? { capabilities: deps.capabilities } : {}),
      logger: deps.logger,
      plan,
      options,
    });
}

/**
 * A state machine's slice on an existing ledger: counted (and refused after two that made no
 * progress); when the restore is done by this execution already (the slice that finished it died
 * before it answered), the answer, with what all its slices did.
 */
async function sliceOn(
  ledger: RestoreLedger,
  execution: string,
  elapsed: number,
): Promise<RestoreRun | undefined> {
  if (ledger.finished && ledger.slicedBy(execution))
    return {
      done: true,
      plan: ledger.state.plan,
      report: reportOf(ledger.state.plan, ledger, true, elapsed),
    };
  await ledger.startSlice(execution);
  return undefined;
}

/** One authenticated read of the target; its errors (401, unreachable, not n8n) end the run. */
async function confirmTargetAnswers(api: N8nApi): Promise<void> {
  for await (const _ of api.listTags()) break;
}

/** Applies a plan (continuing the ledger the store holds for it, if any). Prefer runRestore, which verifies first. */
export async function applyRestore(
  plan: RestorePlan,
  deps: RestoreDeps,
  options: ApplyOptions = {},
): Promise<RestoreReport> {
  const started = deps.clock.now().getTime();
  if (plan.archive.digest !== manifestDigest(deps.archive.manifest)) {
    throw new RestoreError('This plan was made for another archive; plan again against this one.');
  }
  const ledger =
    (await RestoreLedger.load(
      deps.ledgerStore,
      deps.clock,
      { archiveDigest: plan.archive.digest, target: deps.api.baseUrl },
      options.run?.checkpoint,
    )) ?? RestoreLedger.create(deps.ledgerStore, deps.clock, plan, options.run?.checkpoint);
  if (ledger.finished) return finishedAgainReport(ledger, deps.clock.now().getTime() - started);
  return (await applyWithLedger(ledger.state.plan, deps, options, ledger, started)).report;
}

/**
 * What the closing check found fails, by name. A created object the target lacks is forgotten, so a
 * re-run creates it again; one there but not running as written keeps its id, and the re-run writes
 * and publishes it again.
 */
async function recordMissing(ledger: RestoreLedger, missing: MissingObject[]): Promise<void> {
  for (const object of missing) {
    const entry = ledger.state.plan.entries.find(
      (e) => e.resource === object.resource && e.sourceId === object.sourceId,
    );
    const absent = object.finding === 'missing' || object.finding === 'renamed';
    if (entry?.action === 'create' && absent) ledger.forgetId(object.resource, object.sourceId);
    ledger.markFailed(object.resource, object.sourceId);
    ledger.count('failed', object.resource);
    ledger.warn(
      absent
        ? {
            code: 'missing-after-restore',
            resource: object.resource,
            message: `${object.resource} "${object.name}" is not in the target after the restore (${object.why}); run the restore again to write it`,
          }
        : {
            code: 'not-running-after-restore',
            resource: object.resource,
            ...(object.resource === 'workflows'
              ? { workflow: { id: object.sourceId, name: object.name } }
              : {}),
            message: `${object.resource} "${object.name}" does not run on the target as restored: ${object.why}`,
          },
    );
  }
  if (missing.length > 0) await ledger.save();
}

/** Verifies the bytes, then the content, reading the source state in the same pass. */
async function verifyOrRefuse(deps: RestoreDeps): Promise<SourceState> {
  deps.progress.start('verify archive');
  const report = await deps.archive.verify();
  deps.progress.done('verify archive', report.ok ? `${report.entriesChecked} entries OK` : 'FAILED');
  const collector = new SourceCollector();
  const problems = report.ok
    ? await checkArchiveContent(deps.archive, (resource, record, place) =>
        collector.add(resource, record, place),
      )
    : report.problems;
  if (problems.length > 0) throw archiveFailedVerification(problems);
  return collector.result(deps.archive);
}

async function applyWithLedger(
  plan: RestorePlan,
  deps: RestoreDeps,
  options: ApplyOptions,
  ledger: RestoreLedger,
  started: number,
): Promise<RestoreRun> {
  ledger.beginRun();
  // Asked again before each run: a limit raised since lets through what the plan found too large.
  await refuseOversized(plan, deps.api, ledger);
  const invited: NonNullable<RestoreDeps['invited']> = [];
  const withInvited = { ...deps, invited };
  const ctx = createApplyContext(plan, withInvited, options, ledger);
  const done = await applySteps(ctx, withInvited, ledger);
  if (done) {
    deps.progress.start('closing check');
    await recordMissing(ledger, await closingCheck(ctx, ledger));
    await ledger.finish();
    deps.progress.done('closing check', ledger.finished ? 'complete' : 'incomplete');
  }
  const report = {
    ...reportOf(plan, ledger, done, deps.clock.now().getTime() - started),
    ...(invited.length > 0 ? { invitations: invited } : {}),
  };
  deps.logger.info(done ? 'restore finished' : 'restore paused at its deadline; run again to continue', {
    target: plan.target.url,
    ledger: ledger.description,
    created: report.created,
    updated: report.updated,
    failed: report.failed,
    warnings: report.warnings.length,
    durationMs: report.durationMs,
  });
  return { done, plan, report };
}

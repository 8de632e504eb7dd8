/**
 * A cutover, resumable: preflight → copy → freeze → delta → switch, each step recorded done in the
 * journal with its time, so the same command run again continues at the first step not done. A
 * crash between the freeze and the switch leaves both instances frozen (safe); the next run
 * continues, or `--rollback` (rollback.ts) puts the source back. `dryRun` stops after the preflight
 * and writes no journal.
 */
import { ArkError, CutoverError } from '../errors.js';
import { copy } from './copy.js';
import { delta } from './delta.js';
import { preflightRefused, stepFailed, stoppedAt, underWay } from './errors.js';
import { freeze } from './freeze.js';
import { CutoverJournal } from './journal.js';
import { preflight } from './preflight.js';
import { switchOver } from './switch.js';
import {
  CUTOVER_STEPS,
  type CutoverDeps,
  type CutoverOptions,
  type CutoverReport,
  type CutoverStep,
  type PreflightReport,
} from './types.js';

type StepRun = (deps: CutoverDeps, options: CutoverOptions, journal: CutoverJournal) => Promise<string>;

export async function runCutover(deps: CutoverDeps, options: CutoverOptions): Promise<CutoverReport> {
  if (options.dryRun) {
    const report = await preflight(deps, options);
    const pair = { source: deps.source.baseUrl, target: deps.target.baseUrl };
    const under = await CutoverJournal.load(deps.journalStore, deps.clock, pair);
    if (under && !under.state.rolledBackAt) report.notes.push(underWay(under));
    return { ...emptyReport(deps, true), preflight: report };
  }
  const lock =
    deps.lockOwner && deps.journalStore.lock ? await deps.journalStore.lock(deps.lockOwner) : undefined;
  try {
    const pair = { source: deps.source.baseUrl, target: deps.target.baseUrl };
    let journal = await CutoverJournal.load(deps.journalStore, deps.clock, pair);
    if (!journal || journal.state.rolledBackAt)
      journal = CutoverJournal.create(deps.journalStore, deps.clock, pair);
    let checked: PreflightReport | undefined;
    const steps: Record<CutoverStep, StepRun> = {
      preflight: async (d, o, j) => {
        checked = await preflightStep(d, o, j);
        return `${checked.toFreeze.length} workflow(s) to move; plan ${JSON.stringify(checked.plan)}`;
      },
      copy,
      freeze,
      delta,
      switch: (d, _o, j) => switchOver(d, j),
    };
    for (const step of CUTOVER_STEPS)
      if (!journal.isDone(step)) await timed(deps, journal, step, () => steps[step](deps, options, journal));
    return { ...reportOf(deps, journal), ...(checked ? { preflight: checked } : {}) };
  } finally {
    await lock?.release();
  }
}

async function preflightStep(
  deps: CutoverDeps,
  options: CutoverOptions,
  journal: CutoverJournal,
): Promise<PreflightReport> {
  const report = await preflight(deps, options);
  if (report.refusals.length > 0) throw preflightRefused(report.refusals);
  journal.state.copyArchive = report.archive;
  return report;
}

async function timed(
  deps: CutoverDeps,
  journal: CutoverJournal,
  step: CutoverStep,
  run: () => Promise<string>,
) {
  const started = deps.clock.now();
  deps.logger.info(`cutover: ${step}`);
  let summary: string;
  try {
    summary = await run();
  } catch (error) {
    // One of the family keeps its exit code (n8n's refusal 3, the restore's 6…), told what comes next.
    if (!(error instanceof ArkError)) throw stepFailed(step, error);
    if (!(error instanceof CutoverError) && error.exitCode !== 2)
      deps.logger.error(stoppedAt(step, journal.description));
    throw error;
  }
  const finished = deps.clock.now();
  await journal.finishStep({
    step,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    ms: finished.getTime() - started.getTime(),
    summary,
  });
}

function emptyReport(deps: CutoverDeps, dryRun: boolean): CutoverReport {
  return {
    source: deps.source.baseUrl,
    target: deps.target.baseUrl,
    dryRun,
    steps: [],
    frozen: [],
    published: [],
    needsAPerson: [],
  };
}

function reportOf(deps: CutoverDeps, journal: CutoverJournal): CutoverReport {
  const { state } = journal;
  const frozen = state.frozen ?? [];
  const firstUnpublish = frozen
    .map((w) => w.unpublishedAt)
    .filter((t) => t !== undefined)
    .sort()[0];
  const lastPublish = state.published
    .map((p) => p.publishedAt)
    .sort()
    .at(-1);
  return {
    ...emptyReport(deps, false),
    steps: state.done,
    ...(firstUnpublish && lastPublish
      ? { freezeWindowMs: Date.parse(lastPublish) - Date.parse(firstUnpublish) }
      : {}),
    frozen,
    published: state.published,
    ...(state.drained ? { drained: state.drained } : {}),
    needsAPerson: needsAPerson(deps, journal),
    ...(state.idMaps ? { idMaps: state.idMaps } : {}),
  };
}

/** Webhook callers to point at the target (n8n's webhook URLs hold the host), credential secrets to enter. */
function needsAPerson(deps: CutoverDeps, journal: CutoverJournal): string[] {
  const base = deps.target.baseUrl.replace(/\/+$/, '');
  const calls = (journal.state.frozen ?? []).flatMap((w) =>
    w.webhooks.map((route) => {
      const [method, path] = route.split(' ');
      return `point the callers of ${method} /${path} ("${w.name}") at ${base}/${path}`;
    }),
  );
  const secrets = (journal.state.awaitingSecrets ?? []).map(
    (name) => `enter the secret of credential "${name}" on the target (it was created as a stub)`,
  );
  return [...calls, ...secrets, ...(journal.state.toInvite ?? [])];
}

/**
 * One bounded slice of a restore, as the state machine that calls slices until `done` sees it: a
 * dry run is done once planned (it writes nothing and has nothing to continue), and its summary is
 * small enough to travel between states.
 */
import { summarizePlan } from './plan.js';
import type { RestoreRun } from './types.js';

export function sliceOutcome(run: RestoreRun, dryRun: boolean) {
  const done = run.done || dryRun;
  const summary = dryRun
    ? { dryRun: true, plan: summarizePlan(run.plan), warnings: run.plan.warnings.length }
    : {
        complete: run.report.complete,
        created: run.report.created,
        updated: run.report.updated,
        failed: run.report.failed,
        warnings: run.report.warnings.length,
        // Who waits for an account, and who was invited: e-mails only (the links stay in no state or log).
        ...(run.report.waitingForAccount
          ? { waitingForAccount: [...new Set(run.report.waitingForAccount.map((w) => w.email))] }
          : {}),
        ...(run.report.invitations ? { invited: run.report.invitations.map((i) => i.email) } : {}),
      };
  return { done, summary };
}

import { RestoreError } from '../core/errors.js';
import { groupRestoreOptions, withRun } from '../core/restore/options.js';
import { incompleteSummary } from '../core/restore/report.js';
import { runRestore } from '../core/restore/run.js';
import { sliceOutcome } from '../core/restore/slice.js';
import { compose, type LambdaContext, restoreLedgerKey } from './compose.js';
import { parseAtEdge, restoreEventSchema } from './events.js';

/** One bounded slice of a restore; Step Functions calls it again until `done`. */
export async function handler(event: unknown, context: LambdaContext) {
  const {
    archive: ref,
    target,
    credentialSecrets,
    maxRetryWait,
    retryBudget,
    execution,
    ...options
  } = parseAtEdge(restoreEventSchema, event, 'restore event');
  const c = compose(process.env);
  const secrets = credentialSecrets ? c.credentialSecrets(target, credentialSecrets) : undefined;
  const ledgerKey = restoreLedgerKey(ref, target);
  const { deadline, lockOwner } = c.slice(context, execution);
  const api = await c.n8n(target, { maxRetryWait, retryBudget, deadline });
  const archive = await c.openArchive(ref);
  try {
    const run = await runRestore(
      {
        archive,
        api,
        capabilities: api,
        ...(secrets ? { secrets } : {}),
        ledgerStore: c.ledgerStore(ledgerKey, 'restore slice'),
        lockOwner,
        targetLocks: c.targetLocks(api.baseUrl, 'restore slice'),
        clock: c.clock,
        logger: c.logger,
        progress: c.progress,
      },
      withRun(groupRestoreOptions(options), { deadline }),
    );
    const { done, summary } = sliceOutcome(run, options.dryRun === true);
    c.logger.info('restore slice finished', { target, archive: c.location(ref), done, ...summary });
    // An incomplete restore fails the execution (and its alarm) naming what is missing; run it again to retry.
    if (run.done && !run.report.complete) throw new RestoreError(incompleteSummary(run.report, 10));
    return { done, ledgerKey, summary };
  } finally {
    await archive.close();
  }
}

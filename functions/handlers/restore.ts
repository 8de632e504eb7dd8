import { hostname } from 'node:os';
import { formatS3Url } from '../adapters/s3-archive-store.js';
import { S3LedgerStore } from '../adapters/s3-ledger-store.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { openArchiveAt } from '../core/archive/access.js';
import { RestoreError } from '../core/errors.js';
import { silentProgress, systemClock } from '../core/ports.js';
import { summarizePlan } from '../core/restore/plan.js';
import { incompleteSummary } from '../core/restore/report.js';
import { runRestore } from '../core/restore/run.js';
import { compose, parseAtEdge, restoreEventSchema } from './compose.js';

/** Time kept back from the Lambda limit to save the ledger and answer. */
const SAFETY_MARGIN_MS = 60_000;

/** Clock difference allowed between this Lambda and the one that finds its lock. */
const LOCK_SKEW_MS = 60_000;

/** One bounded slice of a restore; Step Functions calls it again until `done`. */
export async function handler(event: unknown, context: { getRemainingTimeInMillis(): number }) {
  const {
    archive: archiveRef,
    target,
    credentialSecrets,
    ...options
  } = parseAtEdge(restoreEventSchema, event, 'restore event');
  const { store, logger, s3, env, n8n, credentialSecrets: secretsFor } = compose(process.env);
  const secrets = credentialSecrets ? secretsFor(target, credentialSecrets) : undefined;
  const location = formatS3Url({ bucket: env.ARCHIVE_BUCKET, ...archiveRef });
  const ledgerKey = `${archiveRef.key}.restore-${target}.ledger.json`;
  const api = await n8n(target);
  const archive = await openArchiveAt(store, location, openZipArchive);
  try {
    const run = await runRestore(
      {
        archive,
        api,
        capabilities: api,
        ...(secrets ? { secrets } : {}),
        ledgerStore: new S3LedgerStore(s3, env.ARCHIVE_BUCKET, ledgerKey, {
          onStaleLock: (holder) =>
            logger.warn('took over the lock of a restore slice that is gone', { ...holder }),
        }),
        lockOwner: {
          pid: process.pid,
          host: hostname(),
          startedAt: new Date().toISOString(),
          // The function is stopped at its timeout: past it (and a minute of clock skew) the lock is stale.
          endsBy: new Date(Date.now() + context.getRemainingTimeInMillis() + LOCK_SKEW_MS).toISOString(),
        },
        clock: systemClock,
        logger,
        progress: silentProgress,
      },
      { ...options, deadline: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS },
    );
    // A dry run writes nothing and has nothing to continue: it is done once planned.
    const done = run.done || options.dryRun === true;
    const summary = options.dryRun
      ? { dryRun: true, plan: summarizePlan(run.plan), warnings: run.plan.warnings.length }
      : {
          complete: run.report.complete,
          created: run.report.created,
          updated: run.report.updated,
          failed: run.report.failed,
          warnings: run.report.warnings.length,
        };
    logger.info('restore slice finished', { target: target, archive: location, done, ...summary });
    // An incomplete restore fails the execution (and its alarm) naming what is missing; run it again to retry.
    if (run.done && !run.report.complete) throw new RestoreError(incompleteSummary(run.report, 10));
    return { done, ledgerKey, summary };
  } finally {
    await archive.close();
  }
}

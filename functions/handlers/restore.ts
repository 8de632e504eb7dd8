import { formatS3Url } from '../adapters/s3-archive-store.js';
import { S3LedgerStore } from '../adapters/s3-ledger-store.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { openArchiveAt } from '../core/archive-access.js';
import type { RestoreResource } from '../core/kinds/index.js';
import { silentProgress, systemClock } from '../core/ports.js';
import { summarizePlan } from '../core/restore/plan.js';
import { runRestore } from '../core/restore/run.js';
import { compose, parseAtEdge, restoreEventSchema } from './compose.js';

/** Time kept back from the Lambda limit to save the ledger and answer. */
const SAFETY_MARGIN_MS = 60_000;

/** One bounded slice of a restore; Step Functions calls it again until `done`. */
export async function handler(event: unknown, context: { getRemainingTimeInMillis(): number }) {
  const request = parseAtEdge(restoreEventSchema, event, 'restore event');
  const { store, logger, s3, env, n8n } = compose(process.env);
  const location = formatS3Url({ bucket: env.ARCHIVE_BUCKET, ...request.archive });
  const ledgerKey = `${request.archive.key}.restore-${request.target}.ledger.json`;
  const api = await n8n(request.target);
  const archive = await openArchiveAt(store, location, openZipArchive);
  try {
    const run = await runRestore(
      {
        archive,
        api,
        capabilities: api,
        ledgerStore: new S3LedgerStore(s3, env.ARCHIVE_BUCKET, ledgerKey),
        clock: systemClock,
        logger,
        progress: silentProgress,
      },
      {
        deadline: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
        ...(request.dryRun ? { dryRun: true } : {}),
        ...(request.onConflict ? { onConflict: request.onConflict } : {}),
        ...(request.projectMap ? { projectMap: new Map(Object.entries(request.projectMap)) } : {}),
        ...(request.only ? { only: request.only as RestoreResource[] } : {}),
        ...(request.keepWorkflowIds ? { keepWorkflowIds: true } : {}),
      },
    );
    // A dry run writes nothing and has nothing to continue: it is done once planned.
    const done = run.done || request.dryRun === true;
    const summary = request.dryRun
      ? { dryRun: true, plan: summarizePlan(run.plan), warnings: run.plan.warnings.length }
      : {
          created: run.report.created,
          updated: run.report.updated,
          failed: run.report.failed,
          warnings: run.report.warnings.length,
        };
    logger.info('restore slice finished', { target: request.target, archive: location, done, ...summary });
    return { done, ledgerKey, summary };
  } finally {
    await archive.close();
  }
}

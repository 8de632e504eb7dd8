import { sealArchiveWriter } from '../adapters/age/sealed-writer.js';
import { createZipArchiveWriter } from '../adapters/zip-archive-writer.js';
import { runBackup } from '../core/backup/run.js';
import { judgeShrink, newestManifest } from '../core/backup/shrink.js';
import { type BackupMetrics, compose, type LambdaContext } from './compose.js';
import { backupEventSchema, parseAtEdge } from './events.js';

/**
 * Scheduled backup of one instance: event {"instance": "<name>", "history"?: N, "shrinkAlarmShare"?: 0–1,
 * "exclude"?: [kinds]} from EventBridge Scheduler. Emits EMF metrics, among them `BackupShrank` against
 * the previous archive. A failed backup (an incomplete one included: a kind the key may not read) emits
 * `BackupFailure` and fails the invocation, so the `BackupFailed` alarm fires on the first such night.
 */
export async function handler(
  event: unknown,
  context?: LambdaContext,
): Promise<{ archive: string; counts: Record<string, number>; shrank: boolean }> {
  const { instance, history, shrinkAlarmShare, exclude, maxRetryWait, retryBudget } = parseAtEdge(
    backupEventSchema,
    event,
    'backup event',
  );
  const c = compose(process.env);
  const started = Date.now();
  const metrics = (fields: Omit<BackupMetrics, 'instance' | 'durationMs'>) =>
    c.metrics.backup({ instance, durationMs: Date.now() - started, ...fields });
  try {
    // Waits for n8n end before the function would be stopped.
    const deadline = context ? c.slice(context).deadline : undefined;
    const api = await c.n8n(instance, { maxRetryWait, retryBudget, deadline });
    const sealing = await c.sealing();
    const previous = await newestManifest(c.store, instance, c.openReader, c.logger);
    const { archive, manifest } = await runBackup(
      {
        api,
        store: c.store,
        createWriter: () =>
          sealing ? sealArchiveWriter(createZipArchiveWriter(), sealing) : createZipArchiveWriter(),
        clock: c.clock,
        logger: c.logger,
        progress: c.progress,
        toolVersion: c.toolVersion,
        // Nightly backups are incremental over the previous archive in the bucket.
        openReader: c.openReader,
      },
      {
        instance,
        ...(history !== undefined ? { history } : {}),
        ...(exclude ? { exclude: { resources: exclude, askedBy: excludedBy(instance) } } : {}),
      },
    );
    const shrink = judgeShrink(previous, manifest, shrinkAlarmShare);
    if (shrink.shrank)
      c.logger.warn('backup shrank', { instance, archive: archive.location, reasons: shrink.reasons });
    metrics({
      success: true,
      bytes: archive.size,
      counts: manifest.counts,
      skipped: manifest.skipped.length,
      shrank: shrink.shrank,
      fell: shrink.fell.map((f) => f.kind),
    });
    return { archive: archive.location, counts: manifest.counts, shrank: shrink.shrank };
  } catch (error) {
    c.logger.error('backup failed', { instance, error: (error as Error).message });
    metrics({ success: false, bytes: 0, counts: {} });
    throw error;
  }
}

/** Who left kinds out of a scheduled backup, as its manifest records it. */
const excludedBy = (instance: string) => `the backup event's "exclude" (cdk.json, instance ${instance})`;

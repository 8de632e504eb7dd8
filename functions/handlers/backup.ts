import { type BackupMetrics, backupMetricsLine } from '../adapters/cloudwatch-emf.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../adapters/zip-archive-writer.js';
import { runBackup } from '../core/backup/run.js';
import { judgeShrink, newestManifest } from '../core/backup/shrink.js';
import { silentProgress, systemClock } from '../core/ports.js';
import { TOOL_VERSION } from '../version.js';
import { backupEventSchema, compose, parseAtEdge } from './compose.js';

/**
 * Scheduled backup of one instance: event {"instance": "<name>", "history"?: N, "shrinkAlarmShare"?: 0–1}
 * from EventBridge Scheduler. Emits EMF metrics, among them `BackupShrank` against the previous archive.
 */
export async function handler(
  event: unknown,
): Promise<{ archive: string; counts: Record<string, number>; shrank: boolean }> {
  const { instance, history, shrinkAlarmShare } = parseAtEdge(backupEventSchema, event, 'backup event');
  const { store, logger, n8n } = compose(process.env);
  const started = Date.now();
  const metrics = (fields: Omit<BackupMetrics, 'instance' | 'durationMs'>) =>
    process.stdout.write(`${backupMetricsLine({ instance, durationMs: Date.now() - started, ...fields })}\n`);
  try {
    const api = await n8n(instance);
    const previous = await newestManifest(store, instance, openZipArchive, logger);
    const { archive, manifest } = await runBackup(
      {
        api,
        store,
        createWriter: createZipArchiveWriter,
        clock: systemClock,
        logger,
        progress: silentProgress,
        toolVersion: TOOL_VERSION,
        // Nightly backups are incremental over the previous archive in the bucket.
        openReader: openZipArchive,
      },
      { instance, ...(history !== undefined ? { history } : {}) },
    );
    const shrink = judgeShrink(previous, manifest, shrinkAlarmShare);
    if (shrink.shrank)
      logger.warn('backup shrank', { instance, archive: archive.location, reasons: shrink.reasons });
    metrics({
      success: true,
      bytes: archive.size,
      counts: manifest.counts,
      skipped: manifest.skipped.length,
      shrank: shrink.shrank,
    });
    return { archive: archive.location, counts: manifest.counts, shrank: shrink.shrank };
  } catch (error) {
    logger.error('backup failed', { instance, error: (error as Error).message });
    metrics({ success: false, bytes: 0, counts: {} });
    throw error;
  }
}

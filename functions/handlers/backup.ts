import { backupMetricsLine } from '../adapters/cloudwatch-emf.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../adapters/zip-archive-writer.js';
import { runBackup } from '../core/backup.js';
import { silentProgress, systemClock } from '../core/ports.js';
import { TOOL_VERSION } from '../version.js';
import { backupEventSchema, compose, parseAtEdge } from './compose.js';

/** Scheduled backup of one instance: event {"instance": "<name>", "history"?: N} from EventBridge Scheduler. */
export async function handler(event: unknown): Promise<{ archive: string; counts: Record<string, number> }> {
  const { instance, history } = parseAtEdge(backupEventSchema, event, 'backup event');
  const { store, logger, n8n } = compose(process.env);
  const started = Date.now();
  try {
    const { archive, manifest } = await runBackup(
      {
        api: await n8n(instance),
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
    process.stdout.write(
      `${backupMetricsLine({ instance, success: true, durationMs: Date.now() - started, bytes: archive.size, counts: manifest.counts })}\n`,
    );
    return { archive: archive.location, counts: manifest.counts };
  } catch (error) {
    logger.error('backup failed', { instance, error: (error as Error).message });
    process.stdout.write(
      `${backupMetricsLine({ instance, success: false, durationMs: Date.now() - started, bytes: 0, counts: {} })}\n`,
    );
    throw error;
  }
}

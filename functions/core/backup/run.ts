/**
 * The exporter: n8n API → archive writer → store, one resource at a time, page by page.
 * Nothing that grows with the instance is held whole: bodies and rows stream into the archive;
 * only ids and names (for the reference check, folder discovery and the closing check) are kept.
 * The archive is published only once the closing check confirms it (closing-check.ts).
 */
import { ArchiveBuilder } from '../archive/builder.js';
import { FORMAT_VERSION, type Manifest } from '../archive/format.js';
import { ArkError } from '../errors.js';
import type {
  ArchiveRef,
  ArchiveStore,
  ArchiveWriter,
  Clock,
  Logger,
  N8nApi,
  OpenArchiveReader,
  Progress,
} from '../ports.js';
import { InstanceExport } from './instance-export.js';

export interface BackupDeps {
  api: N8nApi;
  store: ArchiveStore;
  createWriter: () => ArchiveWriter;
  clock: Clock;
  logger: Logger;
  progress: Progress;
  toolVersion: string;
  /** Reads archives of the store: given, a backup is incremental over the previous archive (unless `full`). */
  openReader?: OpenArchiveReader;
}

export interface BackupOptions {
  instance: string;
  /** Concurrent per-workflow GETs for the field the list lacks (the description). Default 8. */
  detailConcurrency?: number;
  /** Data-table rows per archive entry. */
  rowsPerChunk?: number;
  /** Newest saved versions kept per workflow (workflow-history.ndjson); 0 keeps none. Default 10. */
  history?: number;
  /** Epoch ms: past it the backup stops at the next object and publishes nothing (it cannot resume). */
  deadline?: number;
  /** Read every workflow afresh, reusing nothing from the previous archive. */
  full?: boolean;
}

export interface BackupResult {
  archive: ArchiveRef;
  manifest: Manifest;
  durationMs: number;
}

export async function runBackup(deps: BackupDeps, options: BackupOptions): Promise<BackupResult> {
  const { store, logger, progress } = deps;
  const startedAt = deps.clock.now();
  const writer = deps.createWriter();
  const upload = store.put(
    options.instance,
    startedAt,
    writer.output,
    {
      'n8n-ark-format-version': String(FORMAT_VERSION),
      'n8n-ark-instance': options.instance,
      'n8n-ark-tool-version': deps.toolVersion,
    },
    { encrypted: writer.encrypted === true },
  );
  // If the store fails first, the exporter must stop instead of writing into a dead stream.
  let uploadFailure: unknown;
  upload.catch((error: unknown) => {
    uploadFailure = error;
  });

  const export_ = new InstanceExport(deps, options, new ArchiveBuilder(writer), () => uploadFailure);
  try {
    await export_.run();
    await export_.close();
    const manifest = await export_.finish(startedAt);
    const archive = await upload;
    const durationMs = deps.clock.now().getTime() - startedAt.getTime();
    logger.info('backup finished', {
      instance: options.instance,
      archive: archive.location,
      bytes: archive.size,
      durationMs,
      counts: manifest.counts,
      skipped: manifest.skipped.map((s) => s.resource),
      warnings: manifest.warnings.length,
    });
    progress.done('backup', `${archive.location}`);
    return { archive, manifest, durationMs };
  } catch (error) {
    writer.abort(error instanceof Error ? error : new Error(String(error)));
    await export_.stop();
    await upload.catch(() => {});
    throw uploadFailure && !(error instanceof ArkError) ? uploadFailure : error;
  }
}

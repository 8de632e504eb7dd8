import { formatS3Url } from '../adapters/s3-archive-store.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { openArchiveAt } from '../core/archive/access.js';
import { checkRestoredTarget, type RestoreCheck, verifyArchive } from '../core/archive/verify.js';
import { ArchiveIntegrityError, UsageError } from '../core/errors.js';
import { compose, parseAtEdge, verifyEventSchema } from './compose.js';

/**
 * Verifies an archive, or the newest archive of an instance; a damaged one fails the invocation
 * (alarm). With a `target` (the restore state machine's last step) it also compares the archive with
 * that instance, as `n8n-ark diff` does, and answers what differs.
 */
export async function handler(event: unknown): Promise<{
  archive: string;
  ok: true;
  entriesChecked: number;
  target?: RestoreCheck & { instance: string };
}> {
  const request = parseAtEdge(verifyEventSchema, event, 'verify event');
  const { store, logger, env, n8n } = compose(process.env);
  let location: string | undefined;
  if ('archive' in request) location = formatS3Url({ bucket: env.ARCHIVE_BUCKET, ...request.archive });
  else
    for await (const newest of store.list({ instance: request.instance })) {
      location = newest.location;
      break;
    }
  if (!location) throw new UsageError(`no archive to verify for ${JSON.stringify(request)}`);
  const report = await verifyArchive(store, location, openZipArchive);
  logger.info('verify finished', { archive: location, ok: report.ok, problems: report.problems });
  if (!report.ok)
    throw new ArchiveIntegrityError(`${location} failed verification`, {
      entry: report.problems[0]?.entry ?? '(archive)',
    });
  const result = { archive: location, ok: true as const, entriesChecked: report.entriesChecked };
  if (!('target' in request) || !request.target) return result;

  const api = await n8n(request.target);
  const archive = await openArchiveAt(store, location, openZipArchive);
  try {
    const check = await checkRestoredTarget(
      archive,
      location,
      api,
      request.only ? { only: request.only } : {},
    );
    logger.info('target compared with the archive', { target: request.target, ...check });
    return { ...result, target: { instance: request.target, ...check } };
  } finally {
    await archive.close();
  }
}

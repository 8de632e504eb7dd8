import { formatS3Url } from '../adapters/s3-archive-store.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { ArchiveIntegrityError, UsageError } from '../core/errors.js';
import { verifyArchive } from '../core/verify.js';
import { compose, parseAtEdge, verifyEventSchema } from './compose.js';

/** Verifies an archive, or the newest archive of an instance; a damaged one fails the invocation (alarm). */
export async function handler(
  event: unknown,
): Promise<{ archive: string; ok: true; entriesChecked: number }> {
  const request = parseAtEdge(verifyEventSchema, event, 'verify event');
  const { store, logger, env } = compose(process.env);
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
  return { archive: location, ok: true, entriesChecked: report.entriesChecked };
}

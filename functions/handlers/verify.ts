import { verifyArchive } from '../core/archive/verify.js';
import { type RestoreCheck, recheckRestore } from '../core/restore/recheck.js';
import { type Composition, compose, restoreLedgerKey } from './compose.js';
import { archiveFailedVerification, noArchiveToVerify } from './errors.js';
import { parseAtEdge, verifyEventSchema } from './events.js';

type VerifyRequest = ReturnType<typeof verifyEventSchema.parse>;

/**
 * Verifies an archive, or the newest archive of an instance; a damaged one fails the invocation
 * (alarm). With a `target` (the restore state machine's last step) it also runs the restore's
 * closing check again against that instance, writing nothing, and answers what did not land or does
 * not run (`equal: false`), never what the restore did not promise.
 */
export async function handler(event: unknown): Promise<{
  archive: string;
  ok: true;
  entriesChecked: number;
  target?: RestoreCheck & { instance: string };
}> {
  const request = parseAtEdge(verifyEventSchema, event, 'verify event');
  const c = compose(process.env);
  const location = await locationOf(c, request);
  const report = await verifyArchive(c.store, location, c.openReader);
  c.logger.info('verify finished', { archive: location, ok: report.ok, problems: report.problems });
  if (!report.ok) throw archiveFailedVerification(location, report.problems);
  const result = { archive: location, ok: true as const, entriesChecked: report.entriesChecked };
  if (!('target' in request) || !request.target) return result;

  const api = await c.n8n(request.target);
  const archive = await c.openArchive(request.archive);
  try {
    const check = await recheckRestore({
      archive,
      api,
      ledgerStore: c.ledgerStore(restoreLedgerKey(request.archive, request.target)),
      clock: c.clock,
      logger: c.logger,
      progress: c.progress,
    });
    c.logger.info('target compared with the archive', { target: request.target, ...check });
    return { ...result, target: { instance: request.target, ...check } };
  } finally {
    await archive.close();
  }
}

/** The archive the request names, or the newest archive of its instance. */
async function locationOf(c: Composition, request: VerifyRequest): Promise<string> {
  if ('archive' in request) return c.location(request.archive);
  c.configured(request.instance);
  for await (const newest of c.store.list({ instance: request.instance })) return newest.location;
  throw noArchiveToVerify(request);
}

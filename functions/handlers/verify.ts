import {
  checkRestoredTarget,
  type RestoreCheck,
  restoreCheckOf,
  verifyArchive,
} from '../core/archive/verify.js';
import { compareInSlices } from '../core/diff/sliced.js';
import { type Composition, compose, type LambdaContext } from './compose.js';
import { archiveFailedVerification, noArchiveToVerify } from './errors.js';
import { parseAtEdge, verifyEventSchema } from './events.js';

type VerifyRequest = ReturnType<typeof verifyEventSchema.parse>;
type AfterRestore = Extract<VerifyRequest, { archive: unknown }> & { target: string };

interface Verified {
  archive: string;
  ok: true;
  entriesChecked: number;
  target?: RestoreCheck & { instance: string };
}

/** A slice of the check after a restore saves where it stands this often. */
const SAVE_EVERY_MS = 10_000;

/**
 * Verifies an archive, or the newest archive of an instance; a damaged one fails the invocation
 * (alarm). With a `target` (the restore state machine's last step) it also compares the archive with
 * that instance, as `n8n-ark diff` does, and answers what differs; with the machine's `execution`,
 * in slices (core/diff/sliced.ts): it answers `done` once the comparison is whole.
 */
export async function handler(
  event: unknown,
  context?: LambdaContext,
): Promise<Verified | ({ done: boolean } & Partial<Verified>)> {
  const request = parseAtEdge(verifyEventSchema, event, 'verify event');
  const c = compose(process.env);
  const location = await locationOf(c, request);
  if ('archive' in request && request.target && request.execution && context)
    return inSlices(c, request as AfterRestore, location, context, request.execution);
  const result = await checkArchive(c, location);
  if (!('target' in request) || !request.target) return result;

  const api = await c.n8n(request.target);
  const archive = await c.openArchive(request.archive);
  try {
    const check = await checkRestoredTarget(
      archive,
      location,
      api,
      request.only ? { only: request.only } : {},
    );
    c.logger.info('target compared with the archive', { target: request.target, ...check });
    return { ...result, target: { instance: request.target, ...check } };
  } finally {
    await archive.close();
  }
}

/** One slice of the check after a restore: the checksums first, then the target compared step by step. */
async function inSlices(
  c: Composition,
  request: AfterRestore,
  location: string,
  context: LambdaContext,
  execution: string,
) {
  const { deadline } = c.slice(context, execution);
  const api = await c.n8n(request.target);
  const archive = await c.openArchive(request.archive);
  try {
    const outcome = await compareInSlices(
      {
        archive,
        label: location,
        api,
        clock: c.clock,
        store: c.ledgerStore(`${request.archive.key}.restore-${request.target}.verify.json`),
      },
      { ignoreUsers: true },
      { execution, endsAt: deadline, saveEveryMs: SAVE_EVERY_MS },
      () => checkArchive(c, location),
    );
    if (!outcome.done) return { done: false };
    const check = restoreCheckOf(outcome.result, request.only ? { only: request.only } : {});
    c.logger.info('target compared with the archive', {
      target: request.target,
      slices: outcome.slices,
      ...check,
    });
    return { done: true, ...outcome.first, target: { instance: request.target, ...check } };
  } finally {
    await archive.close();
  }
}

async function checkArchive(c: Composition, location: string): Promise<Verified> {
  const report = await verifyArchive(c.store, location, c.openReader);
  c.logger.info('verify finished', { archive: location, ok: report.ok, problems: report.problems });
  if (!report.ok) throw archiveFailedVerification(location, report.problems);
  return { archive: location, ok: true as const, entriesChecked: report.entriesChecked };
}

/** The archive the request names, or the newest archive of its instance. */
async function locationOf(c: Composition, request: VerifyRequest): Promise<string> {
  if ('archive' in request) return c.location(request.archive);
  for await (const newest of c.store.list({ instance: request.instance })) return newest.location;
  throw noArchiveToVerify(request);
}

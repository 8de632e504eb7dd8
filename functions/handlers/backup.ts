import { sealArchiveWriter } from '../adapters/age/sealed-writer.js';
import { createPausableZipWriter } from '../adapters/pausable-zip-writer.js';
import { createZipArchiveWriter } from '../adapters/zip-archive-writer.js';
import type { Manifest } from '../core/archive/format.js';
import { runBackup } from '../core/backup/run.js';
import { judgeShrink, newestManifest } from '../core/backup/shrink.js';
import { abandonBackup, runBackupSlice } from '../core/backup/slice.js';
import type { ArchiveRef } from '../core/ports.js';
import { type BackupMetrics, type Composition, compose, type LambdaContext } from './compose.js';
import { backupEventSchema, parseAtEdge } from './events.js';

type BackupEvent = ReturnType<typeof backupEventSchema.parse>;
type Slicing = NonNullable<BackupEvent['slicing']>;

/** A slice saves where it stands this often unless the event says otherwise. */
const DEFAULT_CHECKPOINT_SECONDS = 30;

/**
 * Backup of one instance. From the backup state machine (`slicing`): one slice — it goes on where
 * the last one stopped and answers `done` once the archive is published — or, with `abandon`, the
 * end of a backup the machine gave up on. Invoked directly (no `slicing`): the whole backup in this
 * invocation. Event {"instance", "history"?, "shrinkAlarmShare"?, "exclude"?: [kinds]}; emits EMF
 * metrics, among them `BackupShrank` against the previous archive. A failed backup (an incomplete
 * one included: a kind the key may not read) emits `BackupFailure` and fails the invocation (a
 * slice's failure counts once the machine gives up), so `BackupFailed` fires the first such night.
 */
export async function handler(event: unknown, context?: LambdaContext) {
  const request = parseAtEdge(backupEventSchema, event, 'backup event');
  const c = compose(process.env);
  const started = Date.now();
  const { instance } = request;
  const metrics = (fields: Omit<BackupMetrics, 'instance' | 'durationMs'>) =>
    c.metrics.backup({ instance, durationMs: Date.now() - started, ...fields });
  try {
    if (request.slicing && request.abandon) return await abandon(c, request, request.slicing, metrics);
    const sealing = await c.sealing();
    if (request.slicing && context && !sealing)
      return await slice(c, request, request.slicing, context, metrics);
    // An age stream is not yet taken up across invocations: an encrypted backup runs whole, here.
    if (request.slicing)
      c.logger.warn('an encrypted backup is not sliced: it runs whole in this invocation', { instance });
    const answer = await whole(c, request, metrics, sealing, context);
    return request.slicing ? { ...answer, done: true, slices: 1 } : answer;
  } catch (error) {
    c.logger.error('backup failed', { instance, error: (error as Error).message });
    // A slice's failure is the machine's to retry or give up on: it counts once it gives up.
    if (!request.slicing) metrics({ success: false, bytes: 0, counts: {} });
    throw error;
  }
}

type Metrics = (fields: Omit<BackupMetrics, 'instance' | 'durationMs'>) => void;

type Sealing = Awaited<ReturnType<Composition['sealing']>>;

async function whole(
  c: Composition,
  request: BackupEvent,
  metrics: Metrics,
  sealing: Sealing,
  context: LambdaContext | undefined,
) {
  const { instance } = request;
  // Waits for n8n end before the function would be stopped.
  const deadline = context ? c.slice(context).deadline : undefined;
  const api = await c.n8n(instance, waitsOf(request, deadline));
  const previous = await newestManifest(c.store, instance, c.openReader, c.logger);
  const createWriter = () =>
    sealing ? sealArchiveWriter(createZipArchiveWriter(), sealing) : createZipArchiveWriter();
  const { archive, manifest } = await runBackup(
    { ...deps(c), api, store: c.store, createWriter },
    optionsOf(request),
  );
  return published(c, request, archive, manifest, previous, metrics);
}

async function slice(
  c: Composition,
  request: BackupEvent,
  slicing: Slicing,
  context: LambdaContext,
  metrics: Metrics,
) {
  const { instance } = request;
  const { slices, lockOwner, deadline } = c.backupProgress(instance, context, slicing);
  const api = await c.n8n(instance, waitsOf(request, deadline));
  const result = await runBackupSlice(
    {
      ...deps(c),
      api,
      store: c.store,
      createWriter: (state) => createPausableZipWriter(state ? { resume: state as never } : {}),
      slices,
      lockOwner,
    },
    optionsOf(request),
    { endsAt: deadline, saveEveryMs: (request.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS) * 1000 },
  );
  if (!result.done) return { done: false, slices: result.slices, progress: result.progress };
  const before = new Date(result.manifest.startedAt);
  const previous = await newestManifest(c.store, instance, c.openReader, c.logger, before);
  return {
    ...(await published(c, request, result.archive, result.manifest, previous, metrics)),
    done: true,
    slices: result.slices,
  };
}

async function abandon(c: Composition, request: BackupEvent, slicing: Slicing, metrics: Metrics) {
  const { slices, lockOwner } = c.backupProgress(
    request.instance,
    { getRemainingTimeInMillis: () => 60_000 },
    slicing,
  );
  const { abandoned } = await abandonBackup({ store: c.store, slices, lockOwner, logger: c.logger });
  c.logger.error('backup failed', { instance: request.instance, error: request.abandon?.Error, abandoned });
  metrics({ success: false, bytes: 0, counts: {} });
  return { abandoned };
}

/** The archive is in the store: judged against the previous one, logged, measured. */
function published(
  c: Composition,
  request: BackupEvent,
  archive: ArchiveRef,
  manifest: Manifest,
  previous: Manifest | undefined,
  metrics: Metrics,
) {
  const shrink = judgeShrink(previous, manifest, request.shrinkAlarmShare);
  if (shrink.shrank)
    c.logger.warn('backup shrank', {
      instance: request.instance,
      archive: archive.location,
      reasons: shrink.reasons,
    });
  metrics({
    success: true,
    bytes: archive.size,
    counts: manifest.counts,
    skipped: manifest.skipped.length,
    shrank: shrink.shrank,
    fell: shrink.fell.map((f) => f.kind),
  });
  return { archive: archive.location, counts: manifest.counts, shrank: shrink.shrank };
}

function deps(c: Composition) {
  const { clock, logger, progress, toolVersion, openReader } = c;
  // Nightly backups are incremental over the previous archive in the bucket.
  return { clock, logger, progress, toolVersion, openReader };
}

/** The backup's options from its event; kinds excluded in cdk.json are recorded with who asked. */
function optionsOf({ instance, history, exclude }: BackupEvent) {
  return {
    instance,
    ...(history !== undefined ? { history } : {}),
    ...(exclude ? { exclude: { resources: exclude, askedBy: excludedBy(instance) } } : {}),
  };
}

/** Who left kinds out of a scheduled backup, as its manifest records it. */
const excludedBy = (instance: string) => `the backup event's "exclude" (cdk.json, instance ${instance})`;

/** How long the n8n client waits for n8n: the event's bounds, never past the invocation's end. */
function waitsOf({ maxRetryWait, retryBudget }: BackupEvent, deadline: number | undefined) {
  return { maxRetryWait, retryBudget, deadline };
}

/**
 * A backup in slices (the backup state machine's invocations): each slice takes the backup up
 * where the last one saved it, exports until its time is up, saves and stops; the last publishes
 * the archive — the same archive `runBackup` writes in one go, over a writer and an upload that
 * outlive a process (PausableArchiveWriter, ResumableArchiveStore). What is saved between slices,
 * as one JSON object in the progress store: the upload's state (its parts, the bytes not yet a
 * part), the zip writer's (the entries written, the one cut mid-way), the builder's (the entry's
 * records, size and SHA-256 state) and the export's (export-state.ts). A slice that dies is run
 * again by the machine and goes on from the last save; the lock names the execution, so only its
 * own slices take it (a second backup of the instance fails with LedgerLockedError).
 */
import { ArchiveBuilder, type BuilderState } from '../archive/builder.js';
import { FORMAT_VERSION, type Manifest } from '../archive/format.js';
import type {
  ArchiveRef,
  LedgerStore,
  LockOwner,
  PausableArchiveWriter,
  ResumableArchiveStore,
} from '../ports.js';
import { type SliceRecord, startSlice } from '../slices.js';
import { slicedStateUnreadable } from './errors.js';
import { type ExportState, SliceEnded } from './export-state.js';
import { InstanceExport } from './instance-export.js';
import type { BackupDeps, BackupOptions } from './run.js';

export interface SlicedBackupDeps extends Omit<BackupDeps, 'store' | 'createWriter'> {
  store: ResumableArchiveStore;
  /** A writer, new or taking up the state a slice saved. */
  createWriter: (state?: unknown) => PausableArchiveWriter;
  /** Keeps the backup's state between slices, and locks it to one execution. */
  slices: LedgerStore;
  lockOwner: LockOwner & { execution: string };
}

export interface BackupSlice {
  /** Epoch ms: the slice stops at the first place after it where it can. */
  endsAt: number;
  /** It saves at least this often (ms): a slice that dies loses no more. */
  saveEveryMs: number;
}

export type BackupSliceResult =
  | { done: false; slices: number; progress: number }
  | { done: true; slices: number; archive: ArchiveRef; manifest: Manifest };

const FORMAT = 'n8n-ark-sliced-backup';

/** What a sliced backup keeps between slices. */
interface SlicedState {
  format: typeof FORMAT;
  instance: string;
  startedAt: string;
  status: 'running' | 'published' | 'abandoned';
  slices: SliceRecord;
  upload: unknown;
  writer?: unknown;
  builder?: BuilderState;
  export?: ExportState;
  /** Once published: what the last slice answered, for its retry to answer again. */
  published?: { archive: ArchiveRef; manifest: Manifest };
}

export async function runBackupSlice(
  deps: SlicedBackupDeps,
  options: BackupOptions,
  slice: BackupSlice,
): Promise<BackupSliceResult> {
  const { execution } = deps.lockOwner;
  const lock = await deps.slices.lock?.(deps.lockOwner);
  let state = await takeUp(deps, execution);
  if (state?.status === 'published' && state.published)
    return release(lock, { done: true, slices: state.slices.count, ...state.published });
  state ??= await start(deps, options, execution);
  const progress = (state.export?.progress ?? 0) + (state.export?.done.length ?? 0);
  const previous = state.slices.count === 0 ? undefined : state.slices;
  state.slices = startSlice(previous, execution, progress, `the backup of ${options.instance}`);
  await save(deps, state);
  const result = await exportSlice(deps, options, slice, state);
  // The lock stays held between slices: only this execution's next slice takes it.
  return result.done ? release(lock, result) : result;
}

/** The export from where `state` stands, until the slice ends (saved) or the archive is published. */
async function exportSlice(
  deps: SlicedBackupDeps,
  options: BackupOptions,
  slice: BackupSlice,
  state: SlicedState,
): Promise<BackupSliceResult> {
  const writer = deps.createWriter(state.writer);
  const upload = deps.store.continueUpload(state.upload, writer.output);
  const builder = ArchiveBuilder.sliced(writer, state.builder);
  let current = state;
  const slicing = {
    endsAt: slice.endsAt,
    saveEveryMs: slice.saveEveryMs,
    save: async (exported: ExportState) => {
      const builderState = builder.state();
      const { state: writerState, bytes } = await writer.checkpoint();
      const uploadState = await upload.checkpoint(bytes);
      current = {
        ...current,
        upload: uploadState,
        writer: writerState,
        builder: builderState,
        export: exported,
      };
      await save(deps, current);
    },
  };
  const export_ = new InstanceExport(deps, options, builder, () => undefined, slicing, state.export);
  try {
    await export_.run();
  } catch (error) {
    await export_.stop();
    await upload.stop();
    if (!(error instanceof SliceEnded)) throw error;
    deps.logger.info('backup slice ended; the next one goes on', {
      instance: options.instance,
      slices: current.slices.count,
    });
    return { done: false, slices: current.slices.count, progress: current.export?.progress ?? 0 };
  }
  await export_.close();
  const manifest = await export_.finish(new Date(current.startedAt));
  const archive = await upload.complete();
  await save(deps, { ...current, status: 'published', published: { archive, manifest } });
  return { done: true, slices: current.slices.count, archive, manifest };
}

/**
 * After the machine gave up on the backup (a slice failed for good): its upload aborted, its state
 * marked abandoned, its lock released. A backup of another execution is left alone.
 */
export async function abandonBackup(
  deps: Pick<SlicedBackupDeps, 'store' | 'slices' | 'lockOwner' | 'logger'>,
): Promise<{ abandoned: boolean }> {
  const lock = await deps.slices.lock?.(deps.lockOwner);
  const state = parse(await deps.slices.load(), deps.slices.description);
  if (!state || state.slices.execution !== deps.lockOwner.execution || state.status !== 'running') {
    await lock?.release();
    return { abandoned: false };
  }
  await deps.store.abortUpload(state.upload);
  await save(deps, { ...state, status: 'abandoned' });
  await lock?.release();
  deps.logger.warn('backup abandoned: its upload aborted, nothing published', {
    instance: state.instance,
    slices: state.slices.count,
  });
  return { abandoned: true };
}

/** The state this execution saved; another execution's (it is gone: we hold the lock) is abandoned first. */
async function takeUp(deps: SlicedBackupDeps, execution: string): Promise<SlicedState | undefined> {
  const state = parse(await deps.slices.load(), deps.slices.description);
  if (!state || state.slices.execution === execution) return state;
  if (state.status === 'running') {
    deps.logger.warn('an earlier backup that never finished is abandoned', { startedAt: state.startedAt });
    await deps.store.abortUpload(state.upload);
  }
  return undefined;
}

async function start(
  deps: SlicedBackupDeps,
  options: BackupOptions,
  execution: string,
): Promise<SlicedState> {
  const startedAt = deps.clock.now();
  const upload = await deps.store.startUpload(options.instance, startedAt, {
    'n8n-ark-format-version': String(FORMAT_VERSION),
    'n8n-ark-instance': options.instance,
    'n8n-ark-tool-version': deps.toolVersion,
  });
  const state: SlicedState = {
    format: FORMAT,
    instance: options.instance,
    startedAt: startedAt.toISOString(),
    status: 'running',
    slices: { execution, count: 0, progressAtStart: 0, stalled: 0 },
    upload,
  };
  await save(deps, state);
  return state;
}

async function save(deps: Pick<SlicedBackupDeps, 'slices'>, state: SlicedState): Promise<void> {
  await deps.slices.save(JSON.stringify(state));
}

function parse(text: string | undefined, where: string): SlicedState | undefined {
  if (text === undefined) return undefined;
  let state: SlicedState;
  try {
    state = JSON.parse(text) as SlicedState;
  } catch (error) {
    throw slicedStateUnreadable(where, error);
  }
  if (state?.format !== FORMAT) throw slicedStateUnreadable(where);
  return state;
}

async function release<T>(lock: { release(): Promise<void> } | undefined, result: T): Promise<T> {
  await lock?.release();
  return result;
}

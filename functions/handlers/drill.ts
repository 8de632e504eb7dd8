import type { ClosableArchive } from '../core/archive/access.js';
import { compareInSlices } from '../core/diff/sliced.js';
import { drillStamp } from '../core/drill/report.js';
import {
  type DrillComparison,
  drillComparisonOf,
  finishDrill,
  prepareDrill,
  type RestoreOutcome,
  restoreSlice,
  slimOutcome,
  wipeSlice,
} from '../core/drill/run.js';
import type { WipeCounts } from '../core/drill/scratch.js';
import { slicesStalled } from '../core/errors.js';
import { STALLS_THAT_FAIL } from '../core/slices.js';
import { type Composition, compose, type LambdaContext } from './compose.js';
import { noArchiveToDrill } from './errors.js';
import { type DrillEvent, drillEventSchema, parseAtEdge } from './events.js';

type Deps = Pick<Composition, 'clock' | 'logger' | 'progress'> & {
  api: Awaited<ReturnType<Composition['drillTarget']>>;
};
type WipeRequest = Extract<DrillEvent, { mode: 'wipe' }>;
type SliceRequest = Extract<DrillEvent, { mode: 'slice' }>;
type FinishRequest = Extract<DrillEvent, { mode: 'finish' }>;

/** A sliced comparison saves where it stands this often. */
const SAVE_EVERY_MS = 10_000;

/** A restore drill on AWS, in bounded slices: see docs/OPERATIONS.md "Restore drills". */
export async function handler(event: unknown, context: LambdaContext) {
  const request = parseAtEdge(drillEventSchema, event, 'drill event');
  const c = compose(process.env);
  const instance = request.mode === 'prepare' ? request.instance : request.drill.instance;
  const deps = { api: await c.drillTarget(instance), clock: c.clock, logger: c.logger, progress: c.progress };
  if (request.mode === 'prepare') return prepare(c, deps, instance);
  if (request.mode === 'wipe') return wipe(c, deps, request, context);
  const archive = await c.openArchive(request.drill.archive);
  try {
    if (request.mode === 'slice') return await slice(c, { ...deps, archive }, request, context);
    return await finish(
      c,
      { ...deps, archive, location: c.location(request.drill.archive) },
      request,
      context,
    );
  } finally {
    await archive.close();
  }
}

/** The newest archive of the instance; the scratch refused when unfit, what its wipe will delete otherwise. */
async function prepare(c: Composition, deps: Deps, instance: string) {
  let newest: string | undefined;
  for await (const ref of c.store.list({ instance })) {
    newest ??= ref.location;
    break;
  }
  if (!newest) throw noArchiveToDrill(instance);
  const startedAt = new Date();
  const { wiped, steps } = await prepareDrill({ ...deps, capabilities: deps.api }, true, { later: true });
  const { key, versionId } = c.archiveKeyOf(newest);
  const ledgerKey = `${key.replace(/\.zip$/, '')}.drill-${drillStamp(startedAt)}.ledger.json`;
  const archive = { key, ...(versionId ? { versionId } : {}) };
  const drill = { instance, archive, startedAt: startedAt.toISOString(), ledgerKey, wiped };
  const left = Object.values(wiped ?? {}).reduce((a, b) => a + b, 0);
  return { drill, slice: { done: false, steps }, wipe: { done: left === 0, left, stalled: 0 } };
}

/** One slice of the scratch's wipe; two in a row that deleted nothing fail the drill. */
async function wipe(c: Composition, deps: Deps, request: WipeRequest, context: LambdaContext) {
  const { deadline } = c.slice(context, request.execution);
  const { done, left } = await wipeSlice(deps, deadline);
  const stalled = !done && left >= request.wipe.left ? (request.wipe.stalled ?? 0) + 1 : 0;
  if (stalled >= STALLS_THAT_FAIL) throw slicesStalled(`the wipe of ${deps.api.baseUrl}`, stalled, stalled);
  c.logger.info('scratch wipe slice', { target: deps.api.baseUrl, done, left });
  return { done, left, stalled };
}

/** One bounded slice of the drill's restore, its ledger beside the archive under the drill's name. */
async function slice(
  c: Composition,
  deps: Deps & { archive: ClosableArchive },
  request: SliceRequest,
  context: LambdaContext,
) {
  const { deadline, lockOwner } = c.slice(context, request.execution);
  const { outcome, steps } = await restoreSlice(
    { ...deps, capabilities: deps.api },
    c.ledgerStore(request.drill.ledgerKey),
    { run: { deadline } },
    request.steps,
    lockOwner,
  );
  return { done: outcome.done, steps, outcome: slimOutcome(outcome) };
}

/**
 * The comparison (in slices when the machine runs it), then the report beside the archive, the
 * verdict as a metric and a console link.
 */
async function finish(
  c: Composition,
  deps: Deps & { archive: ClosableArchive; location: string },
  request: FinishRequest,
  context: LambdaContext,
) {
  let compared: DrillComparison | undefined;
  if (request.execution) {
    const { deadline } = c.slice(context, request.execution);
    const outcome = await compareInSlices(
      {
        ...deps,
        label: deps.location,
        store: c.ledgerStore(request.drill.ledgerKey.replace(/\.ledger\.json$/, '.compare.json')),
      },
      { ignoreUsers: true },
      { execution: request.execution, endsAt: deadline, saveEveryMs: SAVE_EVERY_MS },
      async () => true,
    );
    if (!outcome.done) return { done: false };
    compared = drillComparisonOf(outcome.result);
  }
  const { report, files } = await finishDrill(
    { ...deps, reports: c.store },
    {
      startedAt: new Date(request.drill.startedAt),
      restore: request.slice.outcome as RestoreOutcome,
      steps: request.slice.steps,
      ...(request.drill.wiped ? { wiped: request.drill.wiped as WipeCounts } : {}),
      ...(compared ? { compared } : {}),
    },
  );
  const { durationMs, rtoEstimateMs } = report;
  const passed = report.verdict === 'pass';
  const instance = request.drill.instance;
  c.metrics.drill({ instance, passed, durationMs, rtoEstimateMs });
  return {
    done: true,
    instance,
    verdict: report.verdict,
    reasons: report.reasons.slice(0, 5),
    report: { ...files, consoleUrl: consoleUrlOf(c.archiveKeyOf(files.html)) },
  };
}

/** The S3 console's page of the report. */
function consoleUrlOf({ bucket, key }: { bucket: string; key: string }): string {
  const region = process.env.AWS_REGION ?? '';
  return `https://console.aws.amazon.com/s3/object/${bucket}?region=${region}&prefix=${encodeURIComponent(key)}`;
}

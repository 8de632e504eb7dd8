import type { ClosableArchive } from '../core/archive/access.js';
import { drillStamp } from '../core/drill/report.js';
import {
  finishDrill,
  prepareDrill,
  type RestoreOutcome,
  restoreSlice,
  slimOutcome,
} from '../core/drill/run.js';
import type { WipeCounts } from '../core/drill/scratch.js';
import { type Composition, compose, type LambdaContext } from './compose.js';
import { noArchiveToDrill } from './errors.js';
import { type DrillEvent, drillEventSchema, parseAtEdge } from './events.js';

type Deps = Pick<Composition, 'clock' | 'logger' | 'progress'> & {
  api: Awaited<ReturnType<Composition['drillTarget']>>;
};
type SliceRequest = Extract<DrillEvent, { mode: 'slice' }>;
type FinishRequest = Extract<DrillEvent, { mode: 'finish' }>;

/** A restore drill on AWS, in the restore's bounded slices: see docs/OPERATIONS.md "Restore drills". */
export async function handler(event: unknown, context: LambdaContext) {
  const request = parseAtEdge(drillEventSchema, event, 'drill event');
  const c = compose(process.env);
  const instance = request.mode === 'prepare' ? request.instance : request.drill.instance;
  const deps = { api: await c.drillTarget(instance), clock: c.clock, logger: c.logger, progress: c.progress };
  if (request.mode === 'prepare') return prepare(c, deps, instance);
  const archive = await c.openArchive(request.drill.archive);
  try {
    if (request.mode === 'slice') return await slice(c, { ...deps, archive }, request, context);
    return await finish(c, { ...deps, archive, location: c.location(request.drill.archive) }, request);
  } finally {
    await archive.close();
  }
}

/** The newest archive of the instance; the scratch refused when unfit, wiped otherwise. */
async function prepare(c: Composition, deps: Deps, instance: string) {
  let newest: string | undefined;
  for await (const ref of c.store.list({ instance })) {
    newest ??= ref.location;
    break;
  }
  if (!newest) throw noArchiveToDrill(instance);
  const startedAt = new Date();
  const { wiped, steps } = await prepareDrill({ ...deps, capabilities: deps.api }, true);
  const { key, versionId } = c.archiveKeyOf(newest);
  const ledgerKey = `${key.replace(/\.zip$/, '')}.drill-${drillStamp(startedAt)}.ledger.json`;
  const archive = { key, ...(versionId ? { versionId } : {}) };
  const drill = { instance, archive, startedAt: startedAt.toISOString(), ledgerKey, wiped };
  return { drill, slice: { done: false, steps } };
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

/** The comparison, the report beside the archive, the verdict as a metric and a console link. */
async function finish(
  c: Composition,
  deps: Deps & { archive: ClosableArchive; location: string },
  request: FinishRequest,
) {
  const { report, files } = await finishDrill(
    { ...deps, reports: c.store },
    {
      startedAt: new Date(request.drill.startedAt),
      restore: request.slice.outcome as RestoreOutcome,
      steps: request.slice.steps,
      ...(request.drill.wiped ? { wiped: request.drill.wiped as WipeCounts } : {}),
    },
  );
  const { durationMs, rtoEstimateMs } = report;
  const passed = report.verdict === 'pass';
  const instance = request.drill.instance;
  c.metrics.drill({ instance, passed, durationMs, rtoEstimateMs });
  return {
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

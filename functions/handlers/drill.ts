import { hostname } from 'node:os';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { drillMetricsLine } from '../adapters/cloudwatch-emf.js';
import { N8nHttpClient } from '../adapters/n8n-http-client.js';
import { formatS3Url, parseS3Url } from '../adapters/s3-archive-store.js';
import { S3LedgerStore } from '../adapters/s3-ledger-store.js';
import { readInstanceSecret, SecretsManagerSecretSource } from '../adapters/secrets-manager.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { type ClosableArchive, openArchiveAt } from '../core/archive/access.js';
import { drillStamp } from '../core/drill/report.js';
import {
  finishDrill,
  prepareDrill,
  type RestoreOutcome,
  restoreSlice,
  slimOutcome,
} from '../core/drill/run.js';
import type { WipeCounts } from '../core/drill/scratch.js';
import { UsageError } from '../core/errors.js';
import { silentProgress, systemClock } from '../core/ports.js';
import { type Composition, compose, parseAtEdge } from './compose.js';

/** Time kept back from the Lambda limit to save the ledger and answer (as the restore slices). */
const SAFETY_MARGIN_MS = 60_000;

const stepTimes = z.array(z.object({ step: z.string(), kind: z.string().optional(), ms: z.number() }));
const drillState = z.object({
  instance: z.string().min(1),
  archive: z.object({ key: z.string().min(1), versionId: z.string().optional() }),
  startedAt: z.iso.datetime(),
  ledgerKey: z.string().min(1),
  wiped: z.record(z.string(), z.number()).optional(),
});
/** The drill state machine's three calls (lib/drill.ts): prepare, restore slices until done, finish. */
export const drillEventSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('prepare'), instance: z.string().min(1) }),
  z.object({ mode: z.literal('slice'), drill: drillState, steps: stepTimes }),
  z.object({
    mode: z.literal('finish'),
    drill: drillState,
    slice: z.object({ done: z.boolean(), steps: stepTimes, outcome: z.looseObject({ done: z.boolean() }) }),
  }),
]);

/** DRILL_TARGETS: instance name → the Secrets Manager secret of its scratch instance. */
const targetsSchema = z.record(z.string(), z.string());

type Deps = Parameters<typeof prepareDrill>[0] & { api: N8nHttpClient };
type SliceRequest = Extract<z.infer<typeof drillEventSchema>, { mode: 'slice' }>;
type FinishRequest = Extract<z.infer<typeof drillEventSchema>, { mode: 'finish' }>;

/** A restore drill on AWS, in the restore's bounded slices: see docs/OPERATIONS.md "Restore drills". */
export async function handler(event: unknown, context: { getRemainingTimeInMillis(): number }) {
  const request = parseAtEdge(drillEventSchema, event, 'drill event');
  const c = compose(process.env);
  const instance = request.mode === 'prepare' ? request.instance : request.drill.instance;
  const deps = {
    api: await scratchOf(c, instance),
    clock: systemClock,
    logger: c.logger,
    progress: silentProgress,
  };
  if (request.mode === 'prepare') return prepare(c, deps, instance);
  const location = formatS3Url({ bucket: c.env.ARCHIVE_BUCKET, ...request.drill.archive });
  const archive = await openArchiveAt(c.store, location, openZipArchive);
  try {
    if (request.mode === 'slice') return await slice(c, { ...deps, archive }, request, context);
    return await finish(c, { ...deps, archive, location }, request);
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
  if (!newest) throw new UsageError(`no archive of ${instance} to drill`);
  const startedAt = new Date();
  const { wiped, steps } = await prepareDrill({ ...deps, capabilities: deps.api }, true);
  const { key, versionId } = parseS3Url(newest);
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
  context: { getRemainingTimeInMillis(): number },
) {
  const remaining = context.getRemainingTimeInMillis();
  const { outcome, steps } = await restoreSlice(
    { ...deps, capabilities: deps.api },
    new S3LedgerStore(c.s3, c.env.ARCHIVE_BUCKET, request.drill.ledgerKey),
    { deadline: Date.now() + remaining - SAFETY_MARGIN_MS },
    request.steps,
    {
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
      endsBy: new Date(Date.now() + remaining + SAFETY_MARGIN_MS).toISOString(),
    },
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
  process.stdout.write(`${drillMetricsLine({ instance, passed, durationMs, rtoEstimateMs })}\n`);
  const { bucket, key } = parseS3Url(files.html);
  const region = process.env.AWS_REGION ?? '';
  const consoleUrl = `https://console.aws.amazon.com/s3/object/${bucket}?region=${region}&prefix=${encodeURIComponent(key)}`;
  return {
    instance,
    verdict: report.verdict,
    reasons: report.reasons.slice(0, 5),
    report: { ...files, consoleUrl },
  };
}

async function scratchOf(c: Composition, instance: string): Promise<N8nHttpClient> {
  const targets = parseAtEdge(targetsSchema, JSON.parse(process.env.DRILL_TARGETS ?? '{}'), 'DRILL_TARGETS');
  const secretName = targets[instance];
  if (!secretName) throw new UsageError(`instance "${instance}" has no drill target configured`);
  const { url, apiKey } = await readInstanceSecret(
    new SecretsManagerSecretSource(new SecretsManagerClient({})),
    secretName,
  );
  return new N8nHttpClient({ baseUrl: url, apiKey, logger: c.logger });
}

/**
 * Objects n8n will refuse for their size, known before writing. n8n reads no request body past its
 * payload limit (N8N_PAYLOAD_SIZE_MAX, 16 MiB by default): a workflow with 50 MiB of pinned data, a
 * row with a 20 MiB cell, is answered 413 after everything before it was written. n8n states the
 * limit nowhere, but answers a probe that writes nothing (`N8nBodyLimitApi`, measured on 2.41.1).
 *
 * The verifying pass weighs every record a restore writes whose line is large (`LargeRecords`: the
 * body its kind would send, `ArchiveEntrySpec.bodyBytes`); the plan probes the target only when
 * something was weighed — once at the largest body, then by bisection when that is refused — and
 * marks each workflow past the limit `refusedBy`, lists every record past it (`bodyLimit`), and says
 * so. A run fails them up front (nothing of them is written; everything else is), and asks the
 * target again first, so raising the limit and running the same command again restores them.
 */
import type { RecordPlace } from '../archive/check.js';
import { ENTRY_SPECS } from '../archive/entries.js';
import type { OversizedRecord, PlanEntry, RestorePlan } from '../kinds/shared/plan-records.js';
import type { N8nBodyLimitApi } from '../n8n-ports.js';
import type { RestoreLedger } from './ledger.js';

/**
 * Bodies smaller than this are not weighed: n8n counts its limit in MiB (16 by default), so no
 * instance set to whole MiB refuses them.
 */
export const LARGE_BODY_BYTES = 256 * 1024;
/** At most this many large records are remembered: 10,000 bodies of 256 KiB and more are 2.5 GB. */
const MAX_LARGE = 10_000;
/** The bisection stops once the limit is known to within this many bytes. */
const PRECISION_BYTES = 1024;

/** The records of an archive whose write body is large, as the verifying pass reads them. */
export class LargeRecords {
  readonly found: OversizedRecord[] = [];

  weigh(resource: string, record: unknown, place: RecordPlace): void {
    if (place.bytes < LARGE_BODY_BYTES || this.found.length >= MAX_LARGE) return;
    const bodyBytes = ENTRY_SPECS.get(resource)?.bodyBytes;
    const bytes = bodyBytes?.(record);
    if (bytes === undefined || bytes < LARGE_BODY_BYTES) return;
    this.found.push({
      resource,
      id: String((record as { id?: unknown }).id),
      entry: place.entry.name,
      line: place.line,
      bytes,
      ...(place.entry.dataTableId ? { dataTableId: place.entry.dataTableId } : {}),
    });
  }
}

/** What the plan says of the limit: notes and warnings, as the plan context takes them. */
interface PlanVoice {
  note(text: string): void;
  warn(warning: { code: string; message: string }): void;
}

/**
 * Probes the target for the archive's large bodies; marks the plan's entries n8n would refuse and
 * records the limit. Nothing large: no probe, no change.
 */
export async function judgeBodySizes(
  plan: RestorePlan,
  api: N8nBodyLimitApi,
  large: readonly OversizedRecord[],
  voice: PlanVoice,
): Promise<void> {
  if (large.length === 0) return;
  const largest = Math.max(...large.map((r) => r.bytes));
  const accepts = await largestAccepted(api, largest);
  if (accepts === undefined) {
    voice.note(
      `The target's payload limit could not be learnt: ${large.length} record(s) of ${formatBytes(LARGE_BODY_BYTES)} or more are written without knowing whether n8n takes them.`,
    );
    return;
  }
  const oversized = large.filter((r) => r.bytes > accepts);
  plan.bodyLimit = { accepts, oversized };
  if (oversized.length === 0) return;
  markRefused(plan, oversized, accepts);
  voice.note(
    `The target reads request bodies of at most ${formatBytes(accepts)} (its N8N_PAYLOAD_SIZE_MAX): ${oversized.length} record(s) are larger and fail without being written; everything else is restored. Raise the limit and run the same command again to restore them.`,
  );
  for (const record of oversized.slice(0, 50))
    voice.warn({ code: 'body-too-large', message: describeOversized(record, accepts) });
}

/**
 * Before a run writes: asks the target again for what the plan found too large (the limit may have
 * been raised since), lets through what it now takes, and counts the rest failed (once per run).
 */
export async function refuseOversized(
  plan: RestorePlan,
  api: N8nBodyLimitApi,
  ledger: RestoreLedger,
): Promise<void> {
  const limit = plan.bodyLimit;
  if (!limit || limit.oversized.length === 0) return;
  const smallest = Math.min(...limit.oversized.map((r) => r.bytes));
  const largest = Math.max(...limit.oversized.map((r) => r.bytes));
  if ((await api.acceptsBodyOf(smallest)) === true) {
    const accepts =
      (await api.acceptsBodyOf(largest)) === true ? largest : await bisect(api, smallest, largest);
    limit.accepts = accepts;
    limit.oversized = limit.oversized.filter((r) => r.bytes > accepts);
    for (const entry of plan.entries)
      if (entry.refusedBy && !isOversized(limit.oversized, entry)) delete entry.refusedBy;
    ledger.changed();
  }
  for (const entry of plan.entries) {
    if (!entry.refusedBy || ledger.hasFailed(entry.resource, entry.sourceId)) continue;
    ledger.count('failed', entry.resource);
    ledger.markFailed(entry.resource, entry.sourceId);
    ledger.warn({
      code: 'restore-failed',
      resource: entry.resource,
      message: `${entry.resource} "${entry.name}": not written: ${entry.refusedBy}`,
      ...(entry.resource === 'workflows' ? { workflow: { id: entry.sourceId, name: entry.name } } : {}),
    });
  }
}

/** The rows of a table past the limit, for its rows step to refuse the table's rows up front. */
export function oversizedRowsOf(plan: RestorePlan, tableId: string): OversizedRecord[] {
  return (plan.bodyLimit?.oversized ?? []).filter((r) => r.dataTableId === tableId);
}

/** What a refused record is, for people: `workflows.ndjson line 3 (18.0 MiB)`. */
export function describeOversized(record: OversizedRecord, accepts: number): string {
  return `${record.entry} line ${record.line} (${record.resource} ${record.id}): its body is ${formatBytes(record.bytes)}, past the target's payload limit of ${formatBytes(accepts)}`;
}

/** The largest body the target reads, up to `largest`; undefined when it cannot tell. */
async function largestAccepted(api: N8nBodyLimitApi, largest: number): Promise<number | undefined> {
  const whole = await api.acceptsBodyOf(largest);
  if (whole === undefined) return undefined;
  return whole ? largest : bisect(api, 0, largest);
}

/** The limit between `accepted` (taken) and `refused` (not), to within PRECISION_BYTES, by halving. */
async function bisect(api: N8nBodyLimitApi, accepted: number, refused: number): Promise<number> {
  let low = accepted;
  let high = refused;
  while (high - low > PRECISION_BYTES) {
    const middle = Math.floor((low + high) / 2);
    if ((await api.acceptsBodyOf(middle)) === true) low = middle;
    else high = middle;
  }
  return low;
}

/** Entries whose own record is past the limit are refused; a table's rows are refused by its rows step. */
function markRefused(plan: RestorePlan, oversized: readonly OversizedRecord[], accepts: number): void {
  for (const entry of plan.entries) {
    if (entry.action !== 'create' && entry.action !== 'update') continue;
    const record = oversized.find((r) => r.resource === entry.resource && r.id === entry.sourceId);
    if (record) entry.refusedBy = describeOversized(record, accepts);
  }
}

function isOversized(oversized: readonly OversizedRecord[], entry: PlanEntry): boolean {
  return oversized.some((r) => r.resource === entry.resource && r.id === entry.sourceId);
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/**
 * The scratch instance a drill restores into. An operator marks it once as a drill target by
 * creating a tag named DRILL_TARGET_TAG on it (tags are readable by the Public API on every n8n
 * edition, licensed or not). A drill refuses an unmarked instance, and an instance that holds
 * anything besides that tag unless asked to wipe it first: a drill into a busy instance proves
 * nothing, and a wipe of the wrong instance would be a disaster.
 */
import type { Difference, DiffResult } from '../diff/compare.js';
import { DrillRefusedError, MissingScopeError, NotFoundError } from '../errors.js';
import { readListing } from '../instance/read.js';
import { collect } from '../json.js';
import { EVERY_KIND } from '../kinds/index.js';
import type { Kind } from '../kinds/kind.js';
import type { N8nCapabilities, N8nScratchApi } from '../ports.js';

/** The tag that marks an n8n instance as a drill target (n8n limits tag names to 24 characters). */
export const DRILL_TARGET_TAG = 'n8n-ark-drill-target';

/** What the scratch instance holds, by resource, and what a wipe can remove. */
export interface ScratchContents {
  marked: boolean;
  /** Objects by resource (tags without the marker; projects: team projects only). */
  counts: Record<string, number>;
  /** Resources the key or the licence cannot read here, with why (they cannot hold anything a drill wrote). */
  unavailable: Partial<Record<string, string>>;
}

/**
 * The kinds a scratch is looked at for (`Kind.scratch`): what a restore writes that can be listed on
 * any edition or licence; the required kind (workflows) first, as a person looks for it.
 */
const SCRATCH_KINDS: readonly Kind[] = [
  ...EVERY_KIND.filter((kind) => kind.scratch && kind.required),
  ...EVERY_KIND.filter((kind) => kind.scratch && !kind.required),
];
/** The marker is a tag: tags are readable on every edition, so they are listed as the workflows are. */
const MARKER_KIND = 'tags';

function isMarker(kind: Kind, record: unknown): boolean {
  return kind.resource === MARKER_KIND && (record as { name?: unknown }).name === DRILL_TARGET_TAG;
}

export async function inspectScratch(api: N8nScratchApi): Promise<ScratchContents> {
  const contents: ScratchContents = { marked: false, counts: {}, unavailable: {} };
  for (const kind of SCRATCH_KINDS) {
    const list = () => kind.list?.(api) ?? noObjects();
    const listing =
      kind.required || kind.resource === MARKER_KIND
        ? { items: await collect(list()) }
        : await readListing(list);
    if ('unavailable' in listing) {
      contents.unavailable[kind.resource] = listing.unavailable;
      continue;
    }
    if (listing.items.some((record) => isMarker(kind, record))) contents.marked = true;
    contents.counts[kind.resource] = listing.items.filter(
      (record) => !isMarker(kind, record) && (kind.scratch?.counts?.(record) ?? true),
    ).length;
  }
  return contents;
}

/** Describes what the instance holds, e.g. `3 workflows, 1 tags`. */
export function describeContents(
  contents: ScratchContents,
  resources = Object.keys(contents.counts),
): string {
  return resources
    .map((r) => [r, contents.counts[r] ?? 0] as const)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
}

export function isEmpty(contents: ScratchContents): boolean {
  return Object.values(contents.counts).every((n) => n === 0);
}

/** The kinds a wipe deletes; the others (variables, team projects) n8n-ark sends no delete for. */
function wipeable(): Kind[] {
  return SCRATCH_KINDS.filter((kind) => kind.scratch?.wipe);
}

/**
 * Refuses (DrillRefusedError, nothing written) a target that is not marked, one that is not empty
 * without `wipe`, and one holding what a wipe cannot remove.
 */
export function refuseUnfitScratch(url: string, contents: ScratchContents, wipe: boolean): void {
  if (!contents.marked) throw scratchNotMarked(url, wipe);
  if (isEmpty(contents)) return;
  if (!wipe) throw scratchNotEmpty(url, describeContents(contents));
  const wiped = new Set(wipeable().map((kind) => kind.resource));
  const kept = describeContents(
    contents,
    Object.keys(contents.counts).filter((r) => !wiped.has(r)),
  );
  if (kept) throw keptByWipe(url, kept, [...wiped]);
}

/** Refuses a wipe the key could only half do, before the first delete (where the instance tells its scopes). */
export async function refuseWipeWithoutScopes(capabilities: N8nCapabilities): Promise<void> {
  const scopes = await capabilities.discoverScopes();
  if (!scopes) return;
  const missing = wipeable()
    .flatMap((kind) => kind.scratch?.wipeScopes ?? [])
    .filter((scope) => !scopes.includes(scope));
  if (missing.length > 0) throw wipeScopesMissing(missing);
}

/** A diff of the archive against the scratch, less the marker (only in the scratch, counted there). */
export function leaveOutMarker(result: DiffResult): DiffResult {
  const isMarkerDifference = (d: Difference) =>
    d.resource === MARKER_KIND && d.key === DRILL_TARGET_TAG && d.change === 'only-in-b';
  const counted = result.compared[MARKER_KIND];
  return {
    ...result,
    differences: result.differences.filter((d) => !isMarkerDifference(d)),
    compared: {
      ...result.compared,
      ...(counted ? { [MARKER_KIND]: { a: counted.a, b: Math.max(0, counted.b - 1) } } : {}),
    },
  };
}

/** What a wipe removed, by resource. */
export type WipeCounts = Record<string, number>;

/** What a wipe of the scratch deletes, by resource (the kinds a wipe deletes, less the marker). */
export function toWipe(contents: ScratchContents): WipeCounts {
  return Object.fromEntries(wipeable().map((kind) => [kind.resource, contents.counts[kind.resource] ?? 0]));
}

/**
 * Deletes every object of the kinds a wipe deletes (workflows unpublished first) but the marker. Run
 * it only after refuseUnfitScratch. A delete that finds the object gone counts it as deleted; a
 * workflow n8n is still unpublishing is tried again after `pause`.
 */
export async function wipeScratch(
  api: N8nScratchApi,
  pause: (ms: number) => Promise<void> = async () => {},
): Promise<WipeCounts> {
  return (await deleteFromScratch(api, pause, () => false)).wiped;
}

/** As wipeScratch, stopping between two deletes once `stop` says so (a drill machine's slice). */
export async function deleteFromScratch(
  api: N8nScratchApi,
  pause: (ms: number) => Promise<void>,
  stop: () => boolean,
): Promise<{ wiped: WipeCounts; done: boolean }> {
  const wiped: WipeCounts = {};
  for (const kind of wipeable()) {
    let deleted = 0;
    for (const record of await collect(kind.list?.(api) ?? noObjects())) {
      if (isMarker(kind, record)) continue;
      if (stop()) return { wiped: { ...wiped, [kind.resource]: deleted }, done: false };
      await gone(() => kind.scratch?.wipe?.(api, record, pause) ?? Promise.resolve());
      deleted += 1;
    }
    wiped[kind.resource] = deleted;
  }
  return { wiped, done: true };
}

async function* noObjects(): AsyncGenerator<never> {}

/** A delete whose object is already gone (a retried request whose first answer was lost) succeeded. */
async function gone(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

// --- the refusals, with what to do next --------------------------------------------------------

function scratchNotMarked(url: string, wipe: boolean): DrillRefusedError {
  return new DrillRefusedError(
    `${url} is not marked as a drill target: a drill restores a whole archive into it${wipe ? ' and --wipe-scratch deletes what it holds' : ''}. If it is a scratch instance, create a tag named "${DRILL_TARGET_TAG}" on it once (n8n: Overview → a workflow's tags, or POST /api/v1/tags), then run the drill again. Nothing was written.`,
  );
}

function scratchNotEmpty(url: string, holds: string): DrillRefusedError {
  return new DrillRefusedError(
    `the drill target ${url} is not empty (${holds}): a drill into a busy instance proves nothing. Run with --wipe-scratch to delete them first, or use an empty instance. Nothing was written.`,
  );
}

function keptByWipe(url: string, kept: string, wiped: readonly string[]): DrillRefusedError {
  const deleted = `${wiped.slice(0, -1).join(', ')}${wiped.length > 1 ? ' and ' : ''}${wiped.at(-1) ?? ''}`;
  return new DrillRefusedError(
    `the drill target ${url} holds ${kept}, which --wipe-scratch cannot delete (it deletes ${deleted} only); remove them in n8n, then run the drill again. Nothing was written.`,
  );
}

function wipeScopesMissing(missing: readonly string[]): MissingScopeError {
  return new MissingScopeError(
    `the scratch instance's API key lacks ${missing.join(', ')}, which --wipe-scratch needs; nothing was deleted. Create a key with them in n8n (Settings → n8n API).`,
    { status: 403, method: 'GET', path: '/discover', scope: missing[0] },
  );
}

/**
 * The scratch instance a drill restores into. An operator marks it once as a drill target by
 * creating a tag named DRILL_TARGET_TAG on it (tags are readable by the Public API on every n8n
 * edition, licensed or not). A drill refuses an unmarked instance, and an instance that holds
 * anything besides that tag unless asked to wipe it first: a drill into a busy instance proves
 * nothing, and a wipe of the wrong instance would be a disaster.
 */
import { ConflictError, DrillRefusedError, MissingScopeError, NotFoundError } from '../errors.js';
import { readListing } from '../instance/read.js';
import type { N8nApi, N8nCapabilities, N8nScratchDeletes } from '../ports.js';

/** The tag that marks an n8n instance as a drill target (n8n limits tag names to 24 characters). */
export const DRILL_TARGET_TAG = 'n8n-ark-drill-target';

/** What the scratch instance holds, by resource, and what a wipe can remove. */
export interface ScratchContents {
  marked: boolean;
  /** Objects by resource (tags without the marker; projects: team projects only). */
  counts: Record<ScratchResource, number>;
  /** Resources the key or the licence cannot read here, with why (they cannot hold anything a drill wrote). */
  unavailable: Partial<Record<ScratchResource, string>>;
}

/** What a scratch is looked at for: what a restore writes that can be listed on any edition or licence. */
const NOTHING = { workflows: 0, tags: 0, credentials: 0, dataTables: 0, variables: 0, projects: 0 };
type ScratchResource = keyof typeof NOTHING;

/** What a wipe deletes; variables and team projects it cannot (n8n-ark sends no delete for them). */
const NOTHING_WIPED = { workflows: 0, tags: 0, credentials: 0, dataTables: 0 };
const WIPEABLE: readonly string[] = Object.keys(NOTHING_WIPED);

export async function inspectScratch(
  api: Pick<
    N8nApi,
    'listTags' | 'listWorkflows' | 'listCredentials' | 'listDataTables' | 'listVariables' | 'listProjects'
  >,
): Promise<ScratchContents> {
  const counts = { ...NOTHING };
  const unavailable: ScratchContents['unavailable'] = {};
  let marked = false;
  for await (const tag of api.listTags()) {
    if (tag.name === DRILL_TARGET_TAG) marked = true;
    else counts.tags += 1;
  }
  for await (const _ of api.listWorkflows({ excludePinnedData: true })) counts.workflows += 1;
  const listings = {
    credentials: () => api.listCredentials(),
    dataTables: () => api.listDataTables(),
    variables: () => api.listVariables(),
    projects: () => api.listProjects(),
  } as const;
  for (const [resource, list] of Object.entries(listings) as [
    keyof typeof listings,
    () => AsyncIterable<unknown>,
  ][]) {
    const listing = await readListing(list);
    if ('unavailable' in listing) unavailable[resource] = listing.unavailable;
    else
      counts[resource] =
        resource === 'projects'
          ? listing.items.filter((p) => (p as { type?: string }).type === 'team').length
          : listing.items.length;
  }
  return { marked, counts, unavailable };
}

/** Describes what the instance holds, e.g. `3 workflows, 1 tags`. */
export function describeContents(
  contents: ScratchContents,
  resources = Object.keys(contents.counts),
): string {
  return resources
    .map((r) => [r, contents.counts[r as ScratchResource]] as const)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
}

export function isEmpty(contents: ScratchContents): boolean {
  return Object.values(contents.counts).every((n) => n === 0);
}

/**
 * Refuses (DrillRefusedError, nothing written) a target that is not marked, one that is not empty
 * without `wipe`, and one holding what a wipe cannot remove.
 */
export function refuseUnfitScratch(url: string, contents: ScratchContents, wipe: boolean): void {
  if (!contents.marked)
    throw new DrillRefusedError(
      `${url} is not marked as a drill target: a drill restores a whole archive into it${wipe ? ' and --wipe-scratch deletes what it holds' : ''}. If it is a scratch instance, create a tag named "${DRILL_TARGET_TAG}" on it once (n8n: Overview → a workflow's tags, or POST /api/v1/tags), then run the drill again. Nothing was written.`,
    );
  if (isEmpty(contents)) return;
  if (!wipe)
    throw new DrillRefusedError(
      `the drill target ${url} is not empty (${describeContents(contents)}): a drill into a busy instance proves nothing. Run with --wipe-scratch to delete them first, or use an empty instance. Nothing was written.`,
    );
  const kept = describeContents(
    contents,
    Object.keys(contents.counts).filter((r) => !WIPEABLE.includes(r)),
  );
  if (kept)
    throw new DrillRefusedError(
      `the drill target ${url} holds ${kept}, which --wipe-scratch cannot delete (it deletes workflows, tags, credentials and data tables only); remove them in n8n, then run the drill again. Nothing was written.`,
    );
}

/** The scopes --wipe-scratch uses (unpublish, then the deletes), as n8n 2.41 names them. */
export const WIPE_SCOPES = [
  'workflow:deactivate',
  'workflow:delete',
  'credential:delete',
  'dataTable:delete',
  'tag:delete',
] as const;

/** Refuses a wipe the key could only half do, before the first delete (where the instance tells its scopes). */
export async function refuseWipeWithoutScopes(capabilities: N8nCapabilities): Promise<void> {
  const scopes = await capabilities.discoverScopes();
  if (!scopes) return;
  const missing = WIPE_SCOPES.filter((scope) => !scopes.includes(scope));
  if (missing.length === 0) return;
  throw new MissingScopeError(
    `the scratch instance's API key lacks ${missing.join(', ')}, which --wipe-scratch needs; nothing was deleted. Create a key with them in n8n (Settings → n8n API).`,
    { status: 403, method: 'GET', path: '/discover', scope: missing[0] },
  );
}

/** What a wipe removed, by resource. */
export type WipeCounts = typeof NOTHING_WIPED;

/**
 * Deletes every workflow (unpublished first), credential, data table and tag but the marker. Run it
 * only after refuseUnfitScratch. A delete that finds the object gone counts it as deleted; a
 * workflow n8n is still unpublishing (409) is tried again after `pause`.
 */
export async function wipeScratch(
  api: N8nScratchDeletes &
    Pick<
      N8nApi,
      | 'listWorkflows'
      | 'unpublishWorkflow'
      | 'deleteWorkflow'
      | 'listCredentials'
      | 'listDataTables'
      | 'listTags'
    >,
  pause: (ms: number) => Promise<void> = async () => {},
): Promise<WipeCounts> {
  const wiped: WipeCounts = { ...NOTHING_WIPED };
  const workflows = [];
  for await (const w of api.listWorkflows({ excludePinnedData: true })) workflows.push(w);
  for (const workflow of workflows) {
    if (workflow.active) await gone(() => api.unpublishWorkflow(workflow.id));
    await deleteSettling(() => api.deleteWorkflow(workflow.id), pause);
    wiped.workflows += 1;
  }
  for (const credential of await all(api.listCredentials())) {
    await gone(() => api.deleteCredential(credential.id));
    wiped.credentials += 1;
  }
  for (const table of await all(api.listDataTables())) {
    await gone(() => api.deleteDataTable(table.id));
    wiped.dataTables += 1;
  }
  for (const tag of await all(api.listTags())) {
    if (tag.name === DRILL_TARGET_TAG) continue;
    await gone(() => api.deleteTag(tag.id));
    wiped.tags += 1;
  }
  return wiped;
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A delete whose object is already gone (a retried request whose first answer was lost) succeeded. */
async function gone(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

/** n8n answers 409 to a delete while a workflow is still being unpublished; it settles within seconds. */
async function deleteSettling(
  work: () => Promise<void>,
  pause: (ms: number) => Promise<void>,
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await gone(work);
    } catch (error) {
      if (attempt >= 40 || !(error instanceof ConflictError)) throw error;
      await pause(250);
    }
  }
}

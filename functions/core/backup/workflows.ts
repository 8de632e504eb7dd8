/**
 * The workflows of a backup, as records for workflows.ndjson. GET /workflows lists full bodies
 * (asked without pinned data: a page of 250 could be gigabytes) but no description and no folder
 * (docs/REAL-N8N-FINDINGS.md). The folder comes from n8n's package export, one call per page
 * listed, asked for while the page before is completed; the description, pinned data and shares
 * with their project from GET /workflows/{id}, or, for a workflow unchanged since the previous
 * archive, from that archive (previous.ts).
 *
 * A record holds one saved version. A workflow saved between its listing and its GET comes back
 * from the GET with another `versionId` or `updatedAt`: its record is then the GET's whole (every
 * field the listing has, from the later version), never the listing's name and nodes with the
 * later version's description (seen on a busy Postgres-backed n8n: docs/REAL-N8N-FINDINGS.md).
 */
import { batches, mapOrdered, present } from '../async-iterables.js';
import { AuthenticationError, N8nApiError, NotFoundError } from '../errors.js';
import type { Workflow } from '../n8n-types.js';
import type { GaplessStart, N8nPackagesApi, N8nWorkflowsApi } from '../ports.js';
import type { PreviousArchive, WorkflowDetail } from './previous.js';

/** What reading workflow records takes of n8n: the workflow routes, and the package export for folders. */
export type WorkflowReader = N8nWorkflowsApi & Pick<N8nPackagesApi, 'workflowFolders'>;

/** Workflows placed per package export: one list page (n8n takes up to 300 ids a call). */
export const FOLDER_BATCH = 250;
/** The manifest's `skipped` resource when no workflow's folder could be learnt. */
export const FOLDER_PLACEMENT_RESOURCE = 'workflowFolders';

export interface WorkflowRecordsOptions {
  /** GET /workflows/{id} in flight at once. */
  concurrency: number;
  previous?: PreviousArchive;
  /** Called once when folder placement cannot be learnt, with the reason. */
  onFoldersUnknown: (reason: string) => void;
  /** Called with a workflow deleted between its listing and its read (it is left out). */
  onGone?: (listed: Workflow) => void;
  /** Read on where an earlier slice of a sliced run stood (it had `written` these, by id). */
  from?: GaplessStart;
  written?: { has(id: string): boolean };
  /** Only these workflows (a comparison reads the few that differ again). */
  only?: ReadonlySet<string>;
}

/** Workflows as the archive records them, in list order; one deleted since it was listed is left out. */
export function workflowRecords(
  api: WorkflowReader,
  options: WorkflowRecordsOptions,
): AsyncIterable<Workflow> {
  const placement = new FolderPlacement(api, options.onFoldersUnknown);
  const listing = api.listWorkflowsWithoutGaps
    ? api.listWorkflowsWithoutGaps({
        excludePinnedData: true,
        ...(options.from ? { from: options.from } : {}),
      })
    : notWritten(api.listWorkflows({ excludePinnedData: true }), options.written);
  const only = options.only;
  const chosen = only ? keep(listing, (w) => only.has(w.id)) : listing;
  return present(
    mapOrdered(placeInFolders(chosen, placement), options.concurrency, async ({ listed, folder }) => {
      const known = listedDetail(listed) ?? options.previous?.detailOf(listed);
      if (known) return workflowRecord(listed, known, folder);
      const read = await readWorkflow(api, listed.id);
      if (!read) {
        options.onGone?.(listed);
        return undefined;
      }
      return workflowRecord(
        sameVersion(listed, read) ? listed : asListed(listed, read),
        detailOf(read),
        folder,
      );
    }),
  );
}

/** A listing that cannot be taken up where it stood, read again without what was written before. */
function notWritten(
  listing: AsyncIterable<Workflow>,
  written: { has(id: string): boolean } | undefined,
): AsyncIterable<Workflow> {
  return written ? keep(listing, (w) => !written.has(w.id)) : listing;
}

async function* keep(
  listing: AsyncIterable<Workflow>,
  wanted: (w: Workflow) => boolean,
): AsyncGenerator<Workflow> {
  for await (const workflow of listing) if (wanted(workflow)) yield workflow;
}

/** The one shape of a record, whether its detail was read now or reused. */
export function workflowRecord(
  listed: Workflow,
  detail: WorkflowDetail,
  folder: string | null | undefined,
): Workflow {
  return {
    ...listed,
    ...(detail.pinData !== undefined ? { pinData: detail.pinData } : {}),
    description: detail.description ?? null,
    ...(folder !== undefined ? { parentFolderId: folder } : {}),
    ...(detail.shared ? { shared: detail.shared } : {}),
  };
}

/** An n8n whose list has what GET /workflows/{id} adds (none measured; kept for such a one) needs no GET. */
function listedDetail(listed: Workflow): WorkflowDetail | undefined {
  if (!('description' in listed && 'pinData' in listed)) return undefined;
  return { description: listed.description ?? null, pinData: listed.pinData ?? null };
}

/** GET /workflows/{id}; undefined when it was deleted since it was listed. */
async function readWorkflow(
  api: Pick<N8nWorkflowsApi, 'getWorkflow'>,
  id: string,
): Promise<Workflow | undefined> {
  try {
    return await api.getWorkflow(id);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** What a record takes from GET /workflows/{id} beyond the listing. */
function detailOf(read: Workflow): WorkflowDetail {
  return {
    description: read.description ?? null,
    ...(read.pinData !== undefined ? { pinData: read.pinData } : {}),
    ...(read.shared ? { shared: read.shared } : {}),
  };
}

/** Whether the GET read the version the listing listed (n8n sets `updatedAt` on every save). */
function sameVersion(listed: Workflow, read: Workflow): boolean {
  return read.versionId === listed.versionId && read.updatedAt === listed.updatedAt;
}

/**
 * The listing's fields, each as the GET read it: the record of the later version, in the shape a
 * listed record has (the GET's published version without its publish history, which the listing
 * leaves out; fields only the GET has are not taken).
 */
function asListed(listed: Workflow, read: Workflow): Workflow {
  const record: Workflow = { ...listed };
  for (const key of Object.keys(listed)) if (key in read) record[key] = read[key];
  const published = read.activeVersion;
  if (published && typeof published === 'object' && 'workflowPublishHistory' in published) {
    const { workflowPublishHistory: _history, ...version } = published as Record<string, unknown>;
    record.activeVersion = version;
  }
  return record;
}

type Placed = { listed: Workflow; folder: string | null | undefined };

/** Each listed workflow with its folder (undefined: unknown); the next page's export overlaps this one's work. */
async function* placeInFolders(
  listing: AsyncIterable<Workflow>,
  placement: FolderPlacement,
): AsyncGenerator<Placed> {
  const pages = batches(listing, FOLDER_BATCH)[Symbol.asyncIterator]();
  const placedPage = async (): Promise<Placed[] | undefined> => {
    const page = await pages.next();
    if (page.done) return undefined;
    const folders = await placement.of(page.value.map((w) => w.id));
    return page.value.map((listed) => ({ listed, folder: folders?.get(listed.id) }));
  };
  let next = placedPage();
  for (;;) {
    const current = await next;
    if (!current) return;
    next = placedPage();
    next.catch(() => {});
    yield* current;
  }
}

/**
 * Asks the package export for folders until it answers that it cannot tell them (no route before
 * n8n 2.24, a key without workflow:export, a refusal): then says why once, and asks no more.
 */
class FolderPlacement {
  private unknown = false;

  constructor(
    private readonly api: Pick<N8nPackagesApi, 'workflowFolders'>,
    private readonly onUnknown: (reason: string) => void,
  ) {}

  async of(ids: string[]): Promise<Map<string, string | null> | undefined> {
    if (this.unknown) return undefined;
    try {
      return await this.api.workflowFolders(ids);
    } catch (error) {
      if (!(error instanceof N8nApiError) || error instanceof AuthenticationError) throw error;
      if (this.unknown) return undefined;
      this.unknown = true;
      this.onUnknown(foldersUnknownBecause(error));
      return undefined;
    }
  }
}

function foldersUnknownBecause(error: N8nApiError): string {
  const why =
    error instanceof NotFoundError
      ? 'this n8n has no POST /n8n-packages/export (n8n 2.24 or later has it)'
      : error.status === 403
        ? 'the API key may not use POST /n8n-packages/export (it needs the workflow:export scope)'
        : `POST /n8n-packages/export failed: ${error.message}`;
  return `${why}, the only route that names a workflow's folder: the archive does not say which folder each workflow is in, and a restore puts them at their project's root`;
}

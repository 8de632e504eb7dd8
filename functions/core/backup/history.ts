/**
 * Workflow version history in a backup: for each workflow written, its newest N saved versions
 * (GET /workflows/{id}/history, then the graph of each version the listing did not carry,
 * listed-versions.ts), one NDJSON record per version in
 * `workflow-history.ndjson`. Read a few workflows at a time and streamed into the archive, so only
 * the versions in flight are held.
 *
 * n8n cannot take history back (docs/REAL-N8N-FINDINGS.md): a restore writes the latest graph
 * only; the versions stay in the archive to read and to write out (`n8n-ark inspect --version`).
 */
import type { ArchiveBuilder, JsonLine, RecordsOptions } from '../archive/builder.js';
import { ENTRY } from '../archive/entries.js';
import type { SkippedResource } from '../archive/format.js';
import { mapOrdered } from '../async-iterables.js';
import { NotFoundError } from '../errors.js';
import { skippedBecause } from '../instance/read.js';
import type { WorkflowVersionMeta } from '../n8n-types.js';
import type { N8nEndpoint, N8nWorkflowsApi, PagedListing, Progress } from '../ports.js';
import {
  type Graph,
  type ListedGraphs,
  versionRecord,
  type WorkflowVersionRecord,
} from './listed-versions.js';
import type { EarlierVersions } from './previous.js';

/** What reading saved versions takes of n8n: the history routes, and a workflow's GET to tell a missing route. */
type HistoryReader = N8nEndpoint &
  Pick<N8nWorkflowsApi, 'latestWorkflowVersions' | 'getWorkflowVersion' | 'getWorkflow'>;

export type { WorkflowVersionRecord };

/** The manifest resource of the history entry. */
export const HISTORY_RESOURCE = 'workflowHistory';
/** Versions kept per workflow when the caller does not say. */
export const DEFAULT_HISTORY_VERSIONS = 10;

export interface HistoryExportOptions {
  /** The workflows written to the archive, in the order they were written. */
  workflowIds: Iterable<string>;
  /** Newest versions kept per workflow; 0 keeps none (no entry at all). */
  versions: number;
  concurrency: number;
  /** Called as each record is written (deadline checks, counting, progress). */
  observe?: () => void;
  /**
   * A workflow's versions as the previous archive holds them (its verified lines, copied as they
   * are) when they may be reused, or the graphs of those it holds when the workflow changed (called
   * in workflow order); undefined: read them from n8n.
   */
  reuse?: (workflowId: string, count: number) => Promise<EarlierVersions | undefined>;
  /** The graphs the workflow listing carried (the draft's, the published one's): no GET for those. */
  listed?: ListedGraphs;
  /** The entry was started by an earlier slice of a sliced backup: go on with it. */
  resumed?: boolean;
  /** Called as each workflow's versions are written (a sliced backup stops only between two). */
  onWorkflow?: () => void;
  /** A sliced backup's say after each workflow's versions (RecordsOptions.afterPage). */
  afterPage?: RecordsOptions['afterPage'];
}

/** A version read now, or a line of the previous archive copied as it is. */
type HistoryRecord = WorkflowVersionRecord | JsonLine;

export type HistoryExport = { records: number } | { skipped: SkippedResource } | { off: true };

/**
 * Writes the history entry, or learns from the first workflow (before the entry is started) that
 * history cannot be read: a scope the key lacks, or an n8n without the route. Either is a skip.
 */
export async function exportWorkflowHistory(
  { api, progress }: { api: HistoryReader; progress: Progress },
  archive: ArchiveBuilder,
  options: HistoryExportOptions,
): Promise<HistoryExport> {
  if (options.versions <= 0) return { off: true };
  progress.start(HISTORY_RESOURCE);
  let first: AsyncIterable<HistoryRecord[]>;
  try {
    first = await upToFirstVersion(versionPages(api, options));
  } catch (error) {
    if (options.resumed) throw error;
    const skipped =
      error instanceof HistoryRouteMissing ? error.skipped : skippedBecause(HISTORY_RESOURCE, error);
    if (skipped) return { skipped };
    throw error;
  }
  const entry = await archive.addRecords(
    ENTRY.workflowHistory,
    HISTORY_RESOURCE,
    perWorkflow(first, options),
    {
      observe: () => options.observe?.(),
      ...(options.afterPage ? { afterPage: options.afterPage } : {}),
    },
  );
  progress.done(HISTORY_RESOURCE, `${entry.records} saved versions`);
  return { records: entry.records };
}

/**
 * Reads up to the first workflow with a version before committing to anything, then hands every
 * page read on: what cannot read history (a scope, a missing route) shows before the entry starts.
 */
async function upToFirstVersion(
  pages: AsyncIterable<HistoryRecord[]>,
): Promise<AsyncIterable<HistoryRecord[]>> {
  const iterator = pages[Symbol.asyncIterator]();
  const read: HistoryRecord[][] = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    read.push(next.value);
    if (next.value.length > 0) break;
  }
  return (async function* () {
    yield* read;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
}

/** The versions as pages, a workflow's to a page, so a sliced backup stops between two workflows. */
function perWorkflow(
  pages: AsyncIterable<HistoryRecord[]>,
  options: HistoryExportOptions,
): PagedListing<HistoryRecord> {
  const listing: PagedListing<HistoryRecord> = {
    async *pages() {
      for await (const page of pages) {
        options.onWorkflow?.();
        yield page;
      }
    },
    async *[Symbol.asyncIterator]() {
      for await (const page of listing.pages()) yield* page;
    },
  };
  return listing;
}

function versionPages(api: HistoryReader, options: HistoryExportOptions): AsyncIterable<HistoryRecord[]> {
  return mapOrdered(each(options.workflowIds), options.concurrency, async (workflowId) => {
    // Asked before anything is awaited, so the previous archive is asked in workflow order.
    const earlier = await options.reuse?.(workflowId, options.versions);
    if (earlier && 'lines' in earlier) {
      options.listed?.forget(workflowId);
      return earlier.lines as HistoryRecord[];
    }
    const graphs = new Map([...(earlier?.graphs ?? []), ...(options.listed?.take(workflowId) ?? [])]);
    return await latestVersions(api, workflowId, options.versions, graphs);
  });
}

async function* each<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/**
 * A workflow's newest versions: a version whose graph is known (the listing carried it, or the
 * previous archive holds it) is built from it, the others read.
 * A workflow deleted since it was written has no history to keep; a version pruned meanwhile neither.
 */
async function latestVersions(
  api: HistoryReader,
  workflowId: string,
  count: number,
  graphs: Map<string, Graph>,
): Promise<WorkflowVersionRecord[]> {
  let metas: WorkflowVersionMeta[];
  try {
    metas = await api.latestWorkflowVersions(workflowId, count);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    if (await workflowExists(api, workflowId)) throw new HistoryRouteMissing(api.baseUrl, { cause: error });
    return [];
  }
  const records: WorkflowVersionRecord[] = [];
  for (const meta of metas) {
    const graph = graphs.get(meta.versionId);
    if (graph) {
      records.push(versionRecord(workflowId, meta, graph));
      continue;
    }
    try {
      records.push(versionRecord(workflowId, meta, await api.getWorkflowVersion(workflowId, meta.versionId)));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return records;
}

async function workflowExists(api: HistoryReader, workflowId: string): Promise<boolean> {
  try {
    await api.getWorkflow(workflowId);
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/** The history route answered 404 for a workflow that exists: an n8n from before the route. */
class HistoryRouteMissing extends Error {
  readonly skipped: SkippedResource;

  constructor(baseUrl: string, options?: ErrorOptions) {
    super(`${baseUrl} has no GET /workflows/{id}/history`, options);
    this.skipped = {
      resource: HISTORY_RESOURCE,
      reason: `n8n at ${baseUrl} answers 404 to GET /workflows/{id}/history for a workflow it has: this n8n has no version history in its Public API (n8n 2.41 has)`,
    };
  }
}

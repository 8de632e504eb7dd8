/**
 * What an incremental backup may take from the previous archive of the same instance in the same
 * store: for each workflow unchanged since (same versionId, updatedAt, published version and
 * shares, as GET /workflows lists it now), the fields only GET /workflows/{id} gives (description,
 * pinned data, shares with their project) and its saved versions. n8n 2.41 sets `updatedAt` on
 * every save, a description-only one included, and mints a new `versionId` whenever the graph
 * changes (WorkflowService.update; docs/REAL-N8N-FINDINGS.md), so a workflow whose four marks are
 * unchanged has nothing new in those fields. Everything else comes from the fresh listing.
 *
 * The previous archive is used only when it verifies: its manifest parses, and the entries taken
 * from (workflows, history) match their digests, read in full before anything is reused. The new
 * archive copies what it takes and never refers to the old one.
 */
import type { ClosableArchive } from '../archive/access.js';
import { openArchiveAt } from '../archive/access.js';
import { JsonLine } from '../archive/builder.js';
import { ENTRY } from '../archive/entries.js';
import type { ArchiveWarning } from '../archive/format.js';
import {
  ArchiveIntegrityError,
  ArchiveKeyError,
  StoreError,
  UnsupportedArchiveFormatError,
} from '../errors.js';
import type { Json, JsonObject, Workflow, WorkflowShare } from '../n8n-types.js';
import type { ArchiveStore, Logger, OpenArchiveReader } from '../ports.js';
import { HISTORY_RESOURCE } from './history.js';
import { type Graph, graphOf } from './listed-versions.js';

/** The fields a backup reads from GET /workflows/{id} because the list lacks them. */
export interface WorkflowDetail {
  description: string | null;
  pinData?: JsonObject | null;
  shared?: WorkflowShare[];
}

interface Remembered {
  marks: string;
  detail: WorkflowDetail;
}

export type PreviousLookup =
  | { previous: PreviousArchive; warning?: undefined }
  | { previous?: undefined; warning?: ArchiveWarning };

/**
 * The newest archive of `instance` in `store`, when it is of the same n8n (`baseUrl`) and verifies;
 * otherwise nothing, with a warning when it was there but unusable.
 */
export async function findPreviousArchive(
  deps: { store: ArchiveStore; openReader: OpenArchiveReader; logger: Logger },
  instance: string,
  baseUrl: string,
  /** The one an earlier slice of a sliced backup chose (not looked for again). */
  chosen?: string,
): Promise<PreviousLookup> {
  let location: string | undefined = chosen;
  try {
    if (chosen === undefined)
      for await (const ref of deps.store.list({ instance })) {
        location = ref.location;
        break;
      }
  } catch (error) {
    // A store that cannot be listed fails the backup where it writes, with that error.
    if (!(error instanceof StoreError)) throw error;
    deps.logger.warn('previous archives could not be listed: a full backup', { reason: error.message });
    return {};
  }
  if (location === undefined) return {};
  let archive: ClosableArchive | undefined;
  try {
    archive = await openArchiveAt(deps.store, location, deps.openReader);
    if (archive.manifest.source.url !== baseUrl) {
      deps.logger.info('previous archive is of another n8n: a full backup', { location });
      await archive.close();
      return {};
    }
    return { previous: await PreviousArchive.read(archive, location) };
  } catch (error) {
    await archive?.close().catch(() => {});
    // An encrypted previous archive without its key (a nightly job that holds only the public key,
    // or a key since rotated) is not reused either: the new archive needs no key to be written.
    const unusable = [ArchiveIntegrityError, UnsupportedArchiveFormatError, StoreError, ArchiveKeyError];
    if (!unusable.some((kind) => error instanceof kind)) throw error;
    const message = `the previous archive ${location} could not be read or does not verify (${(error as Error).message}): nothing was reused from it, every workflow was read afresh`;
    deps.logger.warn('previous archive not reused', { location, reason: (error as Error).message });
    return { warning: { code: 'previous-archive-unusable', message } };
  }
}

/**
 * The previous archive a backup reuses from: the newest one, or for a slice taking a sliced backup
 * up, the one the first slice chose (while workflows or their history are still to be written),
 * with what earlier slices reused from it.
 */
export async function previousForBackup(
  deps: { store: ArchiveStore; openReader: OpenArchiveReader; logger: Logger; api: { baseUrl: string } },
  options: { instance: string },
  resumed:
    | {
        previous?: { location: string; reused: string[]; versionsReused: number };
        previousUnusable?: ArchiveWarning;
      }
    | undefined,
  isDone: (step: 'workflows' | 'history') => boolean,
): Promise<PreviousLookup> {
  if (resumed && (!resumed.previous || (isDone('workflows') && isDone('history'))))
    return resumed.previousUnusable ? { warning: resumed.previousUnusable } : {};
  const found = await findPreviousArchive(
    deps,
    options.instance,
    deps.api.baseUrl,
    resumed?.previous?.location,
  );
  if (resumed?.previous) found.previous?.takeUp(resumed.previous.reused, resumed.previous.versionsReused);
  return found;
}

export class PreviousArchive {
  /** Workflows whose detail was taken from this archive. */
  readonly reused = new Set<string>();
  versionsReused = 0;
  private readonly history: PreviousHistory | undefined;
  private closed = false;

  private constructor(
    private readonly archive: ClosableArchive,
    readonly location: string,
    private readonly workflows: Map<string, Remembered>,
    history: Map<string, HistoryGroup> | undefined,
  ) {
    const depth = archive.manifest.historyVersions;
    this.history = history && depth !== undefined ? new PreviousHistory(archive, history, depth) : undefined;
  }

  /** Reads (and so verifies) what may be reused: the workflows entry, and the history entry's index. */
  static async read(archive: ClosableArchive, location: string): Promise<PreviousArchive> {
    const workflows = new Map<string, Remembered>();
    if (archive.entriesOf('workflows').length === 0)
      throw new ArchiveIntegrityError('it has no workflows entry', { entry: ENTRY.workflows });
    for await (const record of archive.records<Workflow>(ENTRY.workflows)) {
      const marks = marksOf(record);
      if (marks !== undefined) workflows.set(record.id, { marks, detail: detailOf(record) });
    }
    const history = archive.entriesOf(HISTORY_RESOURCE).length > 0 ? await historyIndex(archive) : undefined;
    return new PreviousArchive(archive, location, workflows, history);
  }

  /** The detail of a workflow listed with the same marks as in this archive, or undefined. */
  detailOf(listed: Workflow): WorkflowDetail | undefined {
    const marks = marksOf(listed);
    const remembered = marks === undefined ? undefined : this.workflows.get(listed.id);
    if (!remembered || remembered.marks !== marks) return undefined;
    this.reused.add(listed.id);
    return remembered.detail;
  }

  /**
   * For a workflow this archive's detail was reused for, its newest `count` saved versions as this
   * archive holds them (`lines`); for one that changed, the graphs of the versions this archive
   * holds (a saved version never changes, so only versions new since need a read). Undefined when
   * it has none to give (kept fewer than asked with a smaller --history, or out of this archive's
   * order). Called in workflow order.
   */
  versionsOf(workflowId: string, count: number): Promise<EarlierVersions | undefined> {
    if (!this.history) return Promise.resolve(undefined);
    const reused = this.reused.has(workflowId);
    return this.history.take(workflowId, count, !reused).then((versions) => {
      if (!versions) return undefined;
      if (!reused) return { graphs: graphsOf(versions) };
      this.versionsReused += versions.length;
      return { lines: versions };
    });
  }

  /** Takes up what earlier slices of a sliced backup reused from this archive. */
  takeUp(reused: readonly string[], versionsReused: number): void {
    for (const id of reused) this.reused.add(id);
    this.versionsReused = versionsReused;
  }

  /** What was reused so far, as a sliced backup saves it between slices. */
  summaryOfReuse(): { reused: string[]; versionsReused: number } {
    return { reused: [...this.reused], versionsReused: this.versionsReused };
  }

  /** What the manifest says of this archive's part in the backup (`incremental`). */
  summary(): { previousArchive: string; workflowsReused: number; versionsReused: number } {
    return {
      previousArchive: this.location,
      workflowsReused: this.reused.size,
      versionsReused: this.versionsReused,
    };
  }

  /** Releases the archive's file or stream; again, does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.history?.close();
    await this.archive.close();
  }
}

interface HistoryGroup {
  /** The workflow's place in the entry (1, 2, …). */
  ordinal: number;
  count: number;
}

/**
 * The previous history entry, read once more front to back as the new backup asks for workflows
 * in (mostly) the same order: n8n lists workflows in a stable order, and both archives follow it.
 * A workflow asked for after the reader passed it is read from n8n instead. Only one workflow's
 * versions are held at a time.
 */
class PreviousHistory {
  private iterator: AsyncIterator<string> | undefined;
  private pending: HistoryLine | undefined;
  private position = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly archive: ClosableArchive,
    private readonly index: Map<string, HistoryGroup>,
    private readonly depth: number,
  ) {}

  /** A workflow's lines; `whole`: all it has, else the newest `count` when it kept enough. */
  take(workflowId: string, count: number, whole: boolean): Promise<JsonLine[] | undefined> {
    const next = this.queue.then(() => this.takeInOrder(workflowId, whole ? 0 : count));
    this.queue = next.catch(() => {});
    return next;
  }

  private async takeInOrder(workflowId: string, count: number): Promise<JsonLine[] | undefined> {
    const group = this.index.get(workflowId);
    if (!group || group.ordinal <= this.position) return undefined;
    // Fewer kept than asked for, by an archive that kept fewer: n8n may have more.
    if (count > 0 && group.count < count && this.depth < count) return undefined;
    this.iterator ??= this.archive.lines(ENTRY.workflowHistory)[Symbol.asyncIterator]();
    const versions: JsonLine[] = [];
    for (;;) {
      const record = this.pending ?? (await this.next());
      this.pending = undefined;
      if (record === undefined) break;
      if (record.workflowId !== workflowId) {
        if (versions.length > 0) {
          this.pending = record;
          break;
        }
        continue;
      }
      versions.push(record.line);
    }
    this.position = group.ordinal;
    if (versions.length !== group.count) return undefined;
    return count > 0 ? versions.slice(0, count) : versions;
  }

  private async next(): Promise<HistoryLine | undefined> {
    const result = await this.iterator?.next();
    return result && !result.done ? historyLine(result.value) : undefined;
  }

  async close(): Promise<void> {
    await this.iterator?.return?.().catch(() => {});
  }
}

/**
 * Where each workflow's versions are in the history entry, read (and so verified) once; the lines
 * are not parsed: each starts with its workflow's id (the backup writes the ids first).
 */
async function historyIndex(archive: ClosableArchive): Promise<Map<string, HistoryGroup>> {
  const history = new Map<string, HistoryGroup>();
  let ordinal = 0;
  let last: string | undefined;
  for await (const text of archive.lines(ENTRY.workflowHistory)) {
    const { workflowId } = historyLine(text);
    if (workflowId !== last) ordinal += 1;
    last = workflowId;
    const group = history.get(workflowId);
    // A workflow's versions not next to each other: not an order a merge can follow.
    if (group && group.ordinal !== ordinal)
      throw new ArchiveIntegrityError(`versions of workflow ${workflowId} are not together`, {
        entry: ENTRY.workflowHistory,
      });
    history.set(workflowId, { ordinal, count: (group?.count ?? 0) + 1 });
  }
  return history;
}

/** What the previous archive gives of a workflow's versions: its lines as they are, or graphs. */
export type EarlierVersions = { lines: JsonLine[] } | { graphs: Map<string, Graph> };

/** The graphs of a changed workflow's earlier versions, by version id (a line without one is left out). */
function graphsOf(lines: JsonLine[]): Map<string, Graph> {
  const graphs = new Map<string, Graph>();
  for (const line of lines) {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line.text) as Record<string, unknown>;
    } catch (error) {
      throw new ArchiveIntegrityError(
        'a saved version is not valid JSON',
        { entry: ENTRY.workflowHistory },
        { cause: error },
      );
    }
    const graph = graphOf(record);
    if (graph && typeof record.versionId === 'string') graphs.set(record.versionId, graph);
  }
  return graphs;
}

interface HistoryLine {
  workflowId: string;
  line: JsonLine;
}

/** `{"workflowId":"…",`: the id a history line starts with. */
const LEADING_WORKFLOW_ID = /^\{"workflowId":("(?:[^"\\]|\\.)*"),/;

/** A history line with its workflow's id: read from the line's start, or else by parsing it. */
function historyLine(text: string): HistoryLine {
  const leading = LEADING_WORKFLOW_ID.exec(text)?.[1];
  let workflowId: unknown;
  try {
    workflowId = JSON.parse(leading ?? text);
    if (leading === undefined) workflowId = (workflowId as { workflowId?: unknown } | null)?.workflowId;
  } catch {
    workflowId = undefined;
  }
  if (typeof workflowId !== 'string')
    throw new ArchiveIntegrityError('a saved version without its workflow id', {
      entry: ENTRY.workflowHistory,
    });
  return { workflowId, line: new JsonLine(text) };
}

/** What must be unchanged for a workflow's detail to be reused; undefined when the list lacks a mark. */
function marksOf(workflow: Workflow): string | undefined {
  if (typeof workflow.versionId !== 'string' || typeof workflow.updatedAt !== 'string') return undefined;
  const shares = (workflow.shared ?? []).map((s) => `${s.projectId}:${s.role}`).sort();
  const published = (workflow.activeVersionId as Json | undefined) ?? null;
  return JSON.stringify([workflow.versionId, workflow.updatedAt, published, shares]);
}

function detailOf(record: Workflow): WorkflowDetail {
  return {
    description: record.description ?? null,
    ...(record.pinData !== undefined ? { pinData: record.pinData } : {}),
    ...(record.shared ? { shared: record.shared } : {}),
  };
}

/**
 * The archive compared with a live instance (as `n8n-ark diff` compares them) over several Lambda
 * invocations: a drill's comparison of its scratch with the archive. The live side
 * is what takes long — every workflow with its detail, every row — so it is read in steps that
 * stop between two workflows or two pages of rows and save where they stand: the archive indexed;
 * the live kinds; the live workflows' names (the listing); their digests (each workflow as a
 * backup reads it, taken up after the ids done last); the rows, table by table, pair by pair (the
 * live listing taken up at its position, the archive's rows skipped to it); then the few changed
 * workflows read again to say how they differ, and the comparison (compare.ts, `diffIndexes`).
 */
import type { OpenedArchive } from '../archive/format.js';
import { workflowRecords } from '../backup/workflows.js';
import type { InstanceNames } from '../instance/identity.js';
import { digestOf } from '../json.js';
import type { SnapshotResource } from '../kinds/index.js';
import { WorkflowCanonicalizer } from '../kinds/workflows/canonical.js';
import type { DataTableRow, Json, Workflow } from '../n8n-types.js';
import type {
  Clock,
  GaplessStart,
  LedgerStore,
  ListingPosition,
  N8nApi,
  PositionedListing,
} from '../ports.js';
import { SliceClock, SliceEnded, type SliceRecord, startSlice } from '../slices.js';
import {
  canonicalFormsOf,
  type Difference,
  type DiffOptions,
  type DiffResult,
  diffIndexes,
  placementOf,
} from './compare.js';
import { fieldDifferences } from './format.js';
import { TableComparison, tablesOnBothSides } from './rows.js';
import {
  indexKinds,
  indexSide,
  keyOfWorkflow,
  type Placement,
  restoredIndex,
  type SavedIndex,
  savedIndex,
  uniqueKey,
} from './side-index.js';
import { archiveSnapshot, liveSnapshot } from './snapshot.js';

/** Changed workflows read again to say how they differ; past this many they are only named. */
export const DETAILED_WORKFLOWS = 20;
/** Ids a taken-up listing of workflows must meet again. */
const ANCHOR_IDS = 250;

export interface SlicedComparisonDeps {
  archive: OpenedArchive;
  /** The archive's location, for messages. */
  label: string;
  api: N8nApi;
  clock: Clock;
  /** Where the comparison's state is kept between slices. */
  store: Pick<LedgerStore, 'load' | 'save' | 'description'>;
}

export interface ComparisonSlice {
  execution: string;
  /** Epoch ms: the slice stops at the first place after it where it can. */
  endsAt: number;
  saveEveryMs: number;
}

export type ComparisonOutcome<T> =
  | { done: false; slices: number }
  | { done: true; slices: number; result: DiffResult; first: T };

interface RowsState {
  table: number;
  at?: {
    compared: Pick<TableComparison, 'position' | 'leftCount' | 'rightCount' | 'firstDifference'>;
    live: ListingPosition;
  };
  differences: Difference[];
  counts?: { a: number; b: number };
}

interface ComparisonState<T> {
  format: 'n8n-ark-sliced-comparison';
  slices: SliceRecord;
  first?: { value: T };
  /** The kinds each side's licence keeps from it (a: the archive, b: the live instance). */
  unlicensed?: { a: SnapshotResource[]; b: SnapshotResource[] };
  left?: SavedIndex;
  right?: SavedIndex;
  /** Live workflow id → its key, from the listing. */
  liveKeys?: [string, string][];
  digests?: { done: boolean; gone: number; processed: string[] };
  rows?: RowsState & { done: boolean };
  result?: DiffResult;
}

/**
 * One slice of the comparison. `first` runs once, before anything is compared (the restore
 * machine checks the archive's checksums there); its answer comes back with the result.
 */
export async function compareInSlices<T>(
  deps: SlicedComparisonDeps,
  options: DiffOptions,
  slice: ComparisonSlice,
  first: () => Promise<T>,
): Promise<ComparisonOutcome<T>> {
  const text = await deps.store.load();
  const loaded = text === undefined ? undefined : (JSON.parse(text) as ComparisonState<T>);
  let state: ComparisonState<T> =
    loaded?.format === 'n8n-ark-sliced-comparison' && loaded.slices.execution === slice.execution
      ? loaded
      : {
          format: 'n8n-ark-sliced-comparison',
          slices: { execution: slice.execution, count: 0, progressAtStart: 0, stalled: 0 },
        };
  if (state.result && state.first)
    return { done: true, slices: state.slices.count, result: state.result, first: state.first.value };
  state.slices = startSlice(
    state.slices.count === 0 ? undefined : state.slices,
    slice.execution,
    progressOf(state),
    'the comparison with the archive',
  );
  const save = async () => deps.store.save(JSON.stringify(state));
  await save();
  const clock = new SliceClock(() => deps.clock.now().getTime(), slice.endsAt, slice.saveEveryMs);
  const steps = new ComparisonSteps(
    deps,
    options,
    () => state,
    (next) => {
      state = next;
    },
  );
  try {
    await steps.run(first, clock, save);
  } catch (error) {
    if (error instanceof SliceEnded) return { done: false, slices: state.slices.count };
    throw error;
  }
  await save();
  return {
    done: true,
    slices: state.slices.count,
    result: state.result as DiffResult,
    first: (state.first as { value: T }).value,
  };
}

/** How far the comparison has come: a slice that adds none made no progress. */
function progressOf(s: ComparisonState<unknown>): number {
  const steps = [s.first, s.left, s.right, s.liveKeys, s.result].filter(Boolean).length;
  const rows = (s.rows?.table ?? 0) * 1_000_000 + (s.rows?.at?.compared.position ?? 0);
  return steps + (s.digests?.processed.length ?? 0) + rows;
}

class ComparisonSteps<T> {
  constructor(
    private readonly deps: SlicedComparisonDeps,
    private readonly options: DiffOptions,
    private readonly state: () => ComparisonState<T>,
    private readonly update: (state: ComparisonState<T>) => void,
  ) {}

  private get s(): ComparisonState<T> {
    return this.state();
  }

  private set(patch: Partial<ComparisonState<T>>): void {
    this.update({ ...this.s, ...patch });
  }

  /** Each step not done yet; a slice stops only after it did something (a step, a workflow, a page). */
  async run(first: () => Promise<T>, clock: SliceClock, save: () => Promise<void>): Promise<void> {
    const { archive, label, api } = this.deps;
    const steps: [() => unknown, () => Promise<Partial<ComparisonState<T>>>][] = [
      [() => this.s.first, async () => ({ first: { value: await first() } })],
      [() => this.s.unlicensed, async () => ({ unlicensed: await unlicensedOf(archive, label, api) })],
      [() => this.s.left, async () => ({ left: savedIndex(await indexSide(this.archived, this.placement)) })],
      [
        () => this.s.right,
        async () => ({ right: savedIndex(await indexKinds(liveSnapshot(api), this.placement)) }),
      ],
      [() => this.s.liveKeys, async () => ({ liveKeys: await this.liveKeys() })],
    ];
    for (const [done, step] of steps) {
      if (done()) continue;
      this.set(await step());
      await clock.at(save);
    }
    if (!this.s.digests?.done) await this.liveDigests(clock, save);
    if (!this.s.rows?.done) await this.rows(clock, save);
    if (!this.s.result) this.set({ result: await this.result() });
  }

  /** The kinds each side's licence keeps from it; where objects sit is compared only where both can hold them. */
  private get unlicensed(): { a: Set<SnapshotResource>; b: Set<SnapshotResource> } {
    return { a: new Set(this.s.unlicensed?.a), b: new Set(this.s.unlicensed?.b) };
  }

  private get placement(): Placement {
    return placementOf(this.unlicensed);
  }
  private get archived() {
    return archiveSnapshot(this.deps.archive, this.deps.label);
  }

  /** The live workflows' keys from the listing (names first: a workflow may call one listed later). */
  private async liveKeys(): Promise<[string, string][]> {
    const right = restoredIndex(this.s.right as SavedIndex);
    const { api } = this.deps;
    const listing =
      api.listWorkflowsWithoutGaps?.({ excludePinnedData: true }) ??
      api.listWorkflows({ excludePinnedData: true });
    const workflows: Workflow[] = [];
    for await (const workflow of listing) {
      right.names.workflows.set(workflow.id, workflow.name);
      // Only what its key needs is kept (its owning project is read from `shared` of a workflow).
      workflows.push({
        id: workflow.id,
        name: workflow.name,
        shared: workflow.shared,
        nodes: [],
      } as unknown as Workflow);
    }
    const seen = new Map<string, null>();
    const keys: [string, string][] = workflows.map((workflow) => {
      const key = uniqueKey(seen, keyOfWorkflow(workflow, right.names));
      seen.set(key, null);
      return [workflow.id, key];
    });
    this.set({ right: savedIndex(right) });
    return keys;
  }

  /** Each live workflow read as a backup reads it, digested; taken up after the ids done last. */
  private async liveDigests(clock: SliceClock, save: () => Promise<void>): Promise<void> {
    const right = restoredIndex(this.s.right as SavedIndex);
    const keys = new Map(this.s.liveKeys);
    const digests = this.s.digests ?? { done: false, gone: 0, processed: [] };
    const processed = new Set(digests.processed);
    const canonicalizer = new WorkflowCanonicalizer(right.names, this.placement);
    const from: GaplessStart | undefined =
      digests.processed.length > 0
        ? {
            offset: Math.max(0, digests.processed.length + digests.gone - 1),
            after: digests.processed.slice(-ANCHOR_IDS),
          }
        : undefined;
    const records = workflowRecords(this.deps.api, {
      concurrency: 4,
      onFoldersUnknown: () => {},
      onGone: () => {
        digests.gone += 1;
      },
      ...(from ? { from } : {}),
      written: processed,
    });
    const commit = () => {
      this.set({ right: savedIndex(right), digests: { ...digests, processed: [...processed] } });
      return save();
    };
    for await (const workflow of records) {
      const key =
        keys.get(workflow.id) ?? uniqueKey(right.workflowDigests, keyOfWorkflow(workflow, right.names));
      right.workflowDigests.set(key, digestOf(canonicalizer.canonical(workflow)));
      processed.add(workflow.id);
      await clock.at(commit);
    }
    digests.done = true;
    this.set({ right: savedIndex(right), digests: { ...digests, processed: [...processed] } });
    await clock.at(save);
  }

  /** The rows of each table both sides have, pair by pair; stopped between two pages of the live rows. */
  private async rows(clock: SliceClock, save: () => Promise<void>): Promise<void> {
    const left = restoredIndex(this.s.left as SavedIndex);
    const right = restoredIndex(this.s.right as SavedIndex);
    const tables = tablesOnBothSides(left, right);
    const rows: RowsState = this.s.rows ?? { table: 0, differences: [] };
    for (; rows.table < tables.length; rows.table += 1) {
      const { key, leftId, rightId } = tables[rows.table] as (typeof tables)[number];
      const table = rows.at ? TableComparison.restored(rows.at.compared) : new TableComparison();
      const archived = this.archivedRows(leftId, table.position);
      const live = this.deps.api.listDataTableRows(rightId, rows.at?.live) as LiveRows;
      rows.at = undefined;
      for await (const page of pagesWithPosition(live)) {
        for (const row of page.items) {
          const next = await archived.next();
          table.add(next.done ? undefined : next.value, row);
        }
        if (page.position) {
          const at = { compared: { ...table }, live: page.position };
          await clock.at(() => {
            this.set({ rows: { ...rows, at, done: false } });
            return save();
          });
        }
      }
      for (let next = await archived.next(); !next.done; next = await archived.next())
        table.add(next.value, undefined);
      const difference = table.difference(key);
      if (difference) rows.differences.push(difference);
      const { a, b } = rows.counts ?? { a: 0, b: 0 };
      rows.counts = { a: a + table.leftCount, b: b + table.rightCount };
    }
    this.set({ rows: { ...rows, done: true } });
    await clock.at(save);
  }

  /** The archive's rows of a table from the `skip`-th on (read again from its start: it is local). */
  private archivedRows(tableId: string, skip: number): AsyncIterator<DataTableRow> {
    const iterator = this.archived.dataTableRows(tableId)[Symbol.asyncIterator]();
    let skipped = 0;
    return {
      next: async () => {
        while (skipped < skip) {
          skipped += 1;
          if ((await iterator.next()).done) return { done: true, value: undefined };
        }
        return iterator.next();
      },
    };
  }

  /** Both indexes compared; the first changed workflows read again (live: by id) to say how. */
  private async result(): Promise<DiffResult> {
    const left = restoredIndex(this.s.left as SavedIndex);
    const right = restoredIndex(this.s.right as SavedIndex);
    const idOfKey = new Map((this.s.liveKeys ?? []).map(([id, key]) => [key, id]));
    const limit = this.options.detailLimit ?? 10;
    return diffIndexes(
      { label: this.deps.label, index: left, unlicensed: this.unlicensed.a },
      { label: this.deps.api.baseUrl, index: right, unlicensed: this.unlicensed.b },
      { differences: this.s.rows?.differences ?? [], counts: this.s.rows?.counts ?? { a: 0, b: 0 } },
      this.options,
      async (changed) => {
        const chosen = new Set([...changed].slice(0, DETAILED_WORKFLOWS));
        const archived = await canonicalFormsOf(this.archived, left.names, chosen, this.placement);
        const live = await this.liveForms(chosen, idOfKey, right.names);
        return new Map(
          [...changed].map((key) => [
            key,
            chosen.has(key)
              ? fieldDifferences(archived.get(key) ?? null, live.get(key) ?? null, '', limit)
              : [
                  `(one of ${changed.size} changed workflows: the first ${DETAILED_WORKFLOWS} are read again to say how)`,
                ],
          ]),
        );
      },
    );
  }

  private async liveForms(
    keys: ReadonlySet<string>,
    idOfKey: Map<string, string>,
    names: InstanceNames,
  ): Promise<Map<string, Json>> {
    const ids = new Set([...keys].flatMap((key) => idOfKey.get(key) ?? []));
    const canonicalizer = new WorkflowCanonicalizer(names, this.placement);
    const forms = new Map<string, Json>();
    const keyOf = new Map([...idOfKey].map(([key, id]) => [id, key]));
    for await (const workflow of workflowRecords(this.deps.api, {
      concurrency: 4,
      onFoldersUnknown: () => {},
      only: ids,
    })) {
      const key = keyOf.get(workflow.id);
      if (key) forms.set(key, canonicalizer.canonical(workflow));
    }
    return forms;
  }
}

type LiveRows = AsyncIterable<DataTableRow> & Partial<PositionedListing<DataTableRow>>;

/** A listing's pages with its position after each (none where it cannot tell). */
async function* pagesWithPosition<T>(
  listing: Partial<PositionedListing<T>> & AsyncIterable<T>,
): AsyncGenerator<{ items: readonly T[]; position?: ListingPosition }> {
  if (listing.positioned) {
    yield* listing.positioned();
    return;
  }
  const items: T[] = [];
  for await (const item of listing) items.push(item);
  yield { items };
}

/** The kinds each side's licence keeps from it: the archive's source (a) and the live instance (b). */
async function unlicensedOf(archive: OpenedArchive, label: string, api: N8nApi) {
  return {
    a: [...(await archiveSnapshot(archive, label).unlicensed())],
    b: [...(await liveSnapshot(api).unlicensed())],
  };
}

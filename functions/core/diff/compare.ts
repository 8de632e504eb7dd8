/**
 * The comparison of two snapshots: every object is keyed by its kind's natural key (the same key
 * the restore matches by), its canonical record compared field by field. Workflow bodies and rows
 * stay streamed: workflows are compared by digest, and only those that differ are read again.
 */

import type { InstanceNames } from '../instance/identity.js';
import { stableStringify } from '../json.js';
import { rowContent } from '../kinds/data-tables/index.js';
import type { SnapshotResource } from '../kinds/index.js';
import { SNAPSHOT_RESOURCES } from '../kinds/index.js';
import { WorkflowCanonicalizer } from '../kinds/workflows/canonical.js';
import type { DataTableRow, Json } from '../n8n-types.js';
import { fieldDifferences } from './format.js';
import { indexSide, keyOfWorkflow, type SideIndex, uniqueKey } from './side-index.js';
import type { InstanceSnapshot } from './snapshot.js';

export interface Difference {
  resource: SnapshotResource | 'dataTableRows';
  /** The object's identity across instances, e.g. `team:Ops / Order sync`. */
  key: string;
  change: 'only-in-a' | 'only-in-b' | 'changed' | 'unavailable';
  /** For `changed`: the differing fields, as `path: a → b`. */
  details?: string[];
}

export interface DiffResult {
  equal: boolean;
  a: string;
  b: string;
  differences: Difference[];
  /** Resources compared, with how many objects each side has. */
  compared: Record<string, { a: number; b: number }>;
}

export interface DiffOptions {
  /** Leave out users (a restore does not create users). Default false. */
  ignoreUsers?: boolean;
  /** At most this many field differences per object. Default 10. */
  detailLimit?: number;
}

export async function diffInstances(
  a: InstanceSnapshot,
  b: InstanceSnapshot,
  options: DiffOptions = {},
): Promise<DiffResult> {
  const left = await indexSide(a);
  const right = await indexSide(b);
  const rows: Difference[] = [];
  await compareRows(a, b, left, right, rows);
  const limit = options.detailLimit ?? 10;
  return diffIndexes(
    { label: a.label, index: left },
    { label: b.label, index: right },
    rows,
    options,
    (changed) => workflowDetails(a, b, left, right, changed, limit),
  );
}

/** One side as indexed (side-index.ts), with its label for messages. */
export interface IndexedSide {
  label: string;
  index: SideIndex;
}

/**
 * The comparison of two indexed sides: every kind by its natural key, the rows' differences found
 * apart (`rows`), workflows by digest, `details` saying how each changed workflow differs. A sliced
 * comparison (sliced.ts) indexes each side over several invocations and compares here.
 */
export async function diffIndexes(
  a: IndexedSide,
  b: IndexedSide,
  rows: readonly Difference[],
  options: DiffOptions,
  details: (changed: ReadonlySet<string>) => Promise<Map<string, string[]>>,
): Promise<DiffResult> {
  const left = a.index;
  const right = b.index;
  const differences: Difference[] = [];
  const compared: Record<string, { a: number; b: number }> = {};
  const limit = options.detailLimit ?? 10;

  for (const resource of SNAPSHOT_RESOURCES) {
    if (resource === 'workflows') continue;
    if (resource === 'users' && options.ignoreUsers) continue;
    const l = left.records.get(resource) ?? new Map();
    const r = right.records.get(resource) ?? new Map();
    compared[resource] = { a: l.size, b: r.size };
    if (reportUnavailable(resource, left, right, l.size, r.size, a.label, b.label, differences)) continue;
    compareMaps(resource, l, r, limit, differences);
  }

  differences.push(...rows);

  compared.workflows = { a: left.workflowDigests.size, b: right.workflowDigests.size };
  if (
    !reportUnavailable(
      'workflows',
      left,
      right,
      left.workflowDigests.size,
      right.workflowDigests.size,
      a.label,
      b.label,
      differences,
    )
  ) {
    await compareWorkflows(left, right, differences, details);
  }

  return { equal: differences.length === 0, a: a.label, b: b.label, differences, compared };
}

function reportUnavailable(
  resource: SnapshotResource,
  left: SideIndex,
  right: SideIndex,
  leftCount: number,
  rightCount: number,
  a: string,
  b: string,
  differences: Difference[],
): boolean {
  const leftReason = left.unavailable.get(resource);
  const rightReason = right.unavailable.get(resource);
  if (!leftReason && !rightReason) return false;
  // Unreadable on one side and empty on the other: nothing can differ.
  if (leftReason && !rightReason && rightCount > 0) {
    differences.push({
      resource,
      key: '*',
      change: 'unavailable',
      details: [`${a}: ${leftReason}; ${b} has ${rightCount}`],
    });
  } else if (rightReason && !leftReason && leftCount > 0) {
    differences.push({
      resource,
      key: '*',
      change: 'unavailable',
      details: [`${b}: ${rightReason}; ${a} has ${leftCount}`],
    });
  }
  return true;
}

function compareMaps(
  resource: SnapshotResource,
  left: Map<string, Json>,
  right: Map<string, Json>,
  limit: number,
  differences: Difference[],
): void {
  for (const [key, value] of left) {
    const other = right.get(key);
    if (other === undefined) differences.push({ resource, key, change: 'only-in-a' });
    else {
      const details = fieldDifferences(value, other, '', limit);
      if (details.length > 0) differences.push({ resource, key, change: 'changed', details });
    }
  }
  for (const key of right.keys())
    if (!left.has(key)) differences.push({ resource, key, change: 'only-in-b' });
}

async function compareRows(
  a: InstanceSnapshot,
  b: InstanceSnapshot,
  left: SideIndex,
  right: SideIndex,
  differences: Difference[],
): Promise<void> {
  for (const { key, leftId, rightId } of tablesOnBothSides(left, right)) {
    const table = new TableComparison();
    const l = a.dataTableRows(leftId)[Symbol.asyncIterator]();
    const r = b.dataTableRows(rightId)[Symbol.asyncIterator]();
    while (true) {
      const [x, y] = await Promise.all([l.next(), r.next()]);
      if (x.done && y.done) break;
      table.add(x.done ? undefined : x.value, y.done ? undefined : y.value);
    }
    const difference = table.difference(key);
    if (difference) differences.push(difference);
  }
}

/** The data tables both sides have, by key, with each side's id. */
export function tablesOnBothSides(
  left: SideIndex,
  right: SideIndex,
): { key: string; leftId: string; rightId: string }[] {
  const rightTables = right.ids.get('dataTables') ?? new Map<string, string>();
  return [...(left.ids.get('dataTables') ?? [])].flatMap(([key, leftId]) => {
    const rightId = rightTables.get(key);
    return rightId ? [{ key, leftId, rightId }] : [];
  });
}

/** One table's rows compared in order, pair by pair; its state can be saved between slices. */
export class TableComparison {
  position = 0;
  leftCount = 0;
  rightCount = 0;
  firstDifference: string | undefined;

  static restored(saved: Pick<TableComparison, 'position' | 'leftCount' | 'rightCount' | 'firstDifference'>) {
    return Object.assign(new TableComparison(), saved);
  }

  /** The next pair of rows; undefined where a side has run out. */
  add(x: DataTableRow | undefined, y: DataTableRow | undefined): void {
    if (x) this.leftCount += 1;
    if (y) this.rightCount += 1;
    this.position += 1;
    if (
      this.firstDifference === undefined &&
      (!x || !y || stableStringify(rowContent(x)) !== stableStringify(rowContent(y)))
    ) {
      this.firstDifference = `row ${this.position}: ${x ? stableStringify(rowContent(x)) : '(none)'} → ${y ? stableStringify(rowContent(y)) : '(none)'}`;
    }
  }

  difference(key: string): Difference | undefined {
    if (this.firstDifference === undefined) return undefined;
    return {
      resource: 'dataTableRows',
      key,
      change: 'changed',
      details: [`${this.leftCount} rows → ${this.rightCount} rows`, this.firstDifference],
    };
  }
}

async function compareWorkflows(
  left: SideIndex,
  right: SideIndex,
  differences: Difference[],
  details: (changed: ReadonlySet<string>) => Promise<Map<string, string[]>>,
): Promise<void> {
  const changed = new Set<string>();
  for (const [key, digest] of left.workflowDigests) {
    const other = right.workflowDigests.get(key);
    if (other === undefined) differences.push({ resource: 'workflows', key, change: 'only-in-a' });
    else if (other !== digest) changed.add(key);
  }
  for (const key of right.workflowDigests.keys()) {
    if (!left.workflowDigests.has(key)) differences.push({ resource: 'workflows', key, change: 'only-in-b' });
  }
  if (changed.size === 0) return;
  const detailed = await details(changed);
  for (const key of changed)
    differences.push({ resource: 'workflows', key, change: 'changed', details: detailed.get(key) ?? [] });
}

/** How each changed workflow differs: only those are read again, on both sides. */
async function workflowDetails(
  a: InstanceSnapshot,
  b: InstanceSnapshot,
  left: SideIndex,
  right: SideIndex,
  changed: ReadonlySet<string>,
  limit: number,
): Promise<Map<string, string[]>> {
  const leftForms = await canonicalFormsOf(a, left.names, changed);
  const rightForms = await canonicalFormsOf(b, right.names, changed);
  return new Map(
    [...changed].map((key) => [
      key,
      fieldDifferences(leftForms.get(key) ?? null, rightForms.get(key) ?? null, '', limit),
    ]),
  );
}

export async function canonicalFormsOf(
  side: Pick<InstanceSnapshot, 'workflows'>,
  names: InstanceNames,
  keys: ReadonlySet<string>,
): Promise<Map<string, Json>> {
  const canonicalizer = new WorkflowCanonicalizer(names);
  const forms = new Map<string, Json>();
  const seen = new Map<string, null>();
  for await (const workflow of side.workflows()) {
    const key = uniqueKey(seen, keyOfWorkflow(workflow, names));
    seen.set(key, null);
    if (keys.has(key)) forms.set(key, canonicalizer.canonical(workflow));
  }
  return forms;
}

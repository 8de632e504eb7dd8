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
import type { Json } from '../n8n-types.js';
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
  const differences: Difference[] = [];
  const compared: Record<string, { a: number; b: number }> = {};
  const limit = options.detailLimit ?? 10;

  for (const resource of SNAPSHOT_RESOURCES) {
    if (resource === 'workflows') continue;
    if (resource === 'users' && options.ignoreUsers) continue;
    const l = left.records.get(resource) ?? new Map();
    const r = right.records.get(resource) ?? new Map();
    compared[resource] = { a: l.size, b: r.size };
    if (reportUnavailable(resource, left, right, l.size, r.size, a, b, differences)) continue;
    compareMaps(resource, l, r, limit, differences);
  }

  await compareRows(a, b, left, right, differences);

  compared.workflows = { a: left.workflowDigests.size, b: right.workflowDigests.size };
  if (
    !reportUnavailable(
      'workflows',
      left,
      right,
      left.workflowDigests.size,
      right.workflowDigests.size,
      a,
      b,
      differences,
    )
  ) {
    await compareWorkflows(a, b, left, right, limit, differences);
  }

  return { equal: differences.length === 0, a: a.label, b: b.label, differences, compared };
}

function reportUnavailable(
  resource: SnapshotResource,
  left: SideIndex,
  right: SideIndex,
  leftCount: number,
  rightCount: number,
  a: InstanceSnapshot,
  b: InstanceSnapshot,
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
      details: [`${a.label}: ${leftReason}; ${b.label} has ${rightCount}`],
    });
  } else if (rightReason && !leftReason && leftCount > 0) {
    differences.push({
      resource,
      key: '*',
      change: 'unavailable',
      details: [`${b.label}: ${rightReason}; ${a.label} has ${leftCount}`],
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
  const rightTables = right.ids.get('dataTables') ?? new Map<string, string>();
  for (const [key, leftId] of left.ids.get('dataTables') ?? []) {
    const rightId = rightTables.get(key);
    if (!rightId) continue;
    const l = a.dataTableRows(leftId)[Symbol.asyncIterator]();
    const r = b.dataTableRows(rightId)[Symbol.asyncIterator]();
    let position = 0;
    let leftCount = 0;
    let rightCount = 0;
    let firstDifference: string | undefined;
    while (true) {
      const [x, y] = await Promise.all([l.next(), r.next()]);
      if (!x.done) leftCount += 1;
      if (!y.done) rightCount += 1;
      if (x.done && y.done) break;
      position += 1;
      if (
        firstDifference === undefined &&
        (x.done || y.done || stableStringify(rowContent(x.value)) !== stableStringify(rowContent(y.value)))
      ) {
        firstDifference = `row ${position}: ${x.done ? '(none)' : stableStringify(rowContent(x.value))} → ${y.done ? '(none)' : stableStringify(rowContent(y.value))}`;
      }
    }
    if (firstDifference !== undefined) {
      differences.push({
        resource: 'dataTableRows',
        key,
        change: 'changed',
        details: [`${leftCount} rows → ${rightCount} rows`, firstDifference],
      });
    }
  }
}

async function compareWorkflows(
  a: InstanceSnapshot,
  b: InstanceSnapshot,
  left: SideIndex,
  right: SideIndex,
  limit: number,
  differences: Difference[],
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
  // Only the workflows that differ are read again, to say how.
  const leftForms = await canonicalFormsOf(a, left.names, changed);
  const rightForms = await canonicalFormsOf(b, right.names, changed);
  for (const key of changed) {
    differences.push({
      resource: 'workflows',
      key,
      change: 'changed',
      details: fieldDifferences(leftForms.get(key) ?? null, rightForms.get(key) ?? null, '', limit),
    });
  }
}

async function canonicalFormsOf(
  side: InstanceSnapshot,
  names: InstanceNames,
  keys: Set<string>,
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

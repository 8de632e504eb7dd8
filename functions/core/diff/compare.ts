/**
 * The comparison of two snapshots: every object is keyed by its kind's natural key (the same key
 * the restore matches by), its canonical record compared field by field. Workflow bodies and rows
 * stay streamed: workflows are compared by digest, and only those that differ are read again.
 * What one side's licence keeps it from holding is not a difference: it is listed apart as not
 * comparable on that side, and where objects sit is not compared when one side has no projects.
 */

import type { InstanceNames } from '../instance/identity.js';
import type { SnapshotResource } from '../kinds/index.js';
import { kindOf, SNAPSHOT_RESOURCES } from '../kinds/index.js';
import type { DiffRecord } from '../kinds/kind.js';
import { WorkflowCanonicalizer } from '../kinds/workflows/canonical.js';
import type { Json } from '../n8n-types.js';
import { fieldDifferences } from './format.js';
import { compareRows } from './rows.js';
import {
  indexSide,
  isUnplaced,
  keyOfWorkflow,
  type Placement,
  type SideIndex,
  uniqueKey,
} from './side-index.js';
import type { InstanceSnapshot } from './snapshot.js';

export interface Difference {
  resource: SnapshotResource | 'dataTableRows';
  /** The object's identity across instances, e.g. `team:Ops / Order sync`. */
  key: string;
  change: 'only-in-a' | 'only-in-b' | 'changed' | 'unavailable';
  /** For `changed`: the differing fields, as `path: a → b`. */
  details?: string[];
}

/** What cannot be compared because one side's licence keeps it from holding it: not a difference. */
export interface NotComparable {
  resource: string;
  /** The side whose licence keeps it from holding what the other side has. */
  side: 'a' | 'b';
  /** Which side, and why, e.g. `b: the instance is not licensed for feat:variables; a has 4`. */
  reason: string;
}

export interface DiffResult {
  /** No difference; what is not comparable does not count. */
  equal: boolean;
  a: string;
  b: string;
  differences: Difference[];
  /** Resources compared, with how many objects each side has (rows: of the tables both sides have). */
  compared: Record<string, { a: number; b: number }>;
  notComparable: NotComparable[];
  /** With `ignoreUsers`: differences left out because they follow users (personal projects, members). */
  leftOut: number;
}

export interface DiffOptions {
  /**
   * Leave out users, project members and personal projects (with the team projects a restore made
   * for users without an account): a restore cannot create users. Default false.
   */
  ignoreUsers?: boolean;
  /** At most this many field differences per object. Default 10. */
  detailLimit?: number;
}

export async function diffInstances(
  a: InstanceSnapshot,
  b: InstanceSnapshot,
  options: DiffOptions = {},
): Promise<DiffResult> {
  const unlicensed = { a: await a.unlicensed(), b: await b.unlicensed() };
  const placement = placementOf(unlicensed);
  const left = await indexSide(a, placement);
  const right = await indexSide(b, placement);
  const rows: Difference[] = [];
  const counts = await compareRows(a, b, left, right, rows);
  const limit = options.detailLimit ?? 10;
  return diffIndexes(
    { label: a.label, index: left, unlicensed: unlicensed.a },
    { label: b.label, index: right, unlicensed: unlicensed.b },
    { differences: rows, counts },
    options,
    (changed) => workflowDetails({ a, b }, { left, right }, changed, limit, placement),
  );
}

/** One side as indexed (side-index.ts), with its label for messages and the kinds its licence keeps from it. */
export interface IndexedSide {
  label: string;
  index: SideIndex;
  unlicensed: Set<SnapshotResource>;
}

/**
 * The comparison of two indexed sides: every kind by its natural key, the rows' differences found
 * apart (`rows`), workflows by digest, `details` saying how each changed workflow differs. A sliced
 * comparison (sliced.ts) indexes each side over several invocations and compares here.
 */
export async function diffIndexes(
  a: IndexedSide,
  b: IndexedSide,
  rows: { differences: readonly Difference[]; counts?: { a: number; b: number } },
  options: DiffOptions,
  details: (changed: ReadonlySet<string>) => Promise<Map<string, string[]>>,
): Promise<DiffResult> {
  const unlicensed = { a: a.unlicensed, b: b.unlicensed };
  const placement = placementOf(unlicensed);
  const indexes = { left: a.index, right: b.index };
  const { left, right } = indexes;
  const differences: Difference[] = [];
  const notComparable: NotComparable[] = [];
  const compared: Record<string, { a: number; b: number }> = {};
  const limit = options.detailLimit ?? 10;
  const users = new UsersLeftOut(options.ignoreUsers === true);

  for (const resource of SNAPSHOT_RESOURCES) {
    if (resource === 'workflows') continue;
    const l = left.records.get(resource) ?? new Map<string, DiffRecord>();
    const r = right.records.get(resource) ?? new Map<string, DiffRecord>();
    compared[resource] = { a: l.size, b: r.size };
    const licence = notComparableOf(resource, unlicensed, indexes, { a, b });
    if (licence) notComparable.push(licence);
    else if (
      !reportUnavailable(resource, left, right, l.size, r.size, a, b, differences) &&
      !isUnplaced(resource, placement)
    )
      compareMaps(resource, l, r, limit, differences, users);
  }
  const unplaced = placementNotCompared(placement, unlicensed);
  if (unplaced) notComparable.push(unplaced);

  if (rows.counts) compared.dataTableRows = rows.counts;
  differences.push(...rows.differences);
  compared.workflows = { a: left.workflowDigests.size, b: right.workflowDigests.size };
  const { a: inA, b: inB } = compared.workflows;
  if (!reportUnavailable('workflows', left, right, inA, inB, a, b, differences))
    await compareWorkflows(indexes, differences, details);

  return {
    equal: differences.length === 0,
    a: a.label,
    b: b.label,
    differences,
    compared,
    notComparable,
    leftOut: users.count,
  };
}

const PROJECTS: SnapshotResource = 'projects';

type Unlicensed = { a: Set<SnapshotResource>; b: Set<SnapshotResource> };

/** Where objects sit is compared only where both sides can hold projects (and folders). */
export function placementOf(unlicensed: Unlicensed): Placement {
  const either = (resource: SnapshotResource) => unlicensed.a.has(resource) || unlicensed.b.has(resource);
  return {
    byProject: !either(PROJECTS),
    byFolder: !either(PROJECTS) && !SNAPSHOT_RESOURCES.some((r) => kindOf(r).listInProject && either(r)),
  };
}

/** Where objects sit is not compared: said once, of the side that cannot place them (when only one cannot). */
function placementNotCompared(placement: Placement, unlicensed: Unlicensed): NotComparable | undefined {
  const lacks = (side: 'a' | 'b') =>
    [...unlicensed[side]].some((r) => r === PROJECTS || kindOf(r).listInProject !== undefined);
  const side = lacks('a') && !lacks('b') ? 'a' : lacks('b') && !lacks('a') ? 'b' : undefined;
  if (!side) return undefined;
  const where = placement.byProject ? 'folder' : 'project and folder';
  return {
    resource: 'workflows',
    side,
    reason: `the ${where} each sits in is not compared: side ${side}'s licence does not allow them`,
  };
}

/**
 * A kind one side is not licensed for while the other holds some: not comparable there. Where
 * neither side can hold it, or the other holds none, there is nothing to compare or say.
 */
function notComparableOf(
  resource: SnapshotResource,
  unlicensed: Unlicensed,
  { left, right }: { left: SideIndex; right: SideIndex },
  { a, b }: { a: { label: string }; b: { label: string } },
): NotComparable | undefined {
  if (unlicensed.a.has(resource) && unlicensed.b.has(resource)) return undefined;
  for (const [side, other, snapshot, otherSnapshot, index] of [
    ['a', 'b', a, b, right],
    ['b', 'a', b, a, left],
  ] as const) {
    const held = index.records.get(resource)?.size ?? 0;
    if (!unlicensed[side].has(resource) || held === 0) continue;
    const why = (side === 'a' ? left : right).unavailable.get(resource) ?? 'not licensed';
    return {
      resource,
      side,
      reason: `${snapshot.label} (${side}): ${why}; ${otherSnapshot.label} (${other}) has ${held}`,
    };
  }
  return undefined;
}

/**
 * `--ignore-users`: a difference in a record there because of a user (a user, a personal project)
 * or only in fields about users (members) is left out, and counted.
 */
class UsersLeftOut {
  count = 0;

  constructor(private readonly ignore: boolean) {}

  /** The difference to report of two records (either may be missing), or none. */
  difference(
    resource: SnapshotResource,
    key: string,
    left: DiffRecord | undefined,
    right: DiffRecord | undefined,
    limit: number,
  ): Difference | undefined {
    const found = differenceOf(resource, key, left, right, limit, []);
    if (!found || !this.ignore) return found;
    if (left?.followsUsers || right?.followsUsers) return this.leftOut();
    const fields = left?.userFields ?? right?.userFields ?? [];
    if (found.change !== 'changed' || fields.length === 0) return found;
    return differenceOf(resource, key, left, right, limit, fields) ?? this.leftOut();
  }

  private leftOut(): undefined {
    this.count += 1;
    return undefined;
  }
}

/** Two records' difference, fields in `without` left out, and fields only one side knows. */
function differenceOf(
  resource: SnapshotResource,
  key: string,
  left: DiffRecord | undefined,
  right: DiffRecord | undefined,
  limit: number,
  without: readonly string[],
): Difference | undefined {
  if (!left) return right ? { resource, key, change: 'only-in-b' } : undefined;
  if (!right) return { resource, key, change: 'only-in-a' };
  const unknown = (left.knownOnlySometimes ?? []).filter(
    (field) => !hasField(left.canonical, field) || !hasField(right.canonical, field),
  );
  const omit = [...without, ...unknown];
  const details = fieldDifferences(
    omitFields(left.canonical, omit),
    omitFields(right.canonical, omit),
    '',
    limit,
  );
  return details.length > 0 ? { resource, key, change: 'changed', details } : undefined;
}

function hasField(value: Json, field: string): boolean {
  return isObject(value) && field in value;
}

function omitFields(value: Json, fields: readonly string[]): Json {
  if (fields.length === 0 || !isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([field]) => !fields.includes(field)));
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reportUnavailable(
  resource: SnapshotResource,
  left: SideIndex,
  right: SideIndex,
  leftCount: number,
  rightCount: number,
  a: { label: string },
  b: { label: string },
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
  left: Map<string, DiffRecord>,
  right: Map<string, DiffRecord>,
  limit: number,
  differences: Difference[],
  users: UsersLeftOut,
): void {
  for (const key of new Set([...left.keys(), ...right.keys()])) {
    const found = users.difference(resource, key, left.get(key), right.get(key), limit);
    if (found) differences.push(found);
  }
}

async function compareWorkflows(
  { left, right }: { left: SideIndex; right: SideIndex },
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
  { a, b }: { a: InstanceSnapshot; b: InstanceSnapshot },
  { left, right }: { left: SideIndex; right: SideIndex },
  changed: ReadonlySet<string>,
  limit: number,
  placement: Placement,
): Promise<Map<string, string[]>> {
  const leftForms = await canonicalFormsOf(a, left.names, changed, placement);
  const rightForms = await canonicalFormsOf(b, right.names, changed, placement);
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
  placement?: Placement,
): Promise<Map<string, Json>> {
  const canonicalizer = new WorkflowCanonicalizer(names, placement);
  const forms = new Map<string, Json>();
  const seen = new Map<string, null>();
  for await (const workflow of side.workflows()) {
    const key = uniqueKey(seen, keyOfWorkflow(workflow, names));
    seen.set(key, null);
    if (keys.has(key)) forms.set(key, canonicalizer.canonical(workflow));
  }
  return forms;
}

/**
 * The comparison of two snapshots: every object is keyed by its kind's natural key (the same key
 * the restore matches by), its canonical record compared field by field. Workflow bodies and rows
 * stay streamed: workflows are compared by digest, and only those that differ are read again.
 */
import {
  emptyInstanceNames,
  folderPaths,
  type InstanceNames,
  owningProjectId,
} from '../instance/identity.js';
import { digestOf, stableStringify } from '../json.js';
import { credentialKey } from '../kinds/credentials/index.js';
import { dataTableKey, rowContent } from '../kinds/data-tables/index.js';
import { folderKey } from '../kinds/folders.js';
import { SNAPSHOT_RESOURCES, type SnapshotResource } from '../kinds/index.js';
import { projectNaturalKey } from '../kinds/projects.js';
import { tagKey } from '../kinds/tags.js';
import { userKey } from '../kinds/users.js';
import { variableKey } from '../kinds/variables.js';
import { workflowKey } from '../kinds/workflows/index.js';
import type { Folder, Json, Workflow } from '../n8n-types.js';
import { WorkflowCanonicalizer } from './canonical.js';
import { fieldDifferences } from './format.js';
import type { InstanceSnapshot } from './snapshot.js';

// The comparison.

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

/** One side read into the small tables the comparison needs; workflow bodies stay streamed. */
interface SideIndex {
  names: InstanceNames;
  unavailable: Map<SnapshotResource, string>;
  /** Canonical records per resource except workflows, by key. */
  records: Map<SnapshotResource, Map<string, Json>>;
  /** Data tables: key → table id (rows are compared by streaming). */
  tableIds: Map<string, string>;
  /** Workflows: key → digest of the canonical form. */
  workflowDigests: Map<string, string>;
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

async function indexSide(side: InstanceSnapshot): Promise<SideIndex> {
  const unavailable = await side.unavailable();
  const names = emptyInstanceNames();
  const records = new Map<SnapshotResource, Map<string, Json>>();
  const keyed = (resource: SnapshotResource) => {
    const map = new Map<string, Json>();
    records.set(resource, map);
    return (key: string, value: Json) => map.set(uniqueKey(map, key), value);
  };

  const addUser = keyed('users');
  for await (const user of side.users()) {
    addUser(userKey(user), {
      email: user.email.toLowerCase(),
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      role: user.role ?? null,
    });
  }

  const addProject = keyed('projects');
  for await (const project of side.projects()) {
    const key = projectNaturalKey(project);
    names.projects.set(project.id, key);
    addProject(key, {
      type: project.type,
      name: project.type === 'team' ? project.name : null,
      description: project.description ?? null,
      members: (project.members ?? []).map((m) => `${m.email.toLowerCase()} ${m.role}`).sort(),
    });
  }

  const folders: Folder[] = [];
  for await (const folder of side.folders()) folders.push(folder);
  names.folders = folderPaths(folders);
  const addFolder = keyed('folders');
  for (const folder of folders) {
    const path = names.folders.get(folder.id) ?? folder.name;
    addFolder(folderKey(names.projects.get(folder.projectId) ?? folder.projectId, path), { path });
  }

  const addTag = keyed('tags');
  for await (const tag of side.tags()) addTag(tagKey(tag), { name: tag.name });

  const addVariable = keyed('variables');
  for await (const variable of side.variables()) {
    const project = variable.project?.id
      ? (names.projects.get(variable.project.id) ?? variable.project.name)
      : 'global';
    addVariable(variableKey(project, variable.key), { key: variable.key, value: variable.value, project });
  }

  const addCredential = keyed('credentials');
  for await (const credential of side.credentials()) {
    names.credentials.set(credential.id, credential.name);
    const projectId = owningProjectId(credential);
    const project = projectId ? (names.projects.get(projectId) ?? null) : null;
    addCredential(credentialKey(credential), {
      name: credential.name,
      type: credential.type,
      project,
    });
  }

  const addTable = keyed('dataTables');
  const tableIds = new Map<string, string>();
  for await (const table of side.dataTables()) {
    names.dataTables.set(table.id, table.name);
    const project = table.projectId ? (names.projects.get(table.projectId) ?? null) : null;
    const key = uniqueKey(records.get('dataTables') ?? new Map(), dataTableKey(project ?? '-', table.name));
    tableIds.set(key, table.id);
    addTable(key, {
      name: table.name,
      project,
      columns: [...table.columns].sort((x, y) => x.index - y.index).map((c) => `${c.name}:${c.type}`),
    });
  }

  // Workflow names first: a workflow may call one that comes later in the listing.
  const workflowKeys: string[] = [];
  const seen = new Map<string, Json>();
  for await (const workflow of side.workflows()) {
    names.workflows.set(workflow.id, workflow.name);
    const key = uniqueKey(seen, keyOf(workflow, names));
    seen.set(key, null);
    workflowKeys.push(key);
  }
  const canonicalizer = new WorkflowCanonicalizer(names);
  const workflowDigests = new Map<string, string>();
  let index = 0;
  for await (const workflow of side.workflows()) {
    const key = workflowKeys[index] ?? keyOf(workflow, names);
    index += 1;
    workflowDigests.set(key, digestOf(canonicalizer.canonical(workflow)));
  }
  return { names, unavailable, records, tableIds, workflowDigests };
}

function keyOf(workflow: Workflow, names: InstanceNames): string {
  const projectId = owningProjectId(workflow);
  return workflowKey((projectId && names.projects.get(projectId)) || '-', workflow.name);
}

/** Same-named objects (n8n allows them) are told apart by their order: "name #2". */
function uniqueKey(map: Map<string, unknown>, key: string): string {
  if (!map.has(key)) return key;
  let n = 2;
  while (map.has(`${key} #${n}`)) n += 1;
  return `${key} #${n}`;
}

async function compareRows(
  a: InstanceSnapshot,
  b: InstanceSnapshot,
  left: SideIndex,
  right: SideIndex,
  differences: Difference[],
): Promise<void> {
  for (const [key, leftId] of left.tableIds) {
    const rightId = right.tableIds.get(key);
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
    const key = uniqueKey(seen, keyOf(workflow, names));
    seen.set(key, null);
    if (keys.has(key)) forms.set(key, canonicalizer.canonical(workflow));
  }
  return forms;
}

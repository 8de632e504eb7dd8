/**
 * One side of a diff read into the small tables the comparison needs: every object under its
 * kind's natural key with its canonical record; workflows as digests (bodies stay streamed).
 */
import { emptyInstanceNames, type InstanceNames, owningProjectId } from '../instance/identity.js';
import { digestOf } from '../json.js';
import { EVERY_KIND, kindOf, type SnapshotResource } from '../kinds/index.js';
import type { DiffRecord } from '../kinds/kind.js';
import { WorkflowCanonicalizer } from '../kinds/workflows/canonical.js';
import { workflowKey } from '../kinds/workflows/index.js';
import type { Json, Workflow } from '../n8n-types.js';
import type { InstanceSnapshot } from './snapshot.js';

/**
 * What a comparison can say of where objects sit: `byProject: false` when one side is not licensed
 * for projects (everything sits in one place there), `byFolder: false` likewise for folders.
 */
export interface Placement {
  byProject: boolean;
  byFolder: boolean;
}

export interface SideIndex {
  names: InstanceNames;
  unavailable: Map<SnapshotResource, string>;
  /** Records per kind except workflows, by key, each with its canonical form. */
  records: Map<SnapshotResource, Map<string, DiffRecord>>;
  /** Ids per kind except workflows, by key (a table's rows are compared by streaming, by its id). */
  ids: Map<SnapshotResource, Map<string, string>>;
  /** Workflows: key → digest of the canonical form. */
  workflowDigests: Map<string, string>;
}

/**
 * Indexes every kind the diff compares by its natural key (`Kind.diff`), in the order of KINDS: a
 * kind names its ids for the kinds after it (projects, then what sits in them); workflows last.
 */
/** Every object placed (both sides can hold projects and folders). */
const ALL_PLACED: Placement = { byProject: true, byFolder: true };

export async function indexSide(
  side: InstanceSnapshot,
  placement: Placement = ALL_PLACED,
): Promise<SideIndex> {
  const index = await indexKinds(side, placement);
  await indexWorkflows(side, index, placement);
  return index;
}

/** Every kind but workflows indexed (a sliced comparison reads a live side's workflows apart). */
export async function indexKinds(
  side: InstanceSnapshot,
  placement: Placement = ALL_PLACED,
): Promise<SideIndex> {
  const index: SideIndex = {
    names: emptyInstanceNames(),
    unavailable: await side.unavailable(),
    records: new Map(),
    ids: new Map(),
    workflowDigests: new Map(),
  };
  for (const kind of EVERY_KIND) {
    if (!kind.diff) continue;
    const resource = kind.resource as SnapshotResource;
    // Without placement on one side, projects (and what sits in them per project) name nothing:
    // they are indexed (counted, never compared) under names no other kind sees.
    const unplaced = isUnplaced(resource, placement);
    const records: unknown[] = [];
    for await (const record of side.records(resource)) records.push(record);
    const indexed = new Map<string, DiffRecord>();
    const ids = new Map<string, string>();
    for (const record of kind.diff.index(records, unplaced ? emptyInstanceNames() : index.names)) {
      const unique = uniqueKey(indexed, record.key);
      indexed.set(unique, record);
      ids.set(unique, record.id);
    }
    index.records.set(resource, indexed);
    index.ids.set(resource, ids);
  }
  return index;
}

/** The kind whose objects place the others: the only resource name this module needs. */
const PROJECTS: SnapshotResource = 'projects';

/**
 * Projects, and what sits in them per project, where one side cannot place objects: keyed on that
 * side by ids, they are counted (for what is not comparable) but never compared.
 */
export function isUnplaced(resource: SnapshotResource, placement: Placement): boolean {
  const inProject = kindOf(resource).listInProject !== undefined;
  return (!placement.byProject && (resource === PROJECTS || inProject)) || (!placement.byFolder && inProject);
}

/** Workflow names first (a workflow may call one later in the listing), then their digests: two reads. */
async function indexWorkflows(side: InstanceSnapshot, index: SideIndex, placement: Placement): Promise<void> {
  const keys: string[] = [];
  const seen = new Map<string, Json>();
  for await (const workflow of side.workflows()) {
    index.names.workflows.set(workflow.id, workflow.name);
    const key = uniqueKey(seen, keyOfWorkflow(workflow, index.names));
    seen.set(key, null);
    keys.push(key);
  }
  const canonicalizer = new WorkflowCanonicalizer(index.names, placement);
  let position = 0;
  for await (const workflow of side.workflows()) {
    const key = keys[position] ?? keyOfWorkflow(workflow, index.names);
    position += 1;
    index.workflowDigests.set(key, digestOf(canonicalizer.canonical(workflow)));
  }
}

export function keyOfWorkflow(workflow: Workflow, names: InstanceNames): string {
  const projectId = owningProjectId(workflow);
  return workflowKey((projectId && names.projects.get(projectId)) || '-', workflow.name);
}

/** Same-named objects (n8n allows them) are told apart by their order: "name #2". */
export function uniqueKey(map: Map<string, unknown>, key: string): string {
  if (!map.has(key)) return key;
  let n = 2;
  while (map.has(`${key} #${n}`)) n += 1;
  return `${key} #${n}`;
}

/** A side's index as JSON (a sliced comparison saves it between slices), and back. */
export interface SavedIndex {
  names: Record<string, [string, string][]>;
  unavailable: [string, string][];
  records: Record<string, [string, DiffRecord][]>;
  ids: Record<string, [string, string][]>;
  workflowDigests: [string, string][];
}

export function savedIndex(index: SideIndex): SavedIndex {
  const pairs = <V>(map: Map<string, Map<string, V>>) =>
    Object.fromEntries([...map].map(([resource, inner]) => [resource, [...inner]]));
  return {
    names: Object.fromEntries(
      Object.entries(index.names).map(([k, m]) => [k, [...(m as Map<string, string>)]]),
    ),
    unavailable: [...index.unavailable],
    records: pairs(index.records),
    ids: pairs(index.ids),
    workflowDigests: [...index.workflowDigests],
  };
}

export function restoredIndex(saved: SavedIndex): SideIndex {
  const maps = <V>(record: Record<string, [string, V][]>) =>
    new Map(
      Object.entries(record).map(([resource, pairs]) => [resource as SnapshotResource, new Map(pairs)]),
    );
  const names = emptyInstanceNames();
  for (const [kind, pairs] of Object.entries(saved.names))
    (names as unknown as Record<string, Map<string, string>>)[kind] = new Map(pairs);
  return {
    names,
    unavailable: new Map(saved.unavailable as [SnapshotResource, string][]),
    records: maps(saved.records),
    ids: maps(saved.ids),
    workflowDigests: new Map(saved.workflowDigests),
  };
}

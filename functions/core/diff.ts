/**
 * Semantic comparison of two n8n instances (each an archive or a live instance): what a person would
 * call "the same automation", ignoring ids and timestamps. A reference is compared by the name of
 * what it points to, so an instance restored with new ids compares equal to its source.
 *
 * The canonical form is also exactly what a restore can carry: node and settings keys n8n refuses
 * on write are left out here, so a diff never reports what no restore could reproduce.
 */
import { createHash } from 'node:crypto';
import { ENTRY, type OpenedArchive } from './archive-format.js';
import { mapOrdered } from './async-iterables.js';
import { FeatureNotLicensedError, MissingScopeError } from './errors.js';
import type {
  CredentialMeta,
  DataTable,
  DataTableRow,
  Folder,
  Json,
  JsonObject,
  Project,
  ProjectMember,
  Tag,
  User,
  Variable,
  Workflow,
  WorkflowNode,
} from './n8n-types.js';
import type { N8nApi } from './ports.js';
import { type IdMaps, rewriteWorkflowReferences } from './references.js';

/** Node keys POST/PUT /workflows accept (n8n 2.41 `node` schema, additionalProperties: false). */
export const WRITABLE_NODE_KEYS: readonly string[] = [
  'id',
  'name',
  'webhookId',
  'disabled',
  'notesInFlow',
  'notes',
  'type',
  'typeVersion',
  'executeOnce',
  'alwaysOutputData',
  'retryOnFail',
  'maxTries',
  'waitBetweenTries',
  'continueOnFail',
  'onError',
  'position',
  'parameters',
  'credentials',
  'customTelemetryTags',
];

/**
 * `settings` keys POST/PUT /workflows accept (n8n 2.41 `workflowSettings`, additionalProperties:
 * false). `binaryMode` and `credentialResolverId` are accepted but ignored by n8n, so they are not
 * sent and not compared.
 */
export const WRITABLE_SETTINGS_KEYS: readonly string[] = [
  'saveExecutionProgress',
  'saveManualExecutions',
  'saveDataErrorExecution',
  'saveDataSuccessExecution',
  'executionTimeout',
  'errorWorkflow',
  'timezone',
  'executionOrder',
  'callerPolicy',
  'callerIds',
  'timeSavedMode',
  'timeSavedPerExecution',
  'redactionPolicy',
  'availableInMCP',
  'customTelemetryTags',
];

/** JSON with object keys sorted, so equal content always gives equal text (and digest). */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) sorted[key] = sortKeys(item);
    }
    return sorted;
  }
  return value;
}

export function digestOf(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

/** The owning project of a workflow, credential, data table or variable, by the API's conventions. */
export function owningProjectId(
  object: Workflow | CredentialMeta | DataTable | Variable,
): string | undefined {
  if ('nodes' in object) {
    const shares = (object as Workflow).shared ?? [];
    return (shares.find((s) => s.role.endsWith(':owner')) ?? shares[0])?.projectId;
  }
  if ('type' in object && 'shared' in object && Array.isArray(object.shared)) {
    const shares = (object as CredentialMeta).shared ?? [];
    return (shares.find((s) => s.role.endsWith(':owner')) ?? shares[0])?.id;
  }
  if ('columns' in object) return (object as DataTable).projectId;
  if ('key' in object) return (object as Variable).project?.id ?? undefined;
  return undefined;
}

/** What a project is across instances: a team project by name, a personal one by its owner's e-mail. */
export function projectKey(project: Project, members: ProjectMember[] | undefined): string {
  if (project.type === 'personal') {
    const owner = members?.find((m) => m.role === 'project:personalOwner') ?? members?.[0];
    return owner ? `personal:${owner.email.toLowerCase()}` : `personal:${project.name}`;
  }
  return `team:${project.name}`;
}

/** Id → name tables of one instance, the vocabulary a workflow's references are translated into. */
export interface InstanceNames {
  workflows: Map<string, string>;
  credentials: Map<string, string>;
  dataTables: Map<string, string>;
  /** project id → projectKey() */
  projects: Map<string, string>;
  /** folder id → "Parent/Child" */
  folders: Map<string, string>;
}

export function emptyInstanceNames(): InstanceNames {
  return {
    workflows: new Map(),
    credentials: new Map(),
    dataTables: new Map(),
    projects: new Map(),
    folders: new Map(),
  };
}

/** Folder id → path ("Parent/Child") from a flat list. */
export function folderPaths(folders: Iterable<Folder>): Map<string, string> {
  const byId = new Map<string, Folder>();
  for (const folder of folders) byId.set(folder.id, folder);
  const paths = new Map<string, string>();
  const pathOf = (id: string, depth: number): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const folder = byId.get(id);
    if (!folder) return `(unknown folder ${id})`;
    // A cycle in folder parents would be n8n's bug; stop rather than recurse forever.
    const parent = folder.parentFolderId && depth < 64 ? `${pathOf(folder.parentFolderId, depth + 1)}/` : '';
    const path = `${parent}${folder.name}`;
    paths.set(id, path);
    return path;
  };
  for (const id of byId.keys()) pathOf(id, 0);
  return paths;
}

/** Turns workflows into their instance-independent form. */
export class WorkflowCanonicalizer {
  private readonly tokens: IdMaps;

  constructor(private readonly names: InstanceNames) {
    const tokens = (map: Map<string, string>, kind: string) =>
      new Map([...map].map(([id, name]) => [id, `<${kind}:${name}>`]));
    this.tokens = {
      workflows: tokens(names.workflows, 'workflow'),
      credentials: tokens(names.credentials, 'credential'),
      dataTables: tokens(names.dataTables, 'dataTable'),
    };
  }

  canonical(workflow: Workflow): JsonObject {
    const { workflow: named } = rewriteWorkflowReferences(workflow, this.tokens);
    const projectId = owningProjectId(workflow);
    const folderId = workflow.parentFolderId;
    return {
      name: workflow.name,
      project: projectId ? (this.names.projects.get(projectId) ?? null) : null,
      folder: folderId ? (this.names.folders.get(folderId) ?? `(unknown folder ${folderId})`) : null,
      active: workflow.active === true,
      isArchived: workflow.isArchived === true,
      description: workflow.description || null,
      tags: (workflow.tags ?? []).map((t) => t.name).sort(),
      nodes: [...(named.nodes ?? [])].sort((a, b) => a.name.localeCompare(b.name)).map(canonicalNode),
      connections: named.connections ?? {},
      settings: pick(named.settings ?? {}, WRITABLE_SETTINGS_KEYS),
      staticData: (named.staticData as Json | undefined) ?? null,
      pinData: named.pinData && Object.keys(named.pinData).length > 0 ? named.pinData : null,
      nodeGroups: named.nodeGroups && named.nodeGroups.length > 0 ? named.nodeGroups : null,
    };
  }
}

function canonicalNode(node: WorkflowNode): JsonObject {
  const kept = pick(
    node as unknown as JsonObject,
    WRITABLE_NODE_KEYS.filter((k) => k !== 'id'),
  );
  if (node.credentials) {
    // Compared by what the credential is (its name in this instance), not by the label saved in the node.
    kept.credentials = Object.fromEntries(
      Object.entries(node.credentials).map(([type, ref]) => [type, ref?.id ?? `<unset:${ref?.name ?? ''}>`]),
    );
  }
  if (kept.parameters) kept.parameters = withoutCachedUrls(kept.parameters);
  return kept;
}

/**
 * Resource locators cache a link for the editor (`cachedResultUrl`), which embeds ids (the project
 * of a data table, for one). It is a display cache, not behaviour, so it is not compared.
 */
function withoutCachedUrls(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutCachedUrls);
  if (value && typeof value === 'object') {
    const copy: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === 'cachedResultUrl' && value.__rl === true) continue;
      copy[key] = withoutCachedUrls(item);
    }
    return copy;
  }
  return value;
}

function pick(object: JsonObject, keys: readonly string[]): JsonObject {
  const picked: JsonObject = {};
  for (const key of keys) {
    const value = object[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

// ---------------------------------------------------------------------------------------------
// Snapshots: one read-only view over an archive or a live instance.

export type SnapshotResource =
  | 'users'
  | 'projects'
  | 'folders'
  | 'tags'
  | 'variables'
  | 'credentials'
  | 'dataTables'
  | 'workflows';

export interface InstanceSnapshot {
  /** For messages: the archive's location or the instance URL. */
  readonly label: string;
  /** Resources this side could not read, with why (not licensed, key lacks a scope, skipped at backup). */
  unavailable(): Promise<Map<SnapshotResource, string>>;
  users(): AsyncIterable<User>;
  projects(): AsyncIterable<Project & { members?: ProjectMember[] }>;
  folders(): AsyncIterable<Folder>;
  tags(): AsyncIterable<Tag>;
  variables(): AsyncIterable<Variable>;
  credentials(): AsyncIterable<CredentialMeta>;
  dataTables(): AsyncIterable<DataTable>;
  dataTableRows(tableId: string): AsyncIterable<DataTableRow>;
  /** Full bodies including description and parentFolderId. */
  workflows(): AsyncIterable<Workflow>;
}

export function archiveSnapshot(archive: OpenedArchive, label: string): InstanceSnapshot {
  const entry = <T>(resource: string, name: string): AsyncIterable<T> =>
    archive.entriesOf(resource).length > 0 ? archive.records<T>(name) : empty<T>();
  return {
    label,
    async unavailable() {
      return new Map(archive.manifest.skipped.map((s) => [s.resource as SnapshotResource, s.reason]));
    },
    users: () => entry('users', ENTRY.users),
    projects: () => entry('projects', ENTRY.projects),
    folders: () => entry('folders', ENTRY.folders),
    tags: () => entry('tags', ENTRY.tags),
    variables: () => entry('variables', ENTRY.variables),
    credentials: () => entry('credentials', ENTRY.credentials),
    dataTables: () => entry('dataTables', ENTRY.dataTables),
    async *dataTableRows(tableId) {
      const chunks = archive
        .entriesOf('dataTableRows')
        .filter((e) => e.dataTableId === tableId)
        .sort((a, b) => a.name.localeCompare(b.name));
      for (const chunk of chunks) yield* archive.records<DataTableRow>(chunk.name);
    },
    workflows: () => entry('workflows', ENTRY.workflows),
  };
}

/**
 * A live instance through the Public API. Listings the key cannot read (unlicensed feature,
 * missing scope) count as unavailable, found out by reading the first item.
 */
export function liveSnapshot(api: N8nApi, options: { concurrency?: number } = {}): InstanceSnapshot {
  let probed: Promise<Map<SnapshotResource, string>> | undefined;
  const probe = async (): Promise<Map<SnapshotResource, string>> => {
    const unavailable = new Map<SnapshotResource, string>();
    const listings: [SnapshotResource, () => AsyncIterable<unknown>][] = [
      ['users', () => api.listUsers()],
      ['projects', () => api.listProjects()],
      ['tags', () => api.listTags()],
      ['variables', () => api.listVariables()],
      ['credentials', () => api.listCredentials()],
      ['dataTables', () => api.listDataTables()],
    ];
    for (const [resource, list] of listings) {
      const reason = await unreadableReason(list);
      if (reason) unavailable.set(resource, reason);
    }
    if (unavailable.has('projects'))
      unavailable.set('folders', 'folders are listed per project, and projects are unavailable');
    return unavailable;
  };
  const unavailable = () => {
    probed ??= probe();
    return probed;
  };
  const guarded = <T>(resource: SnapshotResource, list: () => AsyncIterable<T>) =>
    async function* (): AsyncGenerator<T> {
      if ((await unavailable()).has(resource)) return;
      yield* list();
    };
  const projectsWithMembers = async function* (): AsyncGenerator<Project & { members?: ProjectMember[] }> {
    for await (const project of api.listProjects()) {
      const members: ProjectMember[] = [];
      try {
        for await (const member of api.listProjectMembers(project.id)) members.push(member);
      } catch (error) {
        if (!(error instanceof MissingScopeError || error instanceof FeatureNotLicensedError)) throw error;
      }
      yield { ...project, members };
    }
  };
  const folders = async function* (): AsyncGenerator<Folder> {
    for await (const project of api.listProjects()) {
      try {
        for await (const folder of api.listFolders(project.id))
          yield { ...folder, projectId: folder.projectId ?? project.id };
      } catch (error) {
        if (error instanceof FeatureNotLicensedError || error instanceof MissingScopeError) return;
        throw error;
      }
    }
  };
  return {
    label: api.baseUrl,
    unavailable,
    users: guarded('users', () => api.listUsers()),
    projects: guarded('projects', projectsWithMembers),
    folders: guarded('folders', folders),
    tags: guarded('tags', () => api.listTags()),
    variables: guarded('variables', () => api.listVariables()),
    credentials: guarded('credentials', () => api.listCredentials()),
    dataTables: guarded('dataTables', () => api.listDataTables()),
    dataTableRows: (tableId) => api.listDataTableRows(tableId),
    // The list lacks description and folder (API-NOTES); one GET per workflow adds them.
    workflows: () =>
      mapOrdered(api.listWorkflows(), options.concurrency ?? 4, async (listed) => {
        if ('description' in listed && 'parentFolderId' in listed) return listed;
        const detail = await api.getWorkflow(listed.id);
        return {
          ...listed,
          description: detail.description ?? null,
          parentFolderId: detail.parentFolderId ?? null,
          ...(detail.shared ? { shared: detail.shared } : {}),
        };
      }),
  };
}

async function unreadableReason(list: () => AsyncIterable<unknown>): Promise<string | undefined> {
  try {
    const iterator = list()[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    return undefined;
  } catch (error) {
    if (error instanceof FeatureNotLicensedError) return `not licensed (${error.feature})`;
    if (error instanceof MissingScopeError) return `the API key lacks the ${error.scope ?? 'required'} scope`;
    throw error;
  }
}

async function* empty<T>(): AsyncGenerator<T> {}

// ---------------------------------------------------------------------------------------------
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

  const resources: SnapshotResource[] = [
    'users',
    'projects',
    'folders',
    'tags',
    'variables',
    'credentials',
    'dataTables',
  ];
  for (const resource of resources) {
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
    addUser(user.email.toLowerCase(), {
      email: user.email.toLowerCase(),
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      role: user.role ?? null,
    });
  }

  const addProject = keyed('projects');
  for await (const project of side.projects()) {
    const key = projectKey(project, project.members);
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
    addFolder(
      `${names.projects.get(folder.projectId) ?? folder.projectId} / ${names.folders.get(folder.id)}`,
      {
        path: names.folders.get(folder.id) ?? folder.name,
      },
    );
  }

  const addTag = keyed('tags');
  for await (const tag of side.tags()) addTag(tag.name, { name: tag.name });

  const addVariable = keyed('variables');
  for await (const variable of side.variables()) {
    const project = variable.project?.id
      ? (names.projects.get(variable.project.id) ?? variable.project.name)
      : 'global';
    addVariable(`${project} / ${variable.key}`, { key: variable.key, value: variable.value, project });
  }

  const addCredential = keyed('credentials');
  for await (const credential of side.credentials()) {
    names.credentials.set(credential.id, credential.name);
    const projectId = owningProjectId(credential);
    const project = projectId ? (names.projects.get(projectId) ?? null) : null;
    addCredential(`${credential.type} / ${credential.name}`, {
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
    const key = uniqueKey(records.get('dataTables') ?? new Map(), `${project ?? '-'} / ${table.name}`);
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
    const key = uniqueKey(seen, workflowKey(workflow, names));
    seen.set(key, null);
    workflowKeys.push(key);
  }
  const canonicalizer = new WorkflowCanonicalizer(names);
  const workflowDigests = new Map<string, string>();
  let index = 0;
  for await (const workflow of side.workflows()) {
    const key = workflowKeys[index] ?? workflowKey(workflow, names);
    index += 1;
    workflowDigests.set(key, digestOf(canonicalizer.canonical(workflow)));
  }
  return { names, unavailable, records, tableIds, workflowDigests };
}

function workflowKey(workflow: Workflow, names: InstanceNames): string {
  const projectId = owningProjectId(workflow);
  return `${(projectId && names.projects.get(projectId)) || '-'} / ${workflow.name}`;
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

/** A row without what the server assigns (id, timestamps). */
export function rowContent(row: DataTableRow): DataTableRow {
  const { id: _id, createdAt: _createdAt, updatedAt: _updatedAt, ...content } = row;
  return content;
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
    const key = uniqueKey(seen, workflowKey(workflow, names));
    seen.set(key, null);
    if (keys.has(key)) forms.set(key, canonicalizer.canonical(workflow));
  }
  return forms;
}

/** Paths where two JSON values differ, e.g. `nodes[Slack].parameters.text: "a" → "b"`. */
export function fieldDifferences(
  a: Json | undefined,
  b: Json | undefined,
  path: string,
  limit: number,
): string[] {
  const out: string[] = [];
  walk(a, b, path, out, limit);
  return out;
}

function walk(a: Json | undefined, b: Json | undefined, path: string, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (stableStringify(a) === stableStringify(b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const named = a.every(isNamed) && b.every(isNamed);
    if (named) {
      const byName = (list: Json[]) => new Map(list.map((item) => [(item as { name: string }).name, item]));
      const l = byName(a);
      const r = byName(b);
      for (const name of new Set([...l.keys(), ...r.keys()]))
        walk(l.get(name), r.get(name), `${path}[${name}]`, out, limit);
      return;
    }
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i += 1) walk(a[i], b[i], `${path}[${i}]`, out, limit);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      walk(a[key], b[key], path ? `${path}.${key}` : key, out, limit);
    }
    return;
  }
  out.push(`${path || '(value)'}: ${preview(a)} → ${preview(b)}`);
}

function isNamed(item: Json): boolean {
  return isObject(item) && typeof item.name === 'string';
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(value: Json | undefined): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Human lines for a diff result. */
export function formatDifferences(result: DiffResult): string[] {
  const lines: string[] = [];
  for (const d of result.differences) {
    const label =
      d.change === 'only-in-a'
        ? `only in ${result.a}`
        : d.change === 'only-in-b'
          ? `only in ${result.b}`
          : d.change === 'unavailable'
            ? 'cannot compare'
            : 'changed';
    lines.push(`${d.resource} ${d.key}: ${label}`);
    for (const detail of d.details ?? []) lines.push(`    ${detail}`);
  }
  return lines;
}

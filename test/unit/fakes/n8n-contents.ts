/**
 * An in-memory n8n that holds exactly the given contents, under the given ids: for tests that
 * describe an instance by what it holds (a backup's, a diff's, doctor's). It is MemoryN8n, filled
 * without writes, and it refuses every write: what reads it must only read.
 */
import type {
  CredentialMeta,
  DataTable,
  DataTableRow,
  Folder,
  Project,
  ProjectMember,
  Tag,
  User,
  Variable,
  Workflow,
  WorkflowVersion,
} from '../../../functions/core/n8n-types.js';
import { LICENCE_FEATURES, MemoryN8n } from './memory-n8n.js';

export interface N8nContents {
  workflows?: Workflow[];
  tags?: Tag[];
  variables?: Variable[];
  dataTables?: DataTable[];
  rows?: Record<string, DataTableRow[]>;
  credentials?: CredentialMeta[];
  projects?: Project[];
  members?: Record<string, ProjectMember[]>;
  folders?: Record<string, Folder[]>;
  users?: User[];
  /** Features the instance answers 403 "not licensed" for, e.g. feat:variables. */
  unlicensed?: string[];
  /** Scopes the API key lacks, e.g. user:list. */
  missingScopes?: string[];
  /** The n8n version its package export states; undefined: an n8n without the package routes (before 2.24). */
  n8nVersion?: string;
  /** Saved versions per workflow id, newest first; a workflow not named has its current graph as its one version, as in n8n. */
  history?: Record<string, WorkflowVersion[]>;
  /** An n8n from before GET /workflows/{id}/history: the route answers 404. */
  noHistoryRoute?: boolean;
}

/** Workflows as n8n lists them, each owned by a team project the contents hold too. */
export function ownedWorkflows(...workflows: Workflow[]): Pick<N8nContents, 'projects' | 'workflows'> {
  const project: Project = { id: 'pOps000000000001', name: 'Ops', type: 'team' };
  return {
    projects: [project],
    workflows: workflows.map((w) => ({ ...w, shared: [{ role: 'workflow:owner', projectId: project.id }] })),
  };
}

export function memoryN8nHolding(contents: N8nContents): MemoryN8n {
  const n8n = new MemoryN8n({
    users: [],
    licensed: licensedOf(contents.unlicensed ?? []),
    packageImport: contents.n8nVersion !== undefined,
    ...(contents.n8nVersion !== undefined ? { n8nVersion: contents.n8nVersion } : {}),
    missingScopes: contents.missingScopes ?? [],
    noHistoryRoute: contents.noHistoryRoute ?? false,
    readOnly: true,
  });
  const copy = <T>(items: T[] | undefined): T[] => structuredClone(items ?? []);
  n8n.users.push(...copy(contents.users));
  n8n.tags.push(...copy(contents.tags));
  n8n.variables.push(...copy(contents.variables));
  n8n.credentials.push(...copy(contents.credentials).map((credential) => ({ ...credential, data: {} })));
  n8n.dataTables.push(...copy(contents.dataTables));
  for (const [tableId, rows] of Object.entries(contents.rows ?? {})) n8n.rows.set(tableId, copy(rows));
  for (const project of copy(contents.projects))
    n8n.projects.push({ ...project, members: copy(contents.members?.[project.id]) });
  for (const [projectId, folders] of Object.entries(contents.folders ?? {}))
    n8n.folders.push(
      ...copy(folders).map((folder) => ({ ...folder, projectId: folder.projectId ?? projectId })),
    );
  for (const workflow of copy(contents.workflows)) {
    n8n.workflows.push(workflow);
    n8n.history.set(workflow.id, copy(contents.history?.[workflow.id] ?? [currentVersion(workflow)]));
  }
  return n8n;
}

/** The licence of an instance that lacks these features. */
function licensedOf(unlicensed: readonly string[]): { [area in keyof typeof LICENCE_FEATURES]: boolean } {
  const has = (area: keyof typeof LICENCE_FEATURES) => !unlicensed.includes(LICENCE_FEATURES[area]);
  return {
    projects: has('projects'),
    variables: has('variables'),
    folders: has('folders'),
    sharing: has('sharing'),
  };
}

/** The one saved version of a workflow with no history given: its current graph. */
function currentVersion(workflow: Workflow): WorkflowVersion {
  const at = workflow.updatedAt ?? '2026-01-01T00:00:00.000Z';
  return {
    versionId: workflow.versionId ?? `${workflow.id}-v1`,
    workflowId: workflow.id,
    authors: 'Olga Owner',
    name: null,
    description: null,
    createdAt: at,
    updatedAt: at,
    nodes: workflow.nodes,
    connections: workflow.connections,
  };
}

export function workflow(id: string, name: string, extra: Partial<Workflow> = {}): Workflow {
  return {
    id,
    name,
    active: false,
    nodes: [],
    connections: {},
    settings: {},
    description: null,
    parentFolderId: null,
    ...extra,
  };
}

/**
 * What planning reads before it decides anything: the archive's small entries whole, its workflows
 * as summaries (the one read of workflows.ndjson a plan makes), and the target's current state.
 */
import type { OpenedArchive } from '../archive/format.js';
import { owningProjectId, personalOwner } from '../instance/identity.js';
import { nodeTypeKey, nodeTypesOf } from '../instance/node-types.js';
import { readListing } from '../instance/read.js';
import type {
  CredentialMeta,
  DataTable,
  Folder,
  NodeTypeUse,
  Project,
  ProjectMember,
  Tag,
  User,
  Variable,
  Workflow,
} from '../n8n-types.js';
import type { N8nApi } from '../ports.js';
import { findWorkflowReferences, type WorkflowReference } from '../references/workflow-references.js';

/** A source workflow reduced to what planning and the later steps need: never its body. */
export interface WorkflowSummary {
  id: string;
  name: string;
  projectId: string | undefined;
  folderId: string | null | undefined;
  tagIds: string[];
  tagNames: string[];
  references: WorkflowReference[];
  /** The node types (with versions) it uses, draft and published version alike. */
  nodeTypes?: NodeTypeUse[];
  /** Those of the version a restore publishes (`type@typeVersion`): the published one, else the draft. */
  publishedNodeTypes?: string[];
}

export interface SourceState {
  users: User[];
  projects: (Project & { members?: ProjectMember[] })[];
  folders: Folder[];
  tags: Tag[];
  variables: Variable[];
  credentials: CredentialMeta[];
  dataTables: DataTable[];
  workflows: WorkflowSummary[];
  /** resource → why the backup has none of it */
  skipped: Map<string, string>;
}

export interface TargetWorkflow {
  id: string;
  name: string;
  projectId: string | undefined;
  archived: boolean;
  active: boolean;
}

/** The target as planning sees it; an undefined resource cannot be written (see `unavailable`). */
export interface TargetState {
  usersByEmail: Map<string, User>;
  projects: Project[] | undefined;
  personalByEmail: Map<string, Project>;
  personalProjectIds: Set<string>;
  folders: Map<string, Folder[]> | undefined;
  tags: Tag[] | undefined;
  variables: Variable[] | undefined;
  credentials: Map<string, CredentialMeta>;
  dataTables: DataTable[] | undefined;
  workflows: TargetWorkflow[];
  unavailable: Map<string, string>;
}

/**
 * Gathers the source state record by record, so it can be filled by the pass that verifies the
 * archive (one read of each entry for both) or by reading the archive on its own.
 */
export class SourceCollector {
  private readonly state: Omit<SourceState, 'skipped'> = {
    users: [],
    projects: [],
    folders: [],
    tags: [],
    variables: [],
    credentials: [],
    dataTables: [],
    workflows: [],
  };

  /** Takes one record of an archive entry; rows are not part of the source state. */
  add(resource: string, record: unknown): void {
    if (resource === 'workflows') this.state.workflows.push(summarize(record as Workflow));
    else if (resource in this.state && resource !== 'workflows')
      (this.state[resource as keyof typeof this.state] as unknown[]).push(record);
  }

  result(archive: OpenedArchive): SourceState {
    return { ...this.state, skipped: new Map(archive.manifest.skipped.map((s) => [s.resource, s.reason])) };
  }
}

export async function readSource(archive: OpenedArchive): Promise<SourceState> {
  const collector = new SourceCollector();
  for (const entry of archive.manifest.entries) {
    if (entry.resource === 'dataTableRows') continue;
    for await (const record of archive.records(entry.name)) collector.add(entry.resource, record);
  }
  return collector.result(archive);
}

function summarize(workflow: Workflow): WorkflowSummary {
  return {
    id: workflow.id,
    name: workflow.name,
    projectId: owningProjectId(workflow),
    folderId: workflow.parentFolderId,
    tagIds: (workflow.tags ?? []).map((t) => t.id),
    tagNames: (workflow.tags ?? []).map((t) => t.name),
    references: findWorkflowReferences(workflow),
    nodeTypes: nodeTypesOf(workflow),
    publishedNodeTypes: nodeTypesOf({ nodes: publishedNodes(workflow) }).map(nodeTypeKey),
  };
}

function publishedNodes(workflow: Workflow): Workflow['nodes'] {
  const published = (workflow.activeVersion as { nodes?: unknown } | null | undefined)?.nodes;
  return workflow.active && Array.isArray(published) ? (published as Workflow['nodes']) : workflow.nodes;
}

/** Lists one target resource; an unlicensed feature or a missing scope gives undefined and a reason. */
async function optional<T>(
  resource: string,
  list: () => AsyncIterable<T>,
  unavailable: Map<string, string>,
): Promise<T[] | undefined> {
  const listing = await readListing(list);
  if ('items' in listing) return listing.items;
  unavailable.set(resource, listing.unavailable);
  return undefined;
}

export async function readTarget(api: N8nApi): Promise<TargetState> {
  // Each listing is a round trip or more: read side by side, what is unavailable noted in a fixed order.
  const [u, p, t, v, c, d] = Array.from({ length: 6 }, () => new Map<string, string>()) as [
    Map<string, string>,
    Map<string, string>,
    Map<string, string>,
    Map<string, string>,
    Map<string, string>,
    Map<string, string>,
  ];
  const usersRead = optional('users', () => api.listUsers(), u);
  const projectsRead = readProjects(api, p);
  const tagsRead = optional('tags', () => api.listTags(), t);
  const variablesRead = optional('variables', () => api.listVariables(), v);
  const credentialsRead = optional('credentials', () => api.listCredentials(), c);
  const tablesRead = optional('dataTables', () => api.listDataTables(), d);
  const [userList, placed, tagList, variableList, credentialList, tableList, workflowList] =
    await Promise.all([
      usersRead,
      projectsRead,
      tagsRead,
      variablesRead,
      credentialsRead,
      tablesRead,
      targetWorkflows(api),
    ]);
  const unavailable = new Map([...u, ...p, ...t, ...v, ...c, ...d]);
  return {
    usersByEmail: new Map((userList ?? []).map((user) => [user.email.toLowerCase(), user])),
    projects: placed.projects,
    personalByEmail: placed.personalByEmail,
    personalProjectIds: new Set(
      (placed.projects ?? []).filter((project) => project.type === 'personal').map((project) => project.id),
    ),
    folders: placed.folders,
    tags: tagList,
    variables: variableList,
    credentials: new Map((credentialList ?? []).map((credential) => [credential.id, credential])),
    dataTables: tableList,
    workflows: workflowList,
    unavailable,
  };
}

async function readProjects(api: N8nApi, unavailable: Map<string, string>) {
  const projects = await optional('projects', () => api.listProjects(), unavailable);
  return { projects, ...(await readProjectContents(api, projects, unavailable)) };
}

async function targetWorkflows(api: N8nApi): Promise<TargetWorkflow[]> {
  const workflows: TargetWorkflow[] = [];
  for await (const workflow of api.listWorkflows({ excludePinnedData: true })) {
    workflows.push({
      id: workflow.id,
      name: workflow.name,
      projectId: owningProjectId(workflow),
      archived: workflow.isArchived === true,
      active: workflow.active === true,
    });
  }
  return workflows;
}

/** Personal projects by their owner's e-mail, and each project's folders. */
async function readProjectContents(
  api: N8nApi,
  projects: Project[] | undefined,
  unavailable: Map<string, string>,
): Promise<{ personalByEmail: Map<string, Project>; folders: Map<string, Folder[]> | undefined }> {
  const personalByEmail = new Map<string, Project>();
  if (!projects) {
    unavailable.set('folders', unavailable.get('projects') ?? 'projects are unavailable');
    return { personalByEmail, folders: undefined };
  }
  let folders: Map<string, Folder[]> | undefined = new Map();
  for (const project of projects) {
    if (project.type === 'personal') {
      const members =
        (await optional('projectMembers', () => api.listProjectMembers(project.id), unavailable)) ?? [];
      const owner = personalOwner(members);
      if (owner) personalByEmail.set(owner.email.toLowerCase(), project);
    }
    if (!folders) continue;
    const inProject = await optional('folders', () => api.listFolders(project.id), unavailable);
    if (inProject)
      folders.set(
        project.id,
        inProject.map((f) => ({ ...f, projectId: f.projectId ?? project.id })),
      );
    else folders = undefined;
  }
  return { personalByEmail, folders };
}

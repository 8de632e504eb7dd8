import { FeatureNotLicensedError, MissingScopeError, NotFoundError } from '../../../functions/core/errors.js';
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
import type { N8nApi, N8nVersionAnswer } from '../../../functions/core/ports.js';

export interface FakeInstance {
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
  /** Features the fake answers 403 "not licensed" for, e.g. feat:variables. */
  unlicensed?: string[];
  /** Read scopes the fake's key lacks, e.g. user:list. */
  missingScopes?: string[];
  /** The n8n version its package export states; undefined: an n8n without POST /n8n-packages/export (before 2.24). */
  n8nVersion?: string;
  /** Saved versions per workflow id, newest first; a workflow not named has its current graph as its one version, as in n8n. */
  history?: Record<string, WorkflowVersion[]>;
  /** An n8n from before GET /workflows/{id}/history: the route answers 404. */
  noHistoryRoute?: boolean;
}

/**
 * n8n states its version only in the manifest of a package export, which needs a workflow to export
 * and the workflow:export scope (measured on n8n 2.41.1).
 */
function versionOf(instance: FakeInstance): N8nVersionAnswer {
  if (instance.n8nVersion === undefined) return { version: null, reason: 'fake: no package export route' };
  if (instance.missingScopes?.includes('workflow:export'))
    return { version: null, reason: 'fake: the key lacks workflow:export' };
  if (!instance.workflows?.length) return { version: null, reason: 'fake: no workflow to export' };
  return { version: instance.n8nVersion };
}

/**
 * A read-only N8nApi over arrays, for exporter unit tests. Writes throw: the exporter must not write.
 * Counts GET /workflows/{id} calls so tests can check the list-first strategy.
 */
export function fakeN8nApi(instance: FakeInstance): N8nApi & { detailGets: number; folderExports: number } {
  const gate = (feature: string | undefined, scope: string, path: string) => {
    if (feature && instance.unlicensed?.includes(feature)) {
      throw new FeatureNotLicensedError(`Your license does not allow for ${feature}`, {
        status: 403,
        method: 'GET',
        path,
        feature,
      });
    }
    if (instance.missingScopes?.includes(scope)) {
      throw new MissingScopeError(`The API key lacks ${scope}`, { status: 403, method: 'GET', path, scope });
    }
  };
  async function* list<T>(items: T[] | undefined, scope: string, path: string, feature?: string) {
    gate(feature, scope, path);
    yield* items ?? [];
  }
  const versionsOf = (id: string): WorkflowVersion[] => {
    const given = instance.history?.[id];
    const current = instance.workflows?.find((w) => w.id === id);
    if (given || !current) return given ?? [];
    const at = current.updatedAt ?? '2026-01-01T00:00:00.000Z';
    return [
      {
        versionId: current.versionId ?? `${id}-v1`,
        workflowId: id,
        authors: 'Olga Owner',
        name: null,
        description: null,
        createdAt: at,
        updatedAt: at,
        nodes: current.nodes,
        connections: current.connections,
      },
    ];
  };
  const refuse = async (): Promise<never> => {
    throw new Error('the exporter must not write to n8n');
  };
  const api = {
    baseUrl: 'http://n8n.test',
    detailGets: 0,
    folderExports: 0,
    listWorkflows: ({ excludePinnedData = false }: { excludePinnedData?: boolean } = {}) =>
      list(
        excludePinnedData
          ? instance.workflows?.map(({ pinData: _pinData, ...listed }) => listed)
          : instance.workflows,
        'workflow:list',
        '/workflows',
      ),
    getWorkflow: async (id: string) => {
      api.detailGets += 1;
      const workflow = instance.workflows?.find((w) => w.id === id);
      if (!workflow)
        throw new NotFoundError('Not Found', { status: 404, method: 'GET', path: `/workflows/${id}` });
      return workflow;
    },
    latestWorkflowVersions: async (id: string, count: number) => {
      const path = `/workflows/${id}/history`;
      gate(undefined, 'workflow:read', path);
      if (instance.noHistoryRoute || !instance.workflows?.some((w) => w.id === id))
        throw new NotFoundError('Not Found', { status: 404, method: 'GET', path });
      return versionsOf(id)
        .slice(0, count)
        .map(({ nodes: _n, connections: _c, nodeGroups: _g, ...meta }) => meta);
    },
    getWorkflowVersion: async (id: string, versionId: string) => {
      const path = `/workflows/${id}/versions/${versionId}`;
      gate(undefined, 'workflow:read', path);
      const version = versionsOf(id).find((v) => v.versionId === versionId);
      if (!version) throw new NotFoundError('Version not found', { status: 404, method: 'GET', path });
      return version;
    },
    listTags: () => list(instance.tags, 'tag:list', '/tags'),
    listVariables: () => list(instance.variables, 'variable:list', '/variables', 'feat:variables'),
    listDataTables: () => list(instance.dataTables, 'dataTable:list', '/data-tables'),
    listDataTableRows: (id: string) =>
      list(instance.rows?.[id], 'dataTableRow:read', `/data-tables/${id}/rows`),
    listCredentials: () => list(instance.credentials, 'credential:list', '/credentials'),
    getCredential: async (id: string) => {
      const path = `/credentials/${id}`;
      gate(undefined, 'credential:read', path);
      const credential = instance.credentials?.find((c) => c.id === id);
      if (!credential) throw new NotFoundError('Credential not found', { status: 404, method: 'GET', path });
      return { isGlobal: false, isManaged: false, ...credential };
    },
    listProjects: () => list(instance.projects, 'project:list', '/projects', 'feat:projectRole:admin'),
    listProjectMembers: (id: string) => list(instance.members?.[id], 'user:list', `/projects/${id}/users`),
    listFolders: (id: string) =>
      list(instance.folders?.[id], 'folder:list', `/projects/${id}/folders`, 'feat:folders'),
    listUsers: () => list(instance.users, 'user:list', '/users'),
    createWorkflow: refuse,
    updateWorkflow: refuse,
    deleteWorkflow: refuse,
    archiveWorkflow: refuse,
    unarchiveWorkflow: refuse,
    publishWorkflow: refuse,
    unpublishWorkflow: refuse,
    transferWorkflow: refuse,
    getWorkflowTags: refuse,
    setWorkflowTags: refuse,
    createTag: refuse,
    createVariable: refuse,
    updateVariable: refuse,
    createDataTable: refuse,
    insertDataTableRows: refuse,
    clearDataTableRows: refuse,
    createCredential: refuse,
    getCredentialSchema: refuse,
    transferCredential: refuse,
    updateCredentialData: refuse,
    makeCredentialGlobal: refuse,
    createProject: refuse,
    addProjectMembers: refuse,
    createFolder: refuse,
    importWorkflows: refuse,
    supportsWorkflowImport: async () => false,
    n8nVersion: async () => versionOf(instance),
    listCommunityPackages: async () => [],
    installCommunityPackage: refuse,
    missingNodeTypes: async () => ({ missing: undefined, reason: 'fake: no package import route' }),
    workflowFolders: async (ids: readonly string[]) => {
      api.folderExports += 1;
      if (instance.n8nVersion === undefined)
        throw new NotFoundError('fake: no package export route', {
          status: 404,
          method: 'POST',
          path: '/n8n-packages/export',
        });
      if (instance.missingScopes?.includes('workflow:export'))
        throw new MissingScopeError('The API key lacks workflow:export', {
          status: 403,
          method: 'POST',
          path: '/n8n-packages/export',
          scope: 'workflow:export',
        });
      const folders = new Map<string, string | null>();
      for (const id of ids) {
        const found = instance.workflows?.find((w) => w.id === id);
        if (found) folders.set(id, found.parentFolderId ?? null);
      }
      return folders;
    },
  } satisfies N8nApi & { detailGets: number; folderExports: number };
  return api;
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

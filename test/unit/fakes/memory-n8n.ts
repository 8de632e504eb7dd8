/**
 * The in-memory n8n behind the N8nApi port, for unit tests of backup, restore, diff, drill and
 * doctor (the HTTP double in test/double is the integration tests' n8n). It keeps the rules of real
 * n8n 2.41 that n8n-ark depends on (API-NOTES "Measured on a real n8n"): server-assigned ids,
 * POST /workflows refusing read-only fields, unknown keys and `description`, PUT refusing
 * `projectId`, unknown node and settings keys refused, ignored settings dropped (its own copy of
 * n8n's rules, from the spec and real n8n: ./n8n-write-rules.ts), PUT refusing archived
 * workflows, 409 on duplicate tag names / credential ids / data-table names, variables answering
 * without a body, lists without description, folder or (when asked) pinned data, licence gates,
 * the scopes of an API key that lacks some. It counts writes and detail reads, can fail the Nth
 * write to simulate a crash, or refuse every write (a backup must only read). An instance with
 * given contents and ids: ./n8n-contents.ts.
 */

import { isDeepStrictEqual } from 'node:util';
import {
  ConflictError,
  FeatureNotLicensedError,
  MissingScopeError,
  N8nApiError,
  NotFoundError,
} from '../../../functions/core/errors.js';
import type {
  CommunityPackage,
  CredentialMeta,
  CredentialWrite,
  DataTable,
  DataTableRow,
  DataTableWrite,
  Folder,
  JsonObject,
  NodeTypeUse,
  Project,
  ProjectMember,
  Tag,
  User,
  Variable,
  VariableWrite,
  Workflow,
  WorkflowVersion,
  WorkflowVersionMeta,
  WorkflowWrite,
} from '../../../functions/core/n8n-types.js';
import type {
  N8nApi,
  N8nVersionAnswer,
  NodeTypesAnswer,
  PackagedWorkflow,
  WebhookRegistration,
} from '../../../functions/core/ports.js';
import { notRegisteredMessage } from '../../double/webhook-answers.js';
import { WebhookRegistry } from '../../double/webhooks.js';
import {
  N8N_IGNORED_SETTINGS_KEYS,
  N8N_IGNORED_WORKFLOW_KEYS,
  refusedWorkflowKey,
} from './n8n-write-rules.js';

/** n8n's default N8N_PAYLOAD_SIZE_MAX: 16 MiB (its endpoints config). */
const DEFAULT_PAYLOAD_SIZE_MAX = 16 * 1024 * 1024;

export interface MemoryN8nOptions {
  baseUrl?: string;
  /** N8N_PAYLOAD_SIZE_MAX in bytes: a larger request body is refused with 413. Default 16 MiB. */
  payloadSizeMax?: number;
  /** Licensed features; default all. */
  licensed?: { projects?: boolean; variables?: boolean; folders?: boolean; sharing?: boolean };
  /** Users of the instance; the first is the owner (the API key's user). */
  users?: { email: string; firstName?: string; lastName?: string; role?: string }[];
  /** Prefix for generated ids, so two instances never share one by chance. */
  idPrefix?: string;
  /** Whether the n8n-packages routes (import and export) exist (n8n 2.24+). Default true. */
  packageImport?: boolean;
  /** The version the instance's package export states. Default 2.41.1. */
  n8nVersion?: string;
  /** Community packages installed at the start. */
  communityPackages?: CommunityPackage[];
  /**
   * What POST /community-packages can install, by name (an npm registry's packages). n8n's vetted
   * list is online and these machines are offline, so an install with verify:true is refused as
   * "not vetted" (measured on 2.41.1), whatever this holds.
   */
  installable?: CommunityPackage[];
  /** Scopes the API key lacks, e.g. user:list: the reads that need one answer 403 (READ_SCOPES). */
  missingScopes?: string[];
  /** An n8n from before GET /workflows/{id}/history: the route answers 404. */
  noHistoryRoute?: boolean;
  /** Every write throws: for code that must only read (a backup). */
  readOnly?: boolean;
}

/**
 * The scope each read this fake checks needs (the spec's x-required-scope): the reads a backup, a
 * diff or doctor must get through without. Other routes are not checked.
 */
const READ_SCOPES = {
  listWorkflows: 'workflow:list',
  history: 'workflow:read',
  listTags: 'tag:list',
  listVariables: 'variable:list',
  listDataTables: 'dataTable:list',
  listDataTableRows: 'dataTableRow:read',
  listCredentials: 'credential:list',
  getCredential: 'credential:read',
  listProjects: 'project:list',
  listProjectMembers: 'user:list',
  listFolders: 'folder:list',
  listUsers: 'user:list',
  packageExport: 'workflow:export',
} as const;

/** The licence feature n8n names when it refuses each gated area (403 "does not allow for …"). */
export const LICENCE_FEATURES = {
  projects: 'feat:projectRole:admin',
  variables: 'feat:variables',
  folders: 'feat:folders',
  sharing: 'feat:sharing',
} as const;

/** Thrown by an injected crash: not an ArkError, as a killed process would not be one either. */
export class InjectedCrash extends Error {}

export class MemoryN8n implements N8nApi {
  readonly baseUrl: string;
  readonly users: User[] = [];
  readonly projects: (Project & { members: ProjectMember[] })[] = [];
  readonly folders: Folder[] = [];
  readonly tags: Tag[] = [];
  readonly variables: Variable[] = [];
  readonly credentials: (CredentialMeta & { data: JsonObject })[] = [];
  readonly dataTables: DataTable[] = [];
  readonly rows = new Map<string, DataTableRow[]>();
  readonly workflows: Workflow[] = [];
  /** Each workflow's saved versions, newest first (real n8n: a create, a PUT that changes the graph, an archive). */
  readonly history = new Map<string, WorkflowVersion[]>();
  /** Every write, as "METHOD path". */
  readonly writes: string[] = [];
  /** When set, the write with this 1-based number throws InjectedCrash instead of happening. */
  crashAtWrite: number | undefined;
  /** Called when the injected crash fires (a test freezes the ledger store to simulate a killed process). */
  onCrash: (() => void) | undefined;
  /** GET /workflows/{id} calls, for tests of what a backup reads. */
  detailGets = 0;
  /** The listing without gaps is the HTTP client's (N8nWorkflowsApi); a test may hand one in. */
  listWorkflowsWithoutGaps?: (options?: { excludePinnedData?: boolean }) => AsyncIterable<Workflow>;
  private readonly licensed: Required<NonNullable<MemoryN8nOptions['licensed']>>;
  private readonly idPrefix: string;
  private readonly packageImport: boolean;
  /** Writable so a test can upgrade or downgrade the instance between runs. */
  version: string;
  readonly communityPackages: CommunityPackage[];
  private readonly installable: CommunityPackage[];
  private readonly missingScopes: readonly string[];
  private readonly noHistoryRoute: boolean;
  private readonly readOnly: boolean;
  /** N8N_PAYLOAD_SIZE_MAX in bytes; writable, as an operator raises it between runs. */
  payloadSizeMax: number;
  /** Body-limit probes (they write nothing). */
  bodyProbes = 0;
  private nextId = 1;
  private nextRowId = 1;
  private savedVersions = 0;

  constructor(options: MemoryN8nOptions = {}) {
    this.baseUrl = options.baseUrl ?? 'http://n8n.test';
    this.idPrefix = options.idPrefix ?? 'm';
    this.packageImport = options.packageImport ?? true;
    this.version = options.n8nVersion ?? '2.41.1';
    this.communityPackages = structuredClone(options.communityPackages ?? []);
    this.installable = options.installable ?? [];
    this.missingScopes = options.missingScopes ?? [];
    this.noHistoryRoute = options.noHistoryRoute ?? false;
    this.readOnly = options.readOnly ?? false;
    this.payloadSizeMax = options.payloadSizeMax ?? DEFAULT_PAYLOAD_SIZE_MAX;
    this.licensed = { projects: true, variables: true, folders: true, sharing: true, ...options.licensed };
    for (const u of options.users ?? [
      { email: 'owner@example.com', firstName: 'Olga', lastName: 'Owner', role: 'global:owner' },
    ]) {
      const user: User = {
        id: this.id(),
        email: u.email,
        firstName: u.firstName ?? null,
        lastName: u.lastName ?? null,
        role: u.role ?? 'global:member',
      };
      this.users.push(user);
      this.projects.push({
        id: this.id(),
        name: `${u.firstName ?? ''} ${u.lastName ?? ''} <${u.email}>`.trim(),
        type: 'personal',
        members: [{ id: user.id, email: user.email, role: 'project:personalOwner' }],
      });
    }
  }

  get ownerPersonalProjectId(): string {
    return this.projects[0]?.id ?? '';
  }

  private id(): string {
    const n = this.nextId++;
    return `${this.idPrefix}${String(n).padStart(15 - this.idPrefix.length, '0')}X`;
  }

  private write(what: string): void {
    if (this.readOnly) throw new Error('the exporter must not write to n8n');
    const number = this.writes.length + 1;
    if (this.crashAtWrite === number) {
      this.crashAtWrite = undefined;
      this.onCrash?.();
      throw new InjectedCrash(`injected crash at write ${number}: ${what}`);
    }
    this.writes.push(what);
  }

  private gate(feature: keyof typeof LICENCE_FEATURES, method: string, path: string): void {
    const name = LICENCE_FEATURES[feature];
    if (!this.licensed[feature]) {
      throw new FeatureNotLicensedError(`Your license does not allow for ${name}`, {
        status: 403,
        method,
        path,
        feature: name,
      });
    }
  }

  /** A read the key may not make: 403 naming the scope it lacks. */
  private scoped(scope: string, path: string, method = 'GET'): void {
    if (this.missingScopes.includes(scope))
      throw new MissingScopeError(`The API key lacks ${scope}`, { status: 403, method, path, scope });
  }

  /** n8n's body parser refuses a body over N8N_PAYLOAD_SIZE_MAX before any handler (413). */
  private withinPayloadLimit(body: unknown, method: string, path: string): void {
    if (Buffer.byteLength(JSON.stringify(body)) > this.payloadSizeMax)
      throw new N8nApiError('request entity too large', { status: 413, method, path });
  }

  async acceptsBodyOf(bytes: number): Promise<boolean> {
    this.bodyProbes += 1;
    return bytes <= this.payloadSizeMax;
  }

  private badRequest(message: string, method: string, path: string): N8nApiError {
    return new N8nApiError(message, { status: 400, method, path });
  }

  private workflow(id: string): Workflow {
    const found = this.workflows.find((w) => w.id === id);
    if (!found)
      throw new NotFoundError(`workflow ${id} not found`, {
        status: 404,
        method: 'GET',
        path: `/workflows/${id}`,
      });
    return found;
  }

  /** Saves the workflow's graph as a new version, as n8n's WorkflowHistoryService.saveVersion does. */
  private saveVersion(workflow: Workflow, versionId?: string): void {
    // Version ids of their own (n8n's are UUIDs), so that saving one does not shift the objects' ids.
    const saved = ++this.savedVersions;
    workflow.versionId = versionId ?? `version-${String(saved).padStart(6, '0')}`;
    const at = new Date(Date.UTC(2026, 0, 1) + saved * 1000).toISOString();
    const owner = this.users[0];
    const version: WorkflowVersion = {
      versionId: workflow.versionId,
      workflowId: workflow.id,
      authors: `${owner?.firstName ?? ''} ${owner?.lastName ?? ''}`,
      name: null,
      description: null,
      createdAt: at,
      updatedAt: at,
      nodes: structuredClone(workflow.nodes),
      connections: structuredClone(workflow.connections),
      nodeGroups: structuredClone(workflow.nodeGroups ?? []),
    };
    this.history.set(workflow.id, [version, ...(this.history.get(workflow.id) ?? [])]);
  }

  private checkWorkflowBody(body: WorkflowWrite, method: 'POST' | 'PUT', path: string): void {
    const refused = refusedWorkflowKey(body, method);
    if (refused) throw this.badRequest(refused, method, path);
  }

  /** What n8n keeps of a write body: no `projectId`, no ignored fields or settings. */
  private content(body: WorkflowWrite): Omit<WorkflowWrite, 'projectId'> {
    const copy = structuredClone(body) as unknown as Record<string, unknown>;
    for (const key of ['projectId', ...N8N_IGNORED_WORKFLOW_KEYS]) delete copy[key];
    const kept = copy as unknown as Omit<WorkflowWrite, 'projectId'>;
    if (kept.settings)
      kept.settings = Object.fromEntries(
        Object.entries(kept.settings).filter(([key]) => !N8N_IGNORED_SETTINGS_KEYS.includes(key)),
      );
    return kept;
  }

  // --- workflows ---

  async *listWorkflows(options: { excludePinnedData?: boolean } = {}): AsyncIterable<Workflow> {
    this.scoped(READ_SCOPES.listWorkflows, '/workflows');
    // Like n8n's list: full bodies, but no description and no folder; pinned data only if asked.
    for (const w of [...this.workflows]) {
      const { description: _d, parentFolderId: _p, ...listed } = structuredClone(w);
      if (options.excludePinnedData) delete listed.pinData;
      yield listed as Workflow;
    }
  }

  async getWorkflow(id: string): Promise<Workflow> {
    this.detailGets += 1;
    return structuredClone(this.workflow(id));
  }

  async createWorkflow(body: WorkflowWrite): Promise<Workflow> {
    this.withinPayloadLimit(body, 'POST', '/workflows');
    this.checkWorkflowBody(body, 'POST', '/workflows');
    if (body.projectId && !this.projects.some((p) => p.id === body.projectId)) {
      throw new NotFoundError('project not found', { status: 404, method: 'POST', path: '/workflows' });
    }
    this.write('POST /workflows');
    const workflow: Workflow = {
      ...this.content(body),
      id: this.id(),
      active: false,
      isArchived: false,
      description: null,
      parentFolderId: body.parentFolderId ?? null,
      tags: [],
      shared: [{ role: 'workflow:owner', projectId: body.projectId ?? this.ownerPersonalProjectId }],
      versionId: this.id(),
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    this.workflows.push(workflow);
    this.saveVersion(workflow, workflow.versionId);
    return structuredClone(workflow);
  }

  /** Package id each workflow a content import created was made from (n8n's `sourceWorkflowId`). */
  private readonly lineage = new Map<string, string>();

  /**
   * POST /n8n-packages/import with workflowConflictPolicy=fail: keeping ids, shells under the ids
   * given; else the content (only what n8n's package schema keeps) under new ids, unpublished, in
   * the folder given, refused whole when a workflow of the project has a package id as lineage or id.
   */
  async importWorkflows(
    workflows: readonly PackagedWorkflow[],
    options: { projectId?: string; folderId?: string; keepIds: boolean },
  ): Promise<{ sourceId: string; id: string }[]> {
    const path = '/n8n-packages/import';
    if (!this.packageImport) throw new NotFoundError('not found', { status: 404, method: 'POST', path });
    const projectId = options.projectId ?? this.ownerPersonalProjectId;
    if (options.projectId && !this.projects.some((p) => p.id === options.projectId))
      throw new NotFoundError(`Project not found: ${options.projectId}`, {
        status: 404,
        method: 'POST',
        path,
      });
    const inProject = this.workflows.filter((w) => options.keepIds || w.shared?.[0]?.projectId === projectId);
    const known = (id: string) =>
      inProject.some((w) => (options.keepIds ? w.id === id : (this.lineage.get(w.id) ?? w.id) === id));
    const taken = workflows.filter((w) => known(w.id));
    if (taken.length > 0)
      throw new ConflictError(
        `Import blocked: ${taken.length} issue(s) must be resolved before the package can be imported.`,
        { status: 409, method: 'POST', path },
      );
    this.write(`POST ${path}`);
    return workflows.map((packaged) => {
      const id = options.keepIds ? packaged.id : this.id();
      if (!options.keepIds) this.lineage.set(id, packaged.id);
      const workflow: Workflow = {
        id,
        name: packaged.name,
        active: false,
        isArchived: false,
        description: null,
        parentFolderId: options.folderId ?? null,
        nodes: structuredClone(packaged.nodes ?? []),
        connections: structuredClone(packaged.connections ?? {}),
        settings: structuredClone(packaged.settings ?? {}),
        tags: [],
        shared: [{ role: 'workflow:owner', projectId }],
        versionId: this.id(),
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      };
      this.workflows.push(workflow);
      this.saveVersion(workflow, workflow.versionId);
      return { sourceId: packaged.id, id };
    });
  }

  async supportsWorkflowImport(): Promise<boolean> {
    return this.packageImport;
  }

  /** n8n states its version only in a package export's manifest, and exports only what exists. */
  async n8nVersion(): Promise<N8nVersionAnswer> {
    if (!this.packageImport) return { version: null, reason: 'fake: no package export route' };
    if (this.missingScopes.includes(READ_SCOPES.packageExport))
      return { version: null, reason: `fake: the key lacks ${READ_SCOPES.packageExport}` };
    if (this.workflows.length === 0) return { version: null, reason: 'fake: no workflow to export' };
    return { version: this.version };
  }

  /** The package export names each workflow's folder; one unknown here is left out, as n8n's halved export leaves it. */
  async workflowFolders(ids: readonly string[]): Promise<Map<string, string | null>> {
    const path = '/n8n-packages/export';
    if (!this.packageImport)
      throw new NotFoundError('fake: no package export route', { status: 404, method: 'POST', path });
    this.scoped(READ_SCOPES.packageExport, path, 'POST');
    const folders = new Map<string, string | null>();
    for (const id of ids) {
      const workflow = this.workflows.find((w) => w.id === id);
      if (workflow) folders.set(id, workflow.parentFolderId ?? null);
    }
    return folders;
  }

  async listCommunityPackages(): Promise<CommunityPackage[]> {
    return structuredClone(this.communityPackages);
  }

  async installCommunityPackage(
    name: string,
    version: string,
    options: { verify: boolean },
  ): Promise<CommunityPackage> {
    const path = '/community-packages';
    if (options.verify) throw this.badRequest(`Package ${name} is not vetted for installation`, 'POST', path);
    if (this.communityPackages.some((p) => p.packageName === name))
      throw this.badRequest(`Package "${name}" is already installed`, 'POST', path);
    const found = this.installable.find((p) => p.packageName === name && p.installedVersion === version);
    if (!found) throw this.badRequest(`Error loading package "${name}" :Package not found`, 'POST', path);
    this.write(`POST ${path}`);
    this.communityPackages.push(structuredClone(found));
    return structuredClone(found);
  }

  /** Which node types the instance lacks, as its package import tells (n8n 2.24+). */
  async missingNodeTypes(types: readonly NodeTypeUse[]): Promise<NodeTypesAnswer> {
    if (!this.packageImport) return { missing: undefined, reason: 'fake: no package import route' };
    return { missing: types.filter((t) => !this.knowsNodeType(t)) };
  }

  /** Built-in nodes (any version, a simplification) and the loaded packages' nodes up to their version. */
  private knowsNodeType(t: NodeTypeUse): boolean {
    return (
      /^(n8n-nodes-base|@n8n\/n8n-nodes-langchain)\./.test(t.type) ||
      this.communityPackages.some(
        (p) =>
          !p.failedLoading &&
          p.installedNodes.some((n) => n.type === t.type && (n.latestVersion ?? 1) >= t.typeVersion),
      )
    );
  }

  async updateWorkflow(
    id: string,
    body: WorkflowWrite,
    options: { publishIfActive?: boolean } = {},
  ): Promise<Workflow> {
    const path = `/workflows/${id}`;
    this.withinPayloadLimit(body, 'PUT', path);
    this.checkWorkflowBody(body, 'PUT', path);
    const workflow = this.workflow(id);
    if (workflow.isArchived) throw this.badRequest('Cannot update an archived workflow.', 'PUT', path);
    this.write(`PUT ${path}`);
    const graph = (w: Workflow) => [w.nodes, w.connections, w.nodeGroups ?? []];
    const before = structuredClone(graph(workflow));
    Object.assign(workflow, this.content(body));
    if (!isDeepStrictEqual(before, graph(workflow))) this.saveVersion(workflow);
    // A PUT on a published workflow publishes the new content too, unless told not to.
    if (workflow.active && options.publishIfActive !== false) this.setPublished(workflow);
    return structuredClone(workflow);
  }

  /** The workflow's current content becomes what runs: its published version, and its webhooks. */
  private setPublished(workflow: Workflow): void {
    workflow.active = true;
    workflow.activeVersionId = workflow.versionId ?? null;
    workflow.activeVersion = {
      versionId: workflow.versionId,
      workflowId: workflow.id,
      nodes: structuredClone(workflow.nodes),
      connections: structuredClone(workflow.connections),
    };
    this.webhooks.register(workflow.id, workflow.nodes as unknown as JsonObject[]);
  }

  private setUnpublished(workflow: Workflow): void {
    workflow.active = false;
    workflow.activeVersionId = null;
    workflow.activeVersion = null;
    this.webhooks.unregister(workflow.id);
  }

  /** Production webhooks of published workflows (n8n's rules, as the HTTP double states them). */
  readonly webhooks = new WebhookRegistry();

  async webhookRegistration(
    _endpoint: 'webhook' | 'form',
    path: string,
    method: string,
  ): Promise<WebhookRegistration> {
    const methods = this.webhooks.methodsOn(path);
    return methods.includes(method)
      ? { registered: true, methods }
      : { registered: false, message: notRegisteredMessage(path, method, methods) };
  }

  async deleteWorkflow(id: string): Promise<void> {
    this.write(`DELETE /workflows/${id}`);
    this.webhooks.unregister(id);
    this.workflows.splice(this.workflows.indexOf(this.workflow(id)), 1);
    this.history.delete(id);
  }

  async archiveWorkflow(id: string): Promise<void> {
    const workflow = this.workflow(id);
    if (workflow.isArchived)
      throw this.badRequest('Workflow is already archived', 'POST', `/workflows/${id}/archive`);
    this.write(`POST /workflows/${id}/archive`);
    workflow.isArchived = true;
    this.setUnpublished(workflow);
    this.saveVersion(workflow);
  }

  async latestWorkflowVersions(workflowId: string, count: number): Promise<WorkflowVersionMeta[]> {
    const path = `/workflows/${workflowId}/history`;
    this.scoped(READ_SCOPES.history, path);
    if (this.noHistoryRoute) throw new NotFoundError('Not Found', { status: 404, method: 'GET', path });
    this.workflow(workflowId);
    return (this.history.get(workflowId) ?? [])
      .slice(0, count)
      .map(({ nodes: _n, connections: _c, nodeGroups: _g, ...meta }) => structuredClone(meta));
  }

  async getWorkflowVersion(workflowId: string, versionId: string): Promise<WorkflowVersion> {
    this.scoped(READ_SCOPES.history, `/workflows/${workflowId}/versions/${versionId}`);
    this.workflow(workflowId);
    const version = this.history.get(workflowId)?.find((v) => v.versionId === versionId);
    if (!version)
      throw new NotFoundError('Version not found', {
        status: 404,
        method: 'GET',
        path: `/workflows/${workflowId}/versions/${versionId}`,
      });
    return structuredClone(version);
  }

  async unarchiveWorkflow(id: string): Promise<void> {
    this.write(`POST /workflows/${id}/unarchive`);
    this.workflow(id).isArchived = false;
  }

  async publishWorkflow(id: string): Promise<void> {
    const workflow = this.workflow(id);
    const unknown = workflow.nodes.find(
      (n) => !this.knowsNodeType({ type: n.type, typeVersion: n.typeVersion ?? 1 }),
    );
    if (unknown)
      throw this.badRequest(`Unrecognized node type: ${unknown.type}`, 'POST', `/workflows/${id}/publish`);
    const hasTrigger = workflow.nodes.some((n) => /trigger|webhook/i.test(n.type));
    if (!hasTrigger)
      throw this.badRequest('Workflow has no node to start the workflow', 'POST', `/workflows/${id}/publish`);
    if (this.webhooks.conflict(id, workflow.nodes as unknown as JsonObject[]))
      throw new ConflictError('There is a conflict with one of the webhooks.', {
        status: 409,
        method: 'POST',
        path: `/workflows/${id}/publish`,
      });
    this.write(`POST /workflows/${id}/publish`);
    this.setPublished(workflow);
  }

  async unpublishWorkflow(id: string): Promise<void> {
    this.write(`POST /workflows/${id}/unpublish`);
    this.setUnpublished(this.workflow(id));
  }

  async transferWorkflow(id: string, destinationProjectId: string): Promise<void> {
    this.write(`PUT /workflows/${id}/transfer`);
    const workflow = this.workflow(id);
    workflow.shared = [{ role: 'workflow:owner', projectId: destinationProjectId }];
  }

  async getWorkflowTags(id: string): Promise<Tag[]> {
    return structuredClone(this.workflow(id).tags ?? []);
  }

  async setWorkflowTags(id: string, tagIds: string[]): Promise<Tag[]> {
    const workflow = this.workflow(id);
    const tags = tagIds.map((tagId) => {
      const tag = this.tags.find((t) => t.id === tagId);
      if (!tag)
        throw new NotFoundError(`tag ${tagId} not found`, {
          status: 404,
          method: 'PUT',
          path: `/workflows/${id}/tags`,
        });
      return { id: tag.id, name: tag.name };
    });
    this.write(`PUT /workflows/${id}/tags`);
    workflow.tags = tags;
    return structuredClone(tags);
  }

  // --- tags ---

  async *listTags(): AsyncIterable<Tag> {
    this.scoped(READ_SCOPES.listTags, '/tags');
    yield* structuredClone(this.tags);
  }

  async createTag(name: string): Promise<Tag> {
    if (this.tags.some((t) => t.name === name))
      throw new ConflictError('Tag already exists', { status: 409, method: 'POST', path: '/tags' });
    this.write('POST /tags');
    const tag = { id: this.id(), name };
    this.tags.push(tag);
    return { ...tag };
  }

  // --- variables ---

  async *listVariables(): AsyncIterable<Variable> {
    this.gate('variables', 'GET', '/variables');
    this.scoped(READ_SCOPES.listVariables, '/variables');
    yield* structuredClone(this.variables);
  }

  async createVariable(body: VariableWrite): Promise<void> {
    this.gate('variables', 'POST', '/variables');
    if (
      this.variables.some((v) => v.key === body.key && (v.project?.id ?? null) === (body.projectId ?? null))
    ) {
      throw new ConflictError(`Variable with key ${body.key} already exists`, {
        status: 409,
        method: 'POST',
        path: '/variables',
      });
    }
    this.write('POST /variables');
    const project = body.projectId ? this.projects.find((p) => p.id === body.projectId) : undefined;
    this.variables.push({
      id: this.id(),
      key: body.key,
      value: body.value,
      type: 'string',
      project: project ? { id: project.id, name: project.name } : null,
    });
  }

  async updateVariable(id: string, body: VariableWrite): Promise<void> {
    this.gate('variables', 'PUT', `/variables/${id}`);
    const variable = this.variables.find((v) => v.id === id);
    if (!variable)
      throw new NotFoundError('variable not found', { status: 404, method: 'PUT', path: `/variables/${id}` });
    this.write(`PUT /variables/${id}`);
    variable.key = body.key;
    variable.value = body.value;
  }

  // --- data tables ---

  async *listDataTables(): AsyncIterable<DataTable> {
    this.scoped(READ_SCOPES.listDataTables, '/data-tables');
    yield* structuredClone(this.dataTables);
  }

  async *listDataTableRows(dataTableId: string): AsyncIterable<DataTableRow> {
    this.scoped(READ_SCOPES.listDataTableRows, `/data-tables/${dataTableId}/rows`);
    yield* structuredClone(this.rows.get(dataTableId) ?? []);
  }

  async createDataTable(body: DataTableWrite): Promise<DataTable> {
    const projectId = body.projectId ?? this.ownerPersonalProjectId;
    if (this.dataTables.some((t) => t.name === body.name && t.projectId === projectId)) {
      throw new ConflictError(`Data table with name '${body.name}' already exists in this project`, {
        status: 409,
        method: 'POST',
        path: '/data-tables',
      });
    }
    this.write('POST /data-tables');
    const table: DataTable = {
      id: this.id(),
      name: body.name,
      projectId,
      columns: body.columns.map((c, index) => ({ id: this.id(), name: c.name, type: c.type, index })),
    };
    this.dataTables.push(table);
    this.rows.set(table.id, []);
    return structuredClone(table);
  }

  async insertDataTableRows(dataTableId: string, rows: DataTableRow[]): Promise<number> {
    this.withinPayloadLimit({ data: rows, returnType: 'count' }, 'POST', `/data-tables/${dataTableId}/rows`);
    const table = this.dataTables.find((t) => t.id === dataTableId);
    if (!table)
      throw new NotFoundError('data table not found', {
        status: 404,
        method: 'POST',
        path: `/data-tables/${dataTableId}/rows`,
      });
    for (const row of rows) {
      for (const key of Object.keys(row)) {
        if (!table.columns.some((c) => c.name === key)) {
          throw this.badRequest(`unknown column name '${key}'`, 'POST', `/data-tables/${dataTableId}/rows`);
        }
      }
    }
    this.write(`POST /data-tables/${dataTableId}/rows`);
    const stored = this.rows.get(dataTableId) ?? [];
    for (const row of rows)
      stored.push({ id: this.nextRowId++, ...row, createdAt: '2026-01-01', updatedAt: '2026-01-01' });
    this.rows.set(dataTableId, stored);
    return rows.length;
  }

  async clearDataTableRows(dataTableId: string): Promise<void> {
    this.write(`DELETE /data-tables/${dataTableId}/rows/clear`);
    this.rows.set(dataTableId, []);
  }

  // --- credentials ---

  async *listCredentials(): AsyncIterable<CredentialMeta> {
    this.scoped(READ_SCOPES.listCredentials, '/credentials');
    for (const { data: _data, ...meta } of this.credentials) yield structuredClone(meta);
  }

  async createCredential(body: CredentialWrite): Promise<CredentialMeta> {
    if (body.id && this.credentials.some((c) => c.id === body.id)) {
      throw new ConflictError('A credential with this ID already exists', {
        status: 409,
        method: 'POST',
        path: '/credentials',
      });
    }
    const schema = await this.getCredentialSchema(body.type);
    const allowed = Object.keys((schema.properties ?? {}) as JsonObject);
    for (const key of Object.keys(body.data)) {
      if (!allowed.includes(key))
        throw this.badRequest(
          `request.body.data is not allowed to have the additional property "${key}"`,
          'POST',
          '/credentials',
        );
    }
    for (const key of (schema.required ?? []) as string[]) {
      if (!(key in body.data))
        throw this.badRequest(`request.body.data requires property "${key}"`, 'POST', '/credentials');
    }
    this.write('POST /credentials');
    const projectId = body.projectId ?? this.ownerPersonalProjectId;
    const project = this.projects.find((p) => p.id === projectId);
    const credential = {
      id: body.id ?? this.id(),
      name: body.name,
      type: body.type,
      data: structuredClone(body.data),
      shared: [{ id: projectId, name: project?.name ?? '', role: 'credential:owner' }],
    };
    this.credentials.push(credential);
    const { data: _data, ...meta } = credential;
    return structuredClone(meta);
  }

  async getCredentialSchema(type: string): Promise<JsonObject> {
    if (type === 'unknownCommunityApi')
      throw new NotFoundError(`credential type ${type} not found`, {
        status: 404,
        method: 'GET',
        path: `/credentials/schema/${type}`,
      });
    if (type === 'httpHeaderAuth') {
      return {
        type: 'object',
        additionalProperties: false,
        properties: { name: { type: 'string' }, value: { type: 'string' } },
        required: ['name', 'value'],
      };
    }
    return {
      type: 'object',
      additionalProperties: false,
      properties: {
        authentication: { type: 'string', enum: ['apiKey', 'oAuth2'] },
        apiKey: { type: 'string' },
        clientId: { type: 'string' },
      },
      required: [],
      allOf: [
        conditionalRequirement('authentication', 'apiKey', 'apiKey'),
        conditionalRequirement('authentication', 'oAuth2', 'clientId'),
      ],
    };
  }

  async transferCredential(id: string, destinationProjectId: string): Promise<void> {
    const credential = this.credentials.find((c) => c.id === id);
    if (!credential)
      throw new NotFoundError('credential not found', {
        status: 404,
        method: 'PUT',
        path: `/credentials/${id}/transfer`,
      });
    this.write(`PUT /credentials/${id}/transfer`);
    const project = this.projects.find((p) => p.id === destinationProjectId);
    credential.shared = [{ id: destinationProjectId, name: project?.name ?? '', role: 'credential:owner' }];
  }

  async getCredential(id: string): Promise<CredentialMeta> {
    this.scoped(READ_SCOPES.getCredential, `/credentials/${id}`);
    const credential = this.credentials.find((c) => c.id === id);
    if (!credential)
      throw new NotFoundError('Credential not found', {
        status: 404,
        method: 'GET',
        path: `/credentials/${id}`,
      });
    const { data: _secret, shared: _shared, ...meta } = credential;
    return { isGlobal: false, isManaged: false, ...structuredClone(meta) };
  }

  async makeCredentialGlobal(id: string): Promise<void> {
    const credential = this.credentials.find((c) => c.id === id);
    if (!credential)
      throw new NotFoundError('Credential not found', {
        status: 404,
        method: 'PATCH',
        path: `/credentials/${id}`,
      });
    if (credential.isGlobal === true) return;
    this.gate('sharing', 'PATCH', `/credentials/${id}`);
    this.write(`PATCH /credentials/${id}`);
    credential.isGlobal = true;
  }

  async updateCredentialData(id: string, data: JsonObject): Promise<void> {
    const credential = this.credentials.find((c) => c.id === id);
    if (!credential)
      throw new NotFoundError('Credential not found', {
        status: 404,
        method: 'PATCH',
        path: `/credentials/${id}`,
      });
    this.write(`PATCH /credentials/${id}`);
    credential.data = structuredClone(data);
  }

  // --- projects, folders, users ---

  async *listProjects(): AsyncIterable<Project> {
    this.gate('projects', 'GET', '/projects');
    this.scoped(READ_SCOPES.listProjects, '/projects');
    for (const { members: _m, ...project } of this.projects) yield structuredClone(project);
  }

  async *listProjectMembers(projectId: string): AsyncIterable<ProjectMember> {
    this.gate('projects', 'GET', `/projects/${projectId}/users`);
    this.scoped(READ_SCOPES.listProjectMembers, `/projects/${projectId}/users`);
    yield* structuredClone(this.projects.find((p) => p.id === projectId)?.members ?? []);
  }

  async createProject(name: string): Promise<Project> {
    this.gate('projects', 'POST', '/projects');
    this.write('POST /projects');
    const owner = this.users[0];
    const project = {
      id: this.id(),
      name,
      type: 'team' as const,
      members: owner ? [{ id: owner.id, email: owner.email, role: 'project:admin' }] : [],
    };
    this.projects.push(project);
    const { members: _m, ...rest } = project;
    return structuredClone(rest);
  }

  async addProjectMembers(projectId: string, relations: { userId: string; role: string }[]): Promise<void> {
    this.gate('projects', 'POST', `/projects/${projectId}/users`);
    const project = this.projects.find((p) => p.id === projectId);
    if (!project)
      throw new NotFoundError('project not found', {
        status: 404,
        method: 'POST',
        path: `/projects/${projectId}/users`,
      });
    for (const relation of relations) {
      if (project.members.some((m) => m.id === relation.userId)) {
        throw this.badRequest('user is already a member', 'POST', `/projects/${projectId}/users`);
      }
    }
    this.write(`POST /projects/${projectId}/users`);
    for (const relation of relations) {
      const user = this.users.find((u) => u.id === relation.userId);
      if (user) project.members.push({ id: user.id, email: user.email, role: relation.role });
    }
  }

  async *listFolders(projectId: string): AsyncIterable<Folder> {
    this.gate('folders', 'GET', `/projects/${projectId}/folders`);
    this.scoped(READ_SCOPES.listFolders, `/projects/${projectId}/folders`);
    yield* structuredClone(this.folders.filter((f) => f.projectId === projectId));
  }

  async createFolder(
    projectId: string,
    body: { name: string; parentFolderId?: string | null },
  ): Promise<Folder> {
    this.gate('folders', 'POST', `/projects/${projectId}/folders`);
    this.write(`POST /projects/${projectId}/folders`);
    const folder: Folder = {
      id: this.id(),
      name: body.name,
      parentFolderId: body.parentFolderId ?? null,
      projectId,
    };
    this.folders.push(folder);
    return { ...folder };
  }

  async *listUsers(): AsyncIterable<User> {
    this.scoped(READ_SCOPES.listUsers, '/users');
    yield* structuredClone(this.users);
  }

  // --- seeding helpers (no write counting: they build the source instance) ---

  seedProject(name: string, members: { email: string; role: string }[] = []): Project {
    const project = {
      id: this.id(),
      name,
      type: 'team' as const,
      members: members.map((m) => {
        const user = this.users.find((u) => u.email === m.email);
        return { id: user?.id ?? this.id(), email: m.email, role: m.role };
      }),
    };
    this.projects.push(project);
    return project;
  }

  seedWorkflow(
    workflow: Partial<Workflow> & { name: string },
    projectId = this.ownerPersonalProjectId,
  ): Workflow {
    const created: Workflow = {
      id: this.id(),
      active: false,
      isArchived: false,
      nodes: [],
      connections: {},
      settings: {},
      description: null,
      parentFolderId: null,
      tags: [],
      shared: [{ role: 'workflow:owner', projectId }],
      ...workflow,
    };
    this.workflows.push(created);
    this.saveVersion(created, created.versionId);
    return created;
  }

  seedCredential(
    name: string,
    type: string,
    projectId = this.ownerPersonalProjectId,
    id = this.id(),
  ): CredentialMeta {
    const project = this.projects.find((p) => p.id === projectId);
    const credential = {
      id,
      name,
      type,
      data: {},
      shared: [{ id: projectId, name: project?.name ?? '', role: 'credential:owner' }],
    };
    this.credentials.push(credential);
    return credential;
  }

  seedDataTable(
    name: string,
    columns: DataTableWrite['columns'],
    rows: DataTableRow[],
    projectId = this.ownerPersonalProjectId,
  ): DataTable {
    const table: DataTable = {
      id: this.id(),
      name,
      projectId,
      columns: columns.map((c, index) => ({ id: this.id(), name: c.name, type: c.type, index })),
    };
    this.dataTables.push(table);
    this.rows.set(
      table.id,
      rows.map((r) => ({ id: this.nextRowId++, ...r, createdAt: '2025-01-01', updatedAt: '2025-01-01' })),
    );
    return table;
  }

  seedTag(name: string): Tag {
    const tag = { id: this.id(), name };
    this.tags.push(tag);
    return tag;
  }

  seedVariable(key: string, value: string, project?: Project): Variable {
    const variable = {
      id: this.id(),
      key,
      value,
      type: 'string',
      project: project ? { id: project.id, name: project.name } : null,
    };
    this.variables.push(variable);
    return variable;
  }

  seedFolder(name: string, projectId: string, parentFolderId: string | null = null): Folder {
    const folder = { id: this.id(), name, projectId, parentFolderId };
    this.folders.push(folder);
    return folder;
  }
}

/**
 * One of the if/then/else blocks n8n's credential schema uses (toJsonSchema in its public API):
 * `required` is needed when `field` equals `value`, and must be absent otherwise.
 */
export function conditionalRequirement(field: string, value: string, required: string): JsonObject {
  // Built from entries: a literal `then` key reads to linters like a thenable.
  const entries: [string, JsonObject][] = [
    ['if', { properties: { [field]: { enum: [value] } } }],
    ['then', { allOf: [{ required: [required] }] }],
    ['else', { allOf: [{ not: { required: [required] } }] }],
  ];
  return Object.fromEntries(entries);
}

/**
 * The ports to n8n's Public API, one per area; ports.ts re-exports them. The HTTP client
 * (functions/adapters/n8n) implements each in a module of its own.
 */
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
  UserInvitation,
  Variable,
  VariableWrite,
  Workflow,
  WorkflowNode,
  WorkflowVersion,
  WorkflowVersionMeta,
  WorkflowWrite,
} from './n8n-types.js';

/**
 * A workflow as an n8n package carries it: its package id (the archive id) and name, and, unless it
 * is an empty shell, the content n8n's package schema keeps (core/kinds/workflows/package-eligibility.ts).
 */
export interface PackagedWorkflow {
  id: string;
  name: string;
  nodes?: WorkflowNode[];
  connections?: JsonObject;
  settings?: JsonObject;
}

/**
 * A listing that can also be read the way n8n sends it, a page at a time (`pagesOf` in
 * async-iterables.ts reads either kind). Reading by page spares the consumer a promise per item,
 * which adds up over hundreds of thousands of data-table rows. The HTTP client's listings are paged;
 * a plain async iterable (a test fake) is read item by item.
 */
export interface PagedListing<T> extends AsyncIterable<T> {
  pages(): AsyncIterable<readonly T[]>;
}

/**
 * Where a cursor listing stands after a page, to be read on from there by another process: the
 * next page's cursor (null: no page follows) and the ids of the page (a next page that repeats
 * them after an insert mid-scan has them dropped, as within one reading).
 */
export interface ListingPosition {
  cursor: string | null;
  ids: (string | number)[];
}

/** A listing that says where it stands after each page (a sliced backup saves it between slices). */
export interface PositionedListing<T> extends PagedListing<T> {
  positioned(): AsyncIterable<{ items: readonly T[]; position: ListingPosition }>;
}

/** Where a listing without gaps is taken up again: from `offset`, after the ids last handed out. */
export interface GaplessStart {
  offset: number;
  after: string[];
}

/**
 * n8n's Public API v1 as the core needs it, one port per area; a consumer takes the areas (or the
 * methods, `Pick<>`) it uses, and `N8nApi` is all of them. List methods stream every item, following
 * cursors to the end and dropping an item that a recent page repeats (offset paging repeats items
 * when something is inserted mid-scan). Errors are the N8nApiError family from errors.ts; a route
 * the instance is not licensed for throws FeatureNotLicensedError.
 */
export interface N8nEndpoint {
  /** Base URL of the instance, without credentials, for manifests and messages. */
  readonly baseUrl: string;
}

/** Workflows, their tags, their saved versions (`/workflows`). */
export interface N8nWorkflowsApi {
  listWorkflows(options?: { excludePinnedData?: boolean }): AsyncIterable<Workflow>;
  /**
   * The same listing, read so that no workflow present for the whole read is left out however the
   * list moves meanwhile (pages overlap and must meet). Where a client has it, a backup needs no
   * second reading of the workflows to be sure none was lost.
   */
  listWorkflowsWithoutGaps?(options?: {
    excludePinnedData?: boolean;
    /** Read on from where an earlier reading (another process's) stood. */
    from?: GaplessStart;
  }): AsyncIterable<Workflow>;
  getWorkflow(id: string): Promise<Workflow>;
  createWorkflow(body: WorkflowWrite): Promise<Workflow>;
  /**
   * PUT: on a published workflow n8n publishes the new content too, unless `publishIfActive` is
   * false (then it is saved as the draft and what runs stays as it was).
   */
  updateWorkflow(id: string, body: WorkflowWrite, options?: { publishIfActive?: boolean }): Promise<Workflow>;
  deleteWorkflow(id: string): Promise<void>;
  archiveWorkflow(id: string): Promise<void>;
  unarchiveWorkflow(id: string): Promise<void>;
  /**
   * POST /workflows/{id}/publish (the successor of /activate); `versionId` publishes that saved
   * version of the history instead of the current draft (how a cutover's rollback puts back exactly
   * what ran).
   */
  publishWorkflow(id: string, options?: { versionId?: string }): Promise<void>;
  unpublishWorkflow(id: string): Promise<void>;
  transferWorkflow(id: string, destinationProjectId: string): Promise<void>;
  getWorkflowTags(id: string): Promise<Tag[]>;
  /**
   * The workflow's newest `count` saved versions, newest first (GET /workflows/{id}/history, paged
   * until `count`): few by nature, so given whole. A workflow n8n does not know is a NotFoundError.
   */
  latestWorkflowVersions(workflowId: string, count: number): Promise<WorkflowVersionMeta[]>;
  /** GET /workflows/{id}/versions/{versionId}: one saved version's graph. */
  getWorkflowVersion(workflowId: string, versionId: string): Promise<WorkflowVersion>;
  setWorkflowTags(id: string, tagIds: string[]): Promise<Tag[]>;
}

/** n8n's package routes (`/n8n-packages/*`, n8n 2.24+): what only a package import or export tells or does. */
export interface N8nPackagesApi {
  /**
   * POST /n8n-packages/import (n8n 2.24+, beta): creates these workflows in one project (undefined
   * = the key owner's personal project) and folder (undefined = its root), all or none. `keepIds`:
   * under the ids given (`workflowIdPolicy=source`; an id the target has is a ConflictError for the
   * whole call), as empty shells whose content follows by PUT. Otherwise with new ids and the content
   * given (`workflowIdPolicy=new`, unpublished, unknown node types accepted as POST accepts them); the
   * package id is kept by n8n as the workflow's lineage, and a workflow of the project with that
   * lineage (or id) is a ConflictError for the whole call. The answer maps package id → new id.
   */
  importWorkflows(
    workflows: readonly PackagedWorkflow[],
    options: { projectId?: string; folderId?: string; keepIds: boolean },
  ): Promise<{ sourceId: string; id: string }[]>;
  /** Whether the instance has POST /n8n-packages/import, asked without writing anything. */
  supportsWorkflowImport(): Promise<boolean>;
  /**
   * The instance's n8n version as n8n states it: `sourceN8nVersion` in the manifest of a package
   * export (POST /n8n-packages/export, n8n 2.24+) of one workflow, the only answer of the Public API
   * that carries it. Null with the reason when it cannot be learned (no workflow to export, an n8n
   * without the route, a key without `workflow:export`); never guessed. Writes nothing.
   */
  n8nVersion(): Promise<N8nVersionAnswer>;
  /**
   * Each workflow's folder (`parentFolderId`, null at its project's root), from n8n's package
   * export (POST /n8n-packages/export, n8n 2.24+, at most 300 ids a call): no other Public API
   * answer names it. Workflows gone since they were listed, or that n8n cannot export, are left
   * out of the answer. An n8n without the route (NotFoundError) or a key without `workflow:export`
   * (MissingScopeError) throws. Writes nothing.
   */
  workflowFolders(ids: readonly string[]): Promise<Map<string, string | null>>;
  /**
   * Which of these node types (at their versions) the instance does not know, asked without writing
   * anything: a package import that n8n refuses with 422 "missing-node-type" for each (n8n 2.24+,
   * scope workflow:import). Undefined `missing` with the reason when the instance cannot tell.
   */
  missingNodeTypes(types: readonly NodeTypeUse[]): Promise<NodeTypesAnswer>;
}

/** Installed community packages (`/community-packages`). */
export interface N8nCommunityPackagesApi {
  /** GET /community-packages: the installed community packages with their node types (small by nature). */
  listCommunityPackages(): Promise<CommunityPackage[]>;
  /**
   * POST /community-packages: installs a package at a version. `verify: true` lets n8n install
   * only what its vetted list holds (which n8n fetches online); false installs from its npm registry.
   */
  installCommunityPackage(
    name: string,
    version: string,
    options: { verify: boolean },
  ): Promise<CommunityPackage>;
}

export interface N8nTagsApi {
  listTags(): AsyncIterable<Tag>;
  createTag(name: string): Promise<Tag>;
}

export interface N8nVariablesApi {
  listVariables(): AsyncIterable<Variable>;
  /** n8n answers 201 with no body: re-list to learn the new id. */
  createVariable(body: VariableWrite): Promise<void>;
  updateVariable(id: string, body: VariableWrite): Promise<void>;
}

export interface N8nDataTablesApi {
  listDataTables(): AsyncIterable<DataTable>;
  /** From the start, or on from a position an earlier reading (a PositionedListing's) reached. */
  listDataTableRows(dataTableId: string, from?: ListingPosition): AsyncIterable<DataTableRow>;
  createDataTable(body: DataTableWrite): Promise<DataTable>;
  /** Inserts a batch of rows (column name → value); returns how many were inserted. */
  insertDataTableRows(dataTableId: string, rows: DataTableRow[]): Promise<number>;
  clearDataTableRows(dataTableId: string): Promise<void>;
}

/** Credential metadata and the writes a restore makes; a secret is only ever written, never read. */
export interface N8nCredentialsApi {
  listCredentials(): AsyncIterable<CredentialMeta>;
  /** One credential's metadata, with what the list leaves out (isGlobal, isManaged); never its secret. */
  getCredential(id: string): Promise<CredentialMeta>;
  createCredential(body: CredentialWrite): Promise<CredentialMeta>;
  /** JSON schema of a credential type's `data`, used to build placeholder stubs. */
  getCredentialSchema(type: string): Promise<JsonObject>;
  transferCredential(id: string, destinationProjectId: string): Promise<void>;
  /** Replaces a credential's data (its secret): how a stub gets the secret it lacked. */
  updateCredentialData(id: string, data: JsonObject): Promise<void>;
  /** PATCH /credentials/{id} `isGlobal: true`: every user may use it (n8n's sharing licence, feat:sharing). */
  makeCredentialGlobal(id: string): Promise<void>;
}

export interface N8nProjectsApi {
  listProjects(): AsyncIterable<Project>;
  listProjectMembers(projectId: string): AsyncIterable<ProjectMember>;
  createProject(name: string): Promise<Project>;
  addProjectMembers(projectId: string, relations: { userId: string; role: string }[]): Promise<void>;
}

/** A project's folders (`/projects/{projectId}/folders`). */
export interface N8nFoldersApi {
  listFolders(projectId: string): AsyncIterable<Folder>;
  createFolder(projectId: string, body: { name: string; parentFolderId?: string | null }): Promise<Folder>;
}

export interface N8nUsersApi {
  listUsers(): AsyncIterable<User>;
  /**
   * Invites users by e-mail (POST /users): each new one becomes a pending user (with a personal
   * project) holding `role`; a pending one is invited again, an active one left out of the answer.
   */
  inviteUsers(invitations: readonly { email: string; role: string }[]): Promise<UserInvitation[]>;
}

/**
 * A production webhook as n8n answers a CORS preflight of it: registered for the method asked (with
 * every method registered on its path), not registered (n8n's message), or no telling why.
 */
export type WebhookRegistration =
  | { registered: true; methods: string[] }
  | { registered: false; message: string }
  | { registered: undefined; reason: string };

/** n8n's production webhook and form URLs (`/webhook/…`, `/form/…`), outside the Public API. */
export interface N8nWebhooksApi {
  /**
   * Whether a production webhook is registered for `method` on `path` below `/<endpoint>/`: an
   * OPTIONS preflight (Origin, Access-Control-Request-Method), which n8n answers from its registry
   * without running the workflow (never a request with the webhook's own method). No API key is sent.
   */
  webhookRegistration(
    endpoint: 'webhook' | 'form',
    path: string,
    method: string,
  ): Promise<WebhookRegistration>;
}

/** Every area of n8n's Public API: for what truly needs all of it (a restore, a migration). */
/**
 * The largest request body n8n reads (its N8N_PAYLOAD_SIZE_MAX, 16 MiB by default), which n8n
 * states nowhere: learnt by probing, without writing.
 */
export interface N8nBodyLimitApi {
  /** Whether n8n reads a body of this many bytes (true), refuses it as too large (false), or cannot tell (undefined). */
  acceptsBodyOf(bytes: number): Promise<boolean | undefined>;
}

export type N8nApi = N8nEndpoint &
  N8nWebhooksApi &
  N8nWorkflowsApi &
  N8nPackagesApi &
  N8nCommunityPackagesApi &
  N8nTagsApi &
  N8nVariablesApi &
  N8nDataTablesApi &
  N8nCredentialsApi &
  N8nProjectsApi &
  N8nFoldersApi &
  N8nUsersApi &
  N8nBodyLimitApi;

/** The node types an instance lacks, or why it could not tell. */
export type NodeTypesAnswer = { missing: NodeTypeUse[] } | { missing: undefined; reason: string };

/**
 * The deletes a drill's `--wipe-scratch` sends to a scratch instance marked as a drill target, and
 * nothing else ever sends: DELETE /tags/{id}, /credentials/{id}, /data-tables/{id} (workflows are
 * deleted through N8nWorkflowsApi.deleteWorkflow). A resource that is already gone is a NotFoundError.
 */
export interface N8nScratchDeletes {
  deleteTag(id: string): Promise<void>;
  deleteCredential(id: string): Promise<void>;
  deleteDataTable(id: string): Promise<void>;
}

/** n8n's Public API with the deletes of a drill's scratch instance. */
export type N8nScratchApi = N8nApi & N8nScratchDeletes;

/** An instance's n8n version (e.g. "2.41.1"), or why it could not be learned. */
export type N8nVersionAnswer = { version: string } | { version: null; reason: string };

/** What an API key may do, where the instance can tell (GET /discover, n8n 2.x). */
/** Executions (`/executions`): a cutover waits for those still running on the frozen source. */
export interface N8nExecutionsApi {
  /** GET /executions?status=running, every page: what still runs, by execution and workflow id. */
  runningExecutions(): Promise<{ id: string; workflowId: string }[]>;
}

export interface N8nCapabilities {
  /** The key's scopes, or undefined when the instance does not answer /discover. */
  discoverScopes(): Promise<string[] | undefined>;
}

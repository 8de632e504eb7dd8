/**
 * The ports the core speaks to. Adapters (functions/adapters) implement them; tests hand in small
 * in-memory fakes. Nothing here knows about HTTP, zip libraries, AWS or the environment.
 */
import type { Readable } from 'node:stream';
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
 * n8n's Public API v1 as the core needs it. List methods stream every item, following cursors
 * to the end and dropping an item that a recent page repeats (offset paging repeats items when
 * something is inserted mid-scan). Errors are the N8nApiError family from errors.ts;
 * a route the instance is not licensed for throws FeatureNotLicensedError.
 */
export interface N8nApi {
  /** Base URL of the instance, without credentials, for manifests and messages. */
  readonly baseUrl: string;

  listWorkflows(options?: { excludePinnedData?: boolean }): AsyncIterable<Workflow>;
  /**
   * The same listing, read so that no workflow present for the whole read is left out however the
   * list moves meanwhile (pages overlap and must meet). Where a client has it, a backup needs no
   * second reading of the workflows to be sure none was lost.
   */
  listWorkflowsWithoutGaps?(options?: { excludePinnedData?: boolean }): AsyncIterable<Workflow>;
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
  /** POST /workflows/{id}/publish (the successor of /activate). */
  publishWorkflow(id: string): Promise<void>;
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

  listTags(): AsyncIterable<Tag>;
  createTag(name: string): Promise<Tag>;

  listVariables(): AsyncIterable<Variable>;
  /** n8n answers 201 with no body: re-list to learn the new id. */
  createVariable(body: VariableWrite): Promise<void>;
  updateVariable(id: string, body: VariableWrite): Promise<void>;

  listDataTables(): AsyncIterable<DataTable>;
  listDataTableRows(dataTableId: string): AsyncIterable<DataTableRow>;
  createDataTable(body: DataTableWrite): Promise<DataTable>;
  /** Inserts a batch of rows (column name → value); returns how many were inserted. */
  insertDataTableRows(dataTableId: string, rows: DataTableRow[]): Promise<number>;
  clearDataTableRows(dataTableId: string): Promise<void>;

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

  listProjects(): AsyncIterable<Project>;
  listProjectMembers(projectId: string): AsyncIterable<ProjectMember>;
  createProject(name: string): Promise<Project>;
  addProjectMembers(projectId: string, relations: { userId: string; role: string }[]): Promise<void>;

  listFolders(projectId: string): AsyncIterable<Folder>;
  createFolder(projectId: string, body: { name: string; parentFolderId?: string | null }): Promise<Folder>;

  listUsers(): AsyncIterable<User>;

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
  /**
   * Which of these node types (at their versions) the instance does not know, asked without writing
   * anything: a package import that n8n refuses with 422 "missing-node-type" for each (n8n 2.24+,
   * scope workflow:import). Undefined `missing` with the reason when the instance cannot tell.
   */
  missingNodeTypes(types: readonly NodeTypeUse[]): Promise<NodeTypesAnswer>;
}

/** The node types an instance lacks, or why it could not tell. */
export type NodeTypesAnswer = { missing: NodeTypeUse[] } | { missing: undefined; reason: string };

/**
 * The deletes a drill's `--wipe-scratch` sends to a scratch instance marked as a drill target, and
 * nothing else ever sends: DELETE /tags/{id}, /credentials/{id}, /data-tables/{id} (workflows are
 * deleted through N8nApi.deleteWorkflow). A resource that is already gone is a NotFoundError.
 */
export interface N8nScratchApi extends N8nApi {
  deleteTag(id: string): Promise<void>;
  deleteCredential(id: string): Promise<void>;
  deleteDataTable(id: string): Promise<void>;
}

/** Writes a file beside an archive in its store (a drill's report), never over the archive itself. */
export interface ArchiveAnnexStore {
  /**
   * Stores `body` at the archive's location with its `.zip` replaced by `suffix` (e.g.
   * `.drill-2026-11-29T20-00-00-000Z.html`), and answers where: a path or an s3:// URL.
   */
  writeBeside(archiveLocation: string, suffix: string, body: string, contentType: string): Promise<string>;
}

/** An instance's n8n version (e.g. "2.41.1"), or why it could not be learned. */
export type N8nVersionAnswer = { version: string } | { version: null; reason: string };

/** What an API key may do, where the instance can tell (GET /discover, n8n 2.x). */
export interface N8nCapabilities {
  /** The key's scopes, or undefined when the instance does not answer /discover. */
  discoverScopes(): Promise<string[] | undefined>;
}

/** Where an archive lives. `location` is printable and parseable back (a path or s3://bucket/key?versionId=). */
export interface ArchiveRef {
  location: string;
  instance: string;
  createdAt: Date;
  size: number;
  versionId?: string;
}

/** Byte-range access to a stored archive: zip readers need the central directory at the end. */
export interface ArchiveBlob {
  readonly size: number;
  /** A stream of bytes [start, end) of the archive. */
  readRange(start: number, end: number): Readable;
  close(): Promise<void>;
}

export interface ArchiveStore {
  /** Human-readable description for messages, e.g. "folder ./n8n-ark-backups" or "s3://bucket/prefix". */
  readonly description: string;
  /**
   * Streams `body` into a new archive for `instance` named after `createdAt`. Nothing becomes
   * visible under the final name until the body has ended without error; a failed write leaves
   * nothing behind (temporary files removed, multipart uploads aborted).
   */
  put(
    instance: string,
    createdAt: Date,
    body: Readable,
    metadata: Record<string, string>,
  ): Promise<ArchiveRef>;
  /** Archives, newest first. */
  list(options?: { instance?: string; includeVersions?: boolean }): AsyncIterable<ArchiveRef>;
  /** Opens an archive by its `location` (as printed by put/list). */
  open(location: string): Promise<ArchiveBlob>;
}

/** A restore ledger kept beside an archive, as a prune sees it. */
export interface StoredLedger {
  /** Printable: a path or s3://bucket/key. */
  location: string;
  /** The `location` of the archive it belongs to (as `list` prints it). */
  archive: string;
  /** Whether a restore holds its lock (`<ledger>.lock` exists) at the listing. */
  locked: boolean;
  /** Its text, or undefined when there is none (a lock whose restore has not saved yet). */
  read(): Promise<string | undefined>;
}

/** S3 Object Lock on one archive version. */
export interface ObjectLockHold {
  /** Retention: the version cannot be deleted before this moment. */
  retainUntil?: Date;
  mode?: string;
  legalHold: boolean;
}

/**
 * What a prune needs of a store besides listing and opening archives. It only ever removes
 * archives: ledgers and anything else beside them are never touched.
 */
export interface PrunableStore extends ArchiveStore {
  /** The restore ledgers kept beside the instance's archives (restores from them wrote them). */
  restoreLedgers(instance: string): Promise<StoredLedger[]>;
  /** The Object Lock on the archive, or undefined where the store has none. */
  objectLock(archive: ArchiveRef): Promise<ObjectLockHold | undefined>;
  /** Removes the archive from the store's listing (on a versioned bucket: a delete marker). */
  remove(archive: ArchiveRef): Promise<void>;
}

/** Writes named entries into one archive stream (zip). Entries are written one at a time, in order. */
export interface ArchiveWriter {
  /** The archive's bytes, to hand to ArchiveStore.put. */
  readonly output: Readable;
  /** Adds an entry; resolves once the entry's bytes have been fully consumed into the archive. */
  addEntry(name: string, content: Readable): Promise<void>;
  /** Writes the central directory and ends `output`. */
  finish(): Promise<void>;
  /** Ends `output` with an error so the store aborts the upload. */
  abort(error: Error): void;
}

export interface ArchiveEntryInfo {
  name: string;
  /** Uncompressed size from the zip directory. */
  size: number;
}

/** Reads entries of one archive. Integrity problems of the container (bad CRC, truncation) throw ArchiveIntegrityError. */
export interface ArchiveReader {
  entries(): ArchiveEntryInfo[];
  openEntry(name: string): Promise<Readable>;
  close(): Promise<void>;
}

/** Opens an ArchiveReader over a stored archive. */
export type OpenArchiveReader = (blob: ArchiveBlob) => Promise<ArchiveReader>;

/** Secrets by name (AWS Secrets Manager, a file, the environment). Values never reach a log. */
export interface SecretSource {
  /** The secret's string value, or undefined when there is no such secret. */
  get(name: string): Promise<string | undefined>;
}

export interface Clock {
  now(): Date;
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Progress of long work, shown on a TTY and silent elsewhere. */
export interface Progress {
  /** Starts (or restarts) a task; `total` when known. */
  start(task: string, total?: number): void;
  advance(task: string, by?: number): void;
  done(task: string, summary?: string): void;
}

/** Persists a restore's ledger (source id → target id and step status) so a re-run resumes. */
export interface LedgerStore {
  readonly description: string;
  load(): Promise<string | undefined>;
  save(contents: string): Promise<void>;
  /**
   * Takes the ledger for one restore at a time: resolves with a release once no other restore holds
   * it, or throws LedgerLockedError naming who holds it. A store that cannot lock leaves it out.
   */
  lock?(owner: LockOwner): Promise<LedgerLock>;
}

/** Who holds a ledger: enough for an operator to tell whether that restore is still running. */
export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  /**
   * When the holder is certainly gone (ISO time): a Lambda cannot outlive its timeout, so the lock
   * of a slice that crashed is taken over right after, not hours later.
   */
  endsBy?: string;
}

export interface LedgerLock {
  release(): Promise<void>;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export const silentProgress: Progress = {
  start() {},
  advance() {},
  done() {},
};

export const systemClock: Clock = { now: () => new Date() };

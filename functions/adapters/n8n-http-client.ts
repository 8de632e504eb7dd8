import {
  AmbiguousWriteError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  FeatureNotLicensedError,
  MissingScopeError,
  N8nApiError,
  NotFoundError,
  PaginationError,
} from '../core/errors.js';
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
} from '../core/n8n-types.js';
import type {
  Logger,
  N8nCapabilities,
  N8nScratchApi,
  N8nVersionAnswer,
  NodeTypesAnswer,
  PackagedWorkflow,
  PagedListing,
} from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import {
  type HttpAnswer,
  HttpAnswerTooLargeError,
  HttpExchange,
  HttpExchangeError,
  type HttpRequest,
} from './http-exchange.js';
import { anchoredPages } from './n8n-anchored-pages.js';
import {
  createdByImport,
  missingFromProbe,
  nodeTypeProbePackage,
  packageSourceVersion,
  packageWorkflowFolders,
  workflowPackage,
} from './n8n-package.js';
import { REQUIRED_SCOPES } from './n8n-scopes.js';

export interface N8nHttpClientOptions {
  /** The instance's base URL; a trailing `/api/v1` or slash is accepted. */
  baseUrl: string;
  apiKey: string;
  /** Requests in flight at once, across all calls of this client. Default 4. */
  concurrency?: number;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /**
   * Attempts after the first for a transient failure (429, 500, 502, 503, 504, a network failure or
   * a timeout), per call. Default 5.
   */
  retries?: number;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Base of the exponential backoff (full jitter, at most 30 s). Default 250 ms. */
  backoffMs?: number;
  /** The longest wait a Retry-After header is obeyed for; a server asking for more waits this. Default 60 s. */
  maxRetryAfterMs?: number;
  /**
   * The largest answer read, in bytes; a larger one fails naming the route (a hostile or broken
   * server cannot take the memory). Default DEFAULT_MAX_ANSWER_BYTES.
   */
  maxAnswerBytes?: number;
  /** The most pages one listing is followed for. Default MAX_PAGES (100,000 pages of 250). */
  maxPages?: number;
}

/**
 * 64 MiB. The largest real answer is one workflow with its pinned data (listings are read without
 * it): n8n refuses a request body over N8N_PAYLOAD_SIZE_MAX, 16 MiB by default, so four times that
 * leaves room for an instance that raised it. Reading up to the cap costs about as much memory, so
 * this keeps the CLI under 300 MB of RSS against a server that answers without end (measured with a
 * 400 MB answer: 256 MiB let the CLI reach 367 MiB).
 */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** n8n's page-size maximum; every list asks for it (limit=0 would return everything and loop forever). */
export const PAGE_SIZE = 250;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** A multipart/form-data body, already encoded, instead of JSON. */
  multipart?: { body: Buffer; contentType: string };
  /** The route as the spec names it, e.g. `/workflows/{workflowId}`, to look up the scope on 403. */
  route: string;
  /**
   * Doing it twice leaves n8n as doing it once (publish, archive, …), so a failure whose outcome is
   * unknown is retried. GET, PUT and DELETE are by their method; a POST only when it says so.
   */
  idempotent?: boolean;
  /** Failing statuses answered to the caller as they are (their body says more than an error would). */
  accept?: readonly number[];
}

const IDEMPOTENT_METHODS: ReadonlySet<Method> = new Set(['GET', 'PUT', 'DELETE']);

/** Failing statuses that may pass if asked again. 429 is apart: n8n's limiter refuses before any handler. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

const MAX_BACKOFF_MS = 30_000;

/**
 * Whether n8n may have carried out a request whose exchange failed. Not when the connection was
 * refused or the name did not resolve (the request never left), nor when the request was not yet
 * wholly sent (n8n reads the whole body before it acts). Otherwise, no answer means no knowing.
 */
function mayHaveBeenCarriedOut(failure: HttpExchangeError): boolean {
  if (!failure.requestSent) return false;
  const code = networkErrorCode(failure.cause);
  return !(code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN');
}

function networkErrorCode(error: unknown): string | undefined {
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } };
  if (typeof code === 'string') return code;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Bounded concurrency shared by every request of one client. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Strips credentials, a trailing slash and a trailing `/api/v1`: the printable base of the instance. */
export function normaliseBaseUrl(value: string): string {
  const url = new URL(value);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url
    .toString()
    .replace(/\/+$/, '')
    .replace(/\/api\/v1$/, '');
}

/**
 * n8n's Public API v1 over HTTP. Lists follow cursors to the end with limit=250, refuse a repeated
 * cursor, and drop an item the previous two pages had (cursors are offset paging underneath, which
 * repeats items when something is inserted mid-scan). Retries transient failures (429, 500, 502,
 * 503, 504, network failures, timeouts) with exponential backoff and full jitter, honouring
 * Retry-After up to a cap; a write that is not idempotent only when n8n certainly did not carry it
 * out, and otherwise fails with AmbiguousWriteError. Errors are ours, and never carry the API key.
 */
export class N8nHttpClient implements N8nScratchApi, N8nCapabilities {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly exchange: HttpExchange;
  private readonly semaphore: Semaphore;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly logger: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxAnswerBytes: number;
  private readonly maxPages: number;

  constructor(options: N8nHttpClientOptions) {
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    this.apiKey = options.apiKey;
    this.semaphore = new Semaphore(options.concurrency ?? 4);
    this.exchange = new HttpExchange({ maxSockets: options.concurrency ?? 4 });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 5;
    this.logger = options.logger ?? silentLogger;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.backoffMs = options.backoffMs ?? 250;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.maxPages = options.maxPages ?? MAX_PAGES;
  }

  // ---- workflows
  listWorkflows(options: { excludePinnedData?: boolean } = {}): PagedListing<Workflow> {
    return this.list<Workflow>('/workflows', '/workflows', { excludePinnedData: options.excludePinnedData });
  }
  /** GET /workflows with no workflow present throughout left out (n8n-anchored-pages.ts). */
  listWorkflowsWithoutGaps(options: { excludePinnedData?: boolean } = {}): AsyncIterable<Workflow> {
    const fetchAt = async (offset: number) => {
      const answer = await this.answer('GET', '/workflows', {
        route: '/workflows',
        query: { excludePinnedData: options.excludePinnedData, limit: PAGE_SIZE, offset },
      });
      const page = this.parse<{ data?: Workflow[]; nextCursor?: unknown }>('GET', '/workflows', answer);
      return { items: page.data ?? [], more: typeof page.nextCursor === 'string' && page.nextCursor !== '' };
    };
    const settings = { limit: PAGE_SIZE, maxPages: this.maxPages, baseUrl: this.baseUrl };
    return {
      async *[Symbol.asyncIterator]() {
        for await (const page of anchoredPages(fetchAt, settings)) yield* page;
      },
    };
  }
  getWorkflow(id: string): Promise<Workflow> {
    return this.json('GET', `/workflows/${enc(id)}`, { route: '/workflows/{workflowId}' });
  }
  createWorkflow(body: WorkflowWrite): Promise<Workflow> {
    return this.json('POST', '/workflows', { route: '/workflows', body });
  }
  updateWorkflow(
    id: string,
    body: WorkflowWrite,
    options: { publishIfActive?: boolean } = {},
  ): Promise<Workflow> {
    const query = options.publishIfActive === false ? '?publishIfActive=false' : '';
    return this.json('PUT', `/workflows/${enc(id)}${query}`, { route: '/workflows/{workflowId}', body });
  }
  async deleteWorkflow(id: string): Promise<void> {
    await this.json('DELETE', `/workflows/${enc(id)}`, { route: '/workflows/{workflowId}' });
  }
  async archiveWorkflow(id: string): Promise<void> {
    await this.json('POST', `/workflows/${enc(id)}/archive`, {
      route: '/workflows/{workflowId}/archive',
      idempotent: true,
    });
  }
  async unarchiveWorkflow(id: string): Promise<void> {
    await this.json('POST', `/workflows/${enc(id)}/unarchive`, {
      route: '/workflows/{workflowId}/unarchive',
      idempotent: true,
    });
  }
  async publishWorkflow(id: string): Promise<void> {
    try {
      await this.json('POST', `/workflows/${enc(id)}/publish`, {
        route: '/workflows/{workflowId}/publish',
        idempotent: true,
      });
    } catch (error) {
      // n8n before the publish rename only knows /activate.
      if (!(error instanceof NotFoundError) || /workflow/i.test(error.message)) throw error;
      await this.json('POST', `/workflows/${enc(id)}/activate`, {
        route: '/workflows/{workflowId}/activate',
        idempotent: true,
      });
    }
  }
  async unpublishWorkflow(id: string): Promise<void> {
    try {
      await this.json('POST', `/workflows/${enc(id)}/unpublish`, {
        route: '/workflows/{workflowId}/unpublish',
        idempotent: true,
      });
    } catch (error) {
      if (!(error instanceof NotFoundError) || /workflow/i.test(error.message)) throw error;
      await this.json('POST', `/workflows/${enc(id)}/deactivate`, {
        route: '/workflows/{workflowId}/deactivate',
        idempotent: true,
      });
    }
  }
  async transferWorkflow(id: string, destinationProjectId: string): Promise<void> {
    await this.json('PUT', `/workflows/${enc(id)}/transfer`, {
      route: '/workflows/{workflowId}/transfer',
      body: { destinationProjectId },
    });
  }
  getWorkflowTags(id: string): Promise<Tag[]> {
    return this.json('GET', `/workflows/${enc(id)}/tags`, { route: '/workflows/{workflowId}/tags' });
  }
  /**
   * Pages of at most what is still wanted: n8n lists history newest first, so the first page is
   * usually all. A page of nothing ends it even with a cursor (n8n hands one out for `limit=0`).
   */
  async latestWorkflowVersions(workflowId: string, count: number): Promise<WorkflowVersionMeta[]> {
    const path = `/workflows/${enc(workflowId)}/history`;
    const versions: WorkflowVersionMeta[] = [];
    let cursor: string | undefined;
    for (let page = 0; versions.length < count && page < this.maxPages; page += 1) {
      const answer = await this.json<{ data?: WorkflowVersionMeta[]; nextCursor?: string | null }>(
        'GET',
        path,
        {
          route: '/workflows/{workflowId}/history',
          query: { limit: Math.min(count - versions.length, PAGE_SIZE), cursor },
        },
      );
      const data = answer?.data ?? [];
      versions.push(...data.slice(0, count - versions.length));
      cursor = answer?.nextCursor ?? undefined;
      if (data.length === 0 || cursor === undefined) break;
    }
    return versions;
  }
  getWorkflowVersion(workflowId: string, versionId: string): Promise<WorkflowVersion> {
    return this.json('GET', `/workflows/${enc(workflowId)}/versions/${enc(versionId)}`, {
      route: '/workflows/{workflowId}/versions/{workflowVersionId}',
    });
  }
  setWorkflowTags(id: string, tagIds: string[]): Promise<Tag[]> {
    return this.json('PUT', `/workflows/${enc(id)}/tags`, {
      route: '/workflows/{workflowId}/tags',
      body: tagIds.map((tagId) => ({ id: tagId })),
    });
  }

  // ---- tags
  listTags(): PagedListing<Tag> {
    return this.list<Tag>('/tags', '/tags');
  }
  createTag(name: string): Promise<Tag> {
    return this.json('POST', '/tags', { route: '/tags', body: { name } });
  }

  // ---- variables
  listVariables(): PagedListing<Variable> {
    return this.list<Variable>('/variables', '/variables');
  }
  async createVariable(body: VariableWrite): Promise<void> {
    await this.json('POST', '/variables', { route: '/variables', body: withoutNullProject(body) });
  }
  async updateVariable(id: string, body: VariableWrite): Promise<void> {
    await this.json('PUT', `/variables/${enc(id)}`, { route: '/variables/{id}', body });
  }

  // ---- data tables
  listDataTables(): PagedListing<DataTable> {
    return this.list<DataTable>('/data-tables', '/data-tables');
  }
  listDataTableRows(dataTableId: string): PagedListing<DataTableRow> {
    return this.list<DataTableRow>(
      `/data-tables/${enc(dataTableId)}/rows`,
      '/data-tables/{dataTableId}/rows',
    );
  }
  createDataTable(body: DataTableWrite): Promise<DataTable> {
    return this.json('POST', '/data-tables', { route: '/data-tables', body });
  }
  async insertDataTableRows(dataTableId: string, rows: DataTableRow[]): Promise<number> {
    const result = await this.json<unknown>('POST', `/data-tables/${enc(dataTableId)}/rows`, {
      route: '/data-tables/{dataTableId}/rows',
      body: { data: rows, returnType: 'count' },
    });
    if (typeof result === 'number') return result;
    // n8n 2.41 answers {success, insertedRows}; older answers carried {count}.
    const answer = result as { count?: unknown; insertedRows?: unknown } | null;
    const count = answer?.insertedRows ?? answer?.count;
    return typeof count === 'number' ? count : rows.length;
  }
  async clearDataTableRows(dataTableId: string): Promise<void> {
    await this.json('DELETE', `/data-tables/${enc(dataTableId)}/rows/clear`, {
      route: '/data-tables/{dataTableId}/rows/clear',
    });
  }

  // ---- credentials
  listCredentials(): PagedListing<CredentialMeta> {
    return this.list<CredentialMeta>('/credentials', '/credentials');
  }
  createCredential(body: CredentialWrite): Promise<CredentialMeta> {
    return this.json('POST', '/credentials', { route: '/credentials', body });
  }
  getCredentialSchema(type: string): Promise<JsonObject> {
    return this.json('GET', `/credentials/schema/${enc(type)}`, {
      route: '/credentials/schema/{credentialTypeName}',
    });
  }
  async transferCredential(id: string, destinationProjectId: string): Promise<void> {
    await this.json('PUT', `/credentials/${enc(id)}/transfer`, {
      route: '/credentials/{credentialId}/transfer',
      body: { destinationProjectId },
    });
  }

  getCredential(id: string): Promise<CredentialMeta> {
    return this.json('GET', `/credentials/${enc(id)}`, { route: '/credentials/{credentialId}' });
  }

  async makeCredentialGlobal(id: string): Promise<void> {
    // Setting what is already set is a no-op on n8n's side, so sending it twice is harmless.
    await this.json('PATCH', `/credentials/${enc(id)}`, {
      route: '/credentials/{credentialId}',
      body: { isGlobal: true },
      idempotent: true,
    });
  }

  async updateCredentialData(id: string, data: JsonObject): Promise<void> {
    // The whole data object replaces the old one (isPartialData false), so sending it twice is harmless.
    await this.json('PATCH', `/credentials/${enc(id)}`, {
      route: '/credentials/{credentialId}',
      body: { data, isPartialData: false },
      idempotent: true,
    });
  }

  // ---- deletes only a drill's --wipe-scratch sends (N8nScratchApi)
  async deleteTag(id: string): Promise<void> {
    await this.json('DELETE', `/tags/${enc(id)}`, { route: '/tags/{tagId}' });
  }
  async deleteCredential(id: string): Promise<void> {
    await this.json('DELETE', `/credentials/${enc(id)}`, { route: '/credentials/{credentialId}' });
  }
  async deleteDataTable(id: string): Promise<void> {
    await this.json('DELETE', `/data-tables/${enc(id)}`, { route: '/data-tables/{dataTableId}' });
  }

  // ---- projects, folders, users
  listProjects(): PagedListing<Project> {
    return this.list<Project>('/projects', '/projects');
  }
  listProjectMembers(projectId: string): PagedListing<ProjectMember> {
    return this.list<ProjectMember>(`/projects/${enc(projectId)}/users`, '/projects/{projectId}/users');
  }
  createProject(name: string): Promise<Project> {
    return this.json('POST', '/projects', { route: '/projects', body: { name } });
  }
  async addProjectMembers(projectId: string, relations: { userId: string; role: string }[]): Promise<void> {
    await this.json('POST', `/projects/${enc(projectId)}/users`, {
      route: '/projects/{projectId}/users',
      body: { relations },
    });
  }
  async *listFolders(projectId: string): AsyncIterable<Folder> {
    // Folders page with skip/take and answer {count, data}, not cursors.
    const seen = new Set<string>();
    for (let skip = 0; ; skip += PAGE_SIZE) {
      const page = await this.json<{
        count: number;
        data: (Omit<Folder, 'projectId'> & { projectId?: string })[];
      }>('GET', `/projects/${enc(projectId)}/folders`, {
        route: '/projects/{projectId}/folders',
        query: { skip, take: PAGE_SIZE },
      });
      let fresh = 0;
      for (const folder of page.data) {
        if (seen.has(folder.id)) continue;
        seen.add(folder.id);
        fresh += 1;
        yield {
          ...folder,
          projectId: folder.projectId ?? projectId,
          parentFolderId: folder.parentFolderId ?? null,
        };
      }
      if (page.data.length < PAGE_SIZE || skip + PAGE_SIZE >= page.count) return;
      // A full page that added nothing new: the server repeats itself; stop rather than page for ever.
      if (fresh === 0 || skip / PAGE_SIZE > MAX_PAGES)
        throw new PaginationError(
          `GET /projects/${projectId}/folders keeps answering pages with nothing new (count ${page.count}); stopping instead of paging for ever.`,
          { path: `/projects/${projectId}/folders` },
        );
    }
  }
  createFolder(projectId: string, body: { name: string; parentFolderId?: string | null }): Promise<Folder> {
    return this.json('POST', `/projects/${enc(projectId)}/folders`, {
      route: '/projects/{projectId}/folders',
      body,
    });
  }
  listUsers(): PagedListing<User> {
    return this.list<User>('/users', '/users', { includeRole: true });
  }

  async importWorkflows(
    workflows: readonly PackagedWorkflow[],
    options: { projectId?: string; folderId?: string; keepIds: boolean },
  ): Promise<{ sourceId: string; id: string }[]> {
    const multipart = await packageForm(workflowPackage(workflows, new Date()), {
      ...(options.keepIds ? KEEP_IDS_IMPORT : NEW_IDS_IMPORT),
      ...(options.projectId ? { projectId: options.projectId } : {}),
      ...(options.folderId ? { folderId: options.folderId } : {}),
    });
    const answer = await this.json<{ workflows?: { sourceWorkflowId?: string; localId?: string }[] }>(
      'POST',
      '/n8n-packages/import',
      { route: '/n8n-packages/import', multipart },
    );
    return (answer?.workflows ?? []).flatMap((w) =>
      w.sourceWorkflowId && w.localId ? [{ sourceId: w.sourceWorkflowId, id: w.localId }] : [],
    );
  }

  // ---- community packages and node types
  listCommunityPackages(): Promise<CommunityPackage[]> {
    return this.json('GET', '/community-packages', { route: '/community-packages' });
  }
  installCommunityPackage(
    name: string,
    version: string,
    options: { verify: boolean },
  ): Promise<CommunityPackage> {
    return this.json('POST', '/community-packages', {
      route: '/community-packages',
      body: { name, version, verify: options.verify },
    });
  }

  /**
   * A package import n8n must refuse: one archived workflow holding a node per type asked about plus
   * a sentinel type no n8n has, so n8n answers 422 listing every missing (type, version) and writes
   * nothing (measured on 2.41.1). Should an n8n import it all the same, what it created is deleted
   * and the answer says the target could not tell.
   */
  async missingNodeTypes(types: readonly NodeTypeUse[]): Promise<NodeTypesAnswer> {
    const multipart = await packageForm(nodeTypeProbePackage(types, new Date()), {
      workflowConflictPolicy: 'fail',
      workflowIdPolicy: 'new',
      missingNodeTypeMode: 'fail',
    });
    let answer: HttpAnswer;
    try {
      // Refused by construction (the sentinel), so asking again after a lost answer changes nothing.
      answer = await this.answer('POST', '/n8n-packages/import', {
        route: '/n8n-packages/import',
        multipart,
        accept: [422],
        idempotent: true,
      });
    } catch (error) {
      if (error instanceof AuthenticationError || !(error instanceof N8nApiError)) throw error;
      return { missing: undefined, reason: nodeTypesUnknownBecause(error) };
    }
    let body: unknown;
    try {
      body = JSON.parse(answer.body.toString('utf8')) as unknown;
    } catch {
      body = undefined;
    }
    if (answer.status === 422) {
      const missing = missingFromProbe(body);
      if (missing) return { missing };
    }
    for (const id of createdByImport(body)) await this.deleteWorkflow(id);
    return {
      missing: undefined,
      reason: `n8n answered the node-type probe (POST /n8n-packages/import) with ${answer.status}, not the refusal that names missing node types`,
    };
  }

  // ---- capabilities
  /** A GET of the import route: 405 where it exists, 404 where it does not (n8n before 2.24). */
  async supportsWorkflowImport(): Promise<boolean> {
    try {
      await this.answer('GET', '/n8n-packages/import', { route: '/n8n-packages/import' });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      if (error instanceof N8nApiError && error.status === 405) return true;
      throw error;
    }
  }

  /**
   * Exports the first workflow listed as a package, as small as n8n makes one (no tags, no variable
   * values, no credential values, sub-workflows by reference), and reads its manifest's
   * `sourceN8nVersion` (measured on n8n 2.41.1: docs/REAL-N8N-FINDINGS.md). What stops it from
   * being learned becomes the reason, except a rejected key, which fails everything else too.
   */
  async n8nVersion(): Promise<N8nVersionAnswer> {
    try {
      const page = await this.json<{ data?: { id?: unknown }[] }>('GET', '/workflows', {
        route: '/workflows',
        query: { limit: 1, excludePinnedData: true },
      });
      const id = page?.data?.[0]?.id;
      if (typeof id !== 'string')
        return {
          version: null,
          reason:
            'the instance has no workflow, and only the package export of one (POST /n8n-packages/export) states the version',
        };
      const answer = await this.answer('POST', '/n8n-packages/export', {
        route: '/n8n-packages/export',
        idempotent: true,
        body: { ...SMALLEST_EXPORT, workflowIds: [id] },
      });
      const version = packageSourceVersion(answer.body);
      return version
        ? { version }
        : {
            version: null,
            reason: `POST /n8n-packages/export answered no package whose manifest states sourceN8nVersion (${describeAnswer(answer)})`,
          };
    } catch (error) {
      if (error instanceof AuthenticationError || !(error instanceof N8nApiError)) throw error;
      return { version: null, reason: versionUnknownBecause(error) };
    }
  }

  async workflowFolders(ids: readonly string[]): Promise<Map<string, string | null>> {
    const folders = new Map<string, string | null>();
    for (let at = 0; at < ids.length; at += PACKAGE_EXPORT_MAX_IDS)
      for (const [id, folder] of await this.exportedFolders(ids.slice(at, at + PACKAGE_EXPORT_MAX_IDS)))
        folders.set(id, folder);
    return folders;
  }

  /**
   * One package export of `ids`, read for each workflow.json's `parentFolderId`. n8n refuses the
   * whole call with 400 for one workflow it cannot export ("1 workflow(s) not found or not
   * accessible. Export aborted." for one deleted since it was listed; an id that is no path
   * segment): the ids are halved until that one is alone, and it is left out.
   */
  private async exportedFolders(ids: readonly string[]): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    let answer: HttpAnswer;
    try {
      answer = await this.answer('POST', '/n8n-packages/export', {
        route: '/n8n-packages/export',
        idempotent: true,
        body: { ...SMALLEST_EXPORT, workflowIds: ids },
      });
    } catch (error) {
      if (!(error instanceof N8nApiError) || error.status !== 400) throw error;
      if (ids.length === 1) return new Map();
      const half = Math.ceil(ids.length / 2);
      const [first, second] = await Promise.all([
        this.exportedFolders(ids.slice(0, half)),
        this.exportedFolders(ids.slice(half)),
      ]);
      return new Map([...first, ...second]);
    }
    const folders = packageWorkflowFolders(answer.body);
    if (!folders)
      throw new N8nApiError(
        `n8n answered POST /n8n-packages/export with no package that names its workflows (${describeAnswer(answer)})`,
        { status: answer.status, method: 'POST', path: '/n8n-packages/export' },
      );
    return folders;
  }

  async discoverScopes(): Promise<string[] | undefined> {
    try {
      const answer = await this.json<{ data?: { scopes?: unknown } }>('GET', '/discover', {
        route: '/discover',
      });
      const scopes = answer?.data?.scopes;
      return Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : undefined;
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ConnectionError) return undefined;
      throw error;
    }
  }

  // ---- transport

  /**
   * A cursor listing, readable page by page (the next page is asked for as each is handed over) or
   * item by item (asked for when PREFETCH_WITH_ITEMS_LEFT items are left).
   */
  private list<T extends { id?: unknown }>(path: string, route: string, query: Query = {}): PagedListing<T> {
    const open = () =>
      new CursorPages<T>(
        (cursor) => this.answer('GET', path, { route, query: { ...query, limit: PAGE_SIZE, cursor } }),
        (answer) => this.parse('GET', path, answer),
        { baseUrl: this.baseUrl, path, maxPages: this.maxPages },
      );
    return {
      async *pages() {
        const listing = open();
        for (let page = await listing.next(); page; page = await listing.next()) {
          listing.prefetch();
          await requestsSent();
          if (page.length > 0) yield page;
        }
      },
      async *[Symbol.asyncIterator]() {
        const listing = open();
        for (let page = await listing.next(); page; page = await listing.next()) {
          // The page is this loop's own: each item is let go of as it is handed over.
          const items = page as (T | undefined)[];
          const prefetchAt = Math.max(0, items.length - PREFETCH_WITH_ITEMS_LEFT);
          for (let index = 0; index < items.length; index += 1) {
            if (index === prefetchAt) {
              listing.prefetch();
              await requestsSent();
            }
            const item = items[index] as T;
            items[index] = undefined;
            yield item;
          }
        }
      },
    };
  }

  private async json<T>(method: Method, path: string, options: RequestOptions): Promise<T> {
    return this.parse<T>(method, path, await this.answer(method, path, options));
  }

  private parse<T>(method: Method, path: string, answer: HttpAnswer): T {
    if (answer.body.length === 0) return undefined as T;
    try {
      return JSON.parse(answer.body.toString('utf8')) as T;
    } catch (error) {
      throw new ConnectionError(
        `${this.baseUrl} answered ${method} ${path} with something that is not JSON (${describeAnswer(answer)}): it does not look like n8n's Public API. Check --url.`,
        { url: this.baseUrl },
        { cause: error },
      );
    }
  }

  /**
   * One request's successful answer, read in full. Each attempt (connecting, sending, reading the
   * answer to its end) has its own timeout and holds one of the client's concurrency slots.
   *
   * A transient failure is tried again, up to `retries` times, after a backoff (or Retry-After,
   * capped). A write that is not idempotent is tried again only when n8n certainly did not carry it
   * out (429, never connected, not wholly sent); any other failure after sending it is an
   * AmbiguousWriteError at once, for the caller to look the object up before writing again.
   */
  private async answer(method: Method, path: string, options: RequestOptions): Promise<HttpAnswer> {
    const url = this.url(path, options.query);
    const request = this.request(method, options);
    const idempotent = options.idempotent ?? IDEMPOTENT_METHODS.has(method);
    for (let attempt = 1; ; attempt += 1) {
      let answer: HttpAnswer;
      try {
        answer = await this.semaphore.run(() => this.exchange.send(url, request));
      } catch (error) {
        if (error instanceof HttpAnswerTooLargeError)
          throw new ConnectionError(
            `${method} ${this.baseUrl}/api/v1${path}: the answer is larger than ${Math.round(this.maxAnswerBytes / 1024 / 1024)} MiB, the most n8n-ark reads; it stopped reading. If this n8n really sends answers that large (a workflow with that much pinned data), raise the cap with --max-answer-mib.`,
            { url: this.baseUrl },
            { cause: error },
          );
        // Thrown before anything was sent (a header Node refuses, say): another attempt would too.
        if (!(error instanceof HttpExchangeError))
          throw this.networkError(method, path, error as Error, attempt);
        const cause = error.cause;
        if (!idempotent && mayHaveBeenCarriedOut(error))
          throw this.ambiguousWrite(method, path, this.describeFailure(cause), cause);
        if (attempt > this.retries) throw this.networkError(method, path, cause, attempt);
        await this.backoff(attempt, undefined, `${method} ${path}: ${describeNetworkError(cause)}`);
        continue;
      }
      if ((answer.status >= 200 && answer.status < 300) || options.accept?.includes(answer.status))
        return answer;
      const transient = answer.status === 429 || TRANSIENT_STATUSES.has(answer.status);
      if (!transient) throw this.httpError(method, path, options.route, answer);
      if (!idempotent && answer.status !== 429) {
        const cause = this.httpError(method, path, options.route, answer);
        throw this.ambiguousWrite(method, path, `the answer was ${answer.status}`, cause);
      }
      if (attempt > this.retries) throw this.httpError(method, path, options.route, answer, attempt);
      const retryAfterMs = parseRetryAfter(header(answer, 'retry-after'));
      await this.backoff(attempt, retryAfterMs, `${method} ${path}: ${answer.status}`);
    }
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  private request(method: Method, options: RequestOptions): HttpRequest {
    const json = options.body !== undefined && options.multipart === undefined;
    return {
      method,
      headers: {
        'X-N8N-API-KEY': this.apiKey,
        accept: 'application/json',
        ...(json ? { 'content-type': 'application/json' } : {}),
        ...(options.multipart ? { 'content-type': options.multipart.contentType } : {}),
      },
      ...(json ? { body: JSON.stringify(options.body) } : {}),
      ...(options.multipart ? { body: options.multipart.body } : {}),
      timeoutMs: this.timeoutMs,
      maxAnswerBytes: this.maxAnswerBytes,
    };
  }

  /**
   * Waits before attempt `attempt + 1`: a random time up to the exponential bound (full jitter, so
   * clients that failed together do not come back together), or what Retry-After asked, capped.
   */
  private async backoff(attempt: number, retryAfterMs: number | undefined, why: string): Promise<void> {
    const exponential = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** (attempt - 1));
    const delay =
      retryAfterMs === undefined ? Math.random() * exponential : Math.min(retryAfterMs, this.maxRetryAfterMs);
    const capped = retryAfterMs !== undefined && retryAfterMs > this.maxRetryAfterMs;
    this.logger.debug(
      capped
        ? 'retrying n8n request after the longest wait allowed, not the Retry-After asked'
        : 'retrying n8n request',
      {
        why,
        attempt,
        delayMs: Math.round(delay),
        ...(capped ? { retryAfterMs: Math.round(retryAfterMs), maxRetryAfterMs: this.maxRetryAfterMs } : {}),
      },
    );
    await this.sleep(delay);
  }

  private ambiguousWrite(method: Method, path: string, what: string, cause: Error): AmbiguousWriteError {
    return new AmbiguousWriteError(
      `${method} ${path} was sent to n8n at ${this.baseUrl}, but ${what}: its outcome is unknown (it may or may not have been carried out). Look for what it would have written before writing it again.`,
      { method, path },
      { cause },
    );
  }

  /** What became of an exchange that was sent, for a message. */
  private describeFailure(cause: Error): string {
    if (cause.name === 'TimeoutError') return `no answer came within ${this.timeoutMs} ms`;
    if (cause.name === 'AnswerCutOffError') return 'the answer was cut off';
    return `the connection failed (${describeNetworkError(cause)})`;
  }

  private networkError(method: string, path: string, error: Error, attempts: number): ConnectionError {
    const tried = attempts > 1 ? ` (tried ${attempts} times)` : '';
    if (error.name === 'TimeoutError' || error.name === 'AbortError') {
      return new ConnectionError(
        `${method} ${this.baseUrl}/api/v1${path} timed out after ${this.timeoutMs} ms${tried}. Is n8n overloaded or the URL wrong?`,
        { url: this.baseUrl },
        { cause: error },
      );
    }
    return new ConnectionError(
      `could not reach n8n at ${this.baseUrl} (${describeNetworkError(error)})${tried}. Check --url and that the instance is running.`,
      { url: this.baseUrl },
      { cause: error },
    );
  }

  private httpError(method: string, path: string, route: string, answer: HttpAnswer, attempts = 1): Error {
    const text = answer.body.toString('utf8');
    let message: string | undefined;
    try {
      const parsed = JSON.parse(text) as { message?: string; issues?: { type?: string; name?: string }[] };
      message = parsed.message;
      // A blocked package import lists why, e.g. workflow-conflict "Orders sync".
      if (message && Array.isArray(parsed.issues) && parsed.issues.length > 0)
        message += ` (${parsed.issues
          .slice(0, 5)
          .map((issue) => `${issue.type ?? 'issue'}${issue.name ? ` "${issue.name}"` : ''}`)
          .join(', ')}${parsed.issues.length > 5 ? ', …' : ''})`;
    } catch {
      message = undefined;
    }
    const status = answer.status;
    const context = { status, method, path };
    const said = message ? `: ${message}` : '';
    if (status === 401) {
      return new AuthenticationError(
        `n8n at ${this.baseUrl} rejected the API key (401${said}). Check that the key is current and belongs to this instance (Settings → n8n API).`,
        context,
      );
    }
    if (status === 403) {
      const feature =
        /does not allow for (feat:[A-Za-z0-9:_-]+)/.exec(message ?? '')?.[1] ??
        (/not licensed for sharing/i.test(message ?? '') ? 'feat:sharing' : undefined);
      if (feature) {
        return new FeatureNotLicensedError(
          `${method} ${path} needs the licence feature ${feature}, which this n8n instance does not have`,
          { ...context, feature },
        );
      }
      const scope = REQUIRED_SCOPES[`${method} ${route}`];
      return new MissingScopeError(
        scope
          ? `the API key may not ${method} ${path}: it lacks the scope ${scope}. Create a key with that scope in n8n (Settings → n8n API).`
          : `n8n refused ${method} ${path} (403${said}): the key's user or scopes do not allow it.`,
        { ...context, scope },
      );
    }
    if (message === undefined && !/json/.test(header(answer, 'content-type') ?? '')) {
      if (status === 404) {
        return new ConnectionError(
          `${this.baseUrl}/api/v1${path} answered 404 (${describeAnswer(answer)}): either this is not an n8n instance or its Public API is disabled (N8N_PUBLIC_API_DISABLED). Check --url.`,
          { url: this.baseUrl },
        );
      }
    }
    const tried = attempts > 1 ? ` (tried ${attempts} times)` : '';
    const text400 = `n8n answered ${status} to ${method} ${path}${said}${tried}`;
    if (status === 404) return new NotFoundError(text400, context);
    if (status === 409) return new ConflictError(text400, context);
    return new N8nApiError(text400, context);
  }
}

/** The most workflow ids POST /n8n-packages/export takes in one call (more: 400, measured on 2.41.1). */
export const PACKAGE_EXPORT_MAX_IDS = 300;

/**
 * A package export as small as n8n makes one: no tags, no variable values, no credential values,
 * sub-workflows by reference (so a workflow calling one not asked for does not fail the export).
 */
const SMALLEST_EXPORT = {
  includeTags: false,
  includeVariableValues: false,
  missingWorkflowDependencyPolicy: 'reference-only',
  credentialExportPolicy: 'no-values',
  includeArchivedWorkflows: true,
} as const;

/** Shells created under their package ids; their content follows by PUT. */
const KEEP_IDS_IMPORT = {
  workflowConflictPolicy: 'fail',
  workflowIdPolicy: 'source',
  workflowPublishingPolicy: 'preserve-published-state',
} as const;

/**
 * Content created with new ids, as POST /workflows would: unpublished (the restore publishes), node
 * types n8n lacks accepted (POST accepts them too), a package id the project already knows refused.
 * The manifest lists no requirements, so the credential modes never come into play; they say what
 * n8n should do if it ever checks: match by id, create nothing.
 */
export const NEW_IDS_IMPORT = {
  workflowConflictPolicy: 'fail',
  workflowIdPolicy: 'new',
  workflowPublishingPolicy: 'unpublish-all',
  missingNodeTypeMode: 'import-anyway',
  credentialMatchingMode: 'id-only',
  credentialMissingMode: 'must-preexist',
} as const;

/** The package-import form: the `.n8np` bytes and its fields, encoded once so a retry sends the same bytes. */
async function packageForm(
  pkg: Buffer,
  fields: Record<string, string>,
): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.set('package', new Blob([new Uint8Array(pkg)]), 'n8n-ark.n8np');
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  const encoded = new Request('http://n8n-ark.invalid/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type') ?? 'multipart/form-data',
  };
}

/** Why the node-type probe could not be asked, from its error. */
function nodeTypesUnknownBecause(error: N8nApiError): string {
  if (error instanceof NotFoundError)
    return 'the target has no POST /n8n-packages/import (n8n 2.24 or later has it), the only answer that names node types it lacks';
  if (error instanceof MissingScopeError)
    return 'the API key lacks the workflow:import scope that the node-type probe (POST /n8n-packages/import, nothing written) needs';
  return error.message;
}

/** Why an instance's version could not be learned, from the error of the export that would tell it. */
function versionUnknownBecause(error: N8nApiError): string {
  if (error instanceof NotFoundError && error.path === '/n8n-packages/export')
    return 'the instance has no POST /n8n-packages/export (n8n 2.24 or later has it), the only route that states the version';
  if (error instanceof MissingScopeError && error.path === '/n8n-packages/export')
    return 'the API key lacks the workflow:export scope that POST /n8n-packages/export, the only route that states the version, needs';
  return error.message;
}

/**
 * Read item by item, the next page is asked for when this many items of the current one are left:
 * soon enough to arrive in time when each item costs a GET of its own (workflows), late enough not
 * to wait long. A page that waits through a whole page of the caller's work outlives V8's young
 * generation and piles up until a full collection (measured at 10,000 workflows: +9 MB of page
 * buffers and +6 MB of old space, the difference between the bench's sizes).
 */
export const PREFETCH_WITH_ITEMS_LEFT = 50;

/** The most pages one listing is followed for: 100,000 × 250 items, far past any real instance. */
export const MAX_PAGES = 100_000;

/**
 * One cursor listing being read: hands its pages over in order, without the items a recent page
 * had, and asks for the next one when told to. A cursor seen twice means n8n is looping: fail, don't
 * spin. The page asked for ahead waits as bytes and is parsed when the caller takes it.
 */
class CursorPages<T extends { id?: unknown }> {
  private readonly seenCursors = new Set<string>();
  private pages = 0;
  private stalled = 0;
  private readonly recent = new RecentIds();
  /** The next page's cursor (undefined for the first page); null once the last page is in. */
  private cursor: string | undefined | null = undefined;
  private pending: Promise<HttpAnswer> | undefined;

  constructor(
    private readonly fetchPage: (cursor: string | undefined) => Promise<HttpAnswer>,
    private readonly parse: (answer: HttpAnswer) => { data?: T[]; nextCursor?: string | null } | undefined,
    private readonly where: { baseUrl: string; path: string; maxPages: number },
  ) {}

  /** Asks for the next page now, unless it was asked for already or there is none. */
  prefetch(): void {
    if (this.pending || this.cursor === null) return;
    this.pending = this.fetchPage(this.cursor);
    // If the caller stops early, a page asked for ahead must not become an unhandled rejection.
    this.pending.catch(() => {});
  }

  /** The next page's items (possibly none), or undefined after the last page. */
  async next(): Promise<readonly T[] | undefined> {
    this.prefetch();
    if (!this.pending) return undefined;
    const answer = await this.pending;
    this.pending = undefined;
    const page = this.parse(answer);
    const { baseUrl, path } = this.where;
    if (!page || !Array.isArray(page.data)) {
      throw new ConnectionError(
        `${baseUrl} answered GET ${path} without a data list: it does not look like n8n's Public API. Check --url.`,
        { url: baseUrl },
      );
    }
    const cursor = page.nextCursor ?? null;
    if (cursor !== null) {
      if (this.seenCursors.has(cursor)) {
        throw new PaginationError(
          `n8n returned the same page cursor twice for GET ${path}; stopping instead of looping. This is an n8n paging bug: retry, and report it if it persists.`,
          { path },
        );
      }
      this.seenCursors.add(cursor);
    }
    this.cursor = cursor;
    const fresh = this.recent.unseen(page.data);
    this.pages += 1;
    // A page with nothing new, yet another cursor: twice in a row is a server going round in circles.
    this.stalled = fresh.length === 0 && cursor !== null ? this.stalled + 1 : 0;
    const { maxPages } = this.where;
    if (this.stalled >= 2 || this.pages > maxPages)
      throw new PaginationError(
        `GET ${path} ${this.stalled >= 2 ? 'handed out new cursors for pages with nothing new' : `went on past ${maxPages} pages`}; stopping instead of paging for ever. This is a paging bug of the server: retry, and report it if it persists.`,
        { path },
      );
    return fresh;
  }
}

/**
 * Resolves once requests made so far are on the wire. node:http writes a request on the next tick,
 * and ticks wait while microtasks run: a caller working through a page in promise callbacks would
 * hold the next page's request back until it had finished, and n8n would sit idle meanwhile.
 */
function requestsSent(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/** Pages whose ids are remembered to drop an item a later page repeats. */
export const REPEAT_WINDOW_PAGES = 2;

/**
 * The ids of the last few pages handed over. Offset paging repeats the items at the end of a page at
 * the start of the next when something is inserted mid-scan (by as many as were inserted); keeping
 * two pages catches up to 500 inserts between two reads. Remembering every id of a listing instead
 * grew with the instance: the hash tables for 200,000 data-table rows came to ~18 MB.
 */
class RecentIds {
  private readonly pages: Set<IdKey>[] = [];

  /** The items of `items` not seen on a recent page (the array itself when none repeats). */
  unseen<T extends { id?: unknown }>(items: T[]): readonly T[] {
    const page = new Set<IdKey>();
    let fresh: T[] | undefined;
    for (let index = 0; index < items.length; index += 1) {
      const id = idKey(items[index]!.id);
      if (id === undefined || !(page.has(id) || this.has(id))) {
        if (id !== undefined) page.add(id);
        fresh?.push(items[index]!);
      } else {
        fresh ??= items.slice(0, index);
      }
    }
    this.pages.push(page);
    if (this.pages.length > REPEAT_WINDOW_PAGES) this.pages.shift();
    return fresh ?? items;
  }

  private has(id: IdKey): boolean {
    for (const page of this.pages) if (page.has(id)) return true;
    return false;
  }
}

type IdKey = string | number;

/**
 * An id as a set key. Numbers stay numbers (data-table rows have numeric ids): a Set of small
 * integers is several times smaller and faster than one of their strings, and one listing never
 * mixes the two.
 */
function idKey(id: unknown): IdKey | undefined {
  if (id === undefined || id === null) return undefined;
  return typeof id === 'number' ? id : String(id);
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function withoutNullProject(body: VariableWrite): VariableWrite {
  if (body.projectId === null || body.projectId === undefined) return { key: body.key, value: body.value };
  return body;
}

function describeNetworkError(error: unknown): string {
  return networkErrorCode(error) ?? (error as Error).message;
}

function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function describeAnswer(answer: HttpAnswer): string {
  return `${answer.status}, ${header(answer, 'content-type') ?? 'no content type'}, ${JSON.stringify(answer.body.toString('utf8', 0, 60))}`;
}

/** Workflows over n8n's Public API: `/workflows` and what hangs off a workflow (tags, history, versions). */
import { NotFoundError } from '../../core/errors.js';
import type {
  Tag,
  Workflow,
  WorkflowVersion,
  WorkflowVersionMeta,
  WorkflowWrite,
} from '../../core/n8n-types.js';
import type { GaplessStart, N8nWorkflowsApi, PagedListing } from '../../core/ports.js';
import { anchoredPages } from './anchored-pages.js';
import { enc, type N8nTransport, PAGE_SIZE } from './transport.js';

export class HttpWorkflows implements N8nWorkflowsApi {
  constructor(private readonly http: N8nTransport) {}

  listWorkflows(options: { excludePinnedData?: boolean } = {}): PagedListing<Workflow> {
    return this.http.list<Workflow>('/workflows', '/workflows', {
      excludePinnedData: options.excludePinnedData,
    });
  }

  /** GET /workflows with no workflow present throughout left out (anchored-pages.ts). */
  listWorkflowsWithoutGaps(
    options: { excludePinnedData?: boolean; from?: GaplessStart } = {},
  ): AsyncIterable<Workflow> {
    const http = this.http;
    const fetchAt = async (offset: number) => {
      const answer = await http.answer('GET', '/workflows', {
        route: '/workflows',
        query: { excludePinnedData: options.excludePinnedData, limit: PAGE_SIZE, offset },
      });
      const page = http.parse<{ data?: Workflow[]; nextCursor?: unknown }>('GET', '/workflows', answer);
      return { items: page.data ?? [], more: typeof page.nextCursor === 'string' && page.nextCursor !== '' };
    };
    const settings = {
      limit: PAGE_SIZE,
      maxPages: http.maxPages,
      maxItems: http.maxListed,
      memory: http.memory,
      baseUrl: http.baseUrl,
      ...(options.from ? { from: options.from } : {}),
    };
    return {
      async *[Symbol.asyncIterator]() {
        for await (const page of anchoredPages(fetchAt, settings)) yield* page;
      },
    };
  }

  getWorkflow(id: string): Promise<Workflow> {
    return this.http.json('GET', `/workflows/${enc(id)}`, { route: '/workflows/{workflowId}' });
  }

  createWorkflow(body: WorkflowWrite): Promise<Workflow> {
    return this.http.json('POST', '/workflows', { route: '/workflows', body });
  }

  updateWorkflow(
    id: string,
    body: WorkflowWrite,
    options: { publishIfActive?: boolean } = {},
  ): Promise<Workflow> {
    const query = options.publishIfActive === false ? '?publishIfActive=false' : '';
    return this.http.json('PUT', `/workflows/${enc(id)}${query}`, { route: '/workflows/{workflowId}', body });
  }

  async deleteWorkflow(id: string): Promise<void> {
    await this.http.json('DELETE', `/workflows/${enc(id)}`, { route: '/workflows/{workflowId}' });
  }

  async archiveWorkflow(id: string): Promise<void> {
    await act(this.http, id, 'archive');
  }

  async unarchiveWorkflow(id: string): Promise<void> {
    await act(this.http, id, 'unarchive');
  }

  async publishWorkflow(id: string, options: { versionId?: string } = {}): Promise<void> {
    const body = options.versionId === undefined ? undefined : { versionId: options.versionId };
    await actRenamed(this.http, id, 'publish', 'activate', body);
  }

  async unpublishWorkflow(id: string): Promise<void> {
    await actRenamed(this.http, id, 'unpublish', 'deactivate');
  }

  async transferWorkflow(id: string, destinationProjectId: string): Promise<void> {
    await this.http.json('PUT', `/workflows/${enc(id)}/transfer`, {
      route: '/workflows/{workflowId}/transfer',
      body: { destinationProjectId },
    });
  }

  getWorkflowTags(id: string): Promise<Tag[]> {
    return this.http.json('GET', `/workflows/${enc(id)}/tags`, { route: '/workflows/{workflowId}/tags' });
  }

  setWorkflowTags(id: string, tagIds: string[]): Promise<Tag[]> {
    return this.http.json('PUT', `/workflows/${enc(id)}/tags`, {
      route: '/workflows/{workflowId}/tags',
      body: tagIds.map((tagId) => ({ id: tagId })),
    });
  }

  /**
   * Pages of at most what is still wanted: n8n lists history newest first, so the first page is
   * usually all. A page of nothing ends it even with a cursor (n8n hands one out for `limit=0`).
   */
  async latestWorkflowVersions(workflowId: string, count: number): Promise<WorkflowVersionMeta[]> {
    const path = `/workflows/${enc(workflowId)}/history`;
    const versions: WorkflowVersionMeta[] = [];
    let cursor: string | undefined;
    for (let page = 0; versions.length < count && page < this.http.maxPages; page += 1) {
      const answer = await this.http.json<{ data?: WorkflowVersionMeta[]; nextCursor?: string | null }>(
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
    return this.http.json('GET', `/workflows/${enc(workflowId)}/versions/${enc(versionId)}`, {
      route: '/workflows/{workflowId}/versions/{workflowVersionId}',
    });
  }
}

/** POST /workflows/{id}/<action>: doing it twice leaves the workflow as doing it once. */
async function act(http: N8nTransport, id: string, action: string, body?: object): Promise<void> {
  await http.json('POST', `/workflows/${enc(id)}/${action}`, {
    route: `/workflows/{workflowId}/${action}`,
    idempotent: true,
    ...(body ? { body } : {}),
  });
}

/** `action`, or on an n8n from before the publish rename (which only knows `before`), that. */
async function actRenamed(
  http: N8nTransport,
  id: string,
  action: string,
  before: string,
  body?: object,
): Promise<void> {
  try {
    await act(http, id, action, body);
  } catch (error) {
    if (!(error instanceof NotFoundError) || /workflow|version/i.test(error.message)) throw error;
    await act(http, id, before, body);
  }
}

/** Tags over n8n's Public API (`/tags`); a workflow's own tags are in workflows.ts. */
import type { Tag } from '../../core/n8n-types.js';
import type { N8nScratchDeletes, N8nTagsApi, PagedListing } from '../../core/ports.js';
import { enc, type N8nTransport } from './transport.js';

export class HttpTags implements N8nTagsApi, Pick<N8nScratchDeletes, 'deleteTag'> {
  constructor(private readonly http: N8nTransport) {}

  listTags(): PagedListing<Tag> {
    return this.http.list<Tag>('/tags', '/tags');
  }

  createTag(name: string): Promise<Tag> {
    return this.http.json('POST', '/tags', { route: '/tags', body: { name } });
  }

  /** Only a drill's --wipe-scratch sends it (N8nScratchDeletes). */
  async deleteTag(id: string): Promise<void> {
    await this.http.json('DELETE', `/tags/${enc(id)}`, { route: '/tags/{tagId}' });
  }
}

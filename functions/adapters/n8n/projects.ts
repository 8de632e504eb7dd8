/** Projects, their members and their folders over n8n's Public API (`/projects`). */
import type { Folder, Project, ProjectMember } from '../../core/n8n-types.js';
import type { N8nFoldersApi, N8nProjectsApi, PagedListing } from '../../core/ports.js';
import { checkMemory, MAX_PAGES } from './cursor-pages.js';
import { foldersGoingRound, pageTooLarge, tooManyListed } from './errors.js';
import { enc, type N8nTransport, PAGE_SIZE } from './transport.js';

type ListedFolder = Omit<Folder, 'projectId'> & { projectId?: string };

export class HttpProjects implements N8nProjectsApi, N8nFoldersApi {
  constructor(private readonly http: N8nTransport) {}

  listProjects(): PagedListing<Project> {
    return this.http.list<Project>('/projects', '/projects');
  }

  listProjectMembers(projectId: string): PagedListing<ProjectMember> {
    return this.http.list<ProjectMember>(`/projects/${enc(projectId)}/users`, '/projects/{projectId}/users');
  }

  createProject(name: string): Promise<Project> {
    return this.http.json('POST', '/projects', { route: '/projects', body: { name } });
  }

  async addProjectMembers(projectId: string, relations: { userId: string; role: string }[]): Promise<void> {
    await this.http.json('POST', `/projects/${enc(projectId)}/users`, {
      route: '/projects/{projectId}/users',
      body: { relations },
    });
  }

  async *listFolders(projectId: string): AsyncIterable<Folder> {
    // Folders page with skip/take and answer {count, data}, not cursors.
    const seen = new Set<string>();
    for (let skip = 0; ; skip += PAGE_SIZE) {
      const page = await this.http.json<{ count: number; data: ListedFolder[] }>(
        'GET',
        `/projects/${enc(projectId)}/folders`,
        { route: '/projects/{projectId}/folders', query: { skip, take: PAGE_SIZE } },
      );
      let fresh = 0;
      const path = `/projects/${projectId}/folders`;
      if (page.data.length > PAGE_SIZE) throw pageTooLarge(path, page.data.length, PAGE_SIZE);
      // More folders than n8n says it has (past a page of ones created meanwhile), or than any instance has: a paging bug.
      const stated = Number.isFinite(page.count) ? page.count + PAGE_SIZE : Number.POSITIVE_INFINITY;
      const allowed = Math.min(stated, this.http.maxListed);
      if (seen.size > allowed) throw tooManyListed(path, allowed);
      checkMemory(path, seen.size, this.http.memory);
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
      if (fresh === 0 || skip / PAGE_SIZE > MAX_PAGES) throw foldersGoingRound(projectId, page.count);
    }
  }

  createFolder(projectId: string, body: { name: string; parentFolderId?: string | null }): Promise<Folder> {
    return this.http.json('POST', `/projects/${enc(projectId)}/folders`, {
      route: '/projects/{projectId}/folders',
      body,
    });
  }
}

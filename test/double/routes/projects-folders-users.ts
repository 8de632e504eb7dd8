/**
 * /projects (+ members; every route licensed feat:projectRole:admin), /projects/{id}/folders
 * (feat:folders; skip/take paging answering {count, data}), /users (legacy handlers, gated on an
 * unlimited user quota) and /discover, as n8n 2.41.1 answers them.
 */
import { ApiError, type Context, controller, found, legacy, noContent, ok, type Route } from '../http.js';
import { controllerWindow, legacyWindow, nextCursor, slice, validateLegacyPaging } from '../paging.js';
import { renderProject, renderUser } from '../render.js';
import type { DoubleState, GlobalRole, StoredFolder, StoredProject } from '../state.js';
import { array, object, oneOf, optional, readOnly, string, validate } from '../validation.js';

const PROJECTS = 'feat:projectRole:admin';
const FOLDERS = 'feat:folders';
const PROJECT_ROLES = ['project:admin', 'project:editor', 'project:viewer'];

const projectBody = object(
  { name: string({ min: [1], max: [255] }), id: readOnly, type: readOnly },
  { strict: true },
);
const membersBody = object({
  relations: array(object({ userId: string({ min: [1] }), role: string({ min: [1] }) }), 1),
});
const roleBody = object({ role: string({ min: [1] }) });
const folderListQuery = object(
  {
    filter: optional(string()),
    select: optional(string()),
    sortBy: optional(
      oneOf(['name:asc', 'name:desc', 'createdAt:asc', 'createdAt:desc', 'updatedAt:asc', 'updatedAt:desc']),
    ),
    skip: optional(string()),
    take: optional(string()),
  },
  { strict: true },
);

function parsed<T>(result: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!result.ok) throw new ApiError(400, result.message);
  return result.value;
}

function teamProject(state: DoubleState, id: string | undefined): StoredProject {
  const project = state.projects.get(id ?? '');
  if (project?.type === 'team') return project;
  throw new ApiError(404, `Could not find project with ID: ${id}`);
}

function projectForFolders(state: DoubleState, id: string | undefined): StoredProject {
  return found(state.projects.get(id ?? ''), `Project with ID "${id}" not found`);
}

function folderInProject(state: DoubleState, folderId: string, projectId: string): StoredFolder {
  const folder = state.folders.get(folderId);
  if (!folder || folder.projectId !== projectId)
    throw new ApiError(404, `Could not find the folder: ${folderId}`);
  return folder;
}

function descendants(state: DoubleState, folderId: string): StoredFolder[] {
  const found: StoredFolder[] = [];
  for (const folder of state.folders.values()) {
    if (folder.parentFolderId === folderId) found.push(folder, ...descendants(state, folder.id));
  }
  return found;
}

function folderPath(state: DoubleState, folder: StoredFolder): string[] {
  const path: string[] = [];
  let current: StoredFolder | undefined = folder;
  while (current) {
    path.unshift(current.name);
    current = current.parentFolderId ? state.folders.get(current.parentFolderId) : undefined;
  }
  return path;
}

function renderFolderListItem(state: DoubleState, folder: StoredFolder, withPath: boolean) {
  const project = state.projects.get(folder.projectId);
  const parent = folder.parentFolderId ? state.folders.get(folder.parentFolderId) : undefined;
  let workflowCount = 0;
  for (const workflow of state.workflows.values())
    if (workflow.parentFolderId === folder.id && !workflow.isArchived) workflowCount += 1;
  let subFolderCount = 0;
  for (const other of state.folders.values()) if (other.parentFolderId === folder.id) subFolderCount += 1;
  return {
    id: folder.id,
    name: folder.name,
    parentFolderId: folder.parentFolderId,
    createdAt: folder.createdAt,
    updatedAt: folder.updatedAt,
    ...(project
      ? { homeProject: { id: project.id, name: project.name, type: project.type, icon: project.icon } }
      : {}),
    parentFolder: parent ? { id: parent.id, name: parent.name, parentFolderId: parent.parentFolderId } : null,
    tags: [],
    workflowCount,
    subFolderCount,
    ...(withPath ? { path: folderPath(state, folder) } : {}),
  };
}

function renderFolder(folder: StoredFolder) {
  return {
    id: folder.id,
    name: folder.name,
    parentFolderId: folder.parentFolderId,
    createdAt: folder.createdAt,
    updatedAt: folder.updatedAt,
  };
}

function listFolders(ctx: Context) {
  const { state } = ctx;
  const query = parsed(validate(folderListQuery, Object.fromEntries(ctx.query), 'query'));
  const project = projectForFolders(state, ctx.params.projectId);
  let filter: { parentFolderId?: string; name?: string; excludeFolderIdAndDescendants?: string } = {};
  if (typeof query.filter === 'string' && query.filter !== '') {
    try {
      filter = JSON.parse(query.filter) as typeof filter;
    } catch {
      throw new ApiError(400, 'request/query/filter Invalid filter format');
    }
    const allowed = ['parentFolderId', 'name', 'tags', 'excludeFolderIdAndDescendants'];
    if (
      typeof filter !== 'object' ||
      filter === null ||
      Object.keys(filter).some((k) => !allowed.includes(k))
    )
      throw new ApiError(400, 'request/query/filter Invalid filter fields');
  }
  const skip = Number.parseInt(String(query.skip ?? ''), 10) || 0;
  const rawTake =
    query.take === undefined || query.take === '' ? 10 : Number.parseInt(String(query.take), 10);
  if (Number.isNaN(rawTake)) throw new ApiError(400, 'request/query/take Take must be a valid number');
  const excluded = filter.excludeFolderIdAndDescendants
    ? new Set([
        filter.excludeFolderIdAndDescendants,
        ...descendants(state, filter.excludeFolderIdAndDescendants).map((f) => f.id),
      ])
    : undefined;
  const folders = [...state.folders.values()].filter(
    (f) =>
      f.projectId === project.id &&
      (filter.parentFolderId === undefined ||
        (filter.parentFolderId === '0'
          ? f.parentFolderId === null
          : f.parentFolderId === filter.parentFolderId)) &&
      (filter.name === undefined || f.name.toLowerCase().includes(String(filter.name).toLowerCase())) &&
      !excluded?.has(f.id),
  );
  const [field = 'updatedAt', direction = 'desc'] = String(query.sortBy ?? 'updatedAt:desc').split(':');
  const key = (f: StoredFolder) =>
    field === 'name' ? f.name.toLowerCase() : field === 'createdAt' ? f.createdAt : f.updatedAt;
  const sign = direction === 'asc' ? 1 : -1;
  folders.sort((a, b) => (key(a) === key(b) ? (a.id < b.id ? -1 : 1) : (key(a) < key(b) ? -1 : 1) * sign));
  const page = rawTake === 0 ? folders.slice(skip) : folders.slice(skip, skip + rawTake);
  const withPath = String(query.select ?? '').includes('path');
  return ok({ count: folders.length, data: page.map((f) => renderFolderListItem(state, f, withPath)) });
}

function resolveProjectAlias(ctx: Context): string {
  const id = ctx.params.projectId ?? '';
  return id === 'personal' ? ctx.state.personalProjectId : id;
}

const RESOURCE_BY_SEGMENT: Record<string, string> = {
  workflows: 'workflow',
  tags: 'tags',
  variables: 'variables',
  credentials: 'credential',
  'data-tables': 'datatable',
  projects: 'projects',
  users: 'user',
  discover: 'discover',
};

export function projectFolderUserRoutes(allRoutes: () => Route[]): Route[] {
  return [
    controller(
      'GET',
      '/projects',
      'project:list',
      ({ state, query }) => {
        const window = controllerWindow(query);
        const projects = [...state.projects.values()];
        return ok({
          data: slice(projects, window).map(renderProject),
          nextCursor: nextCursor(window, projects.length),
        });
      },
      PROJECTS,
    ),
    controller(
      'POST',
      '/projects',
      'project:create',
      ({ state, body }) => {
        const input = parsed(validate(projectBody, body, 'body'));
        const project = state.createTeamProject(input.name as string);
        return ok({ ...renderProject(project), role: 'project:admin', scopes: PROJECT_ADMIN_SCOPES }, 201);
      },
      PROJECTS,
    ),
    controller(
      'PUT',
      '/projects/:projectId',
      'project:update',
      ({ state, params, body }) => {
        const input = parsed(validate(projectBody, body, 'body'));
        const project = teamProject(state, params.projectId);
        project.name = input.name as string;
        project.updatedAt = state.now();
        return noContent();
      },
      PROJECTS,
    ),
    controller(
      'DELETE',
      '/projects/:projectId',
      'project:delete',
      ({ state, params, query }) => {
        if ([...query.keys()].length > 0)
          throw new ApiError(
            400,
            `request/query Unrecognized key(s) in object: ${[...query.keys()].map((k) => `'${k}'`).join(', ')}`,
          );
        const project = teamProject(state, params.projectId);
        state.deleteProject(project.id);
        return noContent();
      },
      PROJECTS,
    ),
    controller(
      'GET',
      '/projects/:projectId/users',
      'user:list',
      ({ state, params, query }) => {
        const window = controllerWindow(query);
        const project = found(
          state.projects.get(params.projectId ?? ''),
          `Could not find project with ID "${params.projectId}"`,
        );
        const members = project.members.flatMap((member) => {
          const user = state.users.get(member.userId);
          return user
            ? [
                {
                  id: user.id,
                  email: user.email,
                  firstName: user.firstName,
                  lastName: user.lastName,
                  createdAt: user.createdAt,
                  updatedAt: user.updatedAt,
                  role: member.role,
                },
              ]
            : [];
        });
        return ok({ data: slice(members, window), nextCursor: nextCursor(window, members.length) });
      },
      PROJECTS,
    ),
    controller(
      'POST',
      '/projects/:projectId/users',
      'project:manageMembers',
      ({ state, params, body }) => {
        const input = parsed(validate(membersBody, body, 'body'));
        const project = teamProject(state, params.projectId);
        const relations = input.relations as { userId: string; role: string }[];
        for (const { userId, role } of relations) {
          if (!state.users.has(userId)) throw new ApiError(404, `Could not find user with ID: ${userId}`);
          if (!PROJECT_ROLES.includes(role)) throw new ApiError(400, `Role "${role}" does not exist`);
        }
        for (const { userId, role } of relations) state.setProjectMember(project.id, userId, role);
        return noContent(201);
      },
      PROJECTS,
    ),
    controller(
      'PATCH',
      '/projects/:projectId/users/:userId',
      'project:manageMembers',
      ({ state, params, body }) => {
        const input = parsed(validate(roleBody, body, 'body'));
        const project = teamProject(state, params.projectId);
        const member = found(
          project.members.find((m) => m.userId === params.userId),
          `Could not find user with ID: ${params.userId}`,
        );
        if (!PROJECT_ROLES.includes(input.role as string))
          throw new ApiError(400, `Role "${input.role}" does not exist`);
        member.role = input.role as string;
        return noContent();
      },
      PROJECTS,
    ),
    controller(
      'DELETE',
      '/projects/:projectId/users/:userId',
      'project:manageMembers',
      ({ state, params }) => {
        const project = teamProject(state, params.projectId);
        found(
          project.members.find((m) => m.userId === params.userId),
          `Could not find user with ID: ${params.userId}`,
        );
        project.members = project.members.filter((m) => m.userId !== params.userId);
        return noContent();
      },
      PROJECTS,
    ),

    controller('GET', '/projects/:projectId/folders', 'folder:list', listFolders, FOLDERS),
    controller(
      'GET',
      '/projects/:projectId/folders/:folderId',
      'folder:read',
      ({ state, params }) => {
        const project = projectForFolders(state, params.projectId);
        const folder = folderInProject(state, params.folderId ?? '', project.id);
        const subtree = descendants(state, folder.id);
        const inTree = new Set([folder.id, ...subtree.map((f) => f.id)]);
        let totalWorkflows = 0;
        for (const workflow of state.workflows.values())
          if (workflow.parentFolderId && inTree.has(workflow.parentFolderId) && !workflow.isArchived)
            totalWorkflows += 1;
        return ok({ ...renderFolder(folder), totalSubFolders: subtree.length, totalWorkflows });
      },
      FOLDERS,
    ),
    legacy(
      'POST',
      '/projects/:projectId/folders',
      [{ licence: FOLDERS }, { scope: 'folder:create' }],
      (ctx) => {
        const { state } = ctx;
        const project = projectForFolders(state, resolveProjectAlias(ctx));
        const body = (ctx.body ?? {}) as { name?: unknown; parentFolderId?: unknown };
        if (typeof body.name !== 'string' || body.name.trim() === '')
          throw new ApiError(
            400,
            typeof body.name === 'string' ? 'String must contain at least 1 character(s)' : 'Required',
          );
        const parentFolderId = typeof body.parentFolderId === 'string' ? body.parentFolderId : null;
        if (parentFolderId) folderInProject(state, parentFolderId, project.id);
        const folder = state.createFolder({ name: body.name.trim(), projectId: project.id, parentFolderId });
        return ok(renderFolder(folder), 201);
      },
    ),
    legacy(
      'PATCH',
      '/projects/:projectId/folders/:folderId',
      [{ licence: FOLDERS }, { scope: 'folder:update' }],
      (ctx) => {
        const { state } = ctx;
        const project = projectForFolders(state, ctx.params.projectId);
        const folder = folderInProject(state, ctx.params.folderId ?? '', project.id);
        const body = (ctx.body ?? {}) as { name?: unknown; parentFolderId?: unknown };
        if (typeof body.name === 'string' && body.name.trim() !== '') folder.name = body.name.trim();
        if (body.parentFolderId !== undefined) {
          const target =
            body.parentFolderId === null || body.parentFolderId === '0' ? null : String(body.parentFolderId);
          if (target) {
            folderInProject(state, target, project.id);
            if (target === folder.id || descendants(state, folder.id).some((f) => f.id === target))
              throw new ApiError(
                400,
                'Cannot set a parent folder that is a descendant of the current folder',
              );
          }
          folder.parentFolderId = target;
        }
        folder.updatedAt = state.now();
        return ok(renderFolder(folder));
      },
    ),
    legacy(
      'DELETE',
      '/projects/:projectId/folders/:folderId',
      [{ licence: FOLDERS }, { scope: 'folder:delete' }],
      (ctx) => {
        const { state } = ctx;
        const project = projectForFolders(state, ctx.params.projectId);
        const folder = folderInProject(state, ctx.params.folderId ?? '', project.id);
        const transferTo = ctx.query.get('transferToFolderId');
        const subtree = [folder, ...descendants(state, folder.id)];
        const doomed = new Set(subtree.map((f) => f.id));
        if (transferTo) {
          const target = transferTo === '0' ? null : folderInProject(state, transferTo, project.id).id;
          for (const child of state.folders.values())
            if (child.parentFolderId === folder.id) child.parentFolderId = target;
          for (const workflow of state.workflows.values())
            if (workflow.parentFolderId === folder.id) workflow.parentFolderId = target;
          state.folders.delete(folder.id);
        } else {
          // Without a target n8n archives the folder's workflows and deletes the sub-tree.
          for (const workflow of state.workflows.values()) {
            if (workflow.parentFolderId && doomed.has(workflow.parentFolderId)) {
              state.archiveWorkflow(workflow);
              workflow.parentFolderId = null;
            }
          }
          for (const id of doomed) state.folders.delete(id);
        }
        return noContent();
      },
      undefined,
      { declared: ['transferToFolderId'] },
    ),

    legacy(
      'GET',
      '/users',
      [{ scope: 'user:list' }, { userQuota: true }],
      ({ state, query }) => {
        const window = legacyWindow(query);
        const includeRole = query.get('includeRole') === 'true';
        const projectId = query.get('projectId');
        const project = projectId ? state.projects.get(projectId) : undefined;
        if (projectId && !project) throw new ApiError(404, 'Project not found');
        const users = [...state.users.values()].filter(
          (user) => !projectId || (project?.members.some((m) => m.userId === user.id) ?? false),
        );
        // n8n counts every user for the cursor, even when `projectId` narrows the page.
        return ok({
          data: slice(users, window).map((user) => renderUser(user, includeRole)),
          nextCursor: nextCursor(window, state.users.size),
        });
      },
      (ctx) => {
        validateLegacyPaging(ctx.query, true);
        const includeRole = ctx.query.get('includeRole');
        if (includeRole !== null && includeRole !== 'true' && includeRole !== 'false')
          throw new ApiError(400, 'request/query/includeRole must be boolean');
      },
      { declared: ['limit', 'offset', 'cursor', 'includeRole', 'projectId'], allowReserved: ['projectId'] },
    ),
    legacy(
      'POST',
      '/users',
      [{ scope: 'user:create' }],
      (ctx) => {
        const { state } = ctx;
        const invitations = ctx.body as { email: string; role?: string }[];
        for (const { role } of invitations)
          if (role !== undefined && role !== 'global:member' && role !== 'global:admin')
            throw new ApiError(400, 'This global role value is not assignable');
        if (invitations.some((i) => i.role === 'global:admin') && !ctx.isLicensed('feat:advancedPermissions'))
          throw new ApiError(
            403,
            'Cannot invite admin user without advanced permissions. Please upgrade to a license that includes this feature.',
          );
        // n8n states the first invitation's role for every user it answers (each gets its own).
        const answeredRole = invitations[0]?.role ?? 'global:member';
        const answers = invitations.flatMap(({ email, role }) => {
          const existing = [...state.users.values()].find((u) => u.email === email);
          // Active users are left alone; a pending one is invited again under the same id.
          if (existing && !existing.isPending) return [];
          const user =
            existing ??
            state.createUser({ email, isPending: true, role: (role ?? 'global:member') as GlobalRole });
          return [
            {
              user: {
                id: user.id,
                email: user.email,
                emailSent: false,
                role: answeredRole,
                inviteAcceptUrl: `http://127.0.0.1/signup?token=double-${user.id}`,
              },
              error: '',
            },
          ];
        });
        return ok(answers, 201);
      },
      (ctx) => {
        if (!Array.isArray(ctx.body)) throw new ApiError(400, 'request/body must be array');
        ctx.body.forEach((entry, index) => {
          const email = (entry as { email?: unknown } | null)?.email;
          if (email === undefined)
            throw new ApiError(400, `request/body/${index} must have required property 'email'`);
          if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
            throw new ApiError(400, `request/body/${index}/email must match format "email"`);
        });
      },
    ),
    legacy('DELETE', '/users/:id', [{ scope: 'user:delete' }], ({ state, params }) => {
      const id = params.id ?? '';
      const user = found(
        [...state.users.values()].find((u) => u.id === id || u.email === id),
        `Could not find user with id: ${id}`,
      );
      if (user.id === state.ownerId) throw new ApiError(400, 'Cannot delete your own user');
      state.users.delete(user.id);
      for (const project of [...state.projects.values()]) {
        if (project.type === 'personal' && project.creatorId === user.id) state.deleteProject(project.id);
        else project.members = project.members.filter((m) => m.userId !== user.id);
      }
      return noContent();
    }),
    legacy(
      'GET',
      '/users/:id',
      [{ userQuota: true }, { scope: 'user:read' }],
      ({ state, params, query }) => {
        const id = params.id ?? '';
        const user = found(
          [...state.users.values()].find((u) => u.id === id || u.email === id),
          `Could not find user with id: ${id}`,
        );
        return ok(renderUser(user, query.get('includeRole') === 'true'));
      },
      ({ params }) => {
        const id = params.id ?? '';
        const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
        const isEmail = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(id);
        if (!isUuid && !isEmail) throw new ApiError(400, 'request/params/id must match format "identifier"');
      },
      { declared: ['includeRole'] },
    ),

    legacy(
      'GET',
      '/discover',
      [],
      ({ scopes, query }) => {
        const resources: Record<
          string,
          { operations: string[]; endpoints: { method: string; path: string; operationId: string }[] }
        > = {};
        for (const route of allRoutes()) {
          const scope = route.guards.find((g): g is { scope: string } => 'scope' in g)?.scope ?? null;
          if (scope && !scopes.includes(scope)) continue;
          const segment = route.path.split('/')[1] ?? '';
          const resource =
            segment === 'projects' && route.path.includes('/folders')
              ? 'folders'
              : (RESOURCE_BY_SEGMENT[segment] ?? segment);
          const entry = resources[resource] ?? { operations: [], endpoints: [] };
          resources[resource] = entry;
          entry.endpoints.push({
            method: route.method,
            path: `/api/v1${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`,
            operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z]/g, '')}`,
          });
          const operation = scope?.split(':')[1];
          if (operation && !entry.operations.includes(operation)) entry.operations.push(operation);
        }
        const resourceFilter = query.get('resource')?.toLowerCase();
        const selected = resourceFilter
          ? Object.fromEntries(Object.entries(resources).filter(([name]) => name === resourceFilter))
          : resources;
        return ok({
          data: {
            scopes,
            resources: selected,
            filters: {
              resource: { description: 'Filter to a specific resource', values: Object.keys(resources) },
              operation: {
                description: 'Filter to a specific operation',
                values: [...new Set(Object.values(resources).flatMap((r) => r.operations))],
              },
              include: { description: 'Include additional data', values: ['schemas'] },
            },
            specUrl: '/api/v1/openapi.yml',
          },
        });
      },
      undefined,
      { declared: ['include', 'resource', 'operation'] },
    ),
  ];
}

/** What POST /projects answers in `scopes` for the creator (project:admin), abridged. */
const PROJECT_ADMIN_SCOPES = [
  'credential:create',
  'credential:delete',
  'credential:list',
  'credential:move',
  'credential:read',
  'credential:update',
  'dataTable:create',
  'dataTable:delete',
  'dataTable:listProject',
  'dataTable:read',
  'dataTable:readRow',
  'dataTable:update',
  'dataTable:writeRow',
  'folder:create',
  'folder:delete',
  'folder:list',
  'folder:move',
  'folder:read',
  'folder:update',
  'project:delete',
  'project:list',
  'project:read',
  'project:update',
  'workflow:create',
  'workflow:delete',
  'workflow:execute',
  'workflow:list',
  'workflow:move',
  'workflow:publish',
  'workflow:read',
  'workflow:unpublish',
  'workflow:update',
];

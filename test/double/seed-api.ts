/**
 * `seedViaApi`: the instance of seed.ts built through the Public API only, with requests a real
 * n8n 2.41 accepts (so the e2e suite can seed a real instance the same way it seeds the double):
 * credentials before workflows, workflows created without `description` and then PUT with their
 * final references (ids only exist once created), tags set afterwards, sub-workflows published
 * before their callers, archiving last. Licensed parts are skipped when the instance refuses them.
 */
import {
  type InstancePlan,
  planInstance,
  publishOrder,
  type Resolver,
  type SeedCounts,
  type SeedOptions,
  seededRow,
} from './seed.js';

export interface ApiSeedResult {
  /** What this call created. */
  created: SeedCounts;
  /** Whether team projects, folders and variables were created (the instance is licensed for them). */
  licensed: boolean;
  ids: {
    workflows: string[];
    credentials: Record<string, string>;
    dataTables: string[];
    tags: Record<string, string>;
    projects: Record<string, string>;
    folders: Record<string, string>;
  };
  /** Parts that could not be created, and why. */
  notes: string[];
}

class SeedRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function seedViaApi(
  baseUrl: string,
  apiKey: string,
  options: SeedOptions,
): Promise<ApiSeedResult> {
  const base = baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        'X-N8N-API-KEY': apiKey,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok)
      throw new SeedRequestError(
        response.status,
        `seedViaApi: ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`,
      );
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const allowed = async (path: string) => {
    try {
      await call('GET', path);
      return true;
    } catch (error) {
      if (error instanceof SeedRequestError && error.status === 403) return false;
      throw error;
    }
  };
  const listAll = async <T>(path: string): Promise<T[]> => {
    const items: T[] = [];
    let cursor: string | null | undefined;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page = await call<{ data: T[]; nextCursor: string | null }>(
        'GET',
        `${path}${separator}limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      items.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };

  const notes: string[] = [];
  const licensed =
    options.licensed ?? ((await allowed('/projects?limit=1')) && (await allowed('/variables?limit=1')));
  const plan: InstancePlan = planInstance({ ...options, licensed });
  const created: SeedCounts = {
    workflows: 0,
    tags: 0,
    variables: 0,
    credentials: 0,
    dataTables: 0,
    dataTableRows: 0,
    projects: 0,
    folders: 0,
    users: 0,
  };

  // Users: invitations (n8n creates them pending); their ids come from GET /users.
  try {
    const invited = await call<unknown[]>(
      'POST',
      '/users',
      plan.users.map((user) => ({ email: user.email, role: 'global:member' })),
    );
    created.users = Array.isArray(invited) ? invited.length : 0;
  } catch (error) {
    notes.push(`users not invited: ${(error as Error).message}`);
  }
  const userIds = new Map<string, string>();
  try {
    for (const user of await listAll<{ id: string; email: string }>('/users'))
      userIds.set(user.email, user.id);
  } catch (error) {
    notes.push(`users not listed: ${(error as Error).message}`);
  }

  const ownerProject = async (): Promise<string | undefined> => {
    if (!licensed) return undefined;
    const projects = await listAll<{ id: string; type: string }>('/projects');
    return projects.find((p) => p.type === 'personal')?.id;
  };
  const personalProjectId = await ownerProject();
  const projectIds: Record<string, string | undefined> = { personal: personalProjectId };
  for (const project of plan.projects) {
    const made = await call<{ id: string }>('POST', '/projects', { name: project.name });
    projectIds[project.key] = made.id;
    created.projects += 1;
    const relations = project.members.flatMap((member) => {
      const userId = userIds.get(member.email);
      return userId ? [{ userId, role: member.role }] : [];
    });
    if (relations.length > 0) await call('POST', `/projects/${made.id}/users`, { relations });
  }
  const inProject = (key: string): { projectId?: string } => {
    const id = projectIds[key];
    return id && key !== 'personal' ? { projectId: id } : {};
  };

  const folderIds: Record<string, string> = {};
  if (
    plan.folders.length > 0 &&
    !(await allowed(`/projects/${projectIds.finance ?? 'personal'}/folders?take=1`))
  ) {
    notes.push('folders skipped: the instance is not licensed for feat:folders');
  } else {
    for (const folder of plan.folders) {
      const projectId = folder.project === 'personal' ? 'personal' : projectIds[folder.project];
      const made = await call<{ id: string }>('POST', `/projects/${projectId}/folders`, {
        name: folder.name,
        ...(folder.parent && folderIds[folder.parent] ? { parentFolderId: folderIds[folder.parent] } : {}),
      });
      folderIds[folder.key] = made.id;
      created.folders += 1;
    }
  }

  const tagIds: Record<string, string> = {};
  for (const name of plan.tags) {
    try {
      tagIds[name] = (await call<{ id: string }>('POST', '/tags', { name })).id;
      created.tags += 1;
    } catch (error) {
      if (!(error instanceof SeedRequestError && error.status === 409)) throw error;
      const existing = (await listAll<{ id: string; name: string }>('/tags')).find((t) => t.name === name);
      if (existing) tagIds[name] = existing.id;
    }
  }

  for (const variable of plan.variables) {
    await call('POST', '/variables', {
      key: variable.key,
      value: variable.value,
      ...(variable.project ? inProject(variable.project) : {}),
    });
    created.variables += 1;
  }

  const credentialIds: Record<string, string> = {};
  const credentialNames: Record<string, string> = {};
  for (const credential of plan.credentials) {
    const made = await call<{ id: string; name: string }>('POST', '/credentials', {
      name: credential.name,
      type: credential.type,
      data: credential.data,
      ...inProject(credential.project),
    });
    credentialIds[credential.key] = made.id;
    credentialNames[credential.key] = made.name;
    created.credentials += 1;
  }

  const tableIds: string[] = [];
  for (const table of plan.tables) {
    const made = await call<{ id: string }>('POST', '/data-tables', {
      name: table.name,
      columns: table.columns,
      ...inProject(table.project),
    });
    tableIds[table.key] = made.id;
    created.dataTables += 1;
    for (let start = 0; start < table.rows; start += 250) {
      const data = [];
      for (let r = start; r < Math.min(table.rows, start + 250); r += 1) data.push(seededRow(table.key, r));
      await call('POST', `/data-tables/${made.id}/rows`, { data, returnType: 'count' });
      created.dataTableRows += data.length;
    }
  }

  const workflowIds: string[] = [];
  const resolver: Resolver = {
    workflow: (index) => workflowIds[index] ?? '',
    workflowName: (index) => plan.workflows[index]?.name ?? '',
    credential: (key) => ({ id: credentialIds[key] ?? '', name: credentialNames[key] ?? '' }),
    dataTable: (key) => tableIds[key] ?? '',
  };
  const writable = (body: ReturnType<InstancePlan['workflows'][number]['build']>) => ({
    nodes: body.nodes,
    connections: body.connections,
    settings: body.settings,
    ...(body.pinData ? { pinData: body.pinData } : {}),
  });
  const firstPass: string[] = [];
  for (const workflow of plan.workflows) {
    const body = writable(workflow.build(resolver));
    firstPass.push(JSON.stringify(body));
    const folderId = workflow.folder ? folderIds[workflow.folder] : undefined;
    const made = await call<{ id: string }>('POST', '/workflows', {
      name: workflow.name,
      ...body,
      ...inProject(workflow.project),
      ...(folderId ? { parentFolderId: folderId } : {}),
    });
    workflowIds[workflow.index] = made.id;
    created.workflows += 1;
  }
  // Second pass: references to workflows created later, and descriptions (POST refuses them).
  for (const workflow of plan.workflows) {
    const body = writable(workflow.build(resolver));
    if (JSON.stringify(body) === firstPass[workflow.index] && !workflow.description) continue;
    await call('PUT', `/workflows/${workflowIds[workflow.index]}`, {
      name: workflow.name,
      ...body,
      ...(workflow.description ? { description: workflow.description } : {}),
    });
  }
  for (const workflow of plan.workflows) {
    const ids = workflow.tags.flatMap((name) => (tagIds[name] ? [{ id: tagIds[name] }] : []));
    if (ids.length > 0) await call('PUT', `/workflows/${workflowIds[workflow.index]}/tags`, ids);
  }
  for (const index of publishOrder(plan)) await call('POST', `/workflows/${workflowIds[index]}/activate`);
  for (const workflow of plan.workflows)
    if (workflow.archived) await call('POST', `/workflows/${workflowIds[workflow.index]}/archive`);

  const projects: Record<string, string> = {};
  for (const [key, id] of Object.entries(projectIds)) if (id) projects[key] = id;
  return {
    created,
    licensed,
    ids: {
      workflows: workflowIds,
      credentials: credentialIds,
      dataTables: tableIds,
      tags: tagIds,
      projects,
      folders: folderIds,
    },
    notes,
  };
}

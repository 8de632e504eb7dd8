/**
 * The restore planner: compares an archive with the target's current state and decides, per
 * object, create / update / skip / conflict, with the reason. It only reads. The applier
 * (restore-apply.ts) carries the plan out; a dry run prints it.
 *
 * Memory: the plan holds one small entry per object (ids, names, decisions), never bodies or rows.
 */
import { createHash } from 'node:crypto';
import { ENTRY, type Manifest, type OpenedArchive } from './archive-format.js';
import {
  digestOf,
  emptyInstanceNames,
  folderPaths,
  type InstanceNames,
  owningProjectId,
  projectKey,
  rowContent,
  stableStringify,
  WorkflowCanonicalizer,
} from './diff.js';
import { FeatureNotLicensedError, MissingScopeError, RestoreError, UsageError } from './errors.js';
import { RESTORE_RESOURCES, type RestoreResource } from './kinds/index.js';
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
} from './n8n-types.js';
import { type Logger, type N8nApi, type Progress, silentLogger, silentProgress } from './ports.js';
import { findWorkflowReferences, isDanglingReference, type WorkflowReference } from './references.js';
import {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  renamedName,
  renamedVariableKey,
} from './restore/conflict-policy.js';

export { RESTORE_RESOURCES, type RestoreResource } from './kinds/index.js';
export {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  renamedName,
  renamedVariableKey,
} from './restore/conflict-policy.js';
export type PlanAction = 'create' | 'update' | 'skip' | 'conflict';

export interface PlanEntry {
  resource: RestoreResource;
  sourceId: string;
  /** How people recognise it: the workflow or tag name, the variable key, "Project / name". */
  name: string;
  action: PlanAction;
  reason: string;
  /** The existing target object this one matched (skip, update, conflict). */
  targetId?: string;
  /** The name a create takes instead of `name` (on-conflict rename). */
  renameTo?: string;
  /** The source project the object belongs to; the applier maps it to a target project. */
  sourceProjectId?: string;
  /** Why an object outside the selection is restored anyway, e.g. `needed by workflow "Orders"`. */
  pulledInBy?: string;
  /** Workflows: the matched target workflow is archived / active (an update must undo that first). */
  targetArchived?: boolean;
  targetActive?: boolean;
  /** Credentials: the id n8n should give it (the source id, unless n8n would refuse it). */
  createWithId?: string;
  /** Credentials matched by id but owned by another project than the mapped one (moved by the transfer step). */
  transferToSourceProject?: boolean;
}

export interface RestoreWarning {
  code: string;
  message: string;
  resource?: RestoreResource | 'dataTableRows';
  workflow?: { id: string; name: string };
  node?: string;
  /** Where in the workflow, for reference warnings, e.g. `nodes["Call"].parameters.workflowId.value`. */
  location?: string;
}

export interface RestorePlan {
  archive: { digest: string; instance: string; sourceUrl: string; startedAt: string };
  target: {
    url: string;
    /** Features the target can be written to; false when unlicensed or the key lacks the scope. */
    projects: boolean;
    folders: boolean;
    variables: boolean;
    dataTables: boolean;
    tags: boolean;
  };
  onConflict: ConflictPolicy;
  /** Workflows are created under their archive ids (n8n package import), not given new ones. */
  keepWorkflowIds?: boolean;
  /** In dependency order (RESTORE_RESOURCES), then in archive order. */
  entries: PlanEntry[];
  /** Things a person should know before applying (unlicensed target, selection pulled objects in). */
  notes: string[];
  warnings: RestoreWarning[];
}

export interface PlanOptions {
  onConflict?: ConflictPolicy;
  /** Source project name → target project name (--project-map "Source A=Target B"). */
  projectMap?: ReadonlyMap<string, string>;
  /** Restore only these resources; references to others resolve to what the target already has. */
  only?: readonly RestoreResource[];
  /** Only objects of this source project (by name), plus what they need. */
  project?: string;
  /** Only workflows carrying this tag (by name), plus what they need. */
  tag?: string;
  /** Only workflows whose name matches this glob (`*`, `?`), plus what they need. */
  workflow?: string;
  /**
   * Create workflows under their archive ids through POST /n8n-packages/import (n8n 2.24+), so
   * links, webhook callers and logs that name a workflow id keep working after a disaster recovery.
   */
  keepWorkflowIds?: boolean;
  logger?: Logger;
  progress?: Progress;
}

/** Identifies an archive's content: the manifest carries every entry's digest. */
export function manifestDigest(manifest: Manifest): string {
  return createHash('sha256').update(stableStringify(manifest)).digest('hex');
}

/** n8n honours a chosen credential id only in this shape (POST /credentials `id`). */
const CHOOSABLE_CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,16}$/;

export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

// ---------------------------------------------------------------------------------------------

/** A source workflow reduced to what planning needs. */
interface WorkflowSummary {
  id: string;
  name: string;
  projectId: string | undefined;
  folderId: string | null | undefined;
  tagIds: string[];
  tagNames: string[];
  references: WorkflowReference[];
}

interface SourceState {
  users: User[];
  projects: (Project & { members?: ProjectMember[] })[];
  folders: Folder[];
  tags: Tag[];
  variables: Variable[];
  credentials: CredentialMeta[];
  dataTables: DataTable[];
  workflows: WorkflowSummary[];
  skipped: Map<string, string>;
}

interface TargetObject {
  id: string;
  name: string;
  projectId: string | undefined;
  extra?: { archived?: boolean; active?: boolean; type?: string; value?: string; columns?: string };
}

interface TargetState {
  usersByEmail: Map<string, User>;
  projects: Project[] | undefined;
  personalByEmail: Map<string, Project>;
  folders: Map<string, Folder[]> | undefined;
  tags: Tag[] | undefined;
  variables: Variable[] | undefined;
  credentials: Map<string, CredentialMeta>;
  dataTables: DataTable[] | undefined;
  workflows: TargetObject[];
  unavailable: Map<string, string>;
}

/** Where an object lands: an existing target project, one the restore creates, or the key owner's personal project. */
type ProjectScope = { kind: 'existing'; id: string } | { kind: 'new'; name: string } | { kind: 'personal' };

export async function planRestore(
  archive: OpenedArchive,
  api: N8nApi,
  options: PlanOptions = {},
): Promise<RestorePlan> {
  const logger = options.logger ?? silentLogger;
  const progress = options.progress ?? silentProgress;
  const onConflict = options.onConflict ?? 'skip';
  if (!CONFLICT_POLICIES.includes(onConflict)) {
    throw new UsageError(`--on-conflict must be one of ${CONFLICT_POLICIES.join(', ')}, not ${onConflict}`);
  }
  for (const resource of options.only ?? []) {
    if (!RESTORE_RESOURCES.includes(resource)) {
      throw new UsageError(`--only: unknown resource ${resource}; use ${RESTORE_RESOURCES.join(', ')}`);
    }
  }

  if (options.keepWorkflowIds && !(await api.supportsWorkflowImport())) {
    throw new RestoreError(
      `${api.baseUrl} does not answer POST /api/v1/n8n-packages/import (n8n 2.24 or later has it), the only route that creates workflows under chosen ids; nothing was written. Upgrade the target, or restore without --keep-workflow-ids (workflows get new ids and every reference to them is rewritten).`,
    );
  }
  progress.start('plan: reading the archive');
  const source = await readSource(archive);
  progress.start('plan: reading the target');
  const target = await readTarget(api);
  progress.done('plan', 'target read');

  const planner = new Planner(archive, api, options, onConflict, source, target);
  const plan = await planner.plan();
  logger.info('restore planned', {
    target: api.baseUrl,
    entries: plan.entries.length,
    notes: plan.notes.length,
    warnings: plan.warnings.length,
  });
  return plan;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function readSource(archive: OpenedArchive): Promise<SourceState> {
  const entry = <T>(resource: string, name: string) =>
    archive.entriesOf(resource).length > 0 ? collect(archive.records<T>(name)) : Promise.resolve([] as T[]);
  const workflows: WorkflowSummary[] = [];
  if (archive.entriesOf('workflows').length > 0) {
    for await (const workflow of archive.records<Workflow>(ENTRY.workflows)) {
      workflows.push({
        id: workflow.id,
        name: workflow.name,
        projectId: owningProjectId(workflow),
        folderId: workflow.parentFolderId,
        tagIds: (workflow.tags ?? []).map((t) => t.id),
        tagNames: (workflow.tags ?? []).map((t) => t.name),
        references: findWorkflowReferences(workflow),
      });
    }
  }
  return {
    users: await entry<User>('users', ENTRY.users),
    projects: await entry<Project & { members?: ProjectMember[] }>('projects', ENTRY.projects),
    folders: await entry<Folder>('folders', ENTRY.folders),
    tags: await entry<Tag>('tags', ENTRY.tags),
    variables: await entry<Variable>('variables', ENTRY.variables),
    credentials: await entry<CredentialMeta>('credentials', ENTRY.credentials),
    dataTables: await entry<DataTable>('dataTables', ENTRY.dataTables),
    workflows,
    skipped: new Map(archive.manifest.skipped.map((s) => [s.resource, s.reason])),
  };
}

/** Lists one target resource; an unlicensed feature or a missing scope gives undefined and a reason. */
async function readOptional<T>(
  resource: string,
  list: () => AsyncIterable<T>,
  unavailable: Map<string, string>,
): Promise<T[] | undefined> {
  try {
    return await collect(list());
  } catch (error) {
    if (error instanceof FeatureNotLicensedError) {
      unavailable.set(resource, `the target is not licensed for ${error.feature}`);
      return undefined;
    }
    if (error instanceof MissingScopeError) {
      unavailable.set(resource, `the API key lacks the ${error.scope ?? 'required'} scope`);
      return undefined;
    }
    throw error;
  }
}

async function readTarget(api: N8nApi): Promise<TargetState> {
  const unavailable = new Map<string, string>();
  const users = (await readOptional('users', () => api.listUsers(), unavailable)) ?? [];
  const projects = await readOptional('projects', () => api.listProjects(), unavailable);
  const personalByEmail = new Map<string, Project>();
  let folders: Map<string, Folder[]> | undefined;
  if (projects) {
    folders = new Map();
    for (const project of projects) {
      if (project.type === 'personal') {
        const members =
          (await readOptional('projectMembers', () => api.listProjectMembers(project.id), unavailable)) ?? [];
        const owner = members.find((m) => m.role === 'project:personalOwner') ?? members[0];
        if (owner) personalByEmail.set(owner.email.toLowerCase(), project);
      }
      if (folders) {
        const inProject = await readOptional('folders', () => api.listFolders(project.id), unavailable);
        if (inProject)
          folders.set(
            project.id,
            inProject.map((f) => ({ ...f, projectId: f.projectId ?? project.id })),
          );
        else folders = undefined;
      }
    }
  } else {
    unavailable.set('folders', unavailable.get('projects') ?? 'projects are unavailable');
  }
  const tags = await readOptional('tags', () => api.listTags(), unavailable);
  const variables = await readOptional('variables', () => api.listVariables(), unavailable);
  const credentials = new Map(
    ((await readOptional('credentials', () => api.listCredentials(), unavailable)) ?? []).map((c) => [
      c.id,
      c,
    ]),
  );
  const dataTables = await readOptional('dataTables', () => api.listDataTables(), unavailable);
  const workflows: TargetObject[] = [];
  for await (const workflow of api.listWorkflows({ excludePinnedData: true })) {
    workflows.push({
      id: workflow.id,
      name: workflow.name,
      projectId: owningProjectId(workflow),
      extra: { archived: workflow.isArchived === true, active: workflow.active === true },
    });
  }
  return {
    usersByEmail: new Map(users.map((u) => [u.email.toLowerCase(), u])),
    projects,
    personalByEmail,
    folders,
    tags,
    variables,
    credentials,
    dataTables,
    workflows,
    unavailable,
  };
}

class Planner {
  private readonly entries: PlanEntry[] = [];
  private readonly notes: string[] = [];
  private readonly warnings: RestoreWarning[] = [];
  /** source project id → where its objects land */
  private readonly scopes = new Map<string, ProjectScope>();
  /** Why a selected-by-dependency object is in: resource:id → "needed by …" */
  private readonly pulledIn = new Map<string, string>();
  private selection:
    | {
        workflows: Set<string>;
        credentials: Set<string>;
        dataTables: Set<string>;
        tags: Set<string>;
        folders: Set<string>;
        projects: Set<string>;
        variables: Set<string>;
      }
    | undefined;
  private readonly personalProjectIds: Set<string>;

  constructor(
    private readonly archive: OpenedArchive,
    private readonly api: N8nApi,
    private readonly options: PlanOptions,
    private readonly onConflict: ConflictPolicy,
    private readonly source: SourceState,
    private readonly target: TargetState,
  ) {
    this.personalProjectIds = new Set(
      (target.projects ?? []).filter((p) => p.type === 'personal').map((p) => p.id),
    );
  }

  async plan(): Promise<RestorePlan> {
    this.noteArchiveSkips();
    this.select();
    this.planProjects();
    this.planFolders();
    this.planTags();
    this.planVariables();
    this.planCredentials();
    await this.planDataTables();
    await this.planWorkflows();
    this.checkReferences();
    const order = new Map(RESTORE_RESOURCES.map((r, i) => [r, i]));
    this.entries.sort((a, b) => (order.get(a.resource) ?? 0) - (order.get(b.resource) ?? 0));
    const manifest = this.archive.manifest;
    return {
      archive: {
        digest: manifestDigest(manifest),
        instance: manifest.source.instance,
        sourceUrl: manifest.source.url,
        startedAt: manifest.startedAt,
      },
      target: {
        url: this.api.baseUrl,
        projects: this.target.projects !== undefined,
        folders: this.target.folders !== undefined,
        variables: this.target.variables !== undefined,
        dataTables: this.target.dataTables !== undefined,
        tags: this.target.tags !== undefined,
      },
      onConflict: this.onConflict,
      ...(this.options.keepWorkflowIds ? { keepWorkflowIds: true } : {}),
      entries: this.entries,
      notes: this.notes,
      warnings: this.warnings,
    };
  }

  private noteArchiveSkips(): void {
    for (const [resource, reason] of this.source.skipped) {
      this.notes.push(`The archive has no ${resource}: the backup skipped them (${reason}).`);
    }
  }

  // --- selection ---------------------------------------------------------------------------

  private isResourceSelected(resource: RestoreResource): boolean {
    return !this.options.only || this.options.only.includes(resource);
  }

  private isSelected(resource: RestoreResource, id: string): boolean {
    if (!this.isResourceSelected(resource)) return false;
    if (!this.selection) return true;
    const set = {
      projects: this.selection.projects,
      folders: this.selection.folders,
      tags: this.selection.tags,
      variables: this.selection.variables,
      credentials: this.selection.credentials,
      dataTables: this.selection.dataTables,
      workflows: this.selection.workflows,
    }[resource];
    return set.has(id);
  }

  /** Applies --project / --tag / --workflow and pulls in what the chosen workflows need. */
  private select(): void {
    const { project, tag, workflow } = this.options;
    if (project === undefined && tag === undefined && workflow === undefined) return;
    const source = this.source;
    const sourceProject = project === undefined ? undefined : source.projects.find((p) => p.name === project);
    if (project !== undefined && !sourceProject) {
      throw new UsageError(
        `--project ${JSON.stringify(project)}: the archive has no such project (it has ${
          source.projects.map((p) => JSON.stringify(p.name)).join(', ') || 'none'
        })`,
      );
    }
    const pattern = workflow === undefined ? undefined : globToRegExp(workflow);
    const chosen = source.workflows.filter(
      (w) =>
        (!sourceProject || w.projectId === sourceProject.id) &&
        (tag === undefined || w.tagNames.includes(tag)) &&
        (!pattern || pattern.test(w.name)),
    );
    const selection = {
      workflows: new Set(chosen.map((w) => w.id)),
      credentials: new Set<string>(),
      dataTables: new Set<string>(),
      tags: new Set<string>(),
      folders: new Set<string>(),
      projects: new Set<string>(),
      variables: new Set<string>(),
    };
    if (sourceProject) {
      selection.projects.add(sourceProject.id);
      for (const c of source.credentials)
        if (owningProjectId(c) === sourceProject.id) selection.credentials.add(c.id);
      for (const t of source.dataTables) if (t.projectId === sourceProject.id) selection.dataTables.add(t.id);
      for (const v of source.variables) if (v.project?.id === sourceProject.id) selection.variables.add(v.id);
      for (const f of source.folders) if (f.projectId === sourceProject.id) selection.folders.add(f.id);
    }

    // Sub-workflows and error workflows are needed to run; callers (callerIds) are not.
    const byId = new Map(source.workflows.map((w) => [w.id, w]));
    const queue = [...chosen];
    while (queue.length > 0) {
      const current = queue.pop()!;
      for (const reference of current.references) {
        if (reference.kind !== 'workflow' && reference.kind !== 'errorWorkflow') continue;
        const dependency = byId.get(reference.id);
        if (dependency && !selection.workflows.has(dependency.id)) {
          selection.workflows.add(dependency.id);
          this.pulledIn.set(`workflows:${dependency.id}`, `needed by workflow "${current.name}"`);
          queue.push(dependency);
        }
      }
    }
    const foldersById = new Map(source.folders.map((f) => [f.id, f]));
    const pull = (set: Set<string>, resource: RestoreResource, id: string, by: string) => {
      if (set.has(id)) return;
      set.add(id);
      this.pulledIn.set(`${resource}:${id}`, by);
    };
    for (const id of selection.workflows) {
      const w = byId.get(id);
      if (!w) continue;
      const by = `needed by workflow "${w.name}"`;
      for (const reference of w.references) {
        if (reference.kind === 'credential') pull(selection.credentials, 'credentials', reference.id, by);
        if (reference.kind === 'dataTable') pull(selection.dataTables, 'dataTables', reference.id, by);
      }
      for (const tagId of w.tagIds) pull(selection.tags, 'tags', tagId, by);
      for (let folderId = w.folderId, depth = 0; folderId && depth < 64; depth += 1) {
        pull(selection.folders, 'folders', folderId, by);
        folderId = foldersById.get(folderId)?.parentFolderId ?? null;
      }
      if (w.projectId) pull(selection.projects, 'projects', w.projectId, by);
    }
    for (const id of selection.credentials) {
      const c = source.credentials.find((x) => x.id === id);
      const projectId = c && owningProjectId(c);
      if (projectId) pull(selection.projects, 'projects', projectId, `owns credential "${c.name}"`);
    }
    for (const id of selection.dataTables) {
      const t = source.dataTables.find((x) => x.id === id);
      if (t?.projectId) pull(selection.projects, 'projects', t.projectId, `owns data table "${t.name}"`);
    }
    for (const id of selection.folders) {
      const f = foldersById.get(id);
      if (f) pull(selection.projects, 'projects', f.projectId, `owns folder "${f.name}"`);
    }
    this.selection = selection;
    const described = [
      project !== undefined ? `project ${JSON.stringify(project)}` : '',
      tag !== undefined ? `tag ${JSON.stringify(tag)}` : '',
      workflow !== undefined ? `workflows matching ${JSON.stringify(workflow)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    this.notes.push(
      `Selection (${described}): ${chosen.length} workflow(s) chosen, ${this.pulledIn.size} object(s) pulled in because the selection needs them.`,
    );
    if (!sourceProject && source.variables.length > 0) {
      this.notes.push(
        'Variables are not restored with a --tag or --workflow selection: n8n cannot tell which workflow uses which.',
      );
    }
  }

  private pulledInBy(resource: RestoreResource, id: string): { pulledInBy?: string } {
    const by = this.pulledIn.get(`${resource}:${id}`);
    return by ? { pulledInBy: by } : {};
  }

  // --- projects ----------------------------------------------------------------------------

  private planProjects(): void {
    const map = this.options.projectMap ?? new Map<string, string>();
    const sourceNames = new Set(this.source.projects.map((p) => p.name));
    for (const name of map.keys()) {
      if (!sourceNames.has(name)) {
        throw new UsageError(
          `--project-map ${JSON.stringify(name)}: the archive has no project of that name (it has ${
            [...sourceNames].map((n) => JSON.stringify(n)).join(', ') || 'none'
          })`,
        );
      }
    }
    if (!this.target.projects) {
      if (this.source.projects.some((p) => p.type === 'team') || this.source.projects.length > 1) {
        this.notes.push(
          `The target cannot take projects (${this.target.unavailable.get('projects')}): everything lands in the API key owner's personal project.`,
        );
      }
      for (const project of this.source.projects) {
        this.scopes.set(project.id, { kind: 'personal' });
        if (!this.isSelected('projects', project.id)) continue;
        this.entries.push({
          resource: 'projects',
          sourceId: project.id,
          name: project.name,
          action: 'skip',
          reason: `target not licensed for projects: its contents land in the API key owner's personal project`,
          ...this.pulledInBy('projects', project.id),
        });
      }
      return;
    }
    const teamByName = new Map<string, Project>();
    for (const p of this.target.projects)
      if (p.type === 'team' && !teamByName.has(p.name)) teamByName.set(p.name, p);
    const anyByName = new Map(this.target.projects.map((p) => [p.name, p]));

    for (const project of this.source.projects) {
      const selected = this.isSelected('projects', project.id);
      const mapped = map.get(project.name);
      const base = {
        resource: 'projects' as const,
        sourceId: project.id,
        name: project.name,
        ...this.pulledInBy('projects', project.id),
      };
      if (mapped !== undefined) {
        const existing = anyByName.get(mapped);
        if (existing) {
          this.scopes.set(project.id, { kind: 'existing', id: existing.id });
          if (selected)
            this.entries.push({
              ...base,
              action: 'skip',
              targetId: existing.id,
              reason: `mapped to existing project "${mapped}" (--project-map)`,
            });
        } else {
          this.scopes.set(project.id, selected ? { kind: 'new', name: mapped } : { kind: 'personal' });
          if (selected)
            this.entries.push({
              ...base,
              action: 'create',
              renameTo: mapped,
              reason: `mapped to "${mapped}" (--project-map), which the target lacks`,
            });
        }
        continue;
      }
      if (project.type === 'personal') {
        const owner =
          project.members?.find((m) => m.role === 'project:personalOwner') ?? project.members?.[0];
        const targetPersonal = owner ? this.target.personalByEmail.get(owner.email.toLowerCase()) : undefined;
        if (targetPersonal) {
          this.scopes.set(project.id, { kind: 'existing', id: targetPersonal.id });
          if (selected)
            this.entries.push({
              ...base,
              action: 'skip',
              targetId: targetPersonal.id,
              reason: `personal project of ${owner?.email}, mapped to that user's personal project in the target`,
            });
        } else {
          this.scopes.set(project.id, { kind: 'personal' });
          if (selected) {
            this.entries.push({
              ...base,
              action: 'skip',
              reason: owner
                ? `personal project of ${owner.email}, who has no account in the target: its contents land in the API key owner's personal project`
                : `personal project without a known owner: its contents land in the API key owner's personal project`,
            });
          }
        }
        continue;
      }
      const existing = teamByName.get(project.name);
      if (existing) {
        this.scopes.set(project.id, { kind: 'existing', id: existing.id });
        if (selected)
          this.entries.push({
            ...base,
            action: 'skip',
            targetId: existing.id,
            reason: 'a team project of that name exists; objects go into it',
          });
      } else if (selected) {
        this.scopes.set(project.id, { kind: 'new', name: project.name });
        this.entries.push({ ...base, action: 'create', reason: 'not in the target' });
      } else {
        this.scopes.set(project.id, { kind: 'personal' });
      }
    }
    for (const project of this.source.projects) {
      if (!this.isSelected('projects', project.id) || project.type !== 'team') continue;
      const missing = (project.members ?? []).filter(
        (m) => m.role !== 'project:personalOwner' && !this.target.usersByEmail.has(m.email.toLowerCase()),
      );
      for (const member of missing) {
        this.warnings.push({
          code: 'member-without-account',
          resource: 'projects',
          message: `project "${project.name}": member ${member.email} (${member.role}) has no account in the target; invite them, then run the restore again to add them`,
        });
      }
    }
  }

  private scopeOf(sourceProjectId: string | undefined): ProjectScope {
    if (!sourceProjectId) return { kind: 'personal' };
    return this.scopes.get(sourceProjectId) ?? { kind: 'personal' };
  }

  /** Does a target object's project fit where a source object lands? */
  private inScope(scope: ProjectScope, targetProjectId: string | undefined): boolean {
    switch (scope.kind) {
      case 'existing':
        return targetProjectId === scope.id;
      case 'new':
        return false;
      case 'personal':
        // The key owner's personal project id is not known through the API: any personal project
        // (or anything, when the target has no projects) is taken to be it.
        return (
          !this.target.projects ||
          targetProjectId === undefined ||
          this.personalProjectIds.has(targetProjectId)
        );
    }
  }

  // --- folders -----------------------------------------------------------------------------

  private planFolders(): void {
    const folders = this.source.folders.filter((f) => this.isSelected('folders', f.id));
    if (folders.length === 0) return;
    if (!this.target.folders) {
      this.notes.push(
        `The target cannot take folders (${this.target.unavailable.get('folders')}): workflows land at their project's top level.`,
      );
      for (const folder of folders) {
        this.entries.push({
          resource: 'folders',
          sourceId: folder.id,
          name: folder.name,
          action: 'skip',
          reason: 'target cannot take folders',
          sourceProjectId: folder.projectId,
        });
      }
      return;
    }
    const sourcePaths = folderPaths(this.source.folders);
    const targetPaths = new Map<string, Map<string, string>>();
    for (const [projectId, list] of this.target.folders) {
      const paths = folderPaths(list);
      targetPaths.set(projectId, new Map([...paths].map(([id, path]) => [path, id])));
    }
    // Parents before children, so the applier can create them in this order.
    const ordered = [...folders].sort(
      (a, b) =>
        (sourcePaths.get(a.id) ?? '').split('/').length - (sourcePaths.get(b.id) ?? '').split('/').length,
    );
    for (const folder of ordered) {
      const path = sourcePaths.get(folder.id) ?? folder.name;
      const scope = this.scopeOf(folder.projectId);
      const base = {
        resource: 'folders' as const,
        sourceId: folder.id,
        name: path,
        sourceProjectId: folder.projectId,
        ...this.pulledInBy('folders', folder.id),
      };
      if (scope.kind === 'personal') {
        this.entries.push({
          ...base,
          action: 'skip',
          reason:
            "its project lands in the API key owner's personal project, whose folders the API cannot address",
        });
        continue;
      }
      const existing = scope.kind === 'existing' ? targetPaths.get(scope.id)?.get(path) : undefined;
      if (existing)
        this.entries.push({
          ...base,
          action: 'skip',
          targetId: existing,
          reason: 'a folder at that path exists',
        });
      else this.entries.push({ ...base, action: 'create', reason: 'not in the target' });
    }
  }

  // --- tags --------------------------------------------------------------------------------

  private planTags(): void {
    const tags = this.source.tags.filter((t) => this.isSelected('tags', t.id) || this.isMatchable('tags'));
    if (tags.length === 0) return;
    if (!this.target.tags) {
      this.notes.push(`The target cannot take tags (${this.target.unavailable.get('tags')}).`);
      return;
    }
    const byName = new Map(this.target.tags.map((t) => [t.name, t]));
    for (const tag of tags) {
      const existing = byName.get(tag.name);
      const selected = this.isSelected('tags', tag.id);
      const base = {
        resource: 'tags' as const,
        sourceId: tag.id,
        name: tag.name,
        ...this.pulledInBy('tags', tag.id),
      };
      if (existing)
        this.entries.push({
          ...base,
          action: 'skip',
          targetId: existing.id,
          reason: selected ? 'a tag of that name exists' : 'not selected; matched by name',
        });
      else if (selected) this.entries.push({ ...base, action: 'create', reason: 'not in the target' });
    }
  }

  /** Objects outside --only are still matched to the target so references to them resolve. */
  private isMatchable(resource: RestoreResource): boolean {
    return !this.isResourceSelected(resource);
  }

  // --- variables ---------------------------------------------------------------------------

  private planVariables(): void {
    const variables = this.source.variables.filter((v) => this.isSelected('variables', v.id));
    if (variables.length === 0) return;
    if (!this.target.variables) {
      this.notes.push(
        `The target cannot take variables (${this.target.unavailable.get('variables')}): ${variables.length} variable(s) not restored.`,
      );
      for (const v of variables)
        this.entries.push({
          resource: 'variables',
          sourceId: v.id,
          name: v.key,
          action: 'skip',
          reason: 'target cannot take variables',
        });
      return;
    }
    const targetVariables = this.target.variables;
    const takenKeys = new Set(targetVariables.map((v) => v.key));
    for (const variable of variables) {
      const sourceProjectId = variable.project?.id ?? undefined;
      const scope = sourceProjectId ? this.scopeOf(sourceProjectId) : undefined;
      const base = {
        resource: 'variables' as const,
        sourceId: variable.id,
        name: variable.key,
        ...(sourceProjectId ? { sourceProjectId } : {}),
        ...this.pulledInBy('variables', variable.id),
      };
      if (scope?.kind === 'personal') {
        this.warnings.push({
          code: 'variable-scope-lost',
          resource: 'variables',
          message: `variable ${variable.key} belonged to project "${variable.project?.name}", which has no counterpart in the target; it is restored as a global variable`,
        });
      }
      const existing = targetVariables.find(
        (v) =>
          v.key === variable.key &&
          (scope === undefined || scope.kind === 'personal'
            ? !v.project
            : scope.kind === 'existing' && v.project?.id === scope.id),
      );
      if (!existing) {
        this.entries.push({ ...base, action: 'create', reason: 'not in the target' });
        continue;
      }
      if (existing.value === variable.value) {
        this.entries.push({
          ...base,
          action: 'skip',
          targetId: existing.id,
          reason: 'identical variable exists',
        });
        continue;
      }
      this.conflicting(
        base,
        existing.id,
        'a variable with that key has another value',
        () => renamedVariableKey(variable.key, (k) => takenKeys.has(k)),
        (name) => takenKeys.add(name),
      );
    }
  }

  /** The on-conflict decision for an object whose match differs. */
  private conflicting(
    base: Omit<PlanEntry, 'action' | 'reason'>,
    targetId: string,
    why: string,
    rename: () => string,
    claim: (name: string) => void,
    extra: Partial<PlanEntry> = {},
  ): void {
    switch (this.onConflict) {
      case 'skip':
        this.entries.push({
          ...base,
          ...extra,
          action: 'skip',
          targetId,
          reason: `${why}; kept the target's (--on-conflict skip)`,
        });
        return;
      case 'overwrite':
        this.entries.push({
          ...base,
          ...extra,
          action: 'update',
          targetId,
          reason: `${why}; replaced by the archive's (--on-conflict overwrite)`,
        });
        return;
      case 'rename': {
        const renameTo = rename();
        claim(renameTo);
        this.entries.push({
          ...base,
          action: 'create',
          renameTo,
          reason: `${why}; created as "${renameTo}" (--on-conflict rename)`,
        });
      }
    }
  }

  // --- credentials -------------------------------------------------------------------------

  private planCredentials(): void {
    const credentials = this.source.credentials.filter(
      (c) => this.isSelected('credentials', c.id) || this.isMatchable('credentials'),
    );
    const takenNames = new Set([...this.target.credentials.values()].map((c) => c.name));
    for (const credential of credentials) {
      const selected = this.isSelected('credentials', credential.id);
      const sourceProjectId = owningProjectId(credential);
      const base = {
        resource: 'credentials' as const,
        sourceId: credential.id,
        name: `${credential.name} (${credential.type})`,
        ...(sourceProjectId ? { sourceProjectId } : {}),
        ...this.pulledInBy('credentials', credential.id),
      };
      const existing = this.target.credentials.get(credential.id);
      if (existing && existing.type === credential.type) {
        const scope = this.scopeOf(sourceProjectId);
        const elsewhere =
          scope.kind === 'existing' &&
          owningProjectId(existing) !== undefined &&
          owningProjectId(existing) !== scope.id;
        const transfer = elsewhere && selected && this.onConflict === 'overwrite';
        this.entries.push({
          ...base,
          action: 'skip',
          targetId: existing.id,
          reason: selected
            ? `a credential with this id exists; credentials are never overwritten (their secret would be lost)${transfer ? '; moved to its project (--on-conflict overwrite)' : ''}`
            : 'not selected; matched by id',
          ...(transfer ? { transferToSourceProject: true } : {}),
        });
        continue;
      }
      if (!selected) continue;
      if (existing) {
        const why = `a credential with this id exists with another type (${existing.type})`;
        if (this.onConflict === 'rename') {
          const renameTo = renamedName(credential.name, (n) => takenNames.has(n));
          takenNames.add(renameTo);
          this.entries.push({
            ...base,
            action: 'create',
            renameTo,
            reason: `${why}; created as "${renameTo}" with a new id (--on-conflict rename)`,
          });
        } else {
          this.entries.push({
            ...base,
            action: 'conflict',
            targetId: existing.id,
            reason: `${why}; it cannot be reused or overwritten (use --on-conflict rename)`,
          });
        }
        continue;
      }
      const choosable = CHOOSABLE_CREDENTIAL_ID.test(credential.id);
      this.entries.push({
        ...base,
        action: 'create',
        reason: choosable
          ? 'not in the target; created as a stub with the same id'
          : 'not in the target; n8n cannot take its id, so references are rewritten to the new one',
        ...(choosable ? { createWithId: credential.id } : {}),
      });
    }
  }

  // --- data tables -------------------------------------------------------------------------

  private async planDataTables(): Promise<void> {
    const tables = this.source.dataTables.filter(
      (t) => this.isSelected('dataTables', t.id) || this.isMatchable('dataTables'),
    );
    if (tables.length === 0) return;
    if (!this.target.dataTables) {
      this.notes.push(`The target cannot take data tables (${this.target.unavailable.get('dataTables')}).`);
      for (const t of tables) {
        if (this.isSelected('dataTables', t.id))
          this.entries.push({
            resource: 'dataTables',
            sourceId: t.id,
            name: t.name,
            action: 'skip',
            reason: 'target cannot take data tables',
          });
      }
      return;
    }
    const claimed = new Set<string>();
    const takenNames = new Set(this.target.dataTables.map((t) => t.name));
    for (const table of tables) {
      const selected = this.isSelected('dataTables', table.id);
      const scope = this.scopeOf(table.projectId);
      const base = {
        resource: 'dataTables' as const,
        sourceId: table.id,
        name: table.name,
        ...(table.projectId ? { sourceProjectId: table.projectId } : {}),
        ...this.pulledInBy('dataTables', table.id),
      };
      const existing = this.target.dataTables.find(
        (t) => t.name === table.name && !claimed.has(t.id) && this.inScope(scope, t.projectId),
      );
      if (!existing) {
        if (selected) this.entries.push({ ...base, action: 'create', reason: 'not in the target' });
        continue;
      }
      claimed.add(existing.id);
      if (!selected) {
        this.entries.push({
          ...base,
          action: 'skip',
          targetId: existing.id,
          reason: 'not selected; matched by name',
        });
        continue;
      }
      const sameColumns = columnsOf(existing) === columnsOf(table);
      if (this.onConflict === 'skip') {
        this.entries.push({
          ...base,
          action: 'skip',
          targetId: existing.id,
          reason: "a data table of that name exists; kept the target's (--on-conflict skip)",
        });
      } else if (this.onConflict === 'rename') {
        const renameTo = renamedName(table.name, (n) => takenNames.has(n));
        takenNames.add(renameTo);
        this.entries.push({
          ...base,
          action: 'create',
          renameTo,
          reason: `a data table of that name exists; created as "${renameTo}" (--on-conflict rename)`,
        });
      } else if (!sameColumns) {
        this.entries.push({
          ...base,
          action: 'conflict',
          targetId: existing.id,
          reason: `a data table of that name exists with other columns (${columnsOf(existing)} vs ${columnsOf(table)}); overwrite replaces rows only (use --on-conflict rename)`,
        });
      } else if (await this.sameRows(table.id, existing.id)) {
        this.entries.push({
          ...base,
          action: 'skip',
          targetId: existing.id,
          reason: 'identical data table exists',
        });
      } else {
        this.entries.push({
          ...base,
          action: 'update',
          targetId: existing.id,
          reason: "its rows differ; replaced by the archive's (--on-conflict overwrite)",
        });
      }
    }
  }

  private async sameRows(sourceTableId: string, targetTableId: string): Promise<boolean> {
    const digest = async (rows: AsyncIterable<DataTableRow>) => {
      const hash = createHash('sha256');
      for await (const row of rows) hash.update(`${stableStringify(rowContent(row))}\n`);
      return hash.digest('hex');
    };
    const chunks = this.archive.entriesOf('dataTableRows').filter((e) => e.dataTableId === sourceTableId);
    const archive = this.archive;
    const sourceRows = async function* () {
      for (const chunk of [...chunks].sort((a, b) => a.name.localeCompare(b.name)))
        yield* archive.records<DataTableRow>(chunk.name);
    };
    return (await digest(sourceRows())) === (await digest(this.api.listDataTableRows(targetTableId)));
  }

  // --- workflows ---------------------------------------------------------------------------

  private async planWorkflows(): Promise<void> {
    const workflows = this.source.workflows.filter(
      (w) => this.isSelected('workflows', w.id) || this.isMatchable('workflows'),
    );
    const claimed = new Set<string>();
    const takenNames = new Set(this.target.workflows.map((w) => w.name));
    const targetsByName = new Map<string, TargetObject[]>();
    for (const t of this.target.workflows)
      targetsByName.set(t.name, [...(targetsByName.get(t.name) ?? []), t]);
    /** source id → target id, for overwrite's identical check */
    const compare = new Map<string, string>();
    const keepIds = this.options.keepWorkflowIds === true;
    const targetsById = new Map(keepIds ? this.target.workflows.map((t) => [t.id, t]) : []);
    /** Target workflows that carry an archive workflow's id belong to that workflow, not to a namesake. */
    const reserved = new Set(workflows.filter((w) => targetsById.has(w.id)).map((w) => w.id));
    for (const workflow of workflows) {
      const selected = this.isSelected('workflows', workflow.id);
      const scope = this.scopeOf(workflow.projectId);
      const base = {
        resource: 'workflows' as const,
        sourceId: workflow.id,
        name: workflow.name,
        ...(workflow.projectId ? { sourceProjectId: workflow.projectId } : {}),
        ...this.pulledInBy('workflows', workflow.id),
      };
      // Keeping ids, a target workflow with the archive's id is this workflow, whatever its name or project now.
      const sameId = targetsById.get(workflow.id);
      const existing =
        sameId && !claimed.has(sameId.id)
          ? sameId
          : targetsByName
              .get(workflow.name)
              ?.find((t) => !claimed.has(t.id) && !reserved.has(t.id) && this.inScope(scope, t.projectId));
      if (!existing) {
        if (selected) this.entries.push({ ...base, action: 'create', reason: 'not in the target' });
        continue;
      }
      claimed.add(existing.id);
      const state = {
        targetArchived: existing.extra?.archived === true,
        targetActive: existing.extra?.active === true,
      };
      if (!selected) {
        this.entries.push({
          ...base,
          action: 'skip',
          targetId: existing.id,
          reason: 'not selected; matched by name',
        });
        continue;
      }
      if (this.onConflict === 'rename' && existing === sameId) {
        this.entries.push({
          ...base,
          action: 'conflict',
          targetId: existing.id,
          reason: `its id ${workflow.id} is taken in the target (by "${existing.name}"), and a renamed copy could not keep it; use --on-conflict skip or overwrite`,
        });
        continue;
      }
      if (this.onConflict === 'overwrite') compare.set(workflow.id, existing.id);
      this.conflicting(
        base,
        existing.id,
        existing === sameId
          ? `the target has this workflow already (same id${existing.name === workflow.name ? '' : `, named "${existing.name}" there`})`
          : 'a workflow of that name exists in its project',
        () => renamedName(workflow.name, (n) => takenNames.has(n)),
        (n) => takenNames.add(n),
        state,
      );
    }
    if (compare.size > 0) await this.skipIdenticalWorkflows(compare);
  }

  /** Under overwrite, a workflow identical to its match (compared by names, not ids) is skipped, not rewritten. */
  private async skipIdenticalWorkflows(compare: Map<string, string>): Promise<void> {
    const sourceNames = await this.sourceNamesAsTarget();
    const targetNames = await this.targetNames();
    const sourceCanonical = new WorkflowCanonicalizer(sourceNames);
    const targetCanonical = new WorkflowCanonicalizer(targetNames);
    const tagsById = new Map(this.source.tags.map((t) => [t.id, t.name]));
    const sourceDigests = new Map<string, string>();
    for await (const workflow of this.archive.records<Workflow>(ENTRY.workflows)) {
      if (!compare.has(workflow.id)) continue;
      const tags = (workflow.tags ?? []).map((t) => ({ id: t.id, name: tagsById.get(t.id) ?? t.name }));
      sourceDigests.set(workflow.id, digestOf(sourceCanonical.canonical({ ...workflow, tags })));
    }
    const entries = new Map(
      this.entries.filter((e) => e.resource === 'workflows').map((e) => [e.sourceId, e]),
    );
    for (const [sourceId, targetId] of compare) {
      const current = await this.api.getWorkflow(targetId);
      if (digestOf(targetCanonical.canonical(current)) !== sourceDigests.get(sourceId)) continue;
      const entry = entries.get(sourceId);
      if (entry) {
        entry.action = 'skip';
        entry.reason = 'identical workflow exists';
      }
    }
  }

  /** Source id → name tables, with projects named as the target will know them (after mapping). */
  private async sourceNamesAsTarget(): Promise<InstanceNames> {
    const names = emptyInstanceNames();
    for (const w of this.source.workflows) names.workflows.set(w.id, w.name);
    for (const c of this.source.credentials) names.credentials.set(c.id, c.name);
    for (const t of this.source.dataTables) names.dataTables.set(t.id, t.name);
    const targetProjects = new Map((this.target.projects ?? []).map((p) => [p.id, p]));
    for (const p of this.source.projects) {
      const scope = this.scopeOf(p.id);
      const mapped = scope.kind === 'existing' ? targetProjects.get(scope.id) : undefined;
      names.projects.set(p.id, mapped ? this.targetProjectKey(mapped) : projectKey(p, p.members));
    }
    names.folders = folderPaths(this.source.folders);
    return names;
  }

  private async targetNames(): Promise<InstanceNames> {
    const names = emptyInstanceNames();
    for (const w of this.target.workflows) names.workflows.set(w.id, w.name);
    for (const c of this.target.credentials.values()) names.credentials.set(c.id, c.name);
    for (const t of this.target.dataTables ?? []) names.dataTables.set(t.id, t.name);
    for (const p of this.target.projects ?? []) names.projects.set(p.id, this.targetProjectKey(p));
    names.folders = folderPaths([...(this.target.folders?.values() ?? [])].flat());
    return names;
  }

  private targetProjectKey(project: Project): string {
    if (project.type === 'personal') {
      for (const [email, p] of this.target.personalByEmail)
        if (p.id === project.id) return `personal:${email}`;
    }
    return projectKey(project, undefined);
  }

  // --- reference check ---------------------------------------------------------------------

  /** Every reference a restored workflow makes must land somewhere; the ones that cannot are named now. */
  private checkReferences(): void {
    const restored = (resource: RestoreResource) =>
      new Set(
        this.entries
          .filter((e) => e.resource === resource && (e.action !== 'conflict' || e.renameTo))
          .map((e) => e.sourceId),
      );
    const workflows = restored('workflows');
    const credentials = restored('credentials');
    const tables = restored('dataTables');
    for (const workflow of this.source.workflows) {
      if (!this.isSelected('workflows', workflow.id)) continue;
      for (const reference of workflow.references) {
        const known =
          reference.kind === 'credential'
            ? credentials.has(reference.id) || this.target.credentials.has(reference.id)
            : reference.kind === 'dataTable'
              ? tables.has(reference.id)
              : workflows.has(reference.id);
        if (known) continue;
        // Caller lists name workflows that may legitimately be elsewhere; only calls and error handlers break.
        if (reference.kind === 'callerId' && !isDanglingReference(reference)) continue;
        this.warnings.push({
          code: isDanglingReference(reference) ? 'dangling-reference' : 'unresolved-reference',
          resource: 'workflows',
          workflow: { id: workflow.id, name: workflow.name },
          ...(reference.node ? { node: reference.node } : {}),
          location: reference.location,
          message: `workflow "${workflow.name}"${reference.node ? ` node "${reference.node}"` : ''} (${reference.location}) refers to ${
            isDanglingReference(reference)
              ? `no ${reference.kind} (the reference is empty)`
              : `${reference.kind} ${reference.id}, which neither the restore nor the target provides`
          }; it is left as is`,
        });
      }
    }
  }
}

function columnsOf(table: DataTable): string {
  return [...table.columns]
    .sort((a, b) => a.index - b.index)
    .map((c) => `${c.name}:${c.type}`)
    .join(', ');
}

/** Counts of a plan's entries per resource and action. */
export function summarizePlan(plan: RestorePlan): Record<RestoreResource, Record<PlanAction, number>> {
  const summary = Object.fromEntries(
    RESTORE_RESOURCES.map((r) => [r, { create: 0, update: 0, skip: 0, conflict: 0 }]),
  ) as Record<RestoreResource, Record<PlanAction, number>>;
  for (const entry of plan.entries) summary[entry.resource][entry.action] += 1;
  return summary;
}

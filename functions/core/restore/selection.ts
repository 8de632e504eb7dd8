/**
 * A restore of part of an archive: --project / --tag / --workflow choose workflows (and a project's
 * own objects), then everything the chosen workflows need to run is pulled in, each with the reason.
 */
import { InvalidOptionError } from '../errors.js';
import { owningProjectId } from '../instance/identity.js';
import type { RestoreResource } from '../kinds/index.js';
import type { SourceState, WorkflowSummary } from './plan-state.js';

export interface Selection {
  /** resource → selected source ids */
  ids: Map<RestoreResource, Set<string>>;
  /** "resource:id" → why an object outside the choice is in, e.g. `needed by workflow "Orders"` */
  pulledIn: Map<string, string>;
  notes: string[];
}

export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** What --project / --tag / --workflow say (restore's selection, inspect's and extract's filters). */
export interface WorkflowChoice {
  project?: string | undefined;
  tag?: string | undefined;
  workflow?: string | undefined;
}

export type ChoosableWorkflow = Pick<WorkflowSummary, 'name' | 'projectId' | 'tagNames'>;

/** The project --project names, or undefined without one; a name the archive lacks is refused, naming those it has. */
export function chosenProject<P extends { id: string; name: string }>(
  projects: readonly P[],
  project: string | undefined,
): P | undefined {
  if (project === undefined) return undefined;
  const found = projects.find((p) => p.name === project);
  if (found) return found;
  throw new InvalidOptionError(
    'project',
    `${JSON.stringify(project)}: the archive has no such project (it has ${
      projects.map((p) => JSON.stringify(p.name)).join(', ') || 'none'
    })`,
  );
}

/** A test of whether a workflow is chosen: in the project (by id), with the tag, its name matching the glob. */
export function workflowChooser(
  projectId: string | undefined,
  choice: WorkflowChoice,
): (workflow: ChoosableWorkflow) => boolean {
  const pattern = choice.workflow === undefined ? undefined : globToRegExp(choice.workflow);
  const { tag } = choice;
  return (w) =>
    (projectId === undefined || w.projectId === projectId) &&
    (tag === undefined || w.tagNames.includes(tag)) &&
    (!pattern || pattern.test(w.name));
}

/** The selection the options ask for, or undefined when they choose everything. */
export function selectObjects(source: SourceState, choice: WorkflowChoice): Selection | undefined {
  const { project, tag, workflow } = choice;
  if (project === undefined && tag === undefined && workflow === undefined) return undefined;
  const sourceProject = chosenProject(source.projects, project);
  const chosen = source.workflows.filter(workflowChooser(sourceProject?.id, choice));
  const selection: Selection = { ids: new Map(), pulledIn: new Map(), notes: [] };
  const set = (resource: RestoreResource) => {
    const ids = selection.ids.get(resource) ?? new Set<string>();
    selection.ids.set(resource, ids);
    return ids;
  };
  for (const w of chosen) set('workflows').add(w.id);
  if (sourceProject) chooseProjectObjects(source, sourceProject.id, set);
  pullInCallees(source, chosen, set('workflows'), selection.pulledIn);
  pullInDependencies(source, selection, set);
  const described = [
    project !== undefined ? `project ${JSON.stringify(project)}` : '',
    tag !== undefined ? `tag ${JSON.stringify(tag)}` : '',
    workflow !== undefined ? `workflows matching ${JSON.stringify(workflow)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  selection.notes.push(
    `Selection (${described}): ${chosen.length} workflow(s) chosen, ${selection.pulledIn.size} object(s) pulled in because the selection needs them.`,
  );
  if (!sourceProject && source.variables.length > 0) {
    selection.notes.push(
      'Variables are not restored with a tag or workflow selection: n8n cannot tell which workflow uses which.',
    );
  }
  return selection;
}

function chooseProjectObjects(
  source: SourceState,
  projectId: string,
  set: (resource: RestoreResource) => Set<string>,
): void {
  set('projects').add(projectId);
  for (const c of source.credentials) if (owningProjectId(c) === projectId) set('credentials').add(c.id);
  for (const t of source.dataTables) if (t.projectId === projectId) set('dataTables').add(t.id);
  for (const v of source.variables) if (v.project?.id === projectId) set('variables').add(v.id);
  for (const f of source.folders) if (f.projectId === projectId) set('folders').add(f.id);
}

/** Sub-workflows and error workflows are needed to run; callers (callerIds) are not. */
function pullInCallees(
  source: SourceState,
  chosen: WorkflowSummary[],
  workflows: Set<string>,
  pulledIn: Map<string, string>,
): void {
  const byId = new Map(source.workflows.map((w) => [w.id, w]));
  const queue = [...chosen];
  for (let current = queue.pop(); current; current = queue.pop()) {
    for (const reference of current.references) {
      if (reference.kind !== 'workflow' && reference.kind !== 'errorWorkflow') continue;
      const dependency = byId.get(reference.id);
      if (dependency && !workflows.has(dependency.id)) {
        workflows.add(dependency.id);
        pulledIn.set(`workflows:${dependency.id}`, `needed by workflow "${current.name}"`);
        queue.push(dependency);
      }
    }
  }
}

/** What the selected workflows name (credentials, tables, tags, folders, projects), and the projects that own those. */
function pullInDependencies(
  source: SourceState,
  selection: Selection,
  set: (resource: RestoreResource) => Set<string>,
): void {
  const pull = (resource: RestoreResource, id: string, by: string) => {
    const ids = set(resource);
    if (ids.has(id)) return;
    ids.add(id);
    selection.pulledIn.set(`${resource}:${id}`, by);
  };
  const byId = new Map(source.workflows.map((w) => [w.id, w]));
  const foldersById = new Map(source.folders.map((f) => [f.id, f]));
  for (const id of set('workflows')) {
    const w = byId.get(id);
    if (!w) continue;
    const by = `needed by workflow "${w.name}"`;
    for (const reference of w.references) {
      if (reference.kind === 'credential') pull('credentials', reference.id, by);
      if (reference.kind === 'dataTable') pull('dataTables', reference.id, by);
    }
    for (const tagId of w.tagIds) pull('tags', tagId, by);
    for (let folderId = w.folderId, depth = 0; folderId && depth < 64; depth += 1) {
      pull('folders', folderId, by);
      folderId = foldersById.get(folderId)?.parentFolderId ?? null;
    }
    if (w.projectId) pull('projects', w.projectId, by);
  }
  for (const id of set('credentials')) {
    const c = source.credentials.find((x) => x.id === id);
    const projectId = c && owningProjectId(c);
    if (projectId) pull('projects', projectId, `owns credential "${c.name}"`);
  }
  for (const id of set('dataTables')) {
    const t = source.dataTables.find((x) => x.id === id);
    if (t?.projectId) pull('projects', t.projectId, `owns data table "${t.name}"`);
  }
  for (const id of set('folders')) {
    const f = foldersById.get(id);
    if (f) pull('projects', f.projectId, `owns folder "${f.name}"`);
  }
}

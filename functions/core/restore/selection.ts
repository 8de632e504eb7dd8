/**
 * A restore of part of an archive: --project / --tag / --workflow choose workflows (and a project's
 * own objects), then everything the chosen workflows need to run is pulled in, each with the reason.
 */

import { EVERY_KIND, kindOf, type RestoreResource } from '../kinds/index.js';
import type { FindSource, Kind, Need } from '../kinds/kind.js';
import type { WorkflowSummary } from '../kinds/workflows/index.js';
import { chosesNothing, noSuchProject, projectHoldsNothing } from './errors.js';
import type { SourceState } from './plan-state.js';

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
  throw noSuchProject(project, projects);
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
  refuseEmptyChoice(source, choice, chosen, selection, sourceProject);
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
  if (!sourceProject) selection.notes.push(...leftOutWithoutProject(source));
  return selection;
}

/** A selection that chooses nothing is a mistake to say, not a restore of nothing (exit 2). */
function refuseEmptyChoice(
  source: SourceState,
  { tag, workflow }: WorkflowChoice,
  chosen: readonly WorkflowSummary[],
  selection: Selection,
  project: { name: string } | undefined,
): void {
  if (chosen.length > 0) return;
  const within = tag !== undefined && workflow !== undefined ? undefined : project?.name;
  const tags = source.workflows.flatMap((w) => w.tagNames);
  const names = source.workflows.map((w) => w.name);
  if (tag !== undefined && !tags.includes(tag))
    throw chosesNothing('tag', tag, nearestNames(tag, tags), within);
  if (workflow !== undefined)
    throw chosesNothing('workflow', workflow, nearestNames(workflow, names), within);
  if (tag !== undefined) throw chosesNothing('tag', tag, [], project?.name);
  if (project && [...selection.ids.values()].every((ids) => ids.size === 0))
    throw projectHoldsNothing(project.name);
}

/** The (at most three) names nearest to what was asked, by edit distance, case and wildcards aside. */
export function nearestNames(asked: string, names: readonly string[], count = 3): string[] {
  const wanted = asked.toLowerCase().replace(/[*?]/g, '');
  return [...new Set(names)]
    .map((name) => ({ name, distance: editDistance(wanted, name.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, count)
    .map(({ name }) => name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1)
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** What a kind says when a selection without --project leaves its objects out (variables). */
function leftOutWithoutProject(source: SourceState): string[] {
  return EVERY_KIND.flatMap((kind) => {
    const note = kind.selection?.withoutProject;
    return note && recordsOf(source, kind.resource).length > 0 ? [note] : [];
  });
}

/** --project chooses its own objects of every kind that says which project a record belongs to. */
function chooseProjectObjects(
  source: SourceState,
  projectId: string,
  set: (resource: RestoreResource) => Set<string>,
): void {
  for (const kind of EVERY_KIND) {
    const projectOf = kind.selection?.chosenWithProject;
    if (!projectOf) continue;
    for (const record of recordsOf(source, kind.resource))
      if (projectOf(record) === projectId) set(kind.resource as RestoreResource).add(record.id);
  }
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

/**
 * What the selected objects need (a workflow's credentials, tables, tags, folders and project; the
 * projects that own those), each kind as it says (`selection.needs`): the workflows chosen first,
 * then every kind in KINDS order, again until nothing more is pulled in.
 */
function pullInDependencies(
  source: SourceState,
  selection: Selection,
  set: (resource: RestoreResource) => Set<string>,
): void {
  let pulled = 0;
  const pull = ({ resource, id, why }: Need) => {
    const ids = set(resource);
    if (ids.has(id)) return;
    ids.add(id);
    selection.pulledIn.set(`${resource}:${id}`, why);
    pulled += 1;
  };
  const find = sourceIndex(source);
  const needsOf = (kind: Kind) => {
    const needs = kind.selection?.needs;
    if (!needs) return;
    for (const id of set(kind.resource as RestoreResource)) {
      const record = find(kind.resource, id);
      if (record) for (const need of needs(record, find as FindSource)) pull(need);
    }
  };
  needsOf(kindOf('workflows'));
  do {
    pulled = 0;
    for (const kind of EVERY_KIND) needsOf(kind);
  } while (pulled > 0);
}

/** A source record by kind and id. */
function sourceIndex(source: SourceState): (resource: string, id: string) => { id: string } | undefined {
  const indexes = new Map<string, Map<string, { id: string }>>();
  return (resource, id) => {
    let index = indexes.get(resource);
    if (!index) {
      index = new Map(recordsOf(source, resource).map((record) => [record.id, record]));
      indexes.set(resource, index);
    }
    return index.get(id);
  };
}

function recordsOf(source: SourceState, resource: string): readonly { id: string }[] {
  return (source as unknown as Record<string, readonly { id: string }[] | undefined>)[resource] ?? [];
}

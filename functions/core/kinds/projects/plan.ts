/**
 * Where each source project's objects land (the scopes the other kinds ask for): a team project in
 * the team project of its name (created when the target lacks it), a personal project in its owner's
 * personal project, or, when its owner has no account on the target, in a team project named after
 * them; `--project-map` sends a project elsewhere. Never silently into the key owner's.
 */
import { personalOwner } from '../../instance/identity.js';
import type { Project } from '../../n8n-types.js';
import type { PlanContext } from '../kind.js';
import { projectNaturalKey, type SourceProject, standInName } from './diff.js';
import {
  noSuchProjectToMap,
  standInCreated,
  standInExists,
  standInNotNeeded,
  withoutProjects,
} from './errors.js';

export function planProjects(ctx: PlanContext): void {
  const map = ctx.options.placement?.projectMap ?? new Map<string, string>();
  const sourceNames = new Set(ctx.source.projects.map((p) => p.name));
  for (const name of map.keys()) if (!sourceNames.has(name)) throw noSuchProjectToMap(name, sourceNames);
  if (!ctx.target.projects) {
    planWithoutProjects(ctx);
    return;
  }
  const byKey = new Map<string, Project>();
  for (const p of ctx.target.projects)
    if (p.type === 'team' && !byKey.has(`team:${p.name}`)) byKey.set(`team:${p.name}`, p);
  for (const p of ctx.target.projects) if (p.owner) byKey.set(`personal:${p.owner}`, p);
  const anyByName = new Map(ctx.target.projects.map((p) => [p.name, p]));
  for (const project of ctx.source.projects) {
    const mapped = map.get(project.name);
    if (mapped !== undefined) planMapped(ctx, project, mapped, anyByName.get(mapped));
    else if (project.type === 'personal') planPersonal(ctx, project, byKey);
    else planTeam(ctx, project, byKey.get(projectNaturalKey(project)));
  }
}

function baseOf(ctx: PlanContext, project: SourceProject) {
  return {
    resource: 'projects' as const,
    sourceId: project.id,
    name: project.name,
    ...ctx.pulledInBy('projects', project.id),
  };
}

function planWithoutProjects(ctx: PlanContext): void {
  if (ctx.source.projects.some((p) => p.type === 'team') || ctx.source.projects.length > 1)
    ctx.note(withoutProjects(ctx.target.unavailable.get('projects')));
  for (const project of ctx.source.projects) {
    ctx.setScope(project.id, { kind: 'personal' });
    if (!ctx.isSelected('projects', project.id)) continue;
    ctx.add({
      ...baseOf(ctx, project),
      action: 'skip',
      reason: `target not licensed for projects: its contents land in the API key owner's personal project`,
    });
  }
}

/** The source project goes into an existing target project: its objects land there; a selected one is a skip. */
function intoExisting(
  ctx: PlanContext,
  project: SourceProject,
  existing: Project,
  reason: string,
  standInFor?: string,
): void {
  ctx.setScope(project.id, { kind: 'existing', id: existing.id });
  if (ctx.isSelected('projects', project.id))
    ctx.add({
      ...baseOf(ctx, project),
      action: 'skip',
      targetId: existing.id,
      reason,
      ...(standInFor ? { standInFor } : {}),
    });
}

function planMapped(
  ctx: PlanContext,
  project: SourceProject,
  mapped: string,
  existing: Project | undefined,
): void {
  const selected = ctx.isSelected('projects', project.id);
  if (existing) {
    intoExisting(ctx, project, existing, `mapped to existing project "${mapped}" (--project-map)`);
    return;
  }
  ctx.setScope(project.id, selected ? { kind: 'new', name: mapped } : { kind: 'personal' });
  if (selected)
    ctx.add({
      ...baseOf(ctx, project),
      action: 'create',
      renameTo: mapped,
      reason: `mapped to "${mapped}" (--project-map), which the target lacks`,
    });
}

/**
 * A personal project lands in its owner's personal project; when the owner has no account there, in
 * the team project named after them (created unless it exists), never in the key owner's. Once such
 * a team project exists it stays where the project's objects go, also after the owner got an account.
 */
function planPersonal(ctx: PlanContext, project: SourceProject, byKey: Map<string, Project>): void {
  const owner = personalOwner(project.members)?.email.toLowerCase();
  const name = standInName(project);
  const standIn = byKey.get(`team:${name}`);
  const who = owner ?? `"${project.name}" (owner unknown)`;
  if (standIn) {
    intoExisting(ctx, project, standIn, standInExists(who, name), owner);
    return;
  }
  const targetPersonal = byKey.get(projectNaturalKey(project));
  if (targetPersonal) {
    const reason = `personal project of ${owner}, mapped to that user's personal project in the target`;
    intoExisting(ctx, project, targetPersonal, reason);
    return;
  }
  if (!ctx.isSelected('projects', project.id) || !ctx.holdsObjects(project.id)) {
    // Nothing of it is restored (an empty personal project, or one outside the selection).
    ctx.setScope(project.id, { kind: 'personal' });
    if (ctx.isSelected('projects', project.id))
      ctx.add({ ...baseOf(ctx, project), action: 'skip', reason: standInNotNeeded(who) });
    return;
  }
  ctx.setScope(project.id, { kind: 'new', name });
  ctx.add({
    ...baseOf(ctx, project),
    action: 'create',
    renameTo: name,
    reason: standInCreated(who, name),
    ...(owner ? { standInFor: owner } : {}),
  });
}

function planTeam(ctx: PlanContext, project: SourceProject, existing: Project | undefined): void {
  const selected = ctx.isSelected('projects', project.id);
  if (existing) {
    intoExisting(ctx, project, existing, 'a team project of that name exists; objects go into it');
  } else if (selected) {
    ctx.setScope(project.id, { kind: 'new', name: project.name });
    ctx.add({ ...baseOf(ctx, project), action: 'create', reason: 'not in the target' });
  } else {
    ctx.setScope(project.id, { kind: 'personal' });
  }
}

/**
 * Projects: a team project is its name, a personal project its owner's e-mail. Planning projects
 * decides where every other kind's objects land (the scopes); members are added once their users
 * have accounts in the target (n8n invites by e-mail, so users are never created).
 */

import { z } from 'zod';
import { AmbiguousWriteError, InvalidOptionError } from '../errors.js';
import { type InstanceNames, personalOwner, projectKey } from '../instance/identity.js';
import { projectsWithMembers, readListing } from '../instance/read.js';
import { collect } from '../json.js';
import type { Project, ProjectMember } from '../n8n-types.js';
import type { N8nApi, N8nProjectsApi } from '../ports.js';
import type { ApplyContext, DiffRecord, Kind, PlanContext, PlanEntry, TargetRead } from './kind.js';
import { id, text } from './kind.js';
import { Adoption, AMBIGUOUS_ATTEMPTS } from './shared/adoption.js';
import { isFatal } from './shared/failure-policy.js';

type SourceProject = Project & { members?: ProjectMember[] };
/** A target project; a personal one with its owner's e-mail where its members could be read. */
type TargetProject = Project & { owner?: string };

declare module './shared/state.js' {
  interface SourceRecords {
    projects: SourceProject[];
  }
  interface TargetRecords {
    projects: TargetProject[] | undefined;
  }
}

/** The natural key: `team:<name>` or `personal:<owner e-mail>`. */
export function projectNaturalKey(project: SourceProject): string {
  return projectKey(project, project.members);
}

function plan(ctx: PlanContext): void {
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
    else if (project.type === 'personal') planPersonal(ctx, project, byKey.get(projectNaturalKey(project)));
    else planTeam(ctx, project, byKey.get(projectNaturalKey(project)));
  }
  warnMembersWithoutAccount(ctx);
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
  if (ctx.source.projects.some((p) => p.type === 'team') || ctx.source.projects.length > 1) {
    ctx.note(
      `The target cannot take projects (${ctx.target.unavailable.get('projects')}): everything lands in the API key owner's personal project.`,
    );
  }
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
function intoExisting(ctx: PlanContext, project: SourceProject, existing: Project, reason: string): void {
  ctx.setScope(project.id, { kind: 'existing', id: existing.id });
  if (ctx.isSelected('projects', project.id))
    ctx.add({ ...baseOf(ctx, project), action: 'skip', targetId: existing.id, reason });
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

function planPersonal(ctx: PlanContext, project: SourceProject, targetPersonal: Project | undefined): void {
  const selected = ctx.isSelected('projects', project.id);
  const owner = personalOwner(project.members);
  if (targetPersonal) {
    intoExisting(
      ctx,
      project,
      targetPersonal,
      `personal project of ${owner?.email}, mapped to that user's personal project in the target`,
    );
    return;
  }
  ctx.setScope(project.id, { kind: 'personal' });
  if (selected)
    ctx.add({
      ...baseOf(ctx, project),
      action: 'skip',
      reason: owner
        ? `personal project of ${owner.email}, who has no account in the target: its contents land in the API key owner's personal project`
        : `personal project without a known owner: its contents land in the API key owner's personal project`,
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

function warnMembersWithoutAccount(ctx: PlanContext): void {
  const users = new Set((ctx.target.users ?? []).map((user) => user.email.toLowerCase()));
  for (const project of ctx.source.projects) {
    if (!ctx.isSelected('projects', project.id) || project.type !== 'team') continue;
    const missing = (project.members ?? []).filter(
      (m) => m.role !== 'project:personalOwner' && !users.has(m.email.toLowerCase()),
    );
    for (const member of missing) {
      ctx.warn({
        code: 'member-without-account',
        resource: 'projects',
        message: `project "${project.name}": member ${member.email} (${member.role}) has no account in the target; invite them, then run the restore again to add them`,
      });
    }
  }
}

// --- apply -------------------------------------------------------------------------------------

async function apply(ctx: ApplyContext): Promise<void> {
  const entries = ctx.entries('projects');
  if (entries.length === 0) return;
  const sources = await ctx.sourceRecords<SourceProject>('projects');
  const adoption = new Adoption(
    ctx.ledger,
    'projects',
    {
      list: () => ctx.api.listProjects(),
      keys: (p) => (p.type === 'team' ? [projectKey(p, undefined)] : []),
    },
    ctx.resumed,
  );
  const users = lazyUsers(ctx);
  for (const entry of entries) {
    if (ctx.ledger.isMarked('projects', entry.sourceId)) continue;
    ctx.checkDeadline();
    if (entry.action === 'create' && !ctx.ledger.targetId('projects', entry.sourceId)) {
      const name = entry.renameTo ?? entry.name;
      const ok = await ctx.attempt('projects', entry, 'creating the project', async () => {
        const id = await adoption.createOrAdopt(
          `team:${name}`,
          async () => (await ctx.api.createProject(name)).id,
        );
        ctx.ledger.recordId('projects', entry.sourceId, id);
        ctx.ledger.count('created', 'projects');
      });
      if (!ok) continue;
    }
    // A project whose members failed is failed (and marked) already.
    if (await addMembersIfDue(ctx, entry, sources.get(entry.sourceId), users))
      ctx.ledger.mark('projects', entry.sourceId);
    await ctx.ledger.checkpoint();
  }
}

async function addMembersIfDue(
  ctx: ApplyContext,
  entry: PlanEntry,
  source: SourceProject | undefined,
  users: () => Promise<Map<string, string> | Error>,
): Promise<boolean> {
  const targetId = ctx.ledger.targetId('projects', entry.sourceId);
  // Under overwrite an existing project gets its missing members, unless it was only pulled in.
  const due =
    entry.action === 'create' ||
    (ctx.plan.onConflict === 'overwrite' && entry.action === 'skip' && !entry.pulledInBy);
  if (!targetId || source?.type !== 'team' || !due || (source.members ?? []).length === 0) return true;
  const known = await users();
  if (known instanceof Error) {
    // Without the target's users no member can be added: the project fails, and a re-run tries again.
    ctx.fail('projects', entry, 'adding its members (listing the target users)', known);
    return false;
  }
  return addMembers(ctx, entry, targetId, source.members ?? [], known);
}

/** Target users by e-mail, listed once and only when a project needs members; the error when they cannot be. */
function lazyUsers(ctx: ApplyContext): () => Promise<Map<string, string> | Error> {
  let users: Promise<Map<string, string> | Error> | undefined;
  return () => {
    users ??= collect(ctx.api.listUsers()).then(
      (list) => new Map(list.map((u) => [u.email.toLowerCase(), u.id])),
      (error: unknown) => {
        if (isFatal(error)) throw error;
        return error instanceof Error ? error : new Error(String(error));
      },
    );
    return users;
  };
}

/**
 * Adds the members the target project lacks. An add whose answer was lost may or may not have
 * happened: the members are listed again and only those still missing are sent, at most
 * AMBIGUOUS_ATTEMPTS times. A project whose members could not be added fails (so the restore ends
 * incomplete and a re-run adds them), rather than passing with a warning nobody reads.
 */
async function addMembers(
  ctx: ApplyContext,
  entry: PlanEntry,
  projectId: string,
  members: ProjectMember[],
  users: Map<string, string>,
): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    const relations: { userId: string; role: string }[] = [];
    try {
      const present = new Set(
        (await collect(ctx.api.listProjectMembers(projectId))).map((m) => m.email.toLowerCase()),
      );
      for (const member of members) {
        const email = member.email.toLowerCase();
        if (member.role === 'project:personalOwner' || present.has(email)) continue;
        const userId = users.get(email);
        if (userId) relations.push({ userId, role: member.role });
      }
      if (relations.length === 0) return true;
      await ctx.api.addProjectMembers(projectId, relations);
      return true;
    } catch (error) {
      if (isFatal(error)) throw error;
      if (error instanceof AmbiguousWriteError && attempt < AMBIGUOUS_ATTEMPTS) continue;
      ctx.fail(
        'projects',
        entry,
        relations.length > 0 ? `adding ${relations.length} member(s)` : 'listing its members',
        error,
      );
      return false;
    }
  }
}

/**
 * The target's projects, a personal one with its owner's e-mail (`owner`, lowercased) where its
 * members can be read: a source personal project lands in its owner's personal project.
 */
async function readTarget(read: TargetRead): Promise<TargetProject[]> {
  const projects: TargetProject[] = [];
  for await (const project of read.api.listProjects()) {
    if (project.type !== 'personal') {
      projects.push(project);
      continue;
    }
    const members = await readListing(() => read.api.listProjectMembers(project.id));
    const owner = 'items' in members ? personalOwner(members.items) : undefined;
    projects.push(owner ? { ...project, owner: owner.email.toLowerCase() } : project);
  }
  return projects;
}

/** A project is its natural key in a diff; its id is named by that key for the kinds after it. */
function* indexForDiff(projects: readonly SourceProject[], names: InstanceNames): Iterable<DiffRecord> {
  for (const project of projects) {
    const key = projectNaturalKey(project);
    names.projects.set(project.id, key);
    yield {
      key,
      id: project.id,
      canonical: {
        type: project.type,
        name: project.type === 'team' ? project.name : null,
        description: project.description ?? null,
        members: (project.members ?? []).map((m) => `${m.email.toLowerCase()} ${m.role}`).sort(),
      },
    };
  }
}

export const projectsKind = {
  resource: 'projects',
  restored: true,
  entries: {
    projects: {
      name: 'projects.ndjson',
      record: z.looseObject({
        id,
        name: text,
        type: z.enum(['team', 'personal']),
        members: z.array(z.looseObject({ email: text, role: text })).optional(),
      }),
      // The restore matches a team project by its name and a personal one by its owner.
      naturalKey: (project: Project & { members?: ProjectMember[] }) => ({
        key: projectKey(project, project.members),
        what:
          project.type === 'team'
            ? `project name ${JSON.stringify(project.name)}`
            : `personal project of ${JSON.stringify(projectKey(project, project.members).slice('personal:'.length))}`,
      }),
    },
  },
  list: (api: N8nProjectsApi) => api.listProjects(),
  backup: {
    records: (api: N8nApi) => projectsWithMembers(api, { unreadableMembers: 'throw' }),
    projectsOf: (project: Project) => [project.id],
  },
  readTarget,
  restoreScopes: ['project:list', 'project:create', 'project:manageMembers'],
  selection: { chosenWithProject: (project: Project) => project.id },
  plan,
  steps: [{ name: 'projects', run: apply }],
  diff: {
    read: (api: N8nApi) => projectsWithMembers(api, { unreadableMembers: 'omit' }),
    index: indexForDiff,
  },
  contents: {
    names: (projects: readonly Project[], names: InstanceNames) => {
      for (const project of projects) names.projects.set(project.id, project.name);
    },
    projectOf: (project: Project) => project.id,
    row: (project: Project) => ({ id: project.id, name: project.name, type: project.type }),
  },
  scratch: { counts: (project: Project) => project.type === 'team' },
} as const satisfies Kind<'projects', 'projects'>;

function noSuchProjectToMap(name: string, archived: ReadonlySet<string>): InvalidOptionError {
  return new InvalidOptionError(
    'projectMap',
    `${JSON.stringify(name)}: the archive has no project of that name (it has ${
      [...archived].map((n) => JSON.stringify(n)).join(', ') || 'none'
    })`,
  );
}

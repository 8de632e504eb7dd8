/**
 * Projects: a team project is its name, a personal project its owner's e-mail. Planning projects
 * decides where every other kind's objects land (plan.ts); members are added by e-mail, invited
 * first with `--invite-users`, or listed as waiting for an account (members.ts); a diff keys a
 * personal project, and the team project that stands for one, by its owner (diff.ts).
 */

import { z } from 'zod';
import { personalOwner, projectKey } from '../../instance/identity.js';
import { projectsWithMembers, readListing } from '../../instance/read.js';
import { collect } from '../../json.js';
import type { Project } from '../../n8n-types.js';
import type { N8nApi, N8nProjectsApi } from '../../ports.js';
import type { ApplyContext, Kind, KindDetail, PlanEntry, TargetRead } from '../kind.js';
import { id, text } from '../kind.js';
import { Adoption } from '../shared/adoption.js';
import { isFatal } from '../shared/failure-policy.js';
import type { PlanEntryDetail } from '../shared/plan-records.js';
import { indexForDiff, type SourceProject } from './diff.js';
import {
  addMembers,
  dueMembers,
  membersDue,
  nextRoundForMembers,
  planMembers,
  sendInvitations,
} from './members.js';
import { planProjects } from './plan.js';

export { projectNaturalKey } from './diff.js';

/** A target project; a personal one with its owner's e-mail where its members could be read. */
type TargetProject = Project & { owner?: string };

declare module '../shared/state.js' {
  interface SourceRecords {
    projects: SourceProject[];
  }
  interface TargetRecords {
    projects: TargetProject[] | undefined;
  }
}

const detail: KindDetail<Pick<PlanEntryDetail, 'standInFor'>> = { ofTarget: [], finishPlan: planMembers };

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
  // Invited users have (pending) accounts before any member is added, so the users are listed after.
  const notInvited = await sendInvitations(ctx);
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
    if (await addMembersIfDue(ctx, entry, sources.get(entry.sourceId), users, notInvited))
      ctx.ledger.mark('projects', entry.sourceId);
    await ctx.ledger.checkpoint();
  }
}

async function addMembersIfDue(
  ctx: ApplyContext,
  entry: PlanEntry,
  source: SourceProject | undefined,
  users: () => Promise<Map<string, string> | Error>,
  notInvited: Error | undefined,
): Promise<boolean> {
  const targetId = ctx.ledger.targetId('projects', entry.sourceId);
  const members = dueMembers(entry, source);
  if (!targetId || !membersDue(entry, ctx.plan.onConflict) || members.length === 0) return true;
  const invited = new Set((ctx.plan.invitations ?? []).map((i) => i.email));
  if (notInvited && members.some((m) => invited.has(m.email))) {
    // Its members could not be invited: the project fails, and a re-run invites them again.
    ctx.fail('projects', entry, 'inviting its members (POST /users)', notInvited);
    return false;
  }
  const known = await users();
  if (known instanceof Error) {
    // Without the target's users no member can be added: the project fails, and a re-run tries again.
    ctx.fail('projects', entry, 'adding its members (listing the target users)', known);
    return false;
  }
  return addMembers(ctx, entry, targetId, members, known);
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
      naturalKey: (project: SourceProject) => ({
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
  plan: planProjects,
  detail,
  steps: [{ name: 'projects', run: apply }],
  extraScopes: (plan) => ((plan.invitations ?? []).length > 0 ? ['user:create'] : []),
  nextRound: nextRoundForMembers,
  diff: {
    read: (api: N8nApi) => projectsWithMembers(api, { unreadableMembers: 'omit' }),
    index: indexForDiff,
  },
  contents: {
    names: (projects: readonly Project[], names) => {
      for (const project of projects) names.projects.set(project.id, project.name);
    },
    projectOf: (project: Project) => project.id,
    row: (project: Project) => ({ id: project.id, name: project.name, type: project.type }),
  },
  scratch: { counts: (project: Project) => project.type === 'team' },
} as const satisfies Kind<'projects', 'projects'>;

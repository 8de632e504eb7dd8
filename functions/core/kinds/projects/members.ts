/**
 * Members of the projects a restore writes, by e-mail. A member with an account on the target is
 * added with their project role; one without is, with `--invite-users`, invited first (POST /users,
 * with their source role where n8n allows it) and then added; otherwise they are listed as waiting
 * for an account: an expected state, not a failure. A finished restore run again once they have
 * accounts adds them (a new round). The owner of a personal project that went to a team project
 * named after them (they had no account) is that project's admin.
 */
import { AmbiguousWriteError, FeatureNotLicensedError } from '../../errors.js';
import { readListing } from '../../instance/read.js';
import { collect } from '../../json.js';
import type { ProjectMember, UserInvitation } from '../../n8n-types.js';
import type { N8nApi } from '../../ports.js';
import type { ApplyContext, PlanContext, PlanEntry, RestorePlan, RoundReason } from '../kind.js';
import { AMBIGUOUS_ATTEMPTS } from '../shared/adoption.js';
import type { ConflictPolicy } from '../shared/conflict-policy.js';
import { isFatal } from '../shared/failure-policy.js';
import type { SourceProject } from './diff.js';
import { invitedAsMember, waitingForAccounts, willBeInvited } from './errors.js';

/** A member the target has no account for, and the project that waits for them. */
export interface AwaitingAccount {
  email: string;
  /** Their role in that project. */
  role: string;
  project: string;
}

declare module '../shared/plan-records.js' {
  interface PlanEntryDetail {
    /** Projects: a team project standing for the personal project of this user (no account on the target). */
    standInFor?: string;
  }
  interface RestorePlanDetail {
    /** Members invited before they are added (`--invite-users`), with the global role each gets. */
    invitations?: { email: string; role: string }[];
    /** Members without an account on the target, by project: waiting, not failed. */
    awaitingAccounts?: AwaitingAccount[];
  }
}

const PERSONAL_OWNER = 'project:personalOwner';
/** The mark of a round whose invitations were sent. */
const INVITED = 'invitations sent';

/** Whether this restore gives the project its members: one it creates (or created earlier), or overwrites. */
export function membersDue(entry: PlanEntry, onConflict: ConflictPolicy): boolean {
  return (
    entry.action === 'create' ||
    entry.restoredEarlier === true ||
    (onConflict === 'overwrite' && entry.action === 'skip' && !entry.pulledInBy)
  );
}

/** The members a project gets on the target: its team's; for a stand-in, its owner as admin. */
export function dueMembers(
  entry: PlanEntry,
  source: SourceProject | undefined,
): { email: string; role: string }[] {
  if (source?.type === 'personal')
    return entry.standInFor ? [{ email: entry.standInFor, role: 'project:admin' }] : [];
  return (source?.members ?? [])
    .filter((m) => m.role !== PERSONAL_OWNER)
    .map((m) => ({ email: m.email.toLowerCase(), role: m.role }));
}

/** The global role an invitation asks for: the source's, but never owner (n8n has one). */
function invitedRole(sourceRole: string | undefined): string {
  if (sourceRole === 'global:owner' || sourceRole === 'global:admin') return 'global:admin';
  return sourceRole === 'global:chatUser' ? sourceRole : 'global:member';
}

/**
 * Once every kind has planned (and a later round knows what earlier runs created): who is invited,
 * who waits for an account. Both are the plan's, so a dry run shows them and the ledger keeps them.
 */
export async function planMembers(ctx: PlanContext, plan: RestorePlan): Promise<void> {
  const accounts = new Set((ctx.target.users ?? []).map((u) => u.email.toLowerCase()));
  const sourceRoles = new Map(ctx.source.users.map((u) => [u.email.toLowerCase(), u.role]));
  const sources = new Map(ctx.source.projects.map((p) => [p.id, p]));
  const invite = ctx.options.placement?.inviteUsers === true;
  const invitations = new Map<string, string>();
  const awaiting: AwaitingAccount[] = [];
  for (const entry of plan.entries) {
    if (entry.resource !== 'projects' || !membersDue(entry, ctx.onConflict)) continue;
    for (const member of dueMembers(entry, sources.get(entry.sourceId))) {
      if (accounts.has(member.email)) continue;
      if (invite) invitations.set(member.email, invitedRole(sourceRoles.get(member.email)));
      else awaiting.push({ ...member, project: entry.renameTo ?? entry.name });
    }
  }
  if (invitations.size > 0) {
    plan.invitations = [...invitations].map(([email, role]) => ({ email, role }));
    plan.notes.push(willBeInvited(invitations.size));
  }
  if (awaiting.length > 0) {
    plan.awaitingAccounts = awaiting;
    plan.notes.push(waitingForAccounts(new Set(awaiting.map((a) => a.email)).size));
  }
}

/**
 * Sends the plan's invitations once per round, before any member is added: grouped by role (n8n
 * answers one role per call). An admin the licence does not allow is invited as a member, and said.
 * What n8n answers (its links) goes to the run's report only. The error when they could not be sent.
 */
export async function sendInvitations(ctx: ApplyContext): Promise<Error | undefined> {
  const wanted = ctx.plan.invitations ?? [];
  if (wanted.length === 0 || ctx.ledger.isMarked('projects', INVITED)) return undefined;
  try {
    const byRole = new Map<string, { email: string; role: string }[]>();
    for (const invitation of wanted)
      byRole.set(invitation.role, [...(byRole.get(invitation.role) ?? []), invitation]);
    for (const [role, group] of byRole) {
      const answers = await inviteAs(ctx, role, group);
      ctx.deps.invited?.push(...answers);
    }
    ctx.ledger.mark('projects', INVITED);
    await ctx.ledger.checkpoint();
    return undefined;
  } catch (error) {
    if (isFatal(error)) throw error;
    return error instanceof Error ? error : new Error(String(error));
  }
}

async function inviteAs(
  ctx: ApplyContext,
  role: string,
  group: { email: string; role: string }[],
): Promise<UserInvitation[]> {
  try {
    return await ctx.api.inviteUsers(group);
  } catch (error) {
    if (!(error instanceof FeatureNotLicensedError) || role === 'global:member') throw error;
    ctx.ledger.warn({
      code: 'invited-as-member',
      resource: 'projects',
      message: invitedAsMember(group, role),
    });
    return ctx.api.inviteUsers(group.map((i) => ({ ...i, role: 'global:member' })));
  }
}

/**
 * Adds the members the target project lacks and that have an account. An add whose answer was lost
 * may or may not have happened: the members are listed again and only those still missing are sent,
 * at most AMBIGUOUS_ATTEMPTS times. A project whose members could not be added fails (so the restore
 * ends incomplete and a re-run adds them), rather than passing with a warning nobody reads.
 */
export async function addMembers(
  ctx: ApplyContext,
  entry: PlanEntry,
  projectId: string,
  members: { email: string; role: string }[],
  users: Map<string, string>,
): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    const relations: { userId: string; role: string }[] = [];
    try {
      const present = new Set(
        (await collect(ctx.api.listProjectMembers(projectId))).map((m: ProjectMember) =>
          m.email.toLowerCase(),
        ),
      );
      for (const member of members) {
        const userId = users.get(member.email);
        if (userId && !present.has(member.email)) relations.push({ userId, role: member.role });
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

/** A finished restore plans again once members who were waiting for an account have one. */
export async function nextRoundForMembers(ctx: {
  plan: RestorePlan;
  api: Pick<N8nApi, 'listUsers'>;
}): Promise<RoundReason | undefined> {
  const waiting = ctx.plan.awaitingAccounts ?? [];
  if (waiting.length === 0) return undefined;
  const users = await readListing(() => ctx.api.listUsers());
  if (!('items' in users)) return undefined;
  const accounts = new Set(users.items.map((u) => u.email.toLowerCase()));
  const ready = new Set(waiting.filter((w) => accounts.has(w.email)).map((w) => w.email));
  if (ready.size === 0) return undefined;
  return {
    why: `${ready.size} member(s) who were waiting for an account now have one`,
    detail: `their memberships are added`,
    scopes: ['project:manageMembers'],
  };
}

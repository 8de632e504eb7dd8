import { describe, expect, it } from 'vitest';
import { projectsKind } from '../../../functions/core/kinds/projects/index.js';
import type { PlanEntry } from '../../../functions/core/restore/types.js';
import { emptyTarget, SEED_USERS } from '../fakes/seeded-instance.js';
import {
  applyStep,
  emptySource,
  exactlyOne,
  planKind,
  refuseWrites,
  resumeAfterCrash,
  writesTo,
} from './support.js';

const [createProjects] = projectsKind.steps;
/** Carol has an account in the source only. */
const WITH_CAROL = [...SEED_USERS, { email: 'carol@example.com', role: 'global:member' }];

/** A source where Carol (no account on the target) keeps a credential in her personal project. */
function withCarolsCredential(users = WITH_CAROL) {
  const source = emptySource(users);
  const carols = exactlyOne(
    source.projects,
    (p) => p.type === 'personal' && p.members[0]?.email === 'carol@example.com',
  );
  source.seedCredential('Carol key', 'httpHeaderAuth', carols.id);
  return source;
}
const TEAM = [
  { email: 'owner@example.com', role: 'project:admin' },
  { email: 'alice@example.com', role: 'project:editor' },
  { email: 'bob@example.com', role: 'project:viewer' },
];

/** Each planned project's name → [action, the target id it matched or the name it is created under]. */
function decisions(entries: readonly PlanEntry[]) {
  return Object.fromEntries(entries.map((e) => [e.name, [e.action, e.targetId ?? e.renameTo]]));
}

describe('projects plan', () => {
  it('reuses the team project of the same name and creates the one the target lacks', async () => {
    const source = emptySource();
    const ops = source.seedProject('Ops');
    const lab = source.seedProject('Lab');
    const target = emptyTarget();
    const existing = target.seedProject('Ops');

    const { entries, context } = await planKind(projectsKind, source, target);

    expect(decisions(entries)).toMatchObject({ Ops: ['skip', existing.id], Lab: ['create', undefined] });
    expect(context.scopeOf(ops.id)).toEqual({ kind: 'existing', id: existing.id });
    expect(context.scopeOf(lab.id)).toEqual({ kind: 'new', name: 'Lab' });
  });

  it("matches a personal project by its owner's e-mail, and sends one whose owner has no account to a team project named after them, never the key owner's", async () => {
    const source = withCarolsCredential();
    const target = emptyTarget();
    const personalOf = (n8n: typeof source, email: string) =>
      exactlyOne(n8n.projects, (p) => p.type === 'personal' && p.members[0]?.email === email);

    const { entries, context } = await planKind(projectsKind, source, target);

    const alice = exactlyOne(entries, (e) => e.sourceId === personalOf(source, 'alice@example.com').id);
    expect(alice).toMatchObject({ action: 'skip', targetId: personalOf(target, 'alice@example.com').id });
    const carol = exactlyOne(entries, (e) => e.sourceId === personalOf(source, 'carol@example.com').id);
    expect(carol).toMatchObject({
      action: 'create',
      renameTo: '<carol@example.com> (personal project)',
      standInFor: 'carol@example.com',
      reason: expect.stringMatching(
        /carol@example.com, who has no account in the target: its contents go to a team project named after them/,
      ),
    });
    expect(context.scopeOf(carol.sourceId)).toEqual({
      kind: 'new',
      name: '<carol@example.com> (personal project)',
    });
  });

  it('makes no project for the personal project of a user without an account that holds nothing', async () => {
    const source = emptySource(WITH_CAROL);
    const carols = exactlyOne(
      source.projects,
      (p) => p.type === 'personal' && p.members[0]?.email === 'carol@example.com',
    );

    const { entries, plan, context } = await planKind(projectsKind, source, emptyTarget());
    await projectsKind.detail.finishPlan?.(context, plan);

    expect(exactlyOne(entries, (e) => e.sourceId === carols.id)).toMatchObject({
      action: 'skip',
      reason: expect.stringMatching(/holds nothing this restore writes/),
    });
    expect(plan.awaitingAccounts).toBeUndefined();
  });

  it('follows --project-map to an existing project, and creates a missing one under its mapped name', async () => {
    const source = emptySource();
    source.seedProject('Ops');
    const lab = source.seedProject('Lab');
    const target = emptyTarget();
    const platform = target.seedProject('Platform');
    const projectMap = new Map(Object.entries({ Ops: 'Platform', Lab: 'Research' }));

    const { entries, context } = await planKind(projectsKind, source, target, { placement: { projectMap } });

    expect(decisions(entries)).toMatchObject({ Ops: ['skip', platform.id], Lab: ['create', 'Research'] });
    expect(context.scopeOf(lab.id)).toEqual({ kind: 'new', name: 'Research' });
  });

  it('lists team members who have no account in the target as waiting for one, not as a warning', async () => {
    const source = withCarolsCredential();
    source.seedProject('Ops', [{ email: 'Carol@example.com', role: 'project:editor' }]);

    const { plan, context } = await planKind(projectsKind, source, emptyTarget());
    await projectsKind.detail.finishPlan?.(context, plan);

    expect(plan.awaitingAccounts).toEqual([
      {
        email: 'carol@example.com',
        role: 'project:admin',
        project: '<carol@example.com> (personal project)',
      },
      { email: 'carol@example.com', role: 'project:editor', project: 'Ops' },
    ]);
    expect(plan.warnings).toEqual([]);
    expect(plan.notes).toContainEqual(
      expect.stringMatching(/^1 project member\(s\) have no account on the target: they wait for one/),
    );
    expect(plan.invitations).toBeUndefined();
  });

  it('with --invite-users plans to invite them with their source role instead (an owner as admin)', async () => {
    const source = emptySource([...WITH_CAROL, { email: 'dan@example.com', role: 'global:admin' }]);
    source.seedProject('Ops', [
      { email: 'carol@example.com', role: 'project:editor' },
      { email: 'dan@example.com', role: 'project:viewer' },
    ]);

    const { plan, context } = await planKind(projectsKind, source, emptyTarget(), {
      placement: { inviteUsers: true },
    });
    await projectsKind.detail.finishPlan?.(context, plan);

    expect(plan.invitations).toEqual([
      { email: 'carol@example.com', role: 'global:member' },
      { email: 'dan@example.com', role: 'global:admin' },
    ]);
    expect(plan.awaitingAccounts).toBeUndefined();
  });

  it("notes that a target without projects takes everything into the key owner's personal project", async () => {
    const source = emptySource();
    const ops = source.seedProject('Ops');
    const target = emptyTarget({ licensed: { projects: false } });

    const { entries, plan, context } = await planKind(projectsKind, source, target);

    expect(plan.notes).toContainEqual(expect.stringMatching(/cannot take projects/));
    expect(entries.every((e) => e.action === 'skip')).toBe(true);
    expect(context.scopeOf(ops.id)).toEqual({ kind: 'personal' });
  });

  it('outside --only, plans no project yet still lands objects in the matching one', async () => {
    const source = emptySource();
    const ops = source.seedProject('Ops');
    const lab = source.seedProject('Lab');
    const target = emptyTarget();
    const existing = target.seedProject('Ops');

    const { entries, context } = await planKind(projectsKind, source, target, {
      selection: { only: ['variables'] },
    });

    expect(entries).toEqual([]);
    expect(context.scopeOf(ops.id)).toEqual({ kind: 'existing', id: existing.id });
    expect(context.scopeOf(lab.id)).toEqual({ kind: 'personal' });
  });
});

describe('projects step', () => {
  it('creates a team project, records its id and adds the members who have accounts, with their roles', async () => {
    const source = emptySource();
    const ops = source.seedProject('Ops', TEAM);
    const target = emptyTarget();
    const planned = await planKind(projectsKind, source, target);

    const ledger = await applyStep(createProjects, planned);

    const created = exactlyOne(target.projects, (p) => p.name === 'Ops');
    expect(ledger.targetId('projects', ops.id)).toBe(created.id);
    expect(created.members.map((m) => [m.email, m.role])).toEqual(TEAM.map((m) => [m.email, m.role]));
    expect(ledger.state.created.projects).toBe(1);
  });

  it.each([
    ['chosen (the whole archive)', {}, TEAM.map((m) => m.email)],
    ['only pulled in by a chosen workflow', { workflow: 'Nightly' }, []],
  ])('under overwrite, adds missing members to an existing project %s', async (_how, selection, added) => {
    const source = emptySource();
    const ops = source.seedProject('Ops', TEAM);
    source.seedWorkflow({ name: 'Nightly' }, ops.id);
    const target = emptyTarget();
    target.seedProject('Ops');
    const before = exactlyOne(target.projects, (p) => p.name === 'Ops').members.map((m) => m.email);
    const planned = await planKind(projectsKind, source, target, {
      conflicts: { onConflict: 'overwrite' },
      selection,
    });

    await applyStep(createProjects, planned);

    const after = exactlyOne(target.projects, (p) => p.name === 'Ops').members.map((m) => m.email);
    expect(after.filter((email) => !before.includes(email)).sort()).toEqual(
      added.filter((email) => !before.includes(email)).sort(),
    );
  });

  it('on resume, adopts the project an interrupted run created and adds its members', async () => {
    const source = emptySource();
    const ops = source.seedProject('Ops', TEAM);
    const target = emptyTarget();
    const planned = await planKind(projectsKind, source, target);

    const ledger = await resumeAfterCrash(createProjects, planned, { atWrite: 2 });

    const adopted = exactlyOne(target.projects, (p) => p.name === 'Ops');
    expect(ledger.targetId('projects', ops.id)).toBe(adopted.id);
    expect(adopted.members.map((m) => m.email)).toEqual(TEAM.map((m) => m.email));
  });

  it('with --invite-users invites the members without an account, then gives them their project roles; the stand-in gets its owner as admin', async () => {
    // Prepare
    const source = withCarolsCredential();
    const ops = source.seedProject('Ops', [...TEAM, { email: 'carol@example.com', role: 'project:editor' }]);
    const target = emptyTarget();
    const planned = await planKind(projectsKind, source, target, { placement: { inviteUsers: true } });
    await projectsKind.detail.finishPlan?.(planned.context, planned.plan);

    // Act
    const ledger = await applyStep(createProjects, planned);

    // Assess
    const carol = exactlyOne(target.users, (u) => u.email === 'carol@example.com');
    expect(carol.isPending).toBe(true);
    const created = exactlyOne(target.projects, (p) => p.id === ledger.targetId('projects', ops.id));
    expect(created.members.map((m) => [m.email, m.role])).toContainEqual([
      'carol@example.com',
      'project:editor',
    ]);
    const standIn = exactlyOne(target.projects, (p) => p.name === '<carol@example.com> (personal project)');
    expect(standIn.type).toBe('team');
    expect(standIn.members.map((m) => [m.email, m.role])).toContainEqual([
      'carol@example.com',
      'project:admin',
    ]);
    expect(writesTo(target, 'POST /users')).toHaveLength(1);
  });

  it('invites an admin as a member where the licence does not allow inviting admins, and says so', async () => {
    const source = emptySource([...SEED_USERS, { email: 'dan@example.com', role: 'global:admin' }]);
    source.seedProject('Ops', [{ email: 'dan@example.com', role: 'project:viewer' }]);
    const target = emptyTarget({ licensed: { advancedPermissions: false } });
    const planned = await planKind(projectsKind, source, target, { placement: { inviteUsers: true } });
    await projectsKind.detail.finishPlan?.(planned.context, planned.plan);

    const ledger = await applyStep(createProjects, planned);

    expect(exactlyOne(target.users, (u) => u.email === 'dan@example.com').role).toBe('global:member');
    expect(ledger.state.warnings).toEqual([
      expect.objectContaining({
        code: 'invited-as-member',
        message: expect.stringContaining('dan@example.com: invited as global:member, not global:admin'),
      }),
    ]);
  });

  it('fails only the project n8n refuses and creates the others', async () => {
    const source = emptySource();
    const bad = source.seedProject('Bad');
    source.seedProject('Lab');
    const target = emptyTarget();
    const planned = await planKind(projectsKind, source, target);
    refuseWrites(target, 'createProject', (name) => name === 'Bad');

    const ledger = await applyStep(createProjects, planned);

    expect(target.projects.filter((p) => p.type === 'team').map((p) => p.name)).toEqual(['Lab']);
    expect(ledger.hasFailed('projects', bad.id)).toBe(true);
    expect(ledger.state.warnings).toEqual([
      expect.objectContaining({ code: 'restore-failed', message: expect.stringContaining('"Bad"') }),
    ]);
  });
});

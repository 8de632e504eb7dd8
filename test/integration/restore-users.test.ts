/**
 * Users, honestly, through the CLI on the API double: project members are mapped by e-mail; one
 * without an account on the target waits for one (listed apart, exit 0, no difference for
 * `diff --ignore-users`), or is invited with --invite-users and given their project role; a personal
 * project of a user without an account goes to a team project named after them, never the key
 * owner's; a re-run after the invitations were accepted finishes the memberships.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import type { StoredProject } from '../double/state.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

let source: N8nDouble;
let target: N8nDouble;
let store: string;
let archive: string;

const ANA_PERSONAL_WORKFLOW = 'Ana’s own report';

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all' });
  target = await startN8nDouble({ licensed: 'all' });
  seedInstance(source.state, { workflows: 4 });
  const ana = [...source.state.users.values()].find((u) => u.email === 'ana@example.com');
  source.state.createWorkflow(
    {
      name: ANA_PERSONAL_WORKFLOW,
      nodes: [
        {
          name: 'Start',
          type: 'n8n-nodes-base.manualTrigger',
          typeVersion: 1,
          position: [0, 0],
          parameters: {},
        },
      ],
      connections: {},
      settings: {},
    },
    { projectId: source.state.personalProjectOf(ana?.id ?? '').id },
  );
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-users-'));
  const run = await runCapturedCli(backupArgs(source.url, store, '--json'), { SOURCE_KEY: source.apiKey });
  expect(run.code, run.stderr).toBe(0);
  archive = (JSON.parse(run.stdout) as { archive: string }).archive;
});
afterEach(async () => {
  await Promise.all([source.close(), target.close()]);
  await rm(store, { recursive: true, force: true });
});

const restore = (...flags: string[]) =>
  runCapturedCli(restoreArgs(archive, target.url, ...flags), { TARGET_KEY: target.apiKey });

const teamProject = (name: string): StoredProject | undefined =>
  [...target.state.projects.values()].find((p) => p.type === 'team' && p.name === name);

const membersOf = (project: StoredProject | undefined) =>
  (project?.members ?? []).map((m) => `${target.state.users.get(m.userId)?.email} ${m.role}`).sort();

const workflowProject = (name: string) => {
  const workflow = [...target.state.workflows.values()].find((w) => w.name === name);
  return target.state.projects.get(workflow?.projectId ?? '');
};

describe('a restore into a target where the team has no accounts', () => {
  it('exits 0, lists the members as waiting for an account, and puts a personal project into a team project named after its owner', async () => {
    const run = await restore();

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'Waiting for an account (not a failure; run this restore again once they have one):',
    );
    expect(run.stdout).toContain('  ana@example.com — project:editor of "Finance"');
    expect(run.stdout).toContain('  bo@example.com — project:admin of "Operations 🛠"');
    expect(run.stdout).not.toMatch(/^warning: .*no account/m);
    const standIn = workflowProject(ANA_PERSONAL_WORKFLOW);
    expect(standIn).toMatchObject({ type: 'team', name: 'Ana Álvarez <ana@example.com> (personal project)' });
    expect(standIn?.id).not.toBe(target.state.personalProjectId);

    const diff = await runCapturedCli(
      ['diff', archive, '--url', target.url, '--api-key-env', 'TARGET_KEY', '--ignore-users'],
      { TARGET_KEY: target.apiKey },
    );
    expect(diff.code, diff.stdout).toBe(0);
  });

  it('a re-run once they accepted an invitation (their accounts exist) adds their memberships, and then nothing waits', async () => {
    expect((await restore()).code).toBe(0);
    for (const email of ['ana@example.com', 'bo@example.com'])
      target.state.createUser({ email, firstName: email.slice(0, 3), lastName: 'X' });

    const again = await restore();

    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('member(s) who were waiting for an account now have one');
    expect(membersOf(teamProject('Finance'))).toContain('ana@example.com project:editor');
    expect(membersOf(teamProject('Operations 🛠'))).toEqual(
      expect.arrayContaining(['bo@example.com project:admin', 'ana@example.com project:viewer']),
    );
    expect(membersOf(workflowProject(ANA_PERSONAL_WORKFLOW))).toContain('ana@example.com project:admin');
    expect(again.stdout).not.toContain('Waiting for an account');
  });

  it('--invite-users invites them (the report lists the links, the log never), then gives them their project roles', async () => {
    const run = await runCapturedCli(restoreArgs(archive, target.url, '--invite-users', '--verbose'), {
      TARGET_KEY: target.apiKey,
    });

    expect(run.code, run.stderr).toBe(0);
    const invitee = [...target.state.users.values()].find((u) => u.email === 'ana@example.com');
    expect(invitee?.isPending).toBe(true);
    expect(run.stdout).toContain(`  ana@example.com: http://127.0.0.1/signup?token=double-${invitee?.id}`);
    expect(run.stderr).not.toContain('signup?token=');
    expect(membersOf(teamProject('Finance'))).toContain('ana@example.com project:editor');
    expect(membersOf(workflowProject(ANA_PERSONAL_WORKFLOW))).toContain('ana@example.com project:admin');
    expect(run.stdout).not.toContain('Waiting for an account');
  });
});

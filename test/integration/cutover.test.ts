/**
 * `n8n-ark cutover` on two API doubles: a dry run writes nothing; a cutover ends with the target
 * running what the source ran (the version that ran, not a newer draft; sub-workflows; the webhook
 * registered) and the source frozen; what the source saved after the copy (staticData, rows) reaches
 * the target; --rollback puts the source's published versions back exactly and unpublishes the target.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { composeCutover } from '../../functions/cli/commands/cutover/action.js';
import { composeCli } from '../../functions/cli/compose.js';
import { runCutover } from '../../functions/core/cutover/run.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import {
  type LiveSource,
  publishedMarkers,
  publishedVersions,
  scheduled,
  seedLiveSource,
} from './support/cutover-source.js';
import { runCapturedCli } from './support/run-cli.js';

let source: N8nDouble;
let target: N8nDouble;
let folder: string;
let live: LiveSource;

beforeEach(async () => {
  [source, target] = await Promise.all([
    startN8nDouble({ licensed: 'all' }),
    startN8nDouble({ licensed: 'all' }),
  ]);
  target.state.webhooks.lagMs = 300;
  folder = await mkdtemp(join(tmpdir(), 'n8n-ark-cutover-'));
  live = await seedLiveSource(source);
});
afterEach(async () => {
  await Promise.all([source.close(), target.close()]);
  await rm(folder, { recursive: true, force: true });
});

const ENV = () => ({ OLD_KEY: source.apiKey, NEW_KEY: target.apiKey });
const args = (...flags: string[]) => [
  'cutover',
  '--from-url',
  source.url,
  '--from-key-env',
  'OLD_KEY',
  '--to-url',
  target.url,
  '--to-key-env',
  'NEW_KEY',
  '--store',
  join(folder, 'store'),
  ...(flags.includes('--drain-timeout') ? [] : ['--drain-timeout', '5']),
  ...flags,
];
const cutover = (...flags: string[]) => runCapturedCli(args(...flags), ENV());

const ACTIVE = ['Caller', 'Counter', 'Orders hook', 'Worker'];

describe('n8n-ark cutover', () => {
  it('a dry run names what it would freeze and writes nothing to either instance', async () => {
    // Prepare
    const before = publishedVersions(source);

    // Act
    const run = await cutover('--dry-run');

    // Assess
    expect(run.code, run.stderr).toBe(0);
    for (const name of ACTIVE) expect(run.stdout).toContain(name);
    expect(run.stdout).toContain('POST webhook/orders');
    expect(run.stdout).toContain('nothing was written');
    expect(run.stdout).toMatch(/Freeze window: at least \d+\.\d s/);
    expect(publishedVersions(source)).toEqual(before);
    expect(target.state.workflows.size).toBe(0);
    expect(target.state.dataTables.size).toBe(0);
    expect(target.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/'))).toEqual([]);
  });

  it('refuses before any write when the target lacks node types a published workflow runs', async () => {
    // Prepare: the source runs a community node the target has not installed
    source.state.community.communityPackages.push({
      packageName: 'n8n-nodes-datastore',
      installedVersion: '0.1.18',
      installedNodes: [{ name: 'Datastore', type: 'n8n-nodes-datastore.datastore', latestVersion: 1 }],
    });
    const body = scheduled('Stores things', 'STORE');
    body.nodes.push({
      name: 'Store',
      type: 'n8n-nodes-datastore.datastore',
      typeVersion: 1,
      position: [400, 0],
      parameters: {},
    });
    const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
    await api.publishWorkflow((await api.createWorkflow(body)).id);
    const before = publishedVersions(source);

    // Act
    const dry = await cutover('--dry-run');
    const run = await cutover();

    // Assess
    const named =
      'workflow "Stores things" runs node types the target lacks (n8n-nodes-datastore.datastore@1)';
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`REFUSED: ${named}`);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(named);
    expect(publishedVersions(source)).toEqual(before);
    expect(target.state.workflows.size).toBe(0);
  });

  it.each([[[]], [['--keep-workflow-ids']]])(
    'with %j ends with the target running what ran on the source, the source frozen and the webhook moved',
    async (flags: string[]) => {
      // Act
      const run = await cutover('--json', ...flags);

      // Assess
      expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
      const report = JSON.parse(run.stdout) as {
        steps: { step: string; ms: number }[];
        freezeWindowMs: number;
        needsAPerson: string[];
        html: string;
      };
      const page = await readFile(report.html, 'utf8');
      expect(page).toContain('id="freeze-window"');
      for (const name of ACTIVE) expect(page).toContain(`<td>${name}</td>`);
      expect((await stat(report.html)).mode & 0o777).toBe(0o600);
      expect(report.steps.map((s) => s.step)).toEqual(['preflight', 'copy', 'freeze', 'delta', 'switch']);
      expect(report.freezeWindowMs).toBeGreaterThan(0);
      expect(report.needsAPerson.join('\n')).toContain(`${target.url}/webhook/orders`);
      expect([...publishedMarkers(target)].sort()).toEqual([
        ['Caller', 'CALLS'],
        ['Counter', 'PUBLISHED-v1'],
        ['Orders hook', 'n8n-nodes-base.webhook'],
        ['Worker', 'n8n-nodes-base.executeWorkflowTrigger'],
      ]);
      expect(publishedVersions(source).size).toBe(0);
      const counter = [...target.state.workflows.values()].find((w) => w.name === 'Counter');
      expect(counter?.nodes.find((n) => n.name === 'Mark')?.parameters).toEqual({ value: 'DRAFT-v2' });
      const orders = [{ type: 'n8n-nodes-base.webhook', parameters: { path: 'orders', httpMethod: 'POST' } }];
      expect(target.state.webhooks.conflict('another', orders)).toBeDefined();
      expect(source.state.webhooks.conflict('another', orders)).toBeUndefined();
      const ids = (double: N8nDouble) =>
        [...double.state.workflows.values()].map((w) => `${w.name} ${w.id}`).sort();
      if (flags.length > 0) expect(ids(target)).toEqual(ids(source));
      else expect(ids(target)).not.toEqual(ids(source));
    },
  );

  it('publishes nothing on the target when a frozen workflow was published again on the source meanwhile', async () => {
    // Prepare: a cutover that stops as the switch begins (both frozen), then a person republishes "Counter"
    const deps = await composeCutover(
      composeCli({ stdout: new PassThrough(), stderr: new PassThrough() }, ENV()),
      {
        fromUrl: source.url,
        fromKeyEnv: 'OLD_KEY',
        toUrl: target.url,
        toKeyEnv: 'NEW_KEY',
        store: join(folder, 'store'),
      },
    );
    deps.target.publishWorkflow = async () => {
      throw new Error('stopped before the first publish');
    };
    await expect(runCutover(deps, { instance: 'old', drainMs: 5000 })).rejects.toThrow(/switch/);
    await deps.source.publishWorkflow(live.counter.id);

    // Act
    const dry = await cutover('--dry-run');
    const run = await cutover();

    // Assess
    expect(dry.stdout).toContain(
      'done: preflight, copy, freeze, delta): the same command without --dry-run continues it',
    );
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('Published again on the source since the freeze: "Counter"');
    expect(publishedVersions(target).size).toBe(0);
  });

  it('carries what the source saved after the copy (staticData, rows) to the target', async () => {
    // Prepare: the counter ticks and a row is written while the copy runs (before the first unpublish)
    const out = { stdout: new PassThrough(), stderr: new PassThrough() };
    const cli = composeCli(out, ENV());
    const deps = await composeCutover(cli, {
      fromUrl: source.url,
      fromKeyEnv: 'OLD_KEY',
      toUrl: target.url,
      toKeyEnv: 'NEW_KEY',
      store: join(folder, 'store'),
    });
    const unpublish = deps.source.unpublishWorkflow;
    let ticked = false;
    deps.source.unpublishWorkflow = async (id) => {
      if (!ticked) {
        ticked = true;
        const counter = source.state.workflows.get(live.counter.id);
        if (counter) counter.staticData = { global: { counter: 57 } };
        await deps.source.insertDataTableRows(live.tableId, [{ n: 3 }]);
      }
      await unpublish(id);
    };

    // Act
    await runCutover(deps, { instance: 'old', drainMs: 5000 });

    // Assess
    const counter = [...target.state.workflows.values()].find((w) => w.name === 'Counter');
    expect(counter?.staticData).toEqual({ global: { counter: 57 } });
    const table = [...target.state.dataTables.values()].find((t) => t.name === 'events');
    expect(table?.rows.map((r) => r.values.n).sort()).toEqual([1, 2, 3]);
  });

  it('waits for executions still running on the frozen source: past --drain-timeout it stops with both frozen, then continues', async () => {
    // Prepare: the counter is running when the freeze comes
    const execution = {
      id: '901',
      workflowId: live.counter.id,
      status: 'running' as const,
      mode: 'trigger',
      startedAt: new Date().toISOString(),
      stoppedAt: null,
    };
    source.state.executions.push(execution);

    // Act
    const stopped = await cutover('--drain-timeout', '1');
    const frozenMeanwhile = publishedVersions(source).size;
    const targetMeanwhile = publishedVersions(target).size;
    Object.assign(execution, { status: 'success', stoppedAt: new Date().toISOString() });
    const continued = await cutover();

    // Assess
    expect(stopped.code).toBe(6);
    expect(stopped.stderr).toContain(
      'The source still runs 1 execution(s) of frozen workflows after 1 s (901)',
    );
    expect([frozenMeanwhile, targetMeanwhile]).toEqual([0, 0]);
    expect(continued.code, `${continued.stdout}${continued.stderr}`).toBe(0);
    expect(publishedVersions(target).size).toBe(4);
  });

  it('names for a person the project members the target has no account for', async () => {
    // Prepare: a team project on the source whose member has no account on the target
    const member = source.state.createUser({ email: 'ops@example.com' });
    const project = source.state.createTeamProject('Operations', source.state.owner.id);
    source.state.setProjectMember(project.id, member.id, 'project:editor');

    // Act
    const run = await cutover('--json');

    // Assess
    expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
    const report = JSON.parse(run.stdout) as { needsAPerson: string[] };
    expect(report.needsAPerson).toContainEqual(
      expect.stringContaining('member ops@example.com (project:editor) has no account in the target'),
    );
  });

  it('refuses --rollback with --dry-run, writing nothing', async () => {
    const before = publishedVersions(source);
    const run = await cutover('--rollback', '--dry-run');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--rollback writes to both instances and has no dry run');
    expect(publishedVersions(source)).toEqual(before);
  });

  it('--rollback publishes on the source exactly the versions that ran, and unpublishes the target', async () => {
    // Prepare
    const before = publishedVersions(source);
    const moved = await cutover();
    expect(moved.code, `${moved.stdout}${moved.stderr}`).toBe(0);

    // Act
    const back = await cutover('--rollback', '--json');

    // Assess
    expect(back.code, `${back.stdout}${back.stderr}`).toBe(0);
    expect(publishedVersions(source)).toEqual(before);
    expect(publishedMarkers(source).get('Counter')).toBe('PUBLISHED-v1');
    expect(publishedVersions(target).size).toBe(0);
    const journal = JSON.parse(
      await readFile(
        join(folder, 'store', `${hostOf(source)}-to-${hostOf(target)}.cutover-journal.json`),
        'utf8',
      ),
    ) as { rolledBackAt?: string };
    expect(journal.rolledBackAt).toBeDefined();
  });
});

function hostOf(double: N8nDouble): string {
  const { hostname, port } = new URL(double.url);
  return `${hostname}-${port}`;
}

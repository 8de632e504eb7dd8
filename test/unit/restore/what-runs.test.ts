/**
 * Exit 0 means what ran on the source runs on the target: the closing check judges what is
 * published (and what is not), the published version's content, and each webhook's registration;
 * a workflow n8n will not publish fails the restore with n8n's reason and a re-run retries it; a
 * finished ledger is checked against the target before it says "nothing to do"; a selection that
 * chooses nothing is refused.
 */
import { describe, expect, it } from 'vitest';
import {
  archiveSnapshot,
  diffInstances,
  formatDifferences,
  liveSnapshot,
} from '../../../functions/core/diff/index.js';
import { InvalidOptionError, N8nApiError } from '../../../functions/core/errors.js';
import type { Workflow, WorkflowNode } from '../../../functions/core/n8n-types.js';
import { silentLogger, silentProgress, type WebhookRegistration } from '../../../functions/core/ports.js';
import { planRestore } from '../../../functions/core/restore/plan.js';
import { runRestore } from '../../../functions/core/restore/run.js';
import type { RestoreOptions } from '../../../functions/core/restore/types.js';
import { type MemoryArchive, memoryArchive } from '../fakes/memory-archive.js';
import { MemoryN8n } from '../fakes/memory-n8n.js';
import { emptyTarget } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';

function webhookNode(path: string, method = 'POST'): WorkflowNode {
  return {
    id: `hook-${path}`,
    name: 'Hook',
    type: 'n8n-nodes-base.webhook',
    typeVersion: 2,
    position: [0, 0],
    webhookId: `00000000-0000-4000-8000-${path.padEnd(12, '0').slice(0, 12)}`,
    parameters: { path, httpMethod: method },
  };
}

const schedule: WorkflowNode = {
  id: 'nightly',
  name: 'Every night',
  type: 'n8n-nodes-base.scheduleTrigger',
  typeVersion: 1.2,
  position: [0, 0],
  parameters: {},
};

/** A source with a published webhook workflow ("Hook", POST ark-hook), a published schedule and a draft. */
async function source(): Promise<{ source: MemoryN8n; archive: MemoryArchive }> {
  const n8n = new MemoryN8n({ baseUrl: 'http://source.test', idPrefix: 's' });
  const tag = n8n.seedTag('prod');
  const hook = await n8n.createWorkflow({
    name: 'Hook',
    nodes: [webhookNode('ark-hook')],
    connections: {},
    settings: { executionOrder: 'v1' },
  });
  const nightly = await n8n.createWorkflow({
    name: 'Nightly',
    nodes: [schedule],
    connections: {},
    settings: { executionOrder: 'v1', timezone: 'Europe/Berlin' },
  });
  await n8n.createWorkflow({ name: 'Draft', nodes: [schedule], connections: {}, settings: {} });
  await n8n.publishWorkflow(hook.id);
  await n8n.publishWorkflow(nightly.id);
  await n8n.setWorkflowTags(nightly.id, [tag.id]);
  return { source: n8n, archive: memoryArchive(n8n) };
}

/** One restore command (one ledger) into `target`; each call is one run of it. */
function restorer(archive: MemoryArchive, target: () => MemoryN8n, pauses: number[] = []) {
  const ledgerStore = new InMemoryLedgerStore();
  return (options: RestoreOptions = {}) =>
    runRestore(
      {
        archive,
        api: target(),
        ledgerStore,
        clock: { now: () => new Date('2026-12-07T03:00:00.000Z') },
        logger: silentLogger,
        progress: silentProgress,
        pause: async (ms) => {
          pauses.push(ms);
        },
      },
      options,
    );
}

const byName = (n8n: MemoryN8n, name: string): Workflow => {
  const found = n8n.workflows.find((w) => w.name === name);
  if (!found) throw new Error(`no workflow ${name}`);
  return found;
};

const activeOf = (n8n: MemoryN8n) =>
  Object.fromEntries(
    n8n.workflows.map((w) => [w.name, w.active]).sort(([a], [b]) => String(a).localeCompare(String(b))),
  );

async function holderOn(target: MemoryN8n, path: string, name = 'Holder'): Promise<Workflow> {
  const holder = await target.createWorkflow({
    name,
    nodes: [webhookNode(path)],
    connections: {},
    settings: {},
  });
  await target.publishWorkflow(holder.id);
  return holder;
}

describe('a webhook path the target already serves', () => {
  it('is named by the dry run, fails the restore naming the workflow that holds it, and is published once that one is unpublished', async () => {
    // Prepare
    const { archive } = await source();
    const target = emptyTarget();
    const holder = await holderOn(target, 'ark-hook');
    const restore = restorer(archive, () => target);

    // Act
    const dry = await restore({ run: { dryRun: true } });
    const first = await restore();
    await target.unpublishWorkflow(holder.id);
    const second = await restore();

    // Assess
    expect(dry.plan.warnings).toContainEqual(
      expect.objectContaining({
        code: 'webhook-path-taken',
        message: expect.stringContaining(
          `the webhook path POST ark-hook is taken by workflow "Holder" (id ${holder.id}) on the target`,
        ),
      }),
    );
    expect(first.report.complete).toBe(false);
    expect(first.report.failed.workflows).toBe(1);
    expect(first.report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'restore-failed',
        workflow: expect.objectContaining({ name: 'Hook' }),
        message: expect.stringContaining(
          `the webhook path POST ark-hook is taken by workflow "Holder" (id ${holder.id}) on the target`,
        ),
      }),
    );
    expect(second.report.complete).toBe(true);
    expect(activeOf(target)).toEqual({ Draft: false, Holder: false, Hook: true, Nightly: true });
    expect(await target.webhookRegistration('webhook', 'ark-hook', 'POST')).toEqual({
      registered: true,
      methods: ['POST'],
    });
  });

  it('names two published workflows of the target that claim one webhook path (n8n race), and fails a restored one among them', async () => {
    // Prepare: "Hook" is published as restored, then a second workflow of the target claims its path
    const { archive } = await source();
    const target = emptyTarget();
    const racer = await target.createWorkflow({
      name: 'Racer',
      nodes: [webhookNode('ark-hook')],
      connections: {},
      settings: {},
    });
    const publish = target.publishWorkflow.bind(target);
    target.publishWorkflow = async (id) => {
      await publish(id);
      if (target.workflows.find((w) => w.id === id)?.name === 'Hook') {
        // Published at the same moment: n8n lists both as published, the path stays with the first.
        const raced = byName(target, 'Racer');
        raced.active = true;
        raced.activeVersion = { versionId: 'raced', nodes: raced.nodes, connections: {} };
      }
    };
    const restore = restorer(archive, () => target);

    // Act
    const run = await restore();
    const plan = await planRestore(archive, target);

    // Assess
    expect(run.report.complete).toBe(false);
    expect(run.report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'not-running-after-restore',
        message: expect.stringContaining(
          `its webhook path POST ark-hook is claimed by workflow "Racer" (id ${racer.id}) too`,
        ),
      }),
    );
    expect(plan.warnings).toContainEqual(
      expect.objectContaining({
        code: 'webhook-claimed-twice',
        message: expect.stringContaining('POST ark-hook'),
      }),
    );
  });
});

describe('what runs, after every restore', () => {
  it('fails a publish n8n keeps refusing (500), and the re-run after the fault publishes', async () => {
    // Prepare
    const { archive } = await source();
    const target = emptyTarget();
    const publish = target.publishWorkflow.bind(target);
    let fault = true;
    target.publishWorkflow = async (id) => {
      if (fault)
        throw new N8nApiError('Internal Server Error', {
          status: 500,
          method: 'POST',
          path: `/workflows/${id}/publish`,
        });
      return publish(id);
    };
    const restore = restorer(archive, () => target);

    // Act
    const first = await restore();
    fault = false;
    const second = await restore();
    const third = await restore();

    // Assess
    expect(first.report.complete).toBe(false);
    expect(first.report.failed.workflows).toBe(2);
    expect(first.report.warnings.map((w) => w.message)).toContainEqual(
      expect.stringMatching(
        /workflows "Nightly": activating it failed: n8n will not publish it: Internal Server Error/,
      ),
    );
    expect(second.report.complete).toBe(true);
    expect(activeOf(target)).toMatchObject({ Hook: true, Nightly: true, Draft: false });
    expect(third.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
  });

  it('with --no-activate publishes nothing and expects nothing published', async () => {
    const { archive } = await source();
    const target = emptyTarget();

    const run = await restorer(archive, () => target)({ workflowWrite: { activate: false } });

    expect(run.report.complete).toBe(true);
    expect(activeOf(target)).toEqual({ Draft: false, Hook: false, Nightly: false });
  });

  it('fails a workflow whose published version on the target is not the archive one', async () => {
    // Prepare: n8n answers the publish, but what it runs is an older version
    const { archive } = await source();
    const target = emptyTarget();
    const publish = target.publishWorkflow.bind(target);
    target.publishWorkflow = async (id) => {
      await publish(id);
      const workflow = target.workflows.find((w) => w.id === id);
      if (workflow?.name === 'Nightly')
        workflow.activeVersion = {
          versionId: 'old',
          nodes: [{ ...schedule, parameters: { rule: {} } }],
          connections: {},
        };
    };

    const run = await restorer(archive, () => target)();

    expect(run.report.complete).toBe(false);
    expect(run.report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'not-running-after-restore',
        workflow: expect.objectContaining({ name: 'Nightly' }),
        message: expect.stringContaining("is not the archive's published version"),
      }),
    );
  });

  it('waits for a webhook n8n registers a moment after the publish, and fails one it never registers', async () => {
    // Prepare: the first answers say "not registered" (n8n's lag), then the webhook is there
    const { archive } = await source();
    const lagging = emptyTarget();
    const registration = lagging.webhookRegistration.bind(lagging);
    let asked = 0;
    lagging.webhookRegistration = async (endpoint, path, method): Promise<WebhookRegistration> => {
      asked += 1;
      return asked <= 3
        ? { registered: false, message: `The requested webhook "${method} ${path}" is not registered.` }
        : registration(endpoint, path, method);
    };
    const never = emptyTarget();
    never.webhookRegistration = async (_e, path, method) => ({
      registered: false,
      message: `The requested webhook "${method} ${path}" is not registered.`,
    });
    const pauses: number[] = [];

    // Act
    const lag = await restorer(archive, () => lagging, pauses)();
    const waitedForLag = pauses.length;
    const lost = await restorer(archive, () => never, pauses)();

    // Assess
    expect(lag.report.complete).toBe(true);
    expect(waitedForLag).toBe(3);
    expect(lost.report.complete).toBe(false);
    expect(lost.report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'not-running-after-restore',
        workflow: expect.objectContaining({ name: 'Hook' }),
        message: expect.stringContaining(
          'n8n has not registered its webhook POST /webhook/ark-hook 10 s after publishing it (n8n: The requested webhook "POST ark-hook" is not registered.)',
        ),
      }),
    );
    expect(pauses.slice(waitedForLag).reduce((a, b) => a + b, 0)).toBe(10_000);
  });
  it('notes, and does not fail, webhooks the target cannot be asked about (its webhook URLs served elsewhere)', async () => {
    const { archive } = await source();
    const target = emptyTarget();
    target.webhookRegistration = async () => ({
      registered: undefined,
      reason: 'OPTIONS /webhook/ark-hook answered 404',
    });

    const run = await restorer(archive, () => target)();

    expect(run.report.complete).toBe(true);
    expect(run.report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'webhook-unchecked',
        message: expect.stringContaining('answered 404'),
      }),
    );
  });
});

describe('a finished restore run again', () => {
  it('restores everything again into a target rebuilt empty at the same URL, never "nothing to do"', async () => {
    // Prepare
    const { archive } = await source();
    const owner = [
      { email: 'owner@example.com', firstName: 'Olga', lastName: 'Owner', role: 'global:owner' },
    ];
    let target = emptyTarget({ users: owner });
    const restore = restorer(archive, () => target);
    const first = await restore();
    target = emptyTarget({ users: owner });

    // Act
    const again = await restore();

    // Assess
    expect(first.report.complete).toBe(true);
    expect(again.report.complete).toBe(true);
    expect(again.report.created.workflows).toBe(3);
    expect(again.report.warnings.map((w) => w.code)).not.toContain('already-restored');
    expect(again.plan.notes[0]).toMatch(
      /the target no longer holds, or no longer runs, \d+ object\(s\) it wrote/,
    );
    const diff = await diffInstances(archiveSnapshot(archive, 'archive'), liveSnapshot(target));
    expect(formatDifferences(diff)).toEqual([]);
  });

  it('writes again and publishes a workflow unpublished since, and recreates one deleted since', async () => {
    // Prepare
    const { archive } = await source();
    const target = emptyTarget();
    const restore = restorer(archive, () => target);
    await restore();
    await target.unpublishWorkflow(byName(target, 'Hook').id);
    await target.deleteWorkflow(byName(target, 'Draft').id);
    const nightly = byName(target, 'Nightly').id;

    // Act
    const again = await restore();
    const third = await restore();

    // Assess
    expect(again.report.complete).toBe(true);
    expect(again.report.created.workflows).toBe(1);
    expect(again.report.updated.workflows).toBe(1);
    expect(activeOf(target)).toEqual({ Draft: false, Hook: true, Nightly: true });
    expect(byName(target, 'Nightly').id).toBe(nightly);
    expect(third.report.warnings.map((w) => w.code)).toEqual(['already-restored']);
  });

  it('overwrites again what drifted from the archive when --on-conflict overwrite is asked again', async () => {
    // Prepare
    const { archive } = await source();
    const target = emptyTarget();
    const restore = restorer(archive, () => target);
    await restore({ conflicts: { onConflict: 'overwrite' } });
    const nightly = byName(target, 'Nightly');
    await target.updateWorkflow(nightly.id, {
      name: 'Nightly',
      nodes: [{ ...schedule, parameters: { rule: { interval: [{ field: 'hours' }] } } }],
      connections: {},
      settings: nightly.settings,
    });

    // Act
    const again = await restore({ conflicts: { onConflict: 'overwrite' } });
    const third = await restore({ conflicts: { onConflict: 'overwrite' } });

    // Assess
    expect(again.report.complete).toBe(true);
    expect(again.report.updated.workflows).toBe(1);
    expect(byName(target, 'Nightly').nodes[0]?.parameters).toEqual({});
    expect(byName(target, 'Nightly').id).toBe(nightly.id);
    expect(third.report.updated.workflows).toBe(0);
    expect(third.report.complete).toBe(true);
  });
});

describe('a selection that chooses nothing', () => {
  it('is refused (exit 2) naming the nearest workflow names or tags, with nothing written', async () => {
    const { archive } = await source();
    const target = emptyTarget();
    const restore = restorer(archive, () => target);

    const glob = await restore({ selection: { workflow: 'Hok*' } }).catch((error: unknown) => error);
    const tag = await restore({ selection: { tag: 'prd' } }).catch((error: unknown) => error);

    expect(glob).toBeInstanceOf(InvalidOptionError);
    expect((glob as InvalidOptionError).exitCode).toBe(2);
    expect((glob as Error).message).toBe(
      'workflow: "Hok*" matches no workflow of the archive: nothing would be restored. The nearest workflow names: "Hook", "Draft", "Nightly"',
    );
    expect((tag as Error).message).toBe(
      'tag: "prd" carries no workflow of the archive: nothing would be restored. The nearest tags: "prod"',
    );
    expect(target.writes).toEqual([]);
  });
});

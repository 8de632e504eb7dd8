/**
 * Exit 0 means what ran on the source runs on the target, on real n8n 2.41.1 through the built CLI:
 * - a target whose own published workflow holds a webhook path of the archive: the restore exits 6
 *   naming that workflow and the path (the dry run named it first); once it is unpublished, the same
 *   command exits 0 and the restored webhook is registered (OPTIONS) and answers its method;
 * - after a complete restore, the target is emptied through the API at the same URL: the same
 *   command restores everything again and exits 0, the target equal to the archive (diff);
 * - a publish n8n answers with 500 every time (a proxy in front of it): the restore exits non-zero,
 *   and the same command after the fault publishes.
 * It also measures how long n8n takes to register a webhook after answering its publish.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../support/fault-proxy.js';
import { formWorkflow, webhookWorkflow } from '../support/webhook-workflows.js';
import { cli, publicApi, publicApiList } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';
import { LEAP_DAY_SCHEDULE } from './harness/seed-real.js';

let source: RealN8n;
let target: RealN8n;
let dir: string;
let archive: string;

interface Listed {
  id: string;
  name: string;
  active: boolean;
}

const keyEnv = (n8n: RealN8n) => ({ ARK_KEY: n8n.apiKey });
const conn = (url: string) => ['--url', url, '--api-key-env', 'ARK_KEY'];

/** OPTIONS on the production URL, as a browser's preflight: nothing runs. */
async function preflight(n8n: RealN8n, endpoint: string, path: string, method: string) {
  const response = await fetch(`${n8n.url}/${endpoint}/${path}`, {
    method: 'OPTIONS',
    headers: { origin: 'https://ark.test', 'access-control-request-method': method },
  });
  await response.text();
  // n8n lists the methods in its database's order (sorted on SQLite, as registered on PostgreSQL).
  const methods = response.headers.get('access-control-allow-methods')?.split(', ').sort() ?? [];
  return { status: response.status, allow: methods.join(', ') };
}

const webhook = (name: string, path: string) =>
  webhookWorkflow(name, { path, httpMethod: 'POST', responseMode: 'onReceived', options: {} });

async function create(n8n: RealN8n, body: unknown, publish: boolean): Promise<string> {
  const { id } = await publicApi<{ id: string }>(n8n, 'POST', '/workflows', body);
  if (publish) await publicApi(n8n, 'POST', `/workflows/${id}/publish`, {});
  return id;
}

/** Everything a restore wrote, unpublished and deleted through the Public API: the target rebuilt empty. */
async function emptyTarget(n8n: RealN8n): Promise<void> {
  for (const workflow of await publicApiList<Listed>(n8n, '/workflows?limit=250')) {
    if (workflow.active) await publicApi(n8n, 'POST', `/workflows/${workflow.id}/unpublish`, {});
    for (let attempt = 0; ; attempt += 1) {
      try {
        await publicApi(n8n, 'DELETE', `/workflows/${workflow.id}`);
        break;
      } catch (error) {
        // n8n tears triggers down in the background before it lets a workflow go.
        if (attempt > 30) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
  for (const tag of await publicApiList<{ id: string }>(n8n, '/tags?limit=250'))
    await publicApi(n8n, 'DELETE', `/tags/${tag.id}`);
  for (const credential of await publicApiList<{ id: string }>(n8n, '/credentials?limit=250'))
    await publicApi(n8n, 'DELETE', `/credentials/${credential.id}`);
}

const activeByName = async (n8n: RealN8n) =>
  Object.fromEntries(
    (await publicApiList<Listed>(n8n, '/workflows?limit=250'))
      .map((w) => [w.name, w.active])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-what-runs-'));
  [source, target] = await Promise.all([startN8n('runs-src'), startN8n('runs-dst')]);
  await create(source, webhook('Orders hook', 'ark-orders'), true);
  await create(source, formWorkflow('Contact form', 'ark-contact'), true);
  await create(
    source,
    {
      name: 'Leap-day report',
      nodes: [
        {
          name: 'On 29 February',
          type: 'n8n-nodes-base.scheduleTrigger',
          typeVersion: 1.2,
          position: [0, 0],
          parameters: LEAP_DAY_SCHEDULE,
        },
      ],
      connections: {},
      settings: { executionOrder: 'v1', timezone: 'Europe/Berlin' },
    },
    true,
  );
  const backup = await cli(
    ['backup', ...conn(source.url), '--store', join(dir, 'store'), '--instance', 'src', '--json'],
    keyEnv(source),
  );
  expect(backup.code, backup.stderr).toBe(0);
  archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

describe(`what runs, on real n8n 2.41.1`, () => {
  it('measures how long n8n takes to register a webhook after it answers the publish', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const id = await create(source, webhook(`lag ${i}`, `ark-lag-${i}`), false);
      await publicApi(source, 'POST', `/workflows/${id}/publish`, {});
      const answered = Date.now();
      while ((await preflight(source, 'webhook', `ark-lag-${i}`, 'POST')).status !== 204) {
        expect(Date.now() - answered).toBeLessThan(10_000);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      samples.push(Date.now() - answered);
    }
    console.info(
      `webhook registration after the publish answer (${source.databaseLabel}): ${samples.join(', ')} ms`,
    );
    expect(samples).toHaveLength(5);
  });

  it('exits 6 naming the target workflow that holds a webhook path, then 0 once it is unpublished, the webhook registered', async () => {
    // Prepare
    const holder = await create(target, webhook('Legacy orders', 'ark-orders'), true);
    const ledger = join(dir, 'collision.ledger.json');
    const restore = (...flags: string[]) =>
      cli(['restore', archive, ...conn(target.url), '--ledger', ledger, ...flags], keyEnv(target));
    const named = `the webhook path POST ark-orders is taken by workflow "Legacy orders" (id ${holder}) on the target`;

    // Act
    const dry = await restore('--dry-run');
    const refused = await restore();
    await publicApi(target, 'POST', `/workflows/${holder}/unpublish`, {});
    // n8n lets the path go a moment after it answers (measured: ≤ 0.5 s).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const executionsBefore = await publicApiList(target, '/executions?limit=250');
    const again = await restore();
    const hook = await preflight(target, 'webhook', 'ark-orders', 'POST');
    const form = await preflight(target, 'form', 'ark-contact', 'POST');
    const executionsAfterRestore = await publicApiList(target, '/executions?limit=250');
    const called = await fetch(`${target.url}/webhook/ark-orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order: 1 }),
    });

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(named);
    expect(refused.code, refused.stderr).toBe(6);
    expect(`${refused.stdout}${refused.stderr}`).toContain(named);
    expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);
    expect(hook).toEqual({ status: 204, allow: 'OPTIONS, POST' });
    expect(form).toEqual({ status: 204, allow: 'GET, OPTIONS, POST' });
    expect(executionsAfterRestore).toEqual(executionsBefore);
    expect(called.status).toBe(200);
    expect(await activeByName(target)).toEqual({
      'Contact form': true,
      'Legacy orders': false,
      'Leap-day report': true,
      'Orders hook': true,
    });
  });

  it('restores everything again into the target emptied at the same URL, and exits 0 with it equal', async () => {
    // Prepare: a complete restore, then the target emptied through the API (its ledger kept)
    await emptyTarget(target);
    const ledger = join(dir, 'rebuilt.ledger.json');
    const restore = () =>
      cli(['restore', archive, ...conn(target.url), '--ledger', ledger, '--json'], keyEnv(target));
    const first = await restore();
    expect(first.code, first.stderr).toBe(0);
    await emptyTarget(target);

    // Act
    const again = await restore();
    const diff = await cli(['diff', archive, ...conn(target.url)], keyEnv(target));

    // Assess
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as { complete: boolean; created: { workflows: number } };
    expect(report).toMatchObject({ complete: true, created: { workflows: 3 } });
    expect(diff.code, diff.stdout).toBe(0);
    expect((await preflight(target, 'webhook', 'ark-orders', 'POST')).status).toBe(204);
  });

  it('exits non-zero while n8n answers every publish with 500, and publishes on the re-run after the fault', async () => {
    // Prepare: a proxy that answers 500 to every publish, and nothing else
    await emptyTarget(target);
    const proxy = await startFaultProxy({
      upstream: target.url,
      seed: 1,
      rates: { rowInsert: { rate: 1, faults: ['500'] } },
      maxFaultsPerRequestKey: 1_000_000,
      classify: (method, pathname) =>
        method === 'POST' && /\/workflows\/[^/]+\/publish$/.test(pathname) ? 'rowInsert' : 'read',
    });
    const ledger = join(dir, 'faulty.ledger.json');
    const restore = () =>
      cli(['restore', archive, ...conn(proxy.url), '--ledger', ledger, '--retries', '1'], keyEnv(target));

    try {
      // Act
      const faulty = await restore();
      const activeDuringFault = await activeByName(target);
      proxy.setRates({});
      const again = await restore();

      // Assess
      expect(faulty.code).toBe(6);
      expect(`${faulty.stdout}${faulty.stderr}`).toMatch(/activating it failed: n8n will not publish it/);
      expect(Object.values(activeDuringFault)).toEqual([false, false, false]);
      expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);
      expect(await activeByName(target)).toEqual({
        'Contact form': true,
        'Leap-day report': true,
        'Orders hook': true,
      });
    } finally {
      await proxy.close();
    }
  });
});

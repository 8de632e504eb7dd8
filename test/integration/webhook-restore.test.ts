/**
 * Exit 0 means the restored webhooks answer: the CLI against the API double, whose webhook registry
 * follows n8n 2.41.1 (409 on a taken path, OPTIONS preflight answers, the registration lag; the
 * contract suite checks it against real n8n). A path the target's own published workflow holds is
 * named by the dry run and fails the restore (exit 6) naming that workflow; once it is unpublished,
 * the same command exits 0 with the webhook registered, and no webhook was ever called.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import type { WorkflowWrite } from '../../functions/core/n8n-types.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { webhookWorkflow } from '../support/webhook-workflows.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

let source: N8nDouble;
let target: N8nDouble;
let store: string;

beforeEach(async () => {
  [source, target] = await Promise.all([startN8nDouble(), startN8nDouble()]);
  // n8n registers a webhook a moment after it answers the publish (measured: 0.1–0.5 s).
  target.state.webhooks.lagMs = 300;
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-webhooks-'));
});
afterEach(async () => {
  await Promise.all([source.close(), target.close()]);
  await rm(store, { recursive: true, force: true });
});

const webhook = (name: string, path: string) =>
  webhookWorkflow(name, { path, httpMethod: 'POST' }) as unknown as WorkflowWrite;

async function archiveWithWebhook(): Promise<string> {
  const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
  const hook = await api.createWorkflow(webhook('Orders hook', 'orders'));
  await api.publishWorkflow(hook.id);
  const backup = await runCapturedCli(backupArgs(source.url, store, '--json'), { SOURCE_KEY: source.apiKey });
  expect(backup.code, backup.stderr).toBe(0);
  return (JSON.parse(backup.stdout) as { archive: string }).archive;
}

const restore = (archive: string, ...flags: string[]) =>
  runCapturedCli(restoreArgs(archive, target.url, ...flags), { TARGET_KEY: target.apiKey });

describe('restoring a webhook workflow', () => {
  it('exits 6 naming the target workflow that holds its path, then 0 once it is unpublished, the webhook registered', async () => {
    // Prepare
    const archive = await archiveWithWebhook();
    const api = createN8nClient({ baseUrl: target.url, apiKey: target.apiKey });
    const holder = await api.createWorkflow(webhook('Legacy orders', 'orders'));
    await api.publishWorkflow(holder.id);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const named = `the webhook path POST orders is taken by workflow "Legacy orders" (id ${holder.id}) on the target`;

    // Act
    const dry = await restore(archive, '--dry-run');
    const refused = await restore(archive);
    await api.unpublishWorkflow(holder.id);
    const again = await restore(archive);
    const registration = await api.webhookRegistration('webhook', 'orders', 'POST');

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(named);
    expect(refused.code).toBe(6);
    expect(`${refused.stdout}${refused.stderr}`).toContain(named);
    expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);
    expect(registration).toEqual({ registered: true, methods: ['POST'] });
    expect(target.webhookRequests.map((r) => r.method)).not.toContain('POST');
    expect(target.state.webhooks.executions).toBe(0);
  });

  it('exits 6 when n8n never registers a published webhook, without ever calling it', async () => {
    // Prepare: the target publishes, but its registration never lands (n8n's race lost to a ghost)
    const archive = await archiveWithWebhook();
    target.state.webhooks.lagMs = 3_600_000;

    // Act
    const run = await restore(archive, '--json');

    // Assess
    expect(run.code).toBe(6);
    const report = JSON.parse(run.stdout) as {
      complete: boolean;
      warnings: { code: string; message: string }[];
    };
    expect(report.complete).toBe(false);
    expect(report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'not-running-after-restore',
        message: expect.stringContaining('n8n has not registered its webhook POST /webhook/orders'),
      }),
    );
    expect(new Set(target.webhookRequests.map((r) => r.method))).toEqual(new Set(['OPTIONS']));
    expect(target.state.webhooks.executions).toBe(0);
  }, 30_000);
});

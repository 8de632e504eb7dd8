/**
 * What ran on the source runs on the target. A workflow published and then edited (its draft is not
 * what runs) is restored through the CLI into the API double with its published content live and
 * its draft as the draft; one whose draft is what runs, and one never published, stay as they were.
 * The double models n8n 2.41's publishing (a PUT re-publishes unless publishIfActive=false), as the
 * contract suite checks against real n8n.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import type { Workflow, WorkflowWrite } from '../../functions/core/n8n-types.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

let source: N8nDouble;
let target: N8nDouble;
let store: string;

beforeEach(async () => {
  [source, target] = await Promise.all([startN8nDouble(), startN8nDouble()]);
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-published-'));
});
afterEach(async () => {
  await Promise.all([source.close(), target.close()]);
  await rm(store, { recursive: true, force: true });
});

/** A scheduled workflow whose Set node says which version it is. */
function scheduled(name: string, marker: string): WorkflowWrite {
  return {
    name,
    nodes: [
      {
        name: 'Every hour',
        type: 'n8n-nodes-base.scheduleTrigger',
        typeVersion: 1.2,
        position: [0, 0],
        parameters: { rule: { interval: [{ field: 'hours', hoursInterval: 1 }] } },
      },
      {
        name: 'Mark',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [200, 0],
        parameters: { value: marker },
      },
    ],
    connections: { 'Every hour': { main: [[{ node: 'Mark', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

const marker = (nodes: Workflow['nodes'] | undefined) =>
  nodes?.find((n) => n.name === 'Mark')?.parameters?.value;

/** A backup of a source where "Edited" runs v1 with v2 as its draft, "Same" runs its draft, "Never" was never published. */
async function sourceArchive(): Promise<string> {
  const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
  const edited = await api.createWorkflow(scheduled('Edited', 'PUBLISHED-v1'));
  await api.publishWorkflow(edited.id);
  await api.updateWorkflow(edited.id, scheduled('Edited', 'DRAFT-v2'), { publishIfActive: false });
  const same = await api.createWorkflow(scheduled('Same', 'ONLY'));
  await api.publishWorkflow(same.id);
  await api.createWorkflow(scheduled('Never', 'DRAFT-ONLY'));
  const backup = await runCapturedCli(backupArgs(source.url, store, '--json'), { SOURCE_KEY: source.apiKey });
  expect(backup.code, backup.stderr).toBe(0);
  return (JSON.parse(backup.stdout) as { archive: string }).archive;
}

const restore = (archive: string, ...flags: string[]) =>
  runCapturedCli(restoreArgs(archive, target.url, '--json', ...flags), { TARGET_KEY: target.apiKey });

/** The target's workflows by name: [what runs, the draft], by their Set node's marker. */
async function targetVersions(): Promise<Map<string, [unknown, unknown]>> {
  const api = createN8nClient({ baseUrl: target.url, apiKey: target.apiKey });
  const byName = new Map<string, [unknown, unknown]>();
  for await (const listed of api.listWorkflows()) {
    const workflow = await api.getWorkflow(listed.id);
    const published = workflow.activeVersion as { nodes?: Workflow['nodes'] } | null | undefined;
    byName.set(workflow.name, [published ? marker(published.nodes) : null, marker(workflow.nodes)]);
  }
  return byName;
}

const EXPECTED = [
  ['Edited', ['PUBLISHED-v1', 'DRAFT-v2']],
  ['Never', [null, 'DRAFT-ONLY']],
  ['Same', ['ONLY', 'ONLY']],
];

describe('n8n-ark restore of published workflows whose draft was edited', () => {
  it('publishes what ran on the source and restores the draft as the draft', async () => {
    // Prepare
    const archive = await sourceArchive();

    // Act
    const run = await restore(archive);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect([...(await targetVersions())].sort()).toEqual(EXPECTED);
    // "Same" is one write (its create), then published; only "Edited" gets a draft PUT.
    const puts = target.requests.filter((r) => r.method === 'PUT' && /^\/workflows\/[^/]+$/.test(r.path));
    expect(puts).toHaveLength(1);
    expect(puts[0]?.query).toContain('publishIfActive=false');
  });

  it('publishes what ran on the source in a later round after --no-activate, the draft kept as the draft', async () => {
    // Prepare: the first run wrote the workflows without publishing them
    const archive = await sourceArchive();
    const first = await restore(archive, '--no-activate');
    const afterFirst = await targetVersions();

    // Act: the same restore, now publishing
    const run = await restore(archive);

    // Assess
    expect(first.code, first.stderr).toBe(0);
    expect(afterFirst.get('Edited')).toEqual([null, 'DRAFT-v2']);
    expect(run.code, run.stderr).toBe(0);
    expect([...(await targetVersions())].sort()).toEqual(EXPECTED);
  });
});

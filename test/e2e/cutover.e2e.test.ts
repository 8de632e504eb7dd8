/**
 * `n8n-ark cutover` on a real n8n 2.41.1 pair, through the built CLI (issue 26's "done means"). The
 * source runs "Ticker" every second (its Code node increments a counter in its staticData and the
 * Data table node appends a row with it) and a published webhook. After the cutover: the target
 * runs both; the counter continues on the target from the source's last value (its rows, those
 * written during the copy included, are 1…n without a gap or a repeat); no execution of the ticker
 * on the target starts before the last one on the source; the webhook is registered on the target
 * and not on the source. `--rollback` then publishes on the source exactly the versions that ran
 * and unpublishes the target. The freeze window is measured (README, docs/CUTOVER.md).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookWorkflow } from '../support/webhook-workflows.js';
import { cli, publicApi, publicApiList } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';

let source: RealN8n;
let target: RealN8n;
let dir: string;
let ticker: string;
let hook: string;
/** The source's published version of each workflow before the cutover. */
let ran: Record<string, string | null>;

interface Listed {
  id: string;
  name: string;
  active: boolean;
  activeVersionId: string | null;
  staticData?: { global?: { ticks?: number } } | null;
}
interface Execution {
  id: string;
  workflowId: string;
  startedAt: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function tickerBody(tableId: string) {
  return {
    name: 'Ticker',
    nodes: [
      {
        id: randomUUID(),
        name: 'Every second',
        type: 'n8n-nodes-base.scheduleTrigger',
        typeVersion: 1.2,
        position: [0, 0],
        parameters: { rule: { interval: [{ field: 'seconds', secondsInterval: 1 }] } },
      },
      {
        id: randomUUID(),
        name: 'Tick',
        type: 'n8n-nodes-base.code',
        typeVersion: 2,
        position: [220, 0],
        parameters: {
          jsCode: `const s = $getWorkflowStaticData('global');\ns.ticks = (s.ticks ?? 0) + 1;\nreturn [{ json: { seq: s.ticks } }];`,
        },
      },
      {
        id: randomUUID(),
        name: 'Append',
        type: 'n8n-nodes-base.dataTable',
        typeVersion: 1.1,
        position: [440, 0],
        parameters: {
          resource: 'row',
          operation: 'insert',
          dataTableId: { __rl: true, value: tableId, mode: 'id' },
          columns: { mappingMode: 'autoMapInputData', value: null, matchingColumns: [], schema: [] },
          options: {},
        },
      },
    ],
    connections: {
      'Every second': { main: [[{ node: 'Tick', type: 'main', index: 0 }]] },
      Tick: { main: [[{ node: 'Append', type: 'main', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
  };
}

const byName = async (n8n: RealN8n, name: string) =>
  (await publicApiList<Listed>(n8n, '/workflows?limit=250')).find((w) => w.name === name);

const ticksOf = async (n8n: RealN8n, name: string) => {
  const listed = await byName(n8n, name);
  if (!listed) return 0;
  const workflow = await publicApi<Listed>(n8n, 'GET', `/workflows/${listed.id}`);
  return workflow.staticData?.global?.ticks ?? 0;
};

async function rowsOf(n8n: RealN8n): Promise<number[]> {
  const tables = await publicApiList<{ id: string; name: string }>(n8n, '/data-tables?limit=250');
  const table = tables.find((t) => t.name === 'ticks');
  if (!table) return [];
  const rows = await publicApiList<{ seq: number }>(n8n, `/data-tables/${table.id}/rows?limit=250`);
  return rows.map((r) => r.seq).sort((a, b) => a - b);
}

const startsOf = async (n8n: RealN8n, workflowId: string) =>
  (await publicApiList<Execution>(n8n, `/executions?workflowId=${workflowId}&limit=250`)).map((e) =>
    Date.parse(e.startedAt),
  );

async function registered(n8n: RealN8n, path: string): Promise<number> {
  const response = await fetch(`${n8n.url}/webhook/${path}`, {
    method: 'OPTIONS',
    headers: { origin: 'https://ark.test', 'access-control-request-method': 'POST' },
  });
  await response.text();
  return response.status;
}

const versionsOf = async (n8n: RealN8n) =>
  Object.fromEntries(
    (await publicApiList<Listed>(n8n, '/workflows?limit=250')).map((w) => [w.name, w.activeVersionId]),
  );

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
  join(dir, 'store'),
  '--drain-timeout',
  '60',
  ...flags,
];
const env = () => ({ OLD_KEY: source.apiKey, NEW_KEY: target.apiKey });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-cutover-'));
  [source, target] = await Promise.all([startN8n('cut-src'), startN8n('cut-dst')]);
  const table = await publicApi<{ id: string }>(source, 'POST', '/data-tables', {
    name: 'ticks',
    columns: [{ name: 'seq', type: 'number' }],
  });
  ticker = (await publicApi<{ id: string }>(source, 'POST', '/workflows', tickerBody(table.id))).id;
  hook = (
    await publicApi<{ id: string }>(
      source,
      'POST',
      '/workflows',
      webhookWorkflow('Orders hook', {
        path: 'ark-cutover',
        httpMethod: 'POST',
        responseMode: 'onReceived',
        options: {},
      }),
    )
  ).id;
  await publicApi(source, 'POST', `/workflows/${ticker}/publish`, {});
  await publicApi(source, 'POST', `/workflows/${hook}/publish`, {});
  ran = await versionsOf(source);
  for (let waited = 0; (await ticksOf(source, 'Ticker')) < 3 && waited < 30_000; waited += 500)
    await sleep(500);
}, 240_000);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cutover, on a real n8n 2.41.1 pair', () => {
  it('moves the ticker and the webhook: the counter continues, no overlap, the webhook answers on the target only', {
    timeout: 300_000,
  }, async () => {
    // Prepare
    const before = await byName(source, 'Ticker');
    expect(before?.active).toBe(true);

    // Act
    const run = await cli(args('--json'), env());
    await sleep(4_000);

    // Assess
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const report = JSON.parse(run.stdout) as {
      freezeWindowMs: number;
      steps: { step: string; ms: number }[];
    };
    process.stdout.write(
      `cutover on real n8n: freeze window ${report.freezeWindowMs} ms; ${report.steps.map((s) => `${s.step} ${s.ms} ms`).join(', ')}\n`,
    );
    expect((await byName(source, 'Ticker'))?.active).toBe(false);
    expect((await byName(source, 'Orders hook'))?.active).toBe(false);
    const moved = await byName(target, 'Ticker');
    expect(moved?.active).toBe(true);
    expect((await byName(target, 'Orders hook'))?.active).toBe(true);
    // The counter continues from the source's last value: every value once, none lost, none repeated.
    const last = await ticksOf(source, 'Ticker');
    expect(await ticksOf(target, 'Ticker')).toBeGreaterThan(last);
    const seqs = await rowsOf(target);
    expect(seqs.length).toBeGreaterThan(last);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    // No run of the ticker on the target starts before the source's last one.
    const sourceStarts = await startsOf(source, ticker);
    const targetStarts = await startsOf(target, moved?.id ?? '');
    expect(targetStarts.length).toBeGreaterThan(0);
    expect(Math.min(...targetStarts)).toBeGreaterThan(Math.max(...sourceStarts));
    expect(await registered(target, 'ark-cutover')).toBe(204);
    expect(await registered(source, 'ark-cutover')).not.toBe(204);
  });

  it('--rollback publishes on the source exactly the versions that ran and unpublishes the target', {
    timeout: 180_000,
  }, async () => {
    // Act
    const back = await cli(args('--rollback', '--json'), env());

    // Assess
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
    expect(Object.values(ran).every((v) => typeof v === 'string')).toBe(true);
    expect(await versionsOf(source)).toEqual(ran);
    expect(Object.values(await versionsOf(target)).filter((v) => v !== null)).toEqual([]);
    for (let waited = 0; (await registered(source, 'ark-cutover')) !== 204 && waited < 10_000; waited += 500)
      await sleep(500);
    expect(await registered(source, 'ark-cutover')).toBe(204);
  });
});

/**
 * A backup while the instance changes between two of its reads, on the API double behind the fault
 * proxy, whose `beforeForward` hook makes the change land at the point that matters every time (the
 * two findings of test/e2e/busy-instance.e2e.test.ts on Postgres-backed n8n): a workflow saved
 * between its listing and its GET, and rows deleted from the front of a table between two pages.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { backupArgs, runCapturedCli } from './support/run-cli.js';

interface Row {
  id: number;
  seq: number;
}
interface Record {
  id: string;
  name: string;
  description?: string | null;
  versionId: string;
  updatedAt: string;
  nodes: { name: string; parameters: { rev?: number } }[];
}

let source: N8nDouble;
let proxy: FaultProxy | undefined;
let store: string;

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all' });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-under-change-'));
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await source.close();
  await rm(store, { recursive: true, force: true });
});

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const answer = await fetch(`${source.url}/api/v1${path}`, {
    method,
    headers: { 'X-N8N-API-KEY': source.apiKey, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${method} ${path} → ${answer.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** An archive's entries as text. */
function entriesOf(path: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, string>();
    yauzl.open(path, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      zip.on('entry', (entry: yauzl.Entry) =>
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err);
          const parts: Buffer[] = [];
          stream.on('data', (c: Buffer) => parts.push(c));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(parts).toString('utf8'));
            zip.readEntry();
          });
        }),
      );
      zip.on('end', () => resolve(entries));
      zip.readEntry();
    });
  });
}

const lines = <T>(text: string | undefined): T[] =>
  (text ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

async function backUpThrough(beforeForward: (method: string, path: string) => Promise<void>) {
  proxy = await startFaultProxy({ upstream: source.url, seed: 1, beforeForward });
  const run = await runCapturedCli(backupArgs(proxy.url, store, '--json'), { SOURCE_KEY: source.apiKey });
  expect(run.code, run.stderr).toBe(0);
  return entriesOf((JSON.parse(run.stdout) as { archive: string }).archive);
}

function body(rev: number, nodeId: string) {
  return {
    name: `Orders rev ${rev}`,
    nodes: [
      {
        id: nodeId,
        name: 'Stamp',
        type: 'n8n-nodes-base.noOp',
        typeVersion: 1,
        position: [0, 0],
        parameters: { rev },
      },
    ],
    connections: {},
    settings: {},
  };
}

describe('a backup while the instance changes between two of its reads', () => {
  it('records a workflow saved between its listing and its GET as one saved version', async () => {
    // Prepare
    const nodeId = randomUUID();
    const created = await api<{ id: string }>('POST', '/workflows', body(1, nodeId));
    await api('PUT', `/workflows/${created.id}`, { ...body(1, nodeId), description: 'rev 1' });
    let saved: Record | undefined;

    // Act: rev 2 is saved once the listing has been read, just before the workflow's GET
    const entries = await backUpThrough(async (method, path) => {
      if (method === 'GET' && path.split('?')[0] === `/api/v1/workflows/${created.id}` && !saved)
        saved = await api<Record>('PUT', `/workflows/${created.id}`, {
          ...body(2, nodeId),
          description: 'rev 2',
        });
    });

    // Assess
    const record = lines<Record>(entries.get('workflows.ndjson')).find((w) => w.id === created.id) as Record;
    expect(saved).toBeDefined();
    expect([record.name, record.description, record.nodes[0]?.parameters.rev]).toEqual([
      'Orders rev 2',
      'rev 2',
      2,
    ]);
    expect([record.versionId, record.updatedAt]).toEqual([saved?.versionId, saved?.updatedAt]);
  });

  it('holds every row that was in the table throughout when rows are deleted from its front between two pages', async () => {
    // Prepare: 600 rows, pages of 250
    const table = await api<{ id: string }>('POST', '/data-tables', {
      name: 'queue',
      columns: [{ name: 'seq', type: 'number' }],
    });
    const data = Array.from({ length: 600 }, (_, i) => ({ seq: i + 1 }));
    await api('POST', `/data-tables/${table.id}/rows`, { data });
    let deleted = false;
    let pagesAsked = 0;
    const rowsPath = `/api/v1/data-tables/${table.id}/rows`;

    // Act: rows 1–3 deleted once the first page is read, before the second is asked for
    const entries = await backUpThrough(async (method, path) => {
      const url = new URL(path, 'http://x');
      if (method === 'GET' && url.pathname === rowsPath) pagesAsked += 1;
      if (pagesAsked === 2 && !deleted) {
        deleted = true;
        const filter = { type: 'and', filters: [{ columnName: 'id', condition: 'lte', value: 3 }] };
        await api(
          'DELETE',
          `/data-tables/${table.id}/rows/delete?filter=${encodeURIComponent(JSON.stringify(filter))}`,
        );
      }
    });

    // Assess
    const manifest = JSON.parse(entries.get('manifest.json') ?? '{}') as {
      entries: { name: string; resource: string; dataTableId?: string }[];
    };
    const ids = manifest.entries
      .filter((e) => e.resource === 'dataTableRows' && e.dataTableId === table.id)
      .flatMap((e) => lines<Row>(entries.get(e.name)))
      .map((r) => r.id);
    expect(deleted).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const missing = Array.from({ length: 597 }, (_, i) => i + 4).filter((id) => !ids.includes(id));
    expect(missing).toEqual([]);
  });
});

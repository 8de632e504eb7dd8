/**
 * The built CLI against a server of the test's own that pages for ever, answers a byte at a time or
 * asks to be left alone for a day: each run ends within its bound (the request bounds the flags
 * set), with exit 3 (6 at --timeout) and a message that says what the server did, and its peak RSS
 * stays under 300 MB. (The 400 MB answer is in cli-hostile-answer.test.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { startN8nDouble } from '../double/server.js';
import { assertBuiltCliIsCurrent, runBuiltCli } from './support/built-cli.js';
import { backupArgs, runCapturedCli } from './support/run-cli.js';

const PEAK_RSS_BOUND_BYTES = 300 * 1000 * 1000;
/** Issue 28: against a server handing out new objects for ever, the process never passes ~500 MB. */
const ENDLESS_RSS_BOUND_BYTES = 500 * 1000 * 1000;

let server: ReturnType<typeof createServer>;
let url: string;
let store: string;
let pagesServed = 0;
/** Writes the endless servers received (a restore must plan, and fail, before any). */
let writesReceived: string[] = [];

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Every listing endless, each page of 250 new objects where its cursor (or offset, or the rows
 * after an id) says, as a real listing would page: `pad` characters make each object that much
 * larger (450 bytes an object, as in the issue's probe).
 */
function endlessNewObjects(req: IncomingMessage, res: ServerResponse, pad: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  if (req.method !== 'GET') {
    writesReceived.push(`${req.method} ${path}`);
    return void json(res, {});
  }
  const single = /^\/api\/v1\/workflows\/([^/]+)$/.exec(path);
  if (single)
    return void json(res, { id: single[1], name: 'w', nodes: [], connections: {}, settings: {}, shared: [] });
  if (path.endsWith('/history')) return void json(res, { data: [], nextCursor: null });
  const cursor = url.searchParams.get('cursor');
  const offset = cursor
    ? (JSON.parse(Buffer.from(cursor, 'base64').toString()) as { offset: number }).offset
    : Number(url.searchParams.get('offset') ?? 0);
  const filter = url.searchParams.get('filter');
  const rows = path.endsWith('/rows');
  const after = filter
    ? ((JSON.parse(filter) as { filters: { value: number }[] }).filters[0]?.value ?? 0)
    : 0;
  const kind = path.split('/')[3];
  const data = Array.from({ length: 250 }, (_, i) => {
    const n = (rows ? after : offset) + i + 1;
    if (rows) return { id: n, text: pad };
    if (kind === 'workflows')
      return {
        id: `w${n}`,
        name: `w ${n} ${pad}`,
        nodes: [],
        connections: {},
        settings: {},
        versionId: `v${n}`,
      };
    return {
      id: `${kind}-${n}`,
      name: `${kind} ${n} ${pad}`,
      email: `u${n}@x.test`,
      key: `k${n}`,
      type: 't',
    };
  });
  pagesServed += 1;
  const next = Buffer.from(JSON.stringify({ limit: 250, offset: offset + 250 })).toString('base64');
  json(res, { data, nextCursor: next });
}

/** Each API key is one kind of hostility; anything but a workflow listing is an empty n8n. */
function hostile(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const key = String(req.headers['x-n8n-api-key']);
  if (key === 'endless-new-objects') return void endlessNewObjects(req, res, '');
  if (key === 'endless-new-450-byte-objects') return void endlessNewObjects(req, res, 'x'.repeat(400));
  if (path === '/api/v1/discover') {
    res.writeHead(404, { 'content-type': 'application/json' });
    return void res.end('{"message":"not found"}');
  }
  if (key === 'retry-after-a-day') {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '86400' });
    return void res.end('{"message":"Too Many Requests"}');
  }
  if (req.method !== 'GET' || path !== '/api/v1/workflows')
    return void json(res, { data: [], nextCursor: null });
  if (key === 'endless-cursors') {
    // The same workflow on every page, under a cursor never seen before.
    pagesServed += 1;
    return void json(res, {
      data: [{ id: 'w1', name: 'loop', nodes: [], connections: {}, settings: {} }],
      nextCursor: `page-${pagesServed}`,
    });
  }
  // drip: the headers, then one byte every 200 ms, never the end.
  res.writeHead(200, { 'content-type': 'application/json' });
  const timer = setInterval(() => res.write(' '), 200);
  res.on('close', () => clearInterval(timer));
}

const backup = (key: string, ...flags: string[]) =>
  runBuiltCli(
    ['backup', '--url', url, '--api-key-env', 'HOSTILE_KEY', '--store', store, '--instance', key, ...flags],
    { HOSTILE_KEY: key },
    { killAfterMs: 30_000, measurePeakRss: true },
  );

/** `restore` of a small archive of the API double into the hostile server. */
const restore = (key: string) =>
  runBuiltCli(
    [
      'restore',
      archive,
      '--url',
      url,
      '--api-key-env',
      'HOSTILE_KEY',
      '--ledger',
      join(store, `${key}.ledger.json`),
    ],
    { HOSTILE_KEY: key },
    { killAfterMs: 120_000, measurePeakRss: true },
  );

let archive: string;

beforeAll(async () => {
  await assertBuiltCliIsCurrent();
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-hostile-server-'));
  server = createServer(hostile);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const double = await startN8nDouble({ licensed: 'all' });
  try {
    seedInstance(double.state, { workflows: 5, rowsTotal: 20 });
    const run = await runCapturedCli(backupArgs(double.url, store, '--json'), { SOURCE_KEY: double.apiKey });
    archive = (JSON.parse(run.stdout) as { archive: string }).archive;
  } finally {
    await double.close();
  }
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(store, { recursive: true, force: true });
});

describe('n8n-ark backup against a hostile server', () => {
  it('stops a listing whose new cursors bring nothing new after a few pages, with exit 3', async () => {
    // Act
    const run = await backup('endless-cursors');

    // Assess
    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain('GET /workflows handed out new cursors for pages with nothing new');
    expect(pagesServed).toBeLessThan(10);
    expect(run.peakRssBytes, `peak RSS ${run.peakRssBytes} bytes`).toBeLessThan(PEAK_RSS_BOUND_BYTES);
  });

  it.each([
    ['backup', 'endless-new-objects', 'objects of about 100 bytes'],
    ['backup', 'endless-new-450-byte-objects', 'objects of 450 bytes'],
    ['restore', 'endless-new-objects', 'objects of about 100 bytes'],
    ['restore', 'endless-new-450-byte-objects', 'objects of 450 bytes'],
  ] satisfies ['backup' | 'restore', string, string][])(
    'stops a %s against listings of new %s for ever (%s) with exit 3, under 500 MB, writing nothing',
    async (command, key, _objects) => {
      // Act
      writesReceived = [];
      const run = await (command === 'backup' ? backup(key) : restore(key));

      // Assess
      expect(run.killed, run.stderr).toBe(false);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(
        /GET \/\S+ (listed more than 200,000 objects|had listed [\d,]+ objects when n8n-ark's memory reached)/,
      );
      expect(run.peakRssBytes, `peak RSS ${run.peakRssBytes} bytes`).toBeLessThan(ENDLESS_RSS_BOUND_BYTES);
      // n8n's package export writes nothing: it is how the restore learns the target's n8n version.
      expect(writesReceived.filter((write) => !write.endsWith('/n8n-packages/export'))).toEqual([]);
      console.log(
        `${command} against ${key}: ${run.stderr.trim()} (peak RSS ${Math.round((run.peakRssBytes ?? 0) / 1e6)} MB)`,
      );
    },
    150_000,
  );

  it('gives up on an answer that drips in within --request-timeout × (--retries + 1), with exit 3 naming the timeout', async () => {
    // Act: 1 s an attempt, 2 attempts
    const run = await backup('drip', '--request-timeout', '1', '--retries', '1');

    // Assess
    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/workflows timed out after 1000 ms \(tried 2 times\)/,
    );
    // Two attempts of 1 s and one backoff under a second, plus the CLI's start-up.
    expect(run.durationMs).toBeLessThan(15_000);
    expect(run.peakRssBytes, `peak RSS ${run.peakRssBytes} bytes`).toBeLessThan(PEAK_RSS_BOUND_BYTES);
  });

  it('stops at once when n8n asks to wait a day past --timeout 1, with exit 6', async () => {
    // Act
    const run = await backup('retry-after-a-day', '--timeout', '1');

    // Assess
    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr).toContain("asking again in 24 h would pass the run's deadline");
    expect(run.stderr).toContain('the backup stopped at its --timeout 1 minute(s)');
    expect(run.durationMs).toBeLessThan(10_000);
  });

  it('fails at once when n8n asks to wait longer than --max-retry-wait, with exit 3', async () => {
    // Act
    const run = await backup('retry-after-a-day');

    // Assess
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(
      'n8n asks to wait 24 h; the longest wait allowed is 60 s (--max-retry-wait)',
    );
    expect(run.durationMs).toBeLessThan(10_000);
  });

  it.each([
    ['--max-retry-wait', '0', 'a whole number of seconds from 1 to 3600'],
    ['--retry-budget', '3601', 'a whole number of seconds from 0 to 3600'],
    ['--request-timeout', '0', 'a whole number from 1 to 3600'],
    ['--retries', '-1', 'a whole number from 0 to 20'],
    ['--retries', 'many', 'a whole number from 0 to 20'],
  ])('refuses %s %s as bad usage', async (flag, value, why) => {
    // Act
    const run = await backup('drip', flag, value);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${flag} must be ${why}, not ${value}`);
  });
});

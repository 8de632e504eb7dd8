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
import { assertBuiltCliIsCurrent, runBuiltCli } from './support/built-cli.js';

const PEAK_RSS_BOUND_BYTES = 300 * 1000 * 1000;

let server: ReturnType<typeof createServer>;
let url: string;
let store: string;
let pagesServed = 0;

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Each API key is one kind of hostility; anything but a workflow listing is an empty n8n. */
function hostile(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const key = String(req.headers['x-n8n-api-key']);
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

beforeAll(async () => {
  await assertBuiltCliIsCurrent();
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-hostile-server-'));
  server = createServer(hostile);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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

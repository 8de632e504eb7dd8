/**
 * The built CLI against a server that answers a workflow listing with a 400 MB body: the CLI must
 * stop reading at its answer cap, exit with n8n's exit code naming the route, the cap and the flag
 * that raises it, and its peak RSS stay under 300 MB (issue 12's bound for hostile servers).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuiltCliIsCurrent, runBuiltCli } from './support/built-cli.js';
import { runCapturedCli } from './support/run-cli.js';

const MiB = 1024 * 1024;
const HOSTILE_BODY_BYTES = 400 * MiB;
/** Issue 12's bound, in MB as the issue states it. */
const PEAK_RSS_BOUND_BYTES = 300 * 1000 * 1000;

let hostile: ReturnType<typeof createServer>;
let url: string;
let store: string;
let bodyBytesSent = 0;

/**
 * Streams one JSON workflow page that never ends before 400 MB: one workflow whose pinned data is a
 * single endless string, chunked (no Content-Length), at whatever pace the client reads it.
 */
async function streamHugePage(res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const opening =
    '{"data":[{"id":"w1","name":"huge","nodes":[],"connections":{},"pinData":{"n":[{"json":{"s":"';
  res.write(opening);
  const chunk = Buffer.alloc(MiB, 0x61);
  let sent = opening.length;
  while (!closed && sent + chunk.length < HOSTILE_BODY_BYTES) {
    sent += chunk.length;
    bodyBytesSent = sent;
    if (!res.write(chunk)) await drainedOrClosed(res);
  }
  if (!closed) res.end('"}}]}}],"nextCursor":null}');
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

const backupArgsAgainstHostile = () => [
  'backup',
  '--url',
  url,
  '--api-key-env',
  'HOSTILE_KEY',
  '--store',
  store,
  '--instance',
  'hostile',
];

beforeAll(async () => {
  await assertBuiltCliIsCurrent();
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-hostile-'));
  // Everything else is an empty n8n: empty lists, no /discover (so no scope check).
  hostile = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/api/v1/workflows') return void streamHugePage(res);
    if (path === '/api/v1/discover') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end('{"message":"not found"}');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"data":[],"nextCursor":null}');
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hostile.closeAllConnections();
  await new Promise<void>((resolve) => hostile.close(() => resolve()));
  await rm(store, { recursive: true, force: true });
});

describe('n8n-ark backup against a server answering 400 MB', () => {
  it('stops at its answer cap with exit 3, naming the route, the cap and the flag, under 300 MB of RSS', async () => {
    // Act
    const run = await runBuiltCli(
      backupArgsAgainstHostile(),
      { HOSTILE_KEY: 'k' },
      { killAfterMs: 20_000, measurePeakRss: true },
    );

    // Assess
    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/workflows: the answer is larger than \d+ MiB/,
    );
    expect(run.stderr).toContain('--max-answer-mib');
    expect(bodyBytesSent).toBeLessThan(HOSTILE_BODY_BYTES / 2);
    expect(run.peakRssBytes).toBeGreaterThan(0);
    expect(run.peakRssBytes, `peak RSS ${run.peakRssBytes} bytes`).toBeLessThan(PEAK_RSS_BOUND_BYTES);
  });

  it('reads only as far as --max-answer-mib says', async () => {
    // Act
    const run = await runCapturedCli([...backupArgsAgainstHostile(), '--max-answer-mib', '8'], {
      HOSTILE_KEY: 'k',
    });

    // Assess
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/\/api\/v1\/workflows: the answer is larger than 8 MiB/);
  });

  it.each(['0', '1.5', '513', 'lots'])('refuses --max-answer-mib %s as bad usage', async (value) => {
    // Act
    const run = await runCapturedCli([...backupArgsAgainstHostile(), '--max-answer-mib', value], {
      HOSTILE_KEY: 'k',
    });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `--max-answer-mib must be a whole number of MiB from 1 to 512, not ${value}`,
    );
  });
});

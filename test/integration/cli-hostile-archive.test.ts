/**
 * A degenerate archive: 2 GiB of newlines in a 2 MB zip, its manifest agreeing (size and digest
 * recomputed). Reading it to the end took 152 s; `verify` and `restore` now refuse it at its first
 * chunk (exit 4, the entry named), and the restore writes nothing.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { newlineBomb } from './support/newline-bomb.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

const GiB_IN_MiB = 1024;

let source: N8nDouble;
let target: N8nDouble;
let dir: string;
let bomb: string;

beforeAll(async () => {
  [source, target] = await Promise.all([
    startN8nDouble({ licensed: 'all' }),
    startN8nDouble({ licensed: 'all' }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'n8n-ark-hostile-archive-'));
  seedInstance(source.state, { workflows: 5, rowsTotal: 20 });
  const run = await runCapturedCli(backupArgs(source.url, dir, '--json'), { SOURCE_KEY: source.apiKey });
  expect(run.code, run.stderr).toBe(0);
  const zip = await readFile((JSON.parse(run.stdout) as { archive: string }).archive);
  const reader = await openZipArchive({
    size: zip.length,
    readRange: (start, end) => Readable.from([zip.subarray(start, end)]),
    close: async () => {},
  });
  const entries: [string, Buffer][] = [];
  for (const { name } of reader.entries()) {
    const parts: Buffer[] = [];
    for await (const chunk of await reader.openEntry(name)) parts.push(chunk as Buffer);
    entries.push([name, Buffer.concat(parts)]);
  }
  await reader.close();
  bomb = join(dir, 'newlines.zip');
  await writeFile(bomb, newlineBomb(entries, 'tags.ndjson', 2 * GiB_IN_MiB));
}, 120_000);

afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('an archive of 2 GiB of newlines in a small zip', () => {
  it('is small on disk and says it holds 2 GiB', async () => {
    const size = (await readFile(bomb)).length;
    expect(size).toBeLessThan(3 * 1024 * 1024);
  });

  it('is refused by verify at its first chunk, naming the entry (exit 4)', async () => {
    // Act
    const started = performance.now();
    const run = await runCapturedCli(['verify', bomb], {});

    // Assess
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toContain(
      'tags.ndjson: holds more than 1000 empty lines, and an n8n-ark archive holds none: refused without reading the rest',
    );
    // Reading it to the end took 152 s.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('is refused by restore before any write (exit 4)', async () => {
    // Act
    const run = await runCapturedCli(restoreArgs(bomb, target.url, '--ledger', join(dir, 'ledger.json')), {
      TARGET_KEY: target.apiKey,
    });

    // Assess
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain('tags.ndjson');
    expect(target.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

/**
 * A reader that stops early (`n8n-ark inspect … | head`) ends the command quietly: the built CLI in
 * a real shell pipeline, its output far larger than a pipe holds, so its writes meet a closed pipe.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { assertBuiltCliIsCurrent, BUILT_CLI } from './support/built-cli.js';
import { backupArgs, runCapturedCli } from './support/run-cli.js';

let source: N8nDouble;
let store: string;
let archive: string;

beforeAll(async () => {
  await assertBuiltCliIsCurrent();
  source = await startN8nDouble({ licensed: 'all' });
  seedInstance(source.state, { workflows: 400 });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-epipe-'));
  const run = await runCapturedCli(backupArgs(source.url, store, '--json'), { SOURCE_KEY: source.apiKey });
  expect(run.code, run.stderr).toBe(0);
  archive = (JSON.parse(run.stdout) as { archive: string }).archive;
});
afterAll(async () => {
  await source?.close();
  if (store) await rm(store, { recursive: true, force: true });
});

/**
 * `n8n-ark <args> | head -c <bytes>`: the CLI's own exit status and what it wrote to stderr. With 0
 * bytes the reader is gone before the command writes anything.
 */
function throughHead(
  args: string[],
  bytes: number,
  env: Record<string, string> = {},
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'bash',
      ['-c', `"$0" "$@" | head -c ${bytes} >/dev/null; exit "\${PIPESTATUS[0]}"`, BUILT_CLI, ...args],
      {
        env: {
          ...process.env,
          ...env,
          PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe('a reader that stopped early', () => {
  it('inspect --contents --json | head: exit 0, no EPIPE, no stack trace', async () => {
    const run = await throughHead(['inspect', archive, '--contents', '--json'], 100);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('backup --json | head, the reader gone before it prints: the archive is published and the backup exits 0 quietly', async () => {
    const run = await throughHead(backupArgs(source.url, store, '--json'), 0, { SOURCE_KEY: source.apiKey });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((await readdir(join(store, 'prod'))).filter((f) => f.endsWith('.zip'))).toHaveLength(2);
  });
});

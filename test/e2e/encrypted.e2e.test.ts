/**
 * An encrypted backup → restore round trip against real n8n 2.41.1: `backup --encrypt --recipient`
 * of a seeded instance writes a `.zip.age` in which none of its workflow names appears; `verify`
 * passes with the identity and exits 2 without it; `restore` with the identity fills an empty
 * instance that `diff` finds equal to the archive; a later backup given the identity is incremental
 * over the encrypted archive.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';
import { seedRealN8n } from './harness/seed-real.js';

const keyEnv = (n8n: RealN8n) => ({ ARK_E2E_KEY: n8n.apiKey });
const conn = (n8n: RealN8n) => ['--url', n8n.url, '--api-key-env', 'ARK_E2E_KEY'];
/** An encrypted backup of the source into the store, then `flags`. */
const sealedBackup = (...flags: string[]) =>
  cli(
    [
      'backup',
      ...conn(source),
      '--store',
      store,
      '--instance',
      'a',
      '--encrypt',
      '--recipient',
      recipient,
      '--json',
      ...flags,
    ],
    keyEnv(source),
  );

let source: RealN8n;
let target: RealN8n;
let store: string;
let identity: string;
let identityFile: string;
let recipient: string;
let archive: string;

beforeAll(async () => {
  [source, target] = await Promise.all([startN8n('sealed-a'), startN8n('sealed-b')]);
  await seedRealN8n(source.url, source.apiKey, { rows: 500 });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-sealed-'));
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  identityFile = join(store, 'offline.key');
  await writeFile(identityFile, `${identity}\n`, { mode: 0o600 });
}, 300_000);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (store) await rm(store, { recursive: true, force: true });
});

describe('an encrypted archive of real n8n', () => {
  it('is written as .zip.age with none of the workflow names readable', async () => {
    const run = await sealedBackup();
    expect(run.code, run.stderr).toBe(0);
    archive = (JSON.parse(run.stdout) as { archive: string }).archive;
    expect(archive).toMatch(/\.zip\.age$/);
    const listed = await fetch(`${source.url}/api/v1/workflows?limit=250`, {
      headers: { 'X-N8N-API-KEY': source.apiKey },
    });
    const names = ((await listed.json()) as { data: { name: string }[] }).data.map((w) => w.name);
    expect(names.length).toBeGreaterThan(3);
    const bytes = await readFile(archive);
    expect(names.filter((name) => bytes.includes(Buffer.from(name)))).toEqual([]);
  });

  it('verifies with the identity, and without it exits 2', async () => {
    const ok = await cli(['verify', archive, '--identity-file', identityFile]);
    expect(ok.code, ok.stderr).toBe(0);
    const none = await cli(['verify', archive]);
    expect(none.code).toBe(2);
  });

  it('restores with the identity into an empty instance equal to the archive', async () => {
    const restore = await cli(
      ['restore', archive, ...conn(target), '--identity-file', identityFile, '--json'],
      keyEnv(target),
    );
    expect(restore.code, restore.stderr).toBe(0);
    const diff = await cli(
      ['diff', archive, ...conn(target), '--identity-file', identityFile, '--ignore-users'],
      keyEnv(target),
    );
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  });

  it('a later backup given the identity is incremental over the encrypted archive', async () => {
    const run = await sealedBackup('--identity-file', identityFile);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      incremental?: { previousArchive: string; workflowsReused: number };
    };
    expect(out.incremental?.previousArchive).toBe(archive);
    expect(out.incremental?.workflowsReused).toBeGreaterThan(0);
    expect(run.stdout + run.stderr).not.toContain(identity);
  });
});

/**
 * Install anywhere: the tarball `npm pack` makes installs with `npm install -g` into an empty prefix
 * without a registry (its runtime dependencies travel inside it, `bundleDependencies`), and the
 * installed `n8n-ark` runs: `--version`, then a backup of the API double.
 *
 * The package is packed as test/support/pack.ts says.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { NODE_ENV as env, packProject, ROOT as root, run } from '../support/pack.js';

let work: string;
let prefix: string;
let tarball: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'n8n-ark-pack-'));
  const packed = await packProject(work);
  expect(packed.runtimePackages).toBeGreaterThan(10);
  tarball = packed.tarball;
  prefix = join(work, 'prefix');
  await run(
    'npm',
    ['install', '--global', '--prefix', prefix, tarball, '--offline', '--no-audit', '--no-fund'],
    { cwd: work, env },
  );
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm pack, then npm install -g of the tarball', () => {
  it('packs dist/ and the runtime dependencies only: no sources, tests or dev tools', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball], { env, maxBuffer: 64 * 1024 * 1024 });
    const files = stdout.split('\n').filter(Boolean);
    expect(files).toContain('package/dist/bin/n8n-ark.js');
    expect(files).toContain('package/node_modules/commander/package.json');
    expect(files.some((f) => f.startsWith('package/node_modules/@aws-sdk/client-s3/'))).toBe(true);
    expect(files.filter((f) => /^package\/(functions|test|lib|scripts|bin)\//.test(f))).toEqual([]);
    for (const dev of ['vitest', 'typescript', 'aws-cdk-lib', '@biomejs', 'esbuild', 'node'])
      expect(files.filter((f) => f.startsWith(`package/node_modules/${dev}/`))).toEqual([]);
  });

  it('installs offline into an empty prefix and the installed n8n-ark prints its version', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await run(join(prefix, 'bin', 'n8n-ark'), ['--version'], { env });
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('the installed n8n-ark backs up the API double into a folder', async () => {
    let double: N8nDouble | undefined;
    const store = join(work, 'store');
    try {
      double = await startN8nDouble({ licensed: 'all' });
      const seeded = seedInstance(double.state, { workflows: 5, rowsTotal: 50 });
      const args = ['backup', '--url', double.url, '--api-key-env', 'SOURCE_KEY', '--store', store];
      const { stdout } = await run(
        join(prefix, 'bin', 'n8n-ark'),
        [...args, '--instance', 'bastion', '--json'],
        {
          env: { ...env, SOURCE_KEY: double.apiKey },
        },
      );
      const result = JSON.parse(stdout) as { archive: string; counts: Record<string, number> };
      expect(result.counts.workflows).toBe(seeded.workflows);
      expect(result.counts.dataTableRows).toBe(seeded.dataTableRows);
      expect(await readdir(join(store, 'bastion'))).toEqual([result.archive.split('/').at(-1)]);
    } finally {
      await double?.close();
    }
  });
});

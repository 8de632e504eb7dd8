/**
 * Install anywhere: the tarball `npm pack` makes installs with `npm install -g` into an empty prefix
 * without a registry (its runtime dependencies travel inside it, `bundleDependencies`), and the
 * installed `n8n-ark` runs: `--version`, then a backup of the API double.
 *
 * The package is packed from a staging copy (package.json, README.md, dist/ and the lockfile's
 * runtime packages copied out of node_modules) so it packs the same from a fresh clone and from a
 * worktree whose node_modules is a link; `npm pack` in a fresh clone after `npm ci` bundles the
 * same packages. Scripts are not run while packing: `npm test` has just built dist/.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
/** This Node (24) first on PATH, as `npm run` arranges: npm and the installed bin's shebang use it. */
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };

let work: string;
let prefix: string;
let tarball: string;

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
}

/** Copies the lockfile's runtime packages (not dev-only) from node_modules into `stage`. */
async function copyRuntimePackages(stage: string): Promise<number> {
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const runtime = Object.entries(lock.packages).filter(
    ([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !entry.devOptional,
  );
  for (const [path] of runtime) {
    const from = join(root, path);
    if (!(await stat(from).catch(() => undefined))) continue; // an optional package for another platform
    await cp(from, join(stage, path), {
      recursive: true,
      dereference: true,
      // Nested node_modules are lockfile entries of their own, copied (or not) on their own.
      filter: (source) => source === from || !source.slice(from.length).includes('/node_modules'),
    });
  }
  return runtime.length;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'n8n-ark-pack-'));
  const stage = join(work, 'stage');
  await mkdir(stage);
  for (const file of ['package.json', 'README.md', 'dist'])
    await cp(join(root, file), join(stage, file), { recursive: true });
  expect(await copyRuntimePackages(stage)).toBeGreaterThan(10);
  const packed = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], {
    cwd: stage,
    env,
  });
  tarball = join(work, packed.stdout.trim().split('\n').at(-1) ?? '');
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

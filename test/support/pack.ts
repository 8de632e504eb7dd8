/**
 * The project as `npm pack` makes it, for tests that install it: packed from a staging copy
 * (package.json, README.md, dist/ and the lockfile's runtime packages copied out of node_modules), so
 * it packs the same from a fresh clone and from a worktree whose node_modules is a link; `npm pack`
 * in a fresh clone after `npm ci` bundles the same packages. Scripts are not run while packing:
 * `npm test` has just built dist/. And the lockfile's entries for packages a test installs beside it.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, '..', '..');
/** This Node (24) first on PATH, as `npm run` arranges: npm and installed bins' shebangs use it. */
export const NODE_ENV = {
  ...process.env,
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
};

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

type Lock = { packages: Record<string, LockEntry> };

const readLock = async (): Promise<Lock> =>
  JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as Lock;

/** Copies the lockfile's runtime packages (not dev-only) from node_modules into `stage`; returns how many. */
async function copyRuntimePackages(stage: string): Promise<number> {
  const runtime = Object.entries((await readLock()).packages).filter(
    ([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !entry.devOptional,
  );
  for (const [path] of runtime) {
    const from = join(ROOT, path);
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

/** Packs the project into `work`; returns the tarball's path and how many runtime packages went in. */
export async function packProject(work: string): Promise<{ tarball: string; runtimePackages: number }> {
  const stage = join(work, 'stage');
  await mkdir(stage);
  for (const file of ['package.json', 'README.md', 'dist'])
    await cp(join(ROOT, file), join(stage, file), { recursive: true });
  const runtimePackages = await copyRuntimePackages(stage);
  const packed = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], {
    cwd: stage,
    env: NODE_ENV,
  });
  return { tarball: join(work, packed.stdout.trim().split('\n').at(-1) ?? ''), runtimePackages };
}

/** Where Node would find `name` from the lockfile path `from` (its own node_modules first, then up). */
function resolveIn(packages: Lock['packages'], from: string, name: string): string | undefined {
  for (let dir = from; ; ) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up < 0 ? '' : dir.slice(0, up);
  }
}

/**
 * A package.json and package-lock.json that install exactly the lockfile's versions of `names` and
 * what they need (with `npm ci --offline`, from the npm cache the project's own `npm ci` filled).
 */
export async function lockfileFor(
  names: readonly string[],
  name: string,
): Promise<{ manifest: object; lock: object }> {
  const { packages } = await readLock();
  const wanted = new Set<string>();
  const queue = names.map((n) => `node_modules/${n}`);
  while (queue.length > 0) {
    const path = queue.pop() as string;
    if (wanted.has(path)) continue;
    wanted.add(path);
    const entry = packages[path] ?? {};
    for (const dependency of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const found = resolveIn(packages, path, dependency);
      if (found) queue.push(found);
    }
  }
  for (const path of Object.keys(packages))
    if ([...wanted].some((w) => path.startsWith(`${w}/node_modules/`))) wanted.add(path);
  const entries = [...wanted].sort().map((path) => {
    const { dev: _dev, devOptional: _devOptional, ...entry } = packages[path] ?? {};
    return [path, entry] as const;
  });
  const dependencies = Object.fromEntries(
    names.map((n) => [n, packages[`node_modules/${n}`]?.version ?? '*']),
  );
  const manifest = { name, version: '1.0.0', private: true, type: 'module', dependencies };
  const lock = {
    name,
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name, version: '1.0.0', dependencies }, ...Object.fromEntries(entries) },
  };
  return { manifest, lock };
}

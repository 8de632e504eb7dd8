import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { delimiter, dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');

/** The CLI as `npm ci` builds it and `npx n8n-ark` runs it. */
export const BUILT_CLI = join(root, 'dist', 'bin', 'n8n-ark.js');

export interface ChildRun {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether the run was ended by our SIGKILL (not one that ended before it was due). */
  killed: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** With `measurePeakRss`: the process's peak resident set (VmHWM), as last read while it ran. */
  peakRssBytes?: number;
}

/**
 * Runs the built CLI in a child process, as users run it: the file itself, so its shebang's Node
 * flags apply, with this Node first on PATH (the `node` its shebang finds, as `npm run` and `npx`
 * arrange). With `killAfterMs` the process is sent SIGKILL that long after it was spawned; with
 * `killWhen`, once that resolves (it is given a signal aborted when the process ends). Either way
 * only if it has not ended by then: no handler runs, no `finally`, no pending write — a crash.
 */
export function runBuiltCli(
  args: string[],
  env: Record<string, string>,
  options: {
    killAfterMs?: number;
    killWhen?: (ended: AbortSignal) => Promise<void>;
    measurePeakRss?: boolean;
  } = {},
): Promise<ChildRun> {
  const started = performance.now();
  const child = spawn(BUILT_CLI, args, {
    env: {
      ...process.env,
      ...env,
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let killed = false;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL');
  };
  const ended = new AbortController();
  const timer = options.killAfterMs === undefined ? undefined : setTimeout(kill, options.killAfterMs);
  options.killWhen?.(ended.signal).then(kill, () => undefined);
  const peakRss = options.measurePeakRss && child.pid ? samplePeakRss(child.pid) : undefined;
  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      ended.abort();
      reject(error);
    });
    // 'close', not 'exit': both pipes are drained by then, so nothing the process wrote is lost.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ended.abort();
      peakRss?.stop();
      resolve({
        code,
        signal,
        killed: killed && signal === 'SIGKILL',
        stdout,
        stderr,
        durationMs: performance.now() - started,
        ...(peakRss ? { peakRssBytes: peakRss.bytes() } : {}),
      });
    });
  });
}

/** Linux's /proc sampling interval: VmHWM only grows, so a sample misses at most this much of the end. */
const RSS_SAMPLE_MS = 20;

/**
 * Reads the process's VmHWM from /proc every RSS_SAMPLE_MS until stopped. The kernel keeps the peak,
 * so the last read before the process ends is the peak up to then; a read after it ended fails and
 * is ignored (a zombie's status has no VmHWM line).
 */
function samplePeakRss(pid: number): { stop: () => void; bytes: () => number } {
  let peakKb = 0;
  const timer = setInterval(() => {
    readFile(`/proc/${pid}/status`, 'utf8').then(
      (status) => {
        const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(status);
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      },
      () => undefined,
    );
  }, RSS_SAMPLE_MS);
  return { stop: () => clearInterval(timer), bytes: () => peakKb * 1024 };
}

/**
 * Fails when `dist/` is missing or older than a source it is built from, naming the file: a test of
 * the built CLI would otherwise pass or fail on code that is no longer the project's.
 */
export async function assertBuiltCliIsCurrent(): Promise<void> {
  const stale: string[] = [];
  for (const source of await typeScriptFiles(join(root, 'functions'))) {
    const built = join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js');
    const [sourceTime, builtTime] = await Promise.all([mtime(source), mtime(built)]);
    if (builtTime === undefined || builtTime < (sourceTime ?? 0)) stale.push(relative(root, source));
  }
  if ((await mtime(BUILT_CLI)) === undefined) stale.push('bin/n8n-ark.ts');
  if (stale.length > 0)
    throw new Error(
      `dist/ is not built from the current sources (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}): run npm run build`,
    );
}

async function typeScriptFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter(
      (e) =>
        e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'),
    )
    .map((e) => join(e.parentPath, e.name));
}

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

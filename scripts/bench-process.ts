/**
 * What the benches share: the API double in a process of its own, seeded, and a command run with
 * its peak RSS (VmHWM) read from /proc while it runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..');
export const tsx = join(root, 'node_modules', '.bin', 'tsx');
export const cli = join(root, 'dist/bin/n8n-ark.js');
/** The CLI's shebang runs `env node`: make that the Node running the bench, as `npm run`/`npx` do. */
export const cliPath = { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };

export interface Double {
  url: string;
  apiKey: string;
  process: ChildProcess;
}

export interface DoubleSeed {
  workflows: number;
  rows: number;
  /** n8n's N8N_PAYLOAD_SIZE_MAX in MiB (default 16, n8n's). */
  payloadMib?: number;
  /** Saved versions per workflow, the current one included (default 1). */
  versions?: number;
}

/** A double seeded with `workflows`, `rows` and `versions`, licensed for everything. */
export async function startDouble(seed: DoubleSeed): Promise<Double> {
  const child = spawn(
    tsx,
    [
      join(root, 'test/double/main.ts'),
      '--port',
      '0',
      '--seed-workflows',
      String(seed.workflows),
      '--seed-rows',
      String(seed.rows),
      '--seed-versions',
      String(seed.versions ?? 1),
      '--licensed',
      'all',
      '--payload-size-max-mib',
      String(seed.payloadMib ?? 16),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const ready = JSON.parse(line) as { url: string; apiKey: string };
    lines.close();
    return { ...ready, process: child };
  }
  throw new Error('the API double exited before it was ready');
}

/** Runs a command, returns its stdout and the peak RSS (VmHWM) seen in /proc while it ran. */
export async function measure(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; peakRssMb: number }> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let peakKb = 0;
  const sample = async () => {
    try {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+)/.exec(status);
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // the process has just exited
    }
  };
  const timer = setInterval(sample, 25);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stdout.slice(0, 500)}`);
  return { stdout, peakRssMb: peakKb / 1024 };
}

/** The built CLI's backup of the n8n at `n8n` into `store` as `instance`, then `flags`, measured. */
export function backupRun(
  n8n: { url: string; apiKey: string },
  store: string,
  instance: string,
  ...flags: string[]
) {
  return measure(
    cli,
    [
      'backup',
      '--url',
      n8n.url,
      '--api-key-env',
      'BENCH_API_KEY',
      '--store',
      store,
      '--instance',
      instance,
      ...flags,
    ],
    { BENCH_API_KEY: n8n.apiKey, ...cliPath },
  );
}

export const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
export const round = (x: number, digits = 0) => Number(x.toFixed(digits));

import { PassThrough } from 'node:stream';
import { runCli } from '../../../functions/cli/program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process, as `n8n-ark <args>`, capturing what it prints. */
export async function runCapturedCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(['node', 'n8n-ark', ...args], { stdout, stderr }, env);
  return { code, stdout: out, stderr: err };
}

/** `n8n-ark backup` of the instance at `url` into `store` as instance `prod`, its API key read from SOURCE_KEY; then `flags`. */
export const backupArgs = (url: string, store: string, ...flags: string[]): string[] => [
  'backup',
  '--url',
  url,
  '--api-key-env',
  'SOURCE_KEY',
  '--store',
  store,
  '--instance',
  'prod',
  ...flags,
];

/** `n8n-ark restore <archive>` into the instance at `url`, its API key read from TARGET_KEY; then `flags`. */
export const restoreArgs = (archive: string, url: string, ...flags: string[]): string[] => [
  'restore',
  archive,
  '--url',
  url,
  '--api-key-env',
  'TARGET_KEY',
  ...flags,
];

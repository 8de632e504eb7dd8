/**
 * The built CLI as an operator runs it (a child process with its own environment), and the Public
 * API of a real instance for what a test sets up or reads back around it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RealN8n } from './n8n-instance.js';

export const CLI = join(import.meta.dirname, '..', '..', '..', 'dist', 'bin', 'n8n-ark.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `n8n-ark <args>`; with `killAfterMs` it is killed (SIGKILL) then, as a crash would stop it. */
export function cli(args: string[], env: Record<string, string> = {}, killAfterMs?: number): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** One Public API call with the instance's key; a non-2xx answer throws with its text. */
export async function publicApi<T>(n8n: RealN8n, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${n8n.url}/api/v1${path}`, {
    method,
    headers: { 'X-N8N-API-KEY': n8n.apiKey, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Every item of a paged Public API listing (`path` with its query, without a cursor). */
export async function publicApiList<T>(n8n: RealN8n, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = await publicApi<{ data: T[]; nextCursor?: string | null }>(
      n8n,
      'GET',
      cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path,
    );
    items.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

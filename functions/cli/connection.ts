import type { Command } from 'commander';
import { createN8nClient, DEFAULT_MAX_ANSWER_BYTES, type N8nClient } from '../adapters/n8n/index.js';
import { UsageError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { resolveApiKey } from './api-key.js';

export interface RequestBoundFlags {
  maxAnswerMib?: string;
  requestTimeout?: string;
  retries?: string;
}

export interface ConnectionOptions extends RequestBoundFlags {
  url?: string;
  apiKeyEnv?: string;
  apiKeyFile?: string;
  concurrency?: string;
}

/** Adds --url, --api-key-env and --api-key-file (the key itself is never an argument). */
export function addConnectionOptions(command: Command): Command {
  return addRequestBoundOptions(
    command
      .option('--url <url>', 'base URL of the n8n instance, e.g. https://n8n.example.com')
      .option('--api-key-env <VAR>', 'environment variable holding the n8n API key (default: N8N_API_KEY)')
      .option('--api-key-file <path>', 'file holding the n8n API key')
      .option('--concurrency <n>', 'parallel requests to n8n', '4'),
  );
}

const MiB = 1024 * 1024;

/**
 * V8's longest string is just under 512 Mi characters: a larger answer could not be parsed, so a
 * cap past it would only move the failure from our clear message to an opaque one.
 */
const MAX_ANSWER_MIB_LIMIT = 512;

/** The client's per-request timeout and retries unless the operator says otherwise. */
const DEFAULT_REQUEST_TIMEOUT_S = 30;
const DEFAULT_RETRIES = 5;

/**
 * Adds the bounds on each request to n8n: --max-answer-mib (the largest answer read),
 * --request-timeout (seconds one attempt may take, answer included) and --retries (attempts after
 * the first for a transient failure). A hostile or stuck server costs at most their product.
 */
export function addRequestBoundOptions(command: Command): Command {
  return command
    .option(
      '--max-answer-mib <n>',
      'largest answer read from n8n, in MiB; a larger one stops the command (exit 3). Raise it for a workflow with more pinned data',
      String(DEFAULT_MAX_ANSWER_BYTES / MiB),
    )
    .option(
      '--request-timeout <seconds>',
      'longest one request to n8n may take, its answer included, before it is tried again',
      String(DEFAULT_REQUEST_TIMEOUT_S),
    )
    .option(
      '--retries <n>',
      'times a request is tried again after a transient failure (429, 5xx, a lost connection, a timeout)',
      String(DEFAULT_RETRIES),
    );
}

/** The request bounds the flags give, for createN8nClient. */
export function requestBounds(flags: RequestBoundFlags): {
  maxAnswerBytes: number;
  timeoutMs: number;
  retries: number;
} {
  return {
    maxAnswerBytes: parseMaxAnswerMib(flags.maxAnswerMib),
    timeoutMs:
      wholeNumber(flags.requestTimeout, '--request-timeout', 1, 3600, DEFAULT_REQUEST_TIMEOUT_S) * 1000,
    retries: wholeNumber(flags.retries, '--retries', 0, 20, DEFAULT_RETRIES),
  };
}

function wholeNumber(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not ${value}`);
  return n;
}

/** --max-answer-mib as bytes: a whole number of MiB from 1 to MAX_ANSWER_MIB_LIMIT. */
export function parseMaxAnswerMib(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_ANSWER_BYTES;
  const mib = Number(value);
  if (!Number.isInteger(mib) || mib < 1 || mib > MAX_ANSWER_MIB_LIMIT)
    throw new UsageError(
      `--max-answer-mib must be a whole number of MiB from 1 to ${MAX_ANSWER_MIB_LIMIT}, not ${value}`,
    );
  return mib * MiB;
}

export function parseUrl(value: string | undefined, flag = '--url'): string {
  if (!value)
    throw new UsageError(
      `${flag} is required: the base URL of the n8n instance, e.g. https://n8n.example.com`,
    );
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `${flag} ${JSON.stringify(value)} is not a URL. Give the instance's base URL, e.g. https://n8n.example.com`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${flag} must be an http:// or https:// URL, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new UsageError(
      `${flag} must not contain credentials; pass the API key with --api-key-env or --api-key-file.`,
    );
  }
  return value;
}

export function parsePositiveInt(value: string | undefined, flag: string, fallback: number): number {
  return wholeNumber(value, flag, 1, 64, fallback);
}

export async function connect(
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<N8nClient> {
  const baseUrl = parseUrl(options.url);
  const apiKey = await resolveApiKey(options, env);
  return createN8nClient({
    baseUrl,
    apiKey,
    concurrency: parsePositiveInt(options.concurrency, '--concurrency', 4),
    ...requestBounds(options),
    logger,
  });
}

/** A default instance name from the URL's host, e.g. n8n.example.com → n8n.example.com. */
export function instanceNameFromUrl(url: string): string {
  const { hostname, port } = new URL(url);
  return port ? `${hostname}-${port}` : hostname;
}

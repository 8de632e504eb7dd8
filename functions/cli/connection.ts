/**
 * Which n8n instance a command talks to, and how patiently: --url, the key's variable or file
 * (the key itself is never an argument), --concurrency and the bounds on each request. The flags
 * are declared here once; `connectionOf` checks them in the order a person fixes them (where, the
 * key, then the limits) and gives what the composition root builds a client from.
 */
import { DEFAULT_MAX_ANSWER_BYTES } from '../adapters/n8n/index.js';
import { checkedInstanceName } from '../core/instance/name.js';
import { sendsKeyInClear } from '../core/instance/url-safety.js';
import type { OptionValues } from '../core/options/table.js';
import { switchOption, textOption } from '../core/options/values.js';
import { resolveApiKey } from './api-key.js';
import { badUrl, keyInClear, outOfRange } from './errors.js';

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
 * The bounds on each request to n8n: --max-answer-mib (the largest answer read), --request-timeout
 * (seconds one attempt may take, answer included) and --retries (attempts after the first for a
 * transient failure). A hostile or stuck server costs at most their product.
 */
export const REQUEST_BOUND_OPTIONS = {
  maxAnswerMib: textOption(
    '<n>',
    'largest answer read from n8n, in MiB; a larger one stops the command (exit 3). Raise it for a workflow with more pinned data',
    String(DEFAULT_MAX_ANSWER_BYTES / MiB),
  ),
  requestTimeout: textOption(
    '<seconds>',
    'longest one request to n8n may take, its answer included, before it is tried again',
    String(DEFAULT_REQUEST_TIMEOUT_S),
  ),
  retries: textOption(
    '<n>',
    'times a request is tried again after a transient failure (429, 5xx, a lost connection, a timeout)',
    String(DEFAULT_RETRIES),
  ),
  requireHttps: switchOption(
    'refuse an http:// URL to another machine (it would send the API key in clear); without it, a warning',
  ),
} as const;

/** --url, --api-key-env, --api-key-file and --concurrency, then the request bounds. */
export const CONNECTION_OPTIONS = {
  url: textOption('<url>', 'base URL of the n8n instance, e.g. https://n8n.example.com'),
  apiKeyEnv: textOption('<VAR>', 'environment variable holding the n8n API key (default: N8N_API_KEY)'),
  apiKeyFile: textOption('<path>', 'file holding the n8n API key'),
  concurrency: textOption('<n>', 'parallel requests to n8n', '4'),
  ...REQUEST_BOUND_OPTIONS,
} as const;

export type RequestBoundFlags = OptionValues<typeof REQUEST_BOUND_OPTIONS>;
export type ConnectionFlags = OptionValues<typeof CONNECTION_OPTIONS>;

/** How much one instance is asked at once, and the bounds on each request. */
export interface RequestLimits {
  concurrency: number;
  maxAnswerBytes: number;
  timeoutMs: number;
  retries: number;
}

/** An n8n instance as the flags name it: its base URL, its key, and the limits of talking to it. */
export interface N8nConnection extends RequestLimits {
  baseUrl: string;
  apiKey: string;
  /** What the person should be warned of before the first request (the key sent in clear, a key file others may read). */
  warnings?: readonly string[];
}

/** How the person named the instance's flags, for messages (migrate's --from-url, --to-key-env …). */
export interface ConnectionFlagNames {
  url: string;
  env: string;
  file: string;
}

const DEFAULT_NAMES: ConnectionFlagNames = { url: '--url', env: '--api-key-env', file: '--api-key-file' };

/** The request bounds the flags give. */
export function requestBounds(flags: RequestBoundFlags): Omit<RequestLimits, 'concurrency'> {
  return {
    maxAnswerBytes: parseMaxAnswerMib(flags.maxAnswerMib),
    timeoutMs:
      wholeNumber(flags.requestTimeout, '--request-timeout', 1, 3600, DEFAULT_REQUEST_TIMEOUT_S) * 1000,
    retries: wholeNumber(flags.retries, '--retries', 0, 20, DEFAULT_RETRIES),
  };
}

/** --concurrency and the request bounds. */
export function requestLimits(
  flags: RequestBoundFlags & { concurrency?: string | undefined },
): RequestLimits {
  return { concurrency: parsePositiveInt(flags.concurrency, '--concurrency', 4), ...requestBounds(flags) };
}

/** The instance the flags name: --url checked, the key resolved, then the limits. */
export async function connectionOf(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  names: ConnectionFlagNames = DEFAULT_NAMES,
  limits?: RequestLimits,
): Promise<N8nConnection> {
  const baseUrl = parseUrl(flags.url, names.url);
  const warnings = urlWarnings(baseUrl, names.url, flags.requireHttps);
  const apiKey = await resolveApiKey(flags, env, names, warnings);
  return { baseUrl, apiKey, ...(limits ?? requestLimits(flags)), warnings };
}

/** A URL that would send the key in clear: refused with --require-https, else a warning. */
export function urlWarnings(url: string, flag: string, requireHttps: boolean | undefined): string[] {
  if (!sendsKeyInClear(url)) return [];
  if (requireHttps) throw keyInClear.refused(flag, url);
  return [keyInClear.warning(flag, url)];
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
    throw outOfRange(flag, `a whole number from ${min} to ${max}`, value);
  return n;
}

/** --max-answer-mib as bytes: a whole number of MiB from 1 to MAX_ANSWER_MIB_LIMIT. */
export function parseMaxAnswerMib(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_ANSWER_BYTES;
  const mib = Number(value);
  if (!Number.isInteger(mib) || mib < 1 || mib > MAX_ANSWER_MIB_LIMIT)
    throw outOfRange('--max-answer-mib', `a whole number of MiB from 1 to ${MAX_ANSWER_MIB_LIMIT}`, value);
  return mib * MiB;
}

export function parseUrl(value: string | undefined, flag = '--url'): string {
  if (!value) throw badUrl.missing(flag);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badUrl.notAUrl(flag, value);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badUrl.notHttp(flag, url.protocol);
  if (url.username || url.password) throw badUrl.withCredentials(flag);
  return value;
}

export function parsePositiveInt(value: string | undefined, flag: string, fallback: number): number {
  return wholeNumber(value, flag, 1, 64, fallback);
}

/** A default instance name from the URL's host, e.g. n8n.example.com → n8n.example.com. */
export function instanceNameFromUrl(url: string): string {
  const { hostname, port } = new URL(url);
  return port ? `${hostname}-${port}` : hostname;
}

/** The instance name when --instance is not given: the URL's host, held to the same rule (exit 2 otherwise). */
export function defaultInstanceName(url: string): string {
  return checkedInstanceName(
    instanceNameFromUrl(url),
    'instance',
    `the default, from the host of ${url}: give --instance`,
  );
}

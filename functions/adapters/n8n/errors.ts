/**
 * The errors of the n8n client, each built here with its message: from an answer n8n gave, from an
 * exchange that failed, or from a listing that cannot be followed. The transport and the listings
 * decide; these say. No message carries the API key.
 */
import {
  AmbiguousWriteError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  FeatureNotLicensedError,
  MissingScopeError,
  N8nApiError,
  NotFoundError,
  PaginationError,
  RetryPastDeadlineError,
} from '../../core/errors.js';
import type { HttpAnswer } from './http-exchange.js';
import { REQUIRED_SCOPES } from './scopes.js';

/** The instance a client talks to and the bounds it reads with, as messages name them. */
export interface ClientSettings {
  /** Printable: no credentials. */
  baseUrl: string;
  timeoutMs: number;
  maxAnswerBytes: number;
}

/** One request, as messages name it: the path sent and the route as the spec names it. */
export interface RequestPlace {
  method: string;
  path: string;
  /** E.g. `/workflows/{workflowId}`, to look up the scope a 403 lacks. */
  route: string;
}

/** How often a call was tried, for a message: ` (tried 6 times)`, ` (tried 14 times in 2 min, its retry budget)`. */
export interface Tries {
  attempts: number;
  /** Set when the call stopped because its retry budget was spent. */
  budgetMs?: number;
}

function triedText({ attempts, budgetMs }: Tries): string {
  if (budgetMs !== undefined)
    return ` (tried ${attempts} times in ${formatDuration(budgetMs)}, the retry budget; --retry-budget)`;
  return attempts > 1 ? ` (tried ${attempts} times)` : '';
}

/** The error for a failing answer: ours by status, with what n8n said. */
export function answerError(
  at: ClientSettings,
  { method, path, route }: RequestPlace,
  answer: HttpAnswer,
  tries: Tries = { attempts: 1 },
): Error {
  const message = answerMessage(answer);
  const status = answer.status;
  const context = { status, method, path };
  const said = message ? `: ${message}` : '';
  if (status === 401) {
    return new AuthenticationError(
      `n8n at ${at.baseUrl} rejected the API key (401${said}). Check that the key is current and belongs to this instance (Settings → n8n API).`,
      context,
    );
  }
  if (status === 403) return forbidden({ method, path, route }, message);
  if (message === undefined && status === 404 && !/json/.test(header(answer, 'content-type') ?? '')) {
    return new ConnectionError(
      `${at.baseUrl}/api/v1${path} answered 404 (${describeAnswer(answer)}): either this is not an n8n instance or its Public API is disabled (N8N_PUBLIC_API_DISABLED). Check --url.`,
      { url: at.baseUrl },
    );
  }
  const text = `n8n answered ${status} to ${method} ${path}${said}${triedText(tries)}`;
  if (status === 404) return new NotFoundError(text, context);
  if (status === 409) return new ConflictError(text, context);
  return new N8nApiError(text, context);
}

/** A 403: a licence n8n names, else the scope the spec says the route needs. */
function forbidden({ method, path, route }: RequestPlace, message: string | undefined): Error {
  const context = { status: 403, method, path };
  const feature =
    /does not allow for (feat:[A-Za-z0-9:_-]+)/.exec(message ?? '')?.[1] ??
    (/not licensed for sharing/i.test(message ?? '') ? 'feat:sharing' : undefined) ??
    // POST /users of a global:admin on an instance without advanced permissions (n8n 2.41.1).
    (/without advanced permissions/i.test(message ?? '') ? 'feat:advancedPermissions' : undefined) ??
    (/Maximum number of users reached/i.test(message ?? '') ? 'quota:users' : undefined);
  if (feature) {
    return new FeatureNotLicensedError(
      `${method} ${path} needs the licence feature ${feature}, which this n8n instance does not have`,
      { ...context, feature },
    );
  }
  const scope = REQUIRED_SCOPES[`${method} ${route}`];
  const said = message ? `: ${message}` : '';
  return new MissingScopeError(
    scope
      ? `the API key may not ${method} ${path}: it lacks the scope ${scope}. Create a key with that scope in n8n (Settings → n8n API).`
      : `n8n refused ${method} ${path} (403${said}): the key's user or scopes do not allow it.`,
    { ...context, scope },
  );
}

/** The `message` of a JSON answer; a blocked package import adds why, e.g. workflow-conflict "Orders sync". */
export function answerMessage(answer: HttpAnswer): string | undefined {
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as {
      message?: string;
      issues?: { type?: string; name?: string }[];
    };
    const message = parsed.message;
    if (!message || !Array.isArray(parsed.issues) || parsed.issues.length === 0) return message;
    const issues = parsed.issues
      .slice(0, 5)
      .map((issue) => `${issue.type ?? 'issue'}${issue.name ? ` "${issue.name}"` : ''}`)
      .join(', ');
    return `${message} (${issues}${parsed.issues.length > 5 ? ', …' : ''})`;
  } catch {
    return undefined;
  }
}

/** An exchange that got no answer: a timeout, or no connection at all. */
export function unreachable(
  at: ClientSettings,
  method: string,
  path: string,
  error: Error,
  tries: Tries = { attempts: 1 },
) {
  const tried = triedText(tries);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return new ConnectionError(
      `${method} ${at.baseUrl}/api/v1${path} timed out after ${at.timeoutMs} ms${tried}. Is n8n overloaded or the URL wrong?`,
      { url: at.baseUrl },
      { cause: error },
    );
  }
  return new ConnectionError(
    `could not reach n8n at ${at.baseUrl} (${describeNetworkError(error)})${tried}. Check --url and that the instance is running.`,
    { url: at.baseUrl },
    { cause: error },
  );
}

/** A write that was sent but whose outcome is unknown (`what` became of it). */
export function ambiguousWrite(
  at: ClientSettings,
  method: string,
  path: string,
  what: string,
  cause: Error,
): AmbiguousWriteError {
  return new AmbiguousWriteError(
    `${method} ${path} was sent to n8n at ${at.baseUrl}, but ${what}: its outcome is unknown (it may or may not have been carried out). Look for what it would have written before writing it again.`,
    { method, path },
    { cause },
  );
}

/** What became of an exchange that was sent, for a message. */
export function describeFailure(at: ClientSettings, cause: Error): string {
  if (cause.name === 'TimeoutError') return `no answer came within ${at.timeoutMs} ms`;
  if (cause.name === 'AnswerCutOffError') return 'the answer was cut off';
  return `the connection failed (${describeNetworkError(cause)})`;
}

/** A Retry-After longer than the longest wait allowed: the call fails at once instead of waiting. */
export function retryAfterTooLong(
  { method, path }: RequestPlace,
  status: number,
  askedMs: number,
  maxMs: number,
): N8nApiError {
  return new N8nApiError(
    `n8n answered ${status} to ${method} ${path}: n8n asks to wait ${formatDuration(askedMs)}; the longest wait allowed is ${formatDuration(maxMs)} (--max-retry-wait)`,
    { status, method, path },
  );
}

/** A wait to ask again that would end past the run's deadline: the run stops now. */
export function retryPastDeadline(
  { method, path }: RequestPlace,
  what: string,
  deadline: number,
  waitMs: number,
  cause: Error,
): RetryPastDeadlineError {
  return new RetryPastDeadlineError(
    `${what}; asking again in ${formatDuration(waitMs)} would pass the run's deadline (${new Date(deadline).toISOString()}, --timeout), so it stops now`,
    { deadline, method, path },
    { cause },
  );
}

export function answerTooLarge(at: ClientSettings, method: string, path: string, cause: Error) {
  return new ConnectionError(
    `${method} ${at.baseUrl}/api/v1${path}: the answer is larger than ${Math.round(at.maxAnswerBytes / 1024 / 1024)} MiB, the most n8n-ark reads; it stopped reading. If this n8n really sends answers that large (a workflow with that much pinned data), raise the cap with --max-answer-mib.`,
    { url: at.baseUrl },
    { cause },
  );
}

export function notJson(baseUrl: string, method: string, path: string, answer: HttpAnswer, cause: unknown) {
  return new ConnectionError(
    `${baseUrl} answered ${method} ${path} with something that is not JSON (${describeAnswer(answer)}): it does not look like n8n's Public API. Check --url.`,
    { url: baseUrl },
    { cause },
  );
}

export function noDataList(baseUrl: string, path: string): ConnectionError {
  return new ConnectionError(
    `${baseUrl} answered GET ${path} without a data list: it does not look like n8n's Public API. Check --url.`,
    { url: baseUrl },
  );
}

export function repeatedCursor(path: string): PaginationError {
  return new PaginationError(
    `n8n returned the same page cursor twice for GET ${path}; stopping instead of looping. This is an n8n paging bug: retry, and report it if it persists.`,
    { path },
  );
}

/** A listing that hands out pages with nothing new, or more pages than any instance has. */
export function endlessPaging(path: string, stalled: boolean, maxPages: number): PaginationError {
  return new PaginationError(
    `GET ${path} ${stalled ? 'handed out new cursors for pages with nothing new' : `went on past ${maxPages} pages`}; stopping instead of paging for ever. This is a paging bug of the server: retry, and report it if it persists.`,
    { path },
  );
}

/** Rows listed by id that do not follow the last id read: the server ignores the row filter or another order. */
export function rowsOutOfOrder(path: string, after: number, id: unknown): PaginationError {
  const since = Number.isFinite(after) ? ` after row ${after}` : '';
  return new PaginationError(
    `GET ${path} listed row ${JSON.stringify(id)}${since}: rows are read in id order, each page asked for the rows after the last id read, and this server does not answer that way; stopping instead of losing or repeating rows.`,
    { path },
  );
}

/** A listing that handed out more objects than any n8n instance holds. */
export function tooManyListed(path: string, maxItems: number): PaginationError {
  return new PaginationError(
    `GET ${path} listed more than ${maxItems.toLocaleString('en-US')} objects, more than any n8n instance holds of one kind; stopping before they take the memory. This is a paging bug of the server: retry, and report it if it persists.`,
    { path },
  );
}

/** A long listing while the process's memory passed its ceiling. */
export function memoryCeilingReached(
  path: string,
  listed: number,
  rss: number,
  ceiling: number,
): PaginationError {
  const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
  return new PaginationError(
    `GET ${path} had listed ${listed.toLocaleString('en-US')} objects when n8n-ark's memory reached ${mb(rss)}, past its ceiling of ${mb(ceiling)}; stopping before the listing takes more. A listing this long is most likely a paging bug of the server: retry, and report it if it persists (with the instance's real size, if it really holds that many).`,
    { path },
  );
}

/** A page with more items than were asked for. */
export function pageTooLarge(path: string, items: number, limit: number): PaginationError {
  return new PaginationError(
    `GET ${path} answered a page of ${items} items when ${limit} were asked for; n8n never does: stopping. This is a paging bug of the server, or not n8n.`,
    { path },
  );
}

export function foldersGoingRound(projectId: string, count: number): PaginationError {
  return new PaginationError(
    `GET /projects/${projectId}/folders keeps answering pages with nothing new (count ${count}); stopping instead of paging for ever.`,
    { path: `/projects/${projectId}/folders` },
  );
}

/** A Node network error's code (ECONNREFUSED, …), from the error or its cause. */
export function networkErrorCode(error: unknown): string | undefined {
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } };
  if (typeof code === 'string') return code;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

export function describeNetworkError(error: unknown): string {
  return networkErrorCode(error) ?? (error as Error).message;
}

export function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Status, content type and the first bytes: enough to tell what answered. */
export function describeAnswer(answer: HttpAnswer): string {
  return `${answer.status}, ${header(answer, 'content-type') ?? 'no content type'}, ${JSON.stringify(answer.body.toString('utf8', 0, 60))}`;
}

/** 800 ms, 8 s, 2 min, 24 h: a wait as a person reads it. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1_000;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

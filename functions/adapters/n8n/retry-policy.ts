/**
 * When the n8n client asks again, and how long it waits first: the one place that decides. The
 * transport tells it what failed; it answers whether to try again, after waiting, or why not.
 *
 * Transient: 429 (n8n's limiter refuses before any handler), 500, a network failure or a timeout,
 * tried again up to `retries` times. An outage — 502, 503 or 504 (n8n's "Database is not ready!",
 * or a proxy in front of a stopped n8n), a database failure n8n reports, a connection refused by
 * an n8n that answered before (restarting) — is tried again
 * for as long as the call's time budget lasts, however many times that takes. No wait is longer
 * than `maxRetryAfterMs` (a Retry-After asking for more fails the call at once) nor ends past the
 * run's deadline (the call fails at once: the run stops, exit 6).
 *
 * A request that is not idempotent is asked again only when n8n certainly did not carry it out: a
 * 429, a 503 "Database is not ready!" (answered before any handler), a connection never made, a
 * request not wholly sent.
 */
import type { Logger } from '../../core/ports.js';
import { formatDuration, networkErrorCode } from './errors.js';
import type { HttpExchangeError } from './http-exchange.js';

export interface RetryOptions {
  /** Attempts after the first for a transient failure, per call. Default 5. */
  retries?: number;
  /** Base of the exponential backoff (full jitter). Default 250 ms. */
  backoffMs?: number;
  /** The longest wait allowed; a Retry-After asking for more fails the call at once. Default 60 s. */
  maxRetryAfterMs?: number;
  /** How long one call keeps asking through an outage, from its first attempt. Default DEFAULT_RETRY_BUDGET_MS. */
  budgetMs?: number;
  /** Epoch ms: no wait ends past it (the run's --timeout, a Lambda slice's end). */
  deadline?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Epoch ms now. Default Date.now. */
  now?: () => number;
  logger: Logger;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Two minutes: n8n restarts, and its database fails over, within that (measured: docs/REAL-N8N-FINDINGS.md). */
export const DEFAULT_RETRY_BUDGET_MS = 120_000;
export const DEFAULT_MAX_RETRY_WAIT_MS = 60_000;

/** A wait longer than this is shown (a warning), not only logged at debug level. */
export const SHOWN_WAIT_MS = 5_000;

const IDEMPOTENT_METHODS: ReadonlySet<Method> = new Set(['GET', 'PUT', 'DELETE']);

/** Failing statuses that may pass if asked again. 429 is apart: n8n's limiter refuses before any handler. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

/** Statuses of an instance (or its database) that is down for a while: asked again for the time budget. */
const OUTAGE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** n8n's own 503 while its database health check fails, sent by a middleware before any route. */
export const DATABASE_NOT_READY = 'Database is not ready!';

/** Backoff bound for ordinary retries (five from 250 ms never reach it). */
const MAX_BACKOFF_MS = 30_000;
/** Backoff bound through an outage: the instance coming back is noticed within this. */
const MAX_OUTAGE_BACKOFF_MS = 8_000;

/**
 * Whether doing it twice leaves n8n as doing it once: GET, PUT and DELETE by their method; a POST
 * or PATCH only when its caller says so (publish, archive, …).
 */
export function isIdempotent(method: Method, declared: boolean | undefined): boolean {
  return declared ?? IDEMPOTENT_METHODS.has(method);
}

/** Whether a failing status may pass if asked again. */
export function isTransient(status: number): boolean {
  return status === 429 || TRANSIENT_STATUSES.has(status);
}

/** Whether a failing status says the instance or its database is down for now. */
export function isOutage(status: number): boolean {
  return OUTAGE_STATUSES.has(status);
}

/**
 * Whether a request that is not idempotent may be asked again after this failing answer: a 429
 * (n8n's limiter), a 401 (its API-key check, which answers 401 too when the database behind it
 * fails) and n8n's 503 "Database is not ready!" are answered before any handler runs.
 */
export function refusedBeforeCarriedOut(status: number, message: string | undefined): boolean {
  return status === 429 || status === 401 || (status === 503 && message === DATABASE_NOT_READY);
}

/**
 * Whether n8n may have carried out a request whose exchange failed. Not when the connection was
 * refused or the name did not resolve (the request never left), nor when the request was not yet
 * wholly sent (n8n reads the whole body before it acts). Otherwise, no answer means no knowing.
 */
export function mayHaveBeenCarriedOut(failure: HttpExchangeError): boolean {
  if (!failure.requestSent) return false;
  return !neverConnected(failure);
}

/** A connection refused or a name that did not resolve: nothing listens there (n8n restarting, or the wrong URL). */
export function neverConnected(failure: HttpExchangeError): boolean {
  const code = networkErrorCode(failure.cause);
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** One failed attempt, as the transport describes it. */
export interface Failure {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** What failed, for the log: `GET /workflows: 503 Database is not ready!`. */
  why: string;
  /** The instance or its database is down: asked again for the time budget, not only `retries` times. */
  outage: boolean;
  /** What Retry-After asked, in ms. */
  retryAfterMs?: number;
}

/** Why a call is not tried again. */
export type GiveUp =
  | { reason: 'retries'; attempts: number }
  | { reason: 'budget'; attempts: number; budgetMs: number; spentMs: number }
  | { reason: 'deadline'; deadline: number; waitMs: number }
  | { reason: 'retry-after'; askedMs: number; maxMs: number };

/** How many times a call is tried and how long it waits between tries. */
export class RetryPolicy {
  readonly retries: number;
  readonly budgetMs: number;
  readonly maxWaitMs: number;
  readonly deadline: number | undefined;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(options: RetryOptions) {
    this.retries = options.retries ?? 5;
    this.backoffMs = options.backoffMs ?? 250;
    this.maxWaitMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    this.budgetMs = options.budgetMs ?? DEFAULT_RETRY_BUDGET_MS;
    this.deadline = options.deadline;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  /** A call's retries: started now. */
  call(): RetryCall {
    return new RetryCall(this, this.now());
  }

  /** Epoch ms now, as the policy counts. */
  clockNow(): number {
    return this.now();
  }

  /** A random wait up to the exponential bound (full jitter, so clients that failed together do not come back together). */
  backoff(attempt: number, outage: boolean): number {
    const bound = outage ? MAX_OUTAGE_BACKOFF_MS : MAX_BACKOFF_MS;
    return Math.random() * Math.min(bound, this.backoffMs * 2 ** Math.min(attempt - 1, 30));
  }

  async wait(ms: number, failure: Failure, leftMs: number): Promise<void> {
    const fields = { why: failure.why, attempt: failure.attempt, waitMs: Math.round(ms) };
    // The warning's message says it all; its fields are for a structured log (the Lambdas').
    if (ms > SHOWN_WAIT_MS) this.logger.warn(waitMessage(failure, ms, leftMs), { waitMs: fields.waitMs });
    else this.logger.debug('retrying n8n request', fields);
    await this.sleep(ms);
  }
}

/** The retries of one call: how long it has spent, and whether it may go on. */
export class RetryCall {
  /** The waits so far: with an injected sleep that does not pass time, the budget still runs out. */
  private waitedMs = 0;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly started: number,
  ) {}

  /**
   * After a failed attempt: waits and answers undefined when the call may be tried again, else says
   * why not, at once (never after a wait that could not have helped).
   */
  async again(failure: Failure): Promise<GiveUp | undefined> {
    const { policy } = this;
    const now = policy.clockNow();
    const spentMs = Math.max(now - this.started, this.waitedMs);
    const budgetLeftMs = policy.budgetMs - spentMs;
    const withinCount = failure.attempt <= policy.retries;
    if (!withinCount && !(failure.outage && budgetLeftMs > 0)) {
      const attempts = failure.attempt;
      return failure.outage
        ? { reason: 'budget', attempts, budgetMs: policy.budgetMs, spentMs }
        : { reason: 'retries', attempts };
    }
    const asked = failure.retryAfterMs;
    let waitMs = asked ?? policy.backoff(failure.attempt, failure.outage);
    // Past its count, an outage waits no longer than its budget has left (a Retry-After is not cut).
    if (!withinCount && asked === undefined) waitMs = Math.min(waitMs, budgetLeftMs);
    if (policy.deadline !== undefined && now + waitMs > policy.deadline) {
      return { reason: 'deadline', deadline: policy.deadline, waitMs };
    }
    if (asked !== undefined && asked > policy.maxWaitMs) {
      return { reason: 'retry-after', askedMs: asked, maxMs: policy.maxWaitMs };
    }
    if (!withinCount && waitMs > budgetLeftMs) {
      return { reason: 'budget', attempts: failure.attempt, budgetMs: policy.budgetMs, spentMs };
    }
    const leftMs = withinCount && !failure.outage ? 0 : Math.max(0, budgetLeftMs - waitMs);
    await policy.wait(waitMs, failure, leftMs);
    this.waitedMs += waitMs;
    return undefined;
  }
}

/** `n8n answered 503 … : asking again in 8 s (attempt 4; up to 52 s more)`. */
function waitMessage(failure: Failure, ms: number, leftMs: number): string {
  const more = leftMs > 0 ? `; up to ${formatDuration(leftMs)} more` : '';
  return `${failure.why}: asking again in ${formatDuration(ms)} (attempt ${failure.attempt}${more})`;
}

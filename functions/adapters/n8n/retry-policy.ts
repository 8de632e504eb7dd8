/**
 * When the n8n client asks again, and how long it waits first: the one place that decides. The
 * transport tells it what failed; it answers whether to try again, after waiting.
 *
 * Transient: 429 (n8n's limiter refuses before any handler), 500, 502, 503, 504, a network failure
 * or a timeout. A request that is not idempotent is asked again only when n8n certainly did not
 * carry it out: a 429, a connection never made, a request not wholly sent.
 */
import type { Logger } from '../../core/ports.js';
import { networkErrorCode } from './errors.js';
import type { HttpExchangeError } from './http-exchange.js';

export interface RetryOptions {
  /** Attempts after the first for a transient failure, per call. Default 5. */
  retries?: number;
  /** Base of the exponential backoff (full jitter, at most 30 s). Default 250 ms. */
  backoffMs?: number;
  /** The longest wait a Retry-After header is obeyed for; a server asking for more waits this. Default 60 s. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  logger: Logger;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const IDEMPOTENT_METHODS: ReadonlySet<Method> = new Set(['GET', 'PUT', 'DELETE']);

/** Failing statuses that may pass if asked again. 429 is apart: n8n's limiter refuses before any handler. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

const MAX_BACKOFF_MS = 30_000;

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

/** Whether a request that is not idempotent may be asked again after this failing status: only a 429. */
export function refusedBeforeCarriedOut(status: number): boolean {
  return status === 429;
}

/**
 * Whether n8n may have carried out a request whose exchange failed. Not when the connection was
 * refused or the name did not resolve (the request never left), nor when the request was not yet
 * wholly sent (n8n reads the whole body before it acts). Otherwise, no answer means no knowing.
 */
export function mayHaveBeenCarriedOut(failure: HttpExchangeError): boolean {
  if (!failure.requestSent) return false;
  const code = networkErrorCode(failure.cause);
  return !(code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN');
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds from now. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** How many times a call is tried and how long it waits between tries. */
export class RetryPolicy {
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logger: Logger;

  constructor(options: RetryOptions) {
    this.retries = options.retries ?? 5;
    this.backoffMs = options.backoffMs ?? 250;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.logger = options.logger;
  }

  /**
   * After attempt `attempt` failed transiently (`why`): false when it was the last one allowed;
   * otherwise waits, then true. The wait is a random time up to the exponential bound (full
   * jitter, so clients that failed together do not come back together), or what Retry-After
   * asked, capped.
   */
  async again(attempt: number, why: string, retryAfterMs?: number): Promise<boolean> {
    if (attempt > this.retries) return false;
    const exponential = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** (attempt - 1));
    const delay =
      retryAfterMs === undefined ? Math.random() * exponential : Math.min(retryAfterMs, this.maxRetryAfterMs);
    const capped = retryAfterMs !== undefined && retryAfterMs > this.maxRetryAfterMs;
    this.logger.debug(
      capped
        ? 'retrying n8n request after the longest wait allowed, not the Retry-After asked'
        : 'retrying n8n request',
      {
        why,
        attempt,
        delayMs: Math.round(delay),
        ...(capped ? { retryAfterMs: Math.round(retryAfterMs), maxRetryAfterMs: this.maxRetryAfterMs } : {}),
      },
    );
    await this.sleep(delay);
    return true;
  }
}

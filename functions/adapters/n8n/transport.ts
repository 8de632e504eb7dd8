/**
 * The n8n client's transport: requests to `<baseUrl>/api/v1` with the API key, over keep-alive
 * sockets (http-exchange.ts), at most `concurrency` at once, each answer read up to a cap, transient
 * failures asked again as retry-policy.ts decides, failing answers turned into our errors
 * (errors.ts), cursor listings followed to the end (cursor-pages.ts). The routes are in the area
 * modules beside it; none of them sends a request any other way.
 */
import type { ListingPosition, Logger, PositionedListing } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import {
  cursorListing,
  DEFAULT_MEMORY_CEILING_BYTES,
  MAX_LISTED_OBJECTS,
  MAX_PAGES,
  type MemoryCeiling,
} from './cursor-pages.js';
import {
  ambiguousWrite,
  answerError,
  answerMessage,
  answerTooLarge,
  type ClientSettings,
  describeFailure,
  describeNetworkError,
  header,
  notJson,
  type RequestPlace,
  retryAfterTooLong,
  retryPastDeadline,
  type Tries,
  unreachable,
} from './errors.js';
import {
  type HttpAnswer,
  HttpAnswerTooLargeError,
  HttpExchange,
  HttpExchangeError,
  type HttpRequest,
} from './http-exchange.js';
import { idListing, rowsAfter } from './id-pages.js';
import {
  type GiveUp,
  isIdempotent,
  type Method,
  mayHaveBeenCarriedOut,
  neverConnected,
  parseRetryAfter,
  type RetryCall,
  RetryPolicy,
} from './retry-policy.js';
import { failingAnswerAction } from './write-outcome.js';

export type { Method } from './retry-policy.js';

export interface N8nClientOptions {
  /** The instance's base URL; a trailing `/api/v1` or slash is accepted. */
  baseUrl: string;
  apiKey: string;
  /** Requests in flight at once, across all calls of this client. Default 4. */
  concurrency?: number;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /**
   * Attempts after the first for a transient failure (429, 500, 502, 503, 504, a network failure or
   * a timeout), per call. Default 5.
   */
  retries?: number;
  /**
   * How long one call keeps asking through an outage (502, 503, 504 — n8n's "Database is not ready!"
   * —, a refused connection), from its first attempt, however many tries that takes. Default 2 min.
   */
  retryBudgetMs?: number;
  /** Epoch ms: no wait to ask again ends past it; the call fails at once instead (RetryPastDeadlineError). */
  deadline?: number;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Epoch ms now, for the retry budget and the deadline. Default Date.now. */
  now?: () => number;
  /** Base of the exponential backoff (full jitter). Default 250 ms. */
  backoffMs?: number;
  /** The longest wait allowed; a Retry-After asking for more fails the call at once. Default 60 s. */
  maxRetryAfterMs?: number;
  /**
   * The largest answer read, in bytes; a larger one fails naming the route (a hostile or broken
   * server cannot take the memory). Default DEFAULT_MAX_ANSWER_BYTES.
   */
  maxAnswerBytes?: number;
  /** The most pages one listing is followed for. Default MAX_PAGES (100,000 pages of 250). */
  maxPages?: number;
  /** The most objects one listing of a kind (not rows) hands out. Default MAX_LISTED_OBJECTS. */
  maxListedObjects?: number;
  /** The process's memory past which a long listing is stopped as a paging bug. Default 440 MB of RSS. */
  memoryCeiling?: MemoryCeiling;
}

/**
 * 64 MiB. The largest real answer is one workflow with its pinned data (listings are read without
 * it): n8n refuses a request body over N8N_PAYLOAD_SIZE_MAX, 16 MiB by default, so four times that
 * leaves room for an instance that raised it. Reading up to the cap costs about as much memory, so
 * this keeps the CLI under 300 MB of RSS against a server that answers without end (measured with a
 * 400 MB answer: 256 MiB let the CLI reach 367 MiB).
 */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** n8n's page-size maximum; every list asks for it (limit=0 would return everything and loop forever). */
export const PAGE_SIZE = 250;

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** A multipart/form-data body, already encoded, instead of JSON. */
  multipart?: { body: Buffer; contentType: string };
  /** A body already encoded in a content coding (gzip), sent as it is with its type, instead of JSON. */
  encoded?: { body: Buffer; contentType: string; contentEncoding: string };
  /** The route as the spec names it, e.g. `/workflows/{workflowId}`, to look up the scope on 403. */
  route: string;
  /**
   * Doing it twice leaves n8n as doing it once (publish, archive, …), so a failure whose outcome is
   * unknown is retried. GET, PUT and DELETE are by their method; a POST only when it says so.
   */
  idempotent?: boolean;
  /** Failing statuses answered to the caller as they are (their body says more than an error would). */
  accept?: readonly number[];
}

/** Bounded concurrency shared by every request of one client. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

/** Strips credentials, a trailing slash and a trailing `/api/v1`: the printable base of the instance. */
export function normaliseBaseUrl(value: string): string {
  const url = new URL(value);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url
    .toString()
    .replace(/\/+$/, '')
    .replace(/\/api\/v1$/, '');
}

/** A path segment (an id, a type name) as it goes into a URL. */
export function enc(segment: string): string {
  return encodeURIComponent(segment);
}

export class N8nTransport {
  readonly baseUrl: string;
  /** The most pages one listing is followed for. */
  readonly maxPages: number;
  /** The most objects one listing of a kind (not rows) hands out. */
  readonly maxListed: number;
  /** The memory past which a long listing is stopped. */
  readonly memory: MemoryCeiling;
  private readonly apiKey: string;
  private readonly settings: ClientSettings;
  private readonly exchange: HttpExchange;
  private readonly semaphore: Semaphore;
  private readonly retry: RetryPolicy;
  /**
   * Whether n8n answered this client once: a refused connection then means n8n is restarting (an
   * outage, asked again for the budget); before, most likely a wrong --url (asked --retries times).
   */
  private answered = false;

  constructor(options: N8nClientOptions) {
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    this.apiKey = options.apiKey;
    this.semaphore = new Semaphore(options.concurrency ?? 4);
    this.exchange = new HttpExchange({ maxSockets: options.concurrency ?? 4 });
    this.settings = {
      baseUrl: this.baseUrl,
      timeoutMs: options.timeoutMs ?? 30_000,
      maxAnswerBytes: options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES,
    };
    this.retry = new RetryPolicy({
      retries: options.retries,
      backoffMs: options.backoffMs,
      maxRetryAfterMs: options.maxRetryAfterMs,
      budgetMs: options.retryBudgetMs,
      deadline: options.deadline,
      sleep: options.sleep,
      now: options.now,
      logger: options.logger ?? silentLogger,
    });
    this.maxPages = options.maxPages ?? MAX_PAGES;
    this.maxListed = options.maxListedObjects ?? MAX_LISTED_OBJECTS;
    this.memory = options.memoryCeiling ?? {
      bytes: DEFAULT_MEMORY_CEILING_BYTES,
      rss: () => process.memoryUsage.rss(),
    };
  }

  /**
   * A cursor listing of `path`, readable page by page or item by item (cursor-pages.ts), each
   * page asked for with limit=PAGE_SIZE.
   */
  list<T extends { id?: unknown }>(
    path: string,
    route: string,
    query: Query = {},
    from?: ListingPosition,
  ): PositionedListing<T> {
    return cursorListing<T>(
      (cursor) => this.answer('GET', path, { route, query: { ...query, limit: PAGE_SIZE, cursor } }),
      (answer) => this.parse('GET', path, answer),
      {
        baseUrl: this.baseUrl,
        path,
        maxPages: this.maxPages,
        pageLimit: PAGE_SIZE,
        maxItems: this.maxListed,
        memory: this.memory,
      },
      from,
    );
  }

  /** Data-table rows by id (id-pages.ts), PAGE_SIZE a page; `from` reads on after a position handed out. */
  listRows<T extends { id?: unknown }>(
    path: string,
    route: string,
    from?: ListingPosition,
  ): PositionedListing<T> {
    return idListing<T>(
      (after) =>
        this.answer('GET', path, {
          route,
          query: { limit: PAGE_SIZE, ...(after === undefined ? {} : { filter: rowsAfter(after) }) },
        }),
      (answer) => this.parse('GET', path, answer),
      // Rows are streamed, never held: no bound on how many, only on each page.
      { baseUrl: this.baseUrl, path, maxPages: this.maxPages, pageLimit: PAGE_SIZE },
      from,
    );
  }

  async json<T>(method: Method, path: string, options: RequestOptions): Promise<T> {
    return this.parse<T>(method, path, await this.answer(method, path, options));
  }

  /** An answer's JSON; an empty body is undefined. */
  parse<T>(method: Method, path: string, answer: HttpAnswer): T {
    if (answer.body.length === 0) return undefined as T;
    try {
      return JSON.parse(answer.body.toString('utf8')) as T;
    } catch (error) {
      throw notJson(this.baseUrl, method, path, answer, error);
    }
  }

  /**
   * One request's successful answer, read in full. Each attempt (connecting, sending, reading the
   * answer to its end) has its own timeout and holds one of the client's concurrency slots.
   *
   * A transient failure is tried again as the retry policy allows (an outage for its time budget).
   * A write that is not idempotent is tried again only when n8n certainly did not carry it out
   * (429, "Database is not ready!", never connected, not wholly sent); any other failure after
   * sending it — a 400 that does not prove a refusal among them — is an AmbiguousWriteError at
   * once, for the caller to look the object up before writing again.
   */
  async answer(method: Method, path: string, options: RequestOptions): Promise<HttpAnswer> {
    const url = this.url(path, options.query);
    const request = this.request(method, options);
    const idempotent = isIdempotent(method, options.idempotent);
    const place: RequestPlace = { method, path, route: options.route };
    const call = this.retry.call();
    for (let attempt = 1; ; attempt += 1) {
      const answer = await this.attempt(url, request, place, attempt);
      if (answer instanceof HttpExchangeError) {
        const cause = answer.cause;
        if (!idempotent && mayHaveBeenCarriedOut(answer))
          throw ambiguousWrite(this.settings, method, path, describeFailure(this.settings, cause), cause);
        const why = `${method} ${path}: ${describeNetworkError(cause)}`;
        const stop = await call.again({ attempt, why, outage: this.answered && neverConnected(answer) });
        if (stop)
          throw this.stopped(stop, place, why, (tries) =>
            unreachable(this.settings, method, path, cause, tries),
          );
        continue;
      }
      this.answered = true;
      if ((answer.status >= 200 && answer.status < 300) || options.accept?.includes(answer.status))
        return answer;
      await this.onFailingAnswer(call, place, answer, attempt, idempotent);
    }
  }

  /**
   * A failing answer: thrown as our error when it is final, ambiguous or the retries are spent;
   * otherwise waited out (the caller tries again).
   */
  private async onFailingAnswer(
    call: RetryCall,
    place: RequestPlace,
    answer: HttpAnswer,
    attempt: number,
    idempotent: boolean,
  ): Promise<void> {
    const { method, path } = place;
    const message = answerMessage(answer);
    const failed = (tries?: Tries) => answerError(this.settings, place, answer, tries);
    const action = failingAnswerAction(answer.status, message, idempotent);
    if (action.act === 'fail') throw failed();
    const said = message ? ` (${message})` : '';
    if (action.act === 'ambiguous')
      throw ambiguousWrite(this.settings, method, path, `the answer was ${answer.status}${said}`, failed());
    const why = `n8n answered ${answer.status} to ${method} ${path}${said}`;
    const retryAfterMs = parseRetryAfter(header(answer, 'retry-after'), this.retry.clockNow());
    const asked = retryAfterMs === undefined ? {} : { retryAfterMs };
    const stop = await call.again({ attempt, why, outage: action.outage, ...asked });
    if (stop) throw this.stopped(stop, place, why, failed, answer.status);
  }

  /** The error a call that is not tried again fails with. */
  private stopped(
    stop: GiveUp,
    place: RequestPlace,
    why: string,
    failure: (tries: Tries) => Error,
    status = 0,
  ): Error {
    if (stop.reason === 'deadline')
      return retryPastDeadline(place, why, stop.deadline, stop.waitMs, failure({ attempts: 1 }));
    if (stop.reason === 'retry-after') return retryAfterTooLong(place, status, stop.askedMs, stop.maxMs);
    const attempts = stop.attempts;
    return failure(stop.reason === 'budget' ? { attempts, budgetMs: stop.budgetMs } : { attempts });
  }

  /**
   * One exchange: its answer, whatever the status, or the failure of an exchange that may be tried
   * again. What no retry would change (an answer past the cap, a request Node refuses to send) throws.
   */
  private async attempt(
    url: URL,
    request: HttpRequest,
    { method, path }: RequestPlace,
    attempt: number,
  ): Promise<HttpAnswer | HttpExchangeError> {
    try {
      return await this.semaphore.run(() => this.exchange.send(url, request));
    } catch (error) {
      if (error instanceof HttpAnswerTooLargeError) throw answerTooLarge(this.settings, method, path, error);
      // Thrown before anything was sent (a header Node refuses, say): another attempt would too.
      if (!(error instanceof HttpExchangeError))
        throw unreachable(this.settings, method, path, error as Error, { attempts: attempt });
      return error;
    }
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  private request(method: Method, options: RequestOptions): HttpRequest {
    const json =
      options.body !== undefined && options.multipart === undefined && options.encoded === undefined;
    const { encoded } = options;
    return {
      method,
      headers: {
        'X-N8N-API-KEY': this.apiKey,
        accept: 'application/json',
        ...(json ? { 'content-type': 'application/json' } : {}),
        ...(options.multipart ? { 'content-type': options.multipart.contentType } : {}),
        ...(encoded
          ? { 'content-type': encoded.contentType, 'content-encoding': encoded.contentEncoding }
          : {}),
      },
      ...(json ? { body: JSON.stringify(options.body) } : {}),
      ...(options.multipart ? { body: options.multipart.body } : {}),
      ...(encoded ? { body: encoded.body } : {}),
      timeoutMs: this.settings.timeoutMs,
      maxAnswerBytes: this.settings.maxAnswerBytes,
    };
  }
}

/**
 * A fault-injecting HTTP proxy for tests: it sits in front of one HTTP server on loopback (the API
 * double, or a real n8n in e2e) and disturbs a seeded share of the calls, per kind of call, so a
 * restore can be shown to converge when the network and the server misbehave the way they do in
 * production: rate limits, gateway errors, lost connections and, worst of all, lost answers to
 * writes that were applied.
 *
 * Faults, and whether the upstream saw the request:
 *
 *   kind          upstream saw it  client gets
 *   429           no               429 + `Retry-After: <retryAfterSeconds>` (default 1), JSON body
 *   500           no               500, JSON body (n8n's unhandled-error answer)
 *   502           no               502, HTML body (a gateway that could not reach n8n)
 *   503           no               503, HTML body (a gateway shedding load)
 *   502-after     yes, did it      502, HTML body (a gateway that timed out after passing it on)
 *   400-after     yes, did it      400 `{"message":"timeout exceeded when trying to connect"}`: n8n's
 *                                  answer when its database pool failed after the write was saved
 *   reset-before  no               TCP reset after the request was read (ECONNRESET)
 *   reset-after   yes, did it      TCP reset once the upstream answered: the answer is lost
 *   slow          yes, did it      the upstream's answer, held back `slowMs`: a client with a
 *                                  shorter timeout gives up although the work was done
 *
 * An outage (`outage` below, or `startOutage`) answers every request for a while without passing it
 * on: n8n's own `503 {"code":503,"message":"Database is not ready!"}` (its database health check
 * failing), or a gateway's 502 page (n8n itself down behind a proxy).
 *
 * Every injected status answer carries `x-fault-proxy: <kind>`, so a log shows who answered.
 * Requests are buffered whole (the fault cap hashes bodies) and so are answers (the after-kinds
 * need the upstream to finish first); fine for tests, not for a production proxy.
 */
import { createHash } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRandom, type Random } from '../double/prng.js';

/** Kinds of call, each with its own fault rate: a lost create differs from a lost read. */
export type RequestClass = 'read' | 'create' | 'rowInsert' | 'update';
export const REQUEST_CLASSES: readonly RequestClass[] = ['read', 'create', 'rowInsert', 'update'];

export type FaultKind =
  | '429'
  | '500'
  | '502'
  | '503'
  | '502-after'
  | '400-after'
  | 'reset-before'
  | 'reset-after'
  | 'slow';
export const FAULT_KINDS: readonly FaultKind[] = [
  '429',
  '500',
  '502',
  '503',
  '502-after',
  '400-after',
  'reset-before',
  'reset-after',
  'slow',
];

/** What answers during an outage: n8n with its database down, or a gateway in front of a stopped n8n. */
export type OutageAnswer = 'database' | 'gateway';

export interface OutageSpec {
  /** Requests passed (or faulted) normally before the outage begins. */
  afterRequests: number;
  /** How long it lasts from its first answer. */
  ms: number;
  /** Default 'database'. */
  answer?: OutageAnswer;
}

export interface ClassRate {
  /** Share of this class's requests that get a fault, 0..1. */
  rate: number;
  /** The fault of a faulted request is drawn evenly from these (repeat one to weigh it). */
  faults: readonly FaultKind[];
}

/** Classes left out are never faulted. */
export type FaultRates = Partial<Record<RequestClass, ClassRate>>;

export interface FaultProxyOptions {
  /** The server to front, e.g. 'http://127.0.0.1:5678'. Must be http on loopback. */
  upstream: string;
  /** Seeds the PRNG: the same seed and the same requests in the same order give the same faults. */
  seed: number;
  /** Default: none (everything passes). */
  rates?: FaultRates;
  /** How long a `slow` answer is held back. Default 31 000 ms, past N8nClient's 30 s timeout. */
  slowMs?: number;
  /** Retry-After of a `429`, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /**
   * After this many faults in a row on the same request (method, path with query, body hash) the
   * next attempt goes through, so a client with bounded retries can always finish. Default 3.
   */
  maxFaultsPerRequestKey?: number;
  /** Default: {@link classifyRequest}. */
  classify?: (method: string, pathname: string) => RequestClass;
  /**
   * Awaited before a request is passed on: lets a test change the upstream at a chosen point between
   * two calls of the client (a workflow saved between its listing and its read, say).
   */
  beforeForward?: (method: string, path: string) => Promise<void>;
  /** An outage that begins after a number of requests: every request answered 503 (or 502) for a while. */
  outage?: OutageSpec;
}

export interface FaultEvent {
  method: string;
  /** As requested, with the query string. */
  path: string;
  requestClass: RequestClass;
  fault: FaultKind;
}

export interface FaultProxyStats {
  /** Requests received. */
  requests: number;
  /** Per class: how many passed untouched (`pass`) and how many got each fault. */
  counts: Record<RequestClass, Record<FaultKind | 'pass', number>>;
  /** Every injected fault, in arrival order. */
  faults: FaultEvent[];
  /** Requests that drew a fault but went through because of the per-request cap. */
  spared: number;
  /** Requests the upstream could not be reached for (answered 502, not counted as faults). */
  upstreamErrors: number;
  /** Requests answered by an outage, and when it began and ended (epoch ms). */
  outage: { answered: number; startedAt?: number; endedAt?: number };
  /** The upstream's own failing answers passed on, by `<status> <first 100 characters of the body>`. */
  upstreamFailures: Record<string, number>;
}

export interface FaultProxy {
  /** Base URL of the proxy (use it wherever the upstream's URL would go). */
  url: string;
  stats(): FaultProxyStats;
  /** Replaces the rates for the requests that arrive from now on. */
  setRates(rates: FaultRates): void;
  /** Begins an outage now, lasting `ms`. */
  startOutage(ms: number, answer?: OutageAnswer): void;
  /** Closes every socket (client and upstream side) and drops held-back answers. */
  close(): Promise<void>;
}

const ACTION =
  /\/(activate|deactivate|publish|unpublish|archive|unarchive|transfer|upsert|update|delete|clear)$/;
const ROW_INSERT = /\/data-tables\/[^/]+\/rows$/;

/**
 * GET/HEAD/OPTIONS read; POST to `/data-tables/{id}/rows` inserts rows; POST ending in an action
 * (`/publish`, `/archive`, `/transfer`, `/rows/upsert`…) updates; any other POST creates (a
 * collection: `/workflows`, `/tags`, `/data-tables`, `/n8n-packages/import`…); PUT, PATCH and
 * DELETE update.
 */
export function classifyRequest(method: string, pathname: string): RequestClass {
  const verb = method.toUpperCase();
  if (verb === 'GET' || verb === 'HEAD' || verb === 'OPTIONS') return 'read';
  if (verb !== 'POST') return 'update';
  const path = pathname.replace(/\/+$/, '');
  if (ROW_INSERT.test(path)) return 'rowInsert';
  return ACTION.test(path) ? 'update' : 'create';
}

/** Per-hop headers: each side of the proxy has its own connection and framing. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const GATEWAY_PAGE = (status: number, text: string) =>
  `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n</body>\r\n</html>\r\n`;

interface Upstream {
  status: number;
  statusMessage: string;
  rawHeaders: string[];
  body: Buffer;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = loopbackUpstream(options.upstream);
  const slowMs = options.slowMs ?? 31_000;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const maxFaults = options.maxFaultsPerRequestKey ?? 3;
  const classify = options.classify ?? classifyRequest;
  let rates = checkedRates(options.rates ?? {});
  const random: Random = createRandom(options.seed);
  const agent = new Agent({ keepAlive: true });
  const held = new Set<NodeJS.Timeout>();
  const inARow = new Map<string, number>();
  const stats: FaultProxyStats = {
    requests: 0,
    counts: emptyCounts(),
    faults: [],
    spared: 0,
    upstreamErrors: 0,
    outage: { answered: 0 },
    upstreamFailures: {},
  };
  let outage: { until: number; answer: OutageAnswer } | undefined;
  const startOutage = (ms: number, answer: OutageAnswer = 'database') => {
    const now = Date.now();
    outage = { until: now + ms, answer };
    stats.outage.startedAt = now;
    stats.outage.endedAt = now + ms;
  };

  /** Answers the request if an outage is on (beginning one when its request count is reached). */
  function duringOutage(res: ServerResponse): boolean {
    if (!outage && options.outage && stats.requests > options.outage.afterRequests)
      startOutage(options.outage.ms, options.outage.answer);
    if (!outage || Date.now() >= outage.until) return false;
    stats.outage.answered += 1;
    if (outage.answer === 'gateway') {
      res.writeHead(502, { 'content-type': 'text/html', 'x-fault-proxy': 'outage' });
      res.end(GATEWAY_PAGE(502, 'Bad Gateway'));
    } else {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'x-fault-proxy': 'outage' });
      res.end('{"code":503,"message":"Database is not ready!"}');
    }
    return true;
  }

  /** One roll per request, then one to pick the kind when it is faulted. */
  function decide(requestClass: RequestClass, key: string): FaultKind | undefined {
    const rate = rates[requestClass];
    if (!rate || rate.rate === 0 || random() >= rate.rate) {
      inARow.delete(key);
      return undefined;
    }
    const fault = rate.faults[Math.floor(random() * rate.faults.length)];
    const previous = inARow.get(key) ?? 0;
    if (previous >= maxFaults) {
      inARow.delete(key);
      stats.spared += 1;
      return undefined;
    }
    inARow.set(key, previous + 1);
    return fault;
  }

  function forward(req: IncomingMessage, path: string, body: Buffer): Promise<Upstream> {
    // Host names the upstream, as a reverse proxy's requests do; the rest goes as the client sent it.
    const pairs = [...endToEnd(req.rawHeaders, ['host', 'content-length']), 'Host', upstream.host];
    if (body.length > 0 || req.headers['content-length'] !== undefined) {
      pairs.push('Content-Length', String(body.length));
    }
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          agent,
          hostname: upstream.hostname.replace(/^\[|\]$/g, ''),
          port: upstream.port,
          method: req.method,
          path,
          headers: pairs,
          setHost: false,
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('error', reject);
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              statusMessage: answer.statusMessage ?? '',
              rawHeaders: endToEnd(answer.rawHeaders),
              body: Buffer.concat(parts),
            }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  function reply(res: ServerResponse, answer: Upstream): void {
    if (res.destroyed) return;
    // No Date of our own: the upstream's, if any, is the one that counts.
    res.sendDate = false;
    res.writeHead(answer.status, answer.statusMessage, answer.rawHeaders);
    res.end(answer.body);
  }

  function inject(res: ServerResponse, fault: FaultKind): void {
    const json = { 'content-type': 'application/json; charset=utf-8', 'x-fault-proxy': fault };
    const html = { 'content-type': 'text/html', 'x-fault-proxy': fault };
    if (fault === '429') {
      res.writeHead(429, { ...json, 'retry-after': retryAfter }).end('{"message":"Too Many Requests"}');
    } else if (fault === '500') {
      res.writeHead(500, json).end('{"message":"Internal server error"}');
    } else if (fault === '400-after') {
      res.writeHead(400, json).end('{"message":"timeout exceeded when trying to connect"}');
    } else if (fault === '503') {
      res.writeHead(503, html).end(GATEWAY_PAGE(503, 'Service Temporarily Unavailable'));
    } else {
      res.writeHead(502, html).end(GATEWAY_PAGE(502, 'Bad Gateway'));
    }
  }

  function holdBack(res: ServerResponse, answer: Upstream): void {
    const timer = setTimeout(() => {
      held.delete(timer);
      reply(res, answer);
    }, slowMs);
    held.add(timer);
    res.once('close', () => {
      clearTimeout(timer);
      held.delete(timer);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', 'http://proxy');
    const path = `${target.pathname}${target.search}`;
    const requestClass = classify(method, target.pathname);
    stats.requests += 1;
    if (duringOutage(res)) return;
    const fault = decide(requestClass, requestKey(method, path, body));
    stats.counts[requestClass][fault ?? 'pass'] += 1;
    if (fault) stats.faults.push({ method, path, requestClass, fault });

    if (fault === 'reset-before') return void req.socket.resetAndDestroy();
    if (fault === '429' || fault === '500' || fault === '502' || fault === '503') return inject(res, fault);
    await options.beforeForward?.(method, path);
    let answer: Upstream;
    try {
      answer = await forward(req, path, body);
    } catch (error) {
      stats.upstreamErrors += 1;
      if (res.destroyed) return;
      res.writeHead(502, { 'content-type': 'text/plain', 'x-fault-proxy': 'upstream-error' });
      return void res.end(`fault proxy: upstream ${upstream.origin} failed: ${(error as Error).message}`);
    }
    if (answer.status >= 400) {
      const key = `${answer.status} ${answer.body.toString('utf8', 0, 100)}`;
      stats.upstreamFailures[key] = (stats.upstreamFailures[key] ?? 0) + 1;
    }
    if (fault === 'reset-after') return void req.socket.resetAndDestroy();
    if (fault === '502-after' || fault === '400-after') return inject(res, fault);
    if (fault === 'slow') return holdBack(res, answer);
    reply(res, answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`fault proxy: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats: () => structuredClone(stats),
    setRates: (next) => {
      rates = checkedRates(next);
    },
    startOutage,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of held) clearTimeout(timer);
        held.clear();
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A plain-text table of the counts (classes × pass and the kinds that happened), for a report. */
export function formatFaultTable(stats: FaultProxyStats): string {
  const kinds = FAULT_KINDS.filter((kind) => REQUEST_CLASSES.some((c) => stats.counts[c][kind] > 0));
  const header = ['class', 'pass', ...kinds];
  const rows = REQUEST_CLASSES.map((c) => [
    c,
    ...['pass' as const, ...kinds].map((k) => String(stats.counts[c][k])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function loopbackUpstream(upstream: string): URL {
  const url = new URL(upstream);
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new RangeError(`The fault proxy only fronts http servers on loopback, not ${url.origin}`);
  }
  return url;
}

function checkedRates(rates: FaultRates): FaultRates {
  for (const [requestClass, { rate, faults }] of Object.entries(rates) as [RequestClass, ClassRate][]) {
    if (!REQUEST_CLASSES.includes(requestClass))
      throw new RangeError(`Unknown request class ${requestClass}`);
    if (!(rate >= 0 && rate <= 1))
      throw new RangeError(`The ${requestClass} rate must be within 0..1, not ${rate}`);
    if (rate > 0 && faults.length === 0)
      throw new RangeError(`The ${requestClass} rate needs at least one fault`);
    const unknown = faults.filter((fault) => !FAULT_KINDS.includes(fault));
    if (unknown.length > 0) throw new RangeError(`Unknown fault kinds: ${unknown.join(', ')}`);
  }
  return structuredClone(rates);
}

function emptyCounts(): FaultProxyStats['counts'] {
  const row = () =>
    Object.fromEntries(['pass', ...FAULT_KINDS].map((kind) => [kind, 0])) as Record<
      FaultKind | 'pass',
      number
    >;
  return { read: row(), create: row(), rowInsert: row(), update: row() };
}

function requestKey(method: string, path: string, body: Buffer): string {
  return `${method} ${path} ${createHash('sha256').update(body).digest('hex')}`;
}

/** Raw header pairs without the per-hop ones (and `also`), names and order as received. */
function endToEnd(rawHeaders: string[], also: readonly string[] = []): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && !also.includes(lower)) kept.push(name, rawHeaders[i + 1]!);
  }
  return kept;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

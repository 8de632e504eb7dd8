/**
 * The n8n API double: a node:http server on loopback that answers like n8n 2.41.1's Public API v1
 * (`/api/v1`), built from n8n's source and checked against a real instance (see
 * test/contract/n8n-contract.ts, which runs against both). What it keeps faithful:
 * - auth: `X-N8N-API-KEY`; 401 "Unauthorized" on decorator-routed resources, "'X-N8N-API-KEY'
 *   header required" / "unauthorized" on the legacy ones (data tables, users, folder writes);
 * - scopes per key (403 "Forbidden"), licence gates (403 "Your license does not allow for …"),
 *   in n8n's order: authentication, (legacy: request validation), scope, licence;
 * - paging: base64 {limit, offset} cursors, limit 100 by default, capped at 250 or refused (400)
 *   depending on the route, limit=0 answering everything with a cursor, invalid cursors → 400;
 * - validation messages in n8n's words (read-only fields, unknown keys, unknown settings keys);
 * - server-assigned 16-character ids (credentials may choose theirs), 409s on duplicates;
 * - malformed JSON → 500 with an HTML body, unknown paths → 404 "not found", wrong method → 405.
 * Fault injection (429 with Retry-After, 500, connection resets, latency) is deterministic.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGunzip, createInflate } from 'node:zlib';
import { ApiError, type Context, type Method, type Reply, type Route } from './http.js';
import { createRandom, nanoId, type Random } from './prng.js';
import { communityPackageRoutes } from './routes/community-packages.js';
import { credentialRoutes } from './routes/credentials.js';
import { dataTableRoutes } from './routes/data-tables.js';
import { packageRoutes } from './routes/packages.js';
import { projectFolderUserRoutes } from './routes/projects-folders-users.js';
import { tagAndVariableRoutes } from './routes/tags-and-variables.js';
import { workflowHistoryRoutes } from './routes/workflow-history.js';
import { workflowRoutes } from './routes/workflows.js';
import { ALL_SCOPES } from './scopes.js';
import { DoubleState } from './state.js';
import { answerWebhook } from './webhook-answers.js';

export interface Faults {
  /** Share of requests answered 429 with a Retry-After header. */
  rate429?: number;
  /** Retry-After of those 429s, in seconds. Default 0. */
  retryAfterSeconds?: number;
  /** Share answered 500 before being handled. */
  rate500?: number;
  /** Share whose connection is destroyed before being handled (no answer at all). */
  rateReset?: number;
  /** Share of writes (not GET) that are applied, then lose their answer (connection destroyed). */
  rateResetAfterWrite?: number;
  /** Delay before every /api/v1 answer. */
  latencyMs?: number;
  /** Only GET requests get faults (exact-count tests want writes to go through). */
  readsOnly?: boolean;
  /** Only requests this accepts get faults. */
  match?: (request: { method: string; path: string }) => boolean;
  /** PRNG seed; changing it restarts the sequence. Default 42. */
  seed?: number;
}

export interface DoubleOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** The default key (all scopes). Default: a random one. */
  apiKey?: string;
  /** Licence features, e.g. ['feat:variables'], or 'all'. Default: none (the community edition). */
  licensed?: string[] | 'all';
  /** Whether GET /users is allowed (n8n wants an unlimited user quota). Default true. */
  userQuotaUnlimited?: boolean;
  faults?: Faults;
  /** Start from this state (e.g. one a test seeded); default a fresh one. */
  state?: DoubleState;
  /** Seed for a fresh state's ids. */
  idSeed?: number;
  /** n8n's N8N_PAYLOAD_SIZE_MAX, in MiB: the largest JSON request body. Default 16, n8n's default. */
  payloadSizeMaxMib?: number;
}

export interface RequestRecord {
  method: string;
  /** Below /api/v1, without the query string. */
  path: string;
  query: string;
  /** The answer's status; -1 when the connection was destroyed instead. */
  status: number;
  fault?: '429' | '500' | 'reset' | 'reset-after-write';
  /** Refused by the body parser (too large, not JSON): no route saw it, so it wrote nothing. */
  unparsed?: boolean;
}

export interface WebhookRequestRecord {
  method: string;
  /** The URL path, e.g. `/webhook/orders`. */
  path: string;
  status: number;
}

export interface N8nDouble {
  /** Base URL of the instance (the API is at url + '/api/v1'). */
  url: string;
  /** A key with every scope. */
  apiKey: string;
  state: DoubleState;
  /** Every /api/v1 request, in arrival order. */
  requests: RequestRecord[];
  /** Every request to a production webhook or form URL (`/webhook/…`, `/form/…`), in arrival order. */
  webhookRequests: WebhookRequestRecord[];
  /** Live fault configuration: assign to change it mid-test. */
  faults: Faults;
  /**
   * Requests that could change the instance (not GET), counted whatever their answer, except a
   * package import refused as a whole (4xx): n8n checks a package before importing any of it, and
   * the restore's node-type probe is such an import, refused by construction; and a body the body
   * parser refused (too large, not JSON), which no route saw: the payload-limit probe is such a body.
   */
  writeCount(): number;
  /** Adds a key; without scopes it has every scope. */
  addApiKey(key: string, scopes?: string[]): void;
  removeApiKey(key: string): void;
  setLicensed(features: string[] | 'all'): void;
  setUserQuotaUnlimited(unlimited: boolean): void;
  close(): Promise<void>;
}

const LICENCE_MESSAGE = (feature: string) =>
  `Your license does not allow for ${feature}. To enable ${feature}, please upgrade to a license that supports this feature.`;
const USER_QUOTA_MESSAGE = '/users path can only be used with a valid license. See https://n8n.io/pricing/';
const MALFORMED_JSON_PAGE =
  '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>ResponseError: Failed to parse request body</pre>\n</body>\n</html>\n';

/**
 * n8n's global body parser reads a request body (all but multipart ones) with a limit of
 * N8N_PAYLOAD_SIZE_MAX, 16 MiB by default, ahead of the Public API's own middleware (its source);
 * a declared length above it is refused before the body is read, with this error page (measured on
 * n8n 2.41.1).
 */
const DEFAULT_PAYLOAD_SIZE_MAX_MIB = 16;
const PAYLOAD_TOO_LARGE_PAGE =
  '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>PayloadTooLargeError: request entity too large</pre>\n</body>\n</html>\n';

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), names };
}

export function allRoutes(): Route[] {
  const routes: Route[] = [
    ...workflowRoutes(),
    ...workflowHistoryRoutes(),
    ...tagAndVariableRoutes(),
    ...dataTableRoutes(),
    ...credentialRoutes(),
    ...packageRoutes(),
    ...communityPackageRoutes(),
  ];
  routes.push(...projectFolderUserRoutes(() => routes));
  return routes;
}

export async function startN8nDouble(options: DoubleOptions = {}): Promise<N8nDouble> {
  const state =
    options.state ?? new DoubleState(options.idSeed === undefined ? {} : { idSeed: options.idSeed });
  const apiKey = options.apiKey ?? `n8n_api_double_${nanoId(createRandom(Date.now() ^ process.pid), 24)}`;
  const keys = new Map<string, readonly string[]>([[apiKey, ALL_SCOPES]]);
  let licensed: Set<string> | 'all' = options.licensed === 'all' ? 'all' : new Set(options.licensed ?? []);
  let userQuotaUnlimited = options.userQuotaUnlimited ?? true;
  const faults: Faults = { ...(options.faults ?? {}) };
  let random: Random = createRandom(faults.seed ?? 42);
  let seededWith = faults.seed;
  const requests: RequestRecord[] = [];
  const webhookRequests: WebhookRequestRecord[] = [];
  const compiled = allRoutes().map(compile);
  const payloadSizeMax = (options.payloadSizeMaxMib ?? DEFAULT_PAYLOAD_SIZE_MAX_MIB) * 1024 * 1024;

  const isLicensed = (feature: string) => licensed === 'all' || licensed.has(feature);

  function send(res: ServerResponse, record: RequestRecord, reply: Reply): void {
    record.status = reply.status;
    if (reply.raw) {
      res.writeHead(reply.status, reply.headers ?? {}).end(reply.raw);
      return;
    }
    if (reply.body === undefined) {
      res.writeHead(reply.status, reply.headers ?? {}).end();
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  }

  function reset(req: IncomingMessage, record: RequestRecord, fault: RequestRecord['fault']): void {
    record.status = -1;
    record.fault = fault;
    req.socket.destroy();
  }

  /** One roll per request: 429, then 500, then a reset, by cumulative share. */
  function preFault(method: string, path: string): RequestRecord['fault'] | undefined {
    if (faults.seed !== seededWith) {
      random = createRandom(faults.seed ?? 42);
      seededWith = faults.seed;
    }
    if (faults.readsOnly && method !== 'GET') return undefined;
    if (faults.match && !faults.match({ method, path })) return undefined;
    if (!faults.rate429 && !faults.rate500 && !faults.rateReset) return undefined;
    const roll = random();
    let edge = faults.rate429 ?? 0;
    if (roll < edge) return '429';
    edge += faults.rate500 ?? 0;
    if (roll < edge) return '500';
    edge += faults.rateReset ?? 0;
    if (roll < edge) return 'reset';
    return undefined;
  }

  function loseAnswer(method: string, path: string): boolean {
    if (!faults.rateResetAfterWrite || method === 'GET') return false;
    if (faults.match && !faults.match({ method, path })) return false;
    return random() < faults.rateResetAfterWrite;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname !== '/api/v1' && !url.pathname.startsWith('/api/v1/')) {
      const webhook = /^\/(webhook|form)\/(.+)$/.exec(url.pathname);
      if (webhook) {
        await readBody(req, payloadSizeMax);
        const reply = answerWebhook(
          state.webhooks,
          method,
          decodeURIComponent(webhook[2] ?? ''),
          req.headers,
        );
        webhookRequests.push({ method, path: url.pathname, status: reply.status });
        res.writeHead(reply.status, reply.headers ?? {}).end(reply.raw ?? '');
        return;
      }
      if (url.pathname === '/healthz' || url.pathname === '/healthz/readiness') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end('{"status":"ok"}');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html><body><pre>Cannot ${method} ${url.pathname}</pre></body></html>`);
      return;
    }
    const path = url.pathname.slice('/api/v1'.length) || '/';
    const record: RequestRecord = { method, path, query: url.search, status: 0 };
    requests.push(record);
    const multipart = /^multipart\//i.test(req.headers['content-type'] ?? '');
    if (!multipart && Number(req.headers['content-length'] ?? 0) > payloadSizeMax) {
      record.status = 413;
      record.unparsed = true;
      res
        .writeHead(413, { 'content-type': 'text/html; charset=utf-8', connection: 'close' })
        .end(PAYLOAD_TOO_LARGE_PAGE, () => req.socket.destroy());
      return;
    }
    const raw = await readBody(req, payloadSizeMax);
    if (raw === 'too large') {
      record.status = 413;
      record.unparsed = true;
      res
        .writeHead(413, { 'content-type': 'text/html; charset=utf-8', connection: 'close' })
        .end(PAYLOAD_TOO_LARGE_PAGE, () => req.socket.destroy());
      return;
    }

    if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    const fault = preFault(method, path);
    if (fault === 'reset') return reset(req, record, fault);
    if (fault === '429') {
      record.fault = fault;
      return send(res, record, {
        status: 429,
        body: { message: 'Too Many Requests' },
        headers: { 'retry-after': String(faults.retryAfterSeconds ?? 0) },
      });
    }
    if (fault === '500') {
      record.fault = fault;
      return send(res, record, { status: 500, body: { message: 'Internal server error' } });
    }

    // n8n parses bodies before routing; a malformed one is an unhandled error page.
    let body: unknown;
    if (raw.length > 0 && /json/i.test(req.headers['content-type'] ?? '')) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        record.status = 500;
        record.unparsed = true;
        res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' }).end(MALFORMED_JSON_PAGE);
        return;
      }
    }

    const candidates = compiled.filter((c) => c.pattern.test(path));
    if (candidates.length === 0) return send(res, record, { status: 404, body: { message: 'not found' } });
    const match = candidates.find((c) => c.route.method === method);
    if (!match) return send(res, record, { status: 405, body: { message: `${method} method not allowed` } });
    const { route } = match;
    const values = match.pattern.exec(path)?.slice(1) ?? [];
    const params = Object.fromEntries(
      match.names.map((name, i) => [name, decodeURIComponent(values[i] ?? '')]),
    );

    const key = req.headers['x-n8n-api-key'];
    const scopes = typeof key === 'string' ? keys.get(key) : undefined;
    if (!scopes) {
      const message =
        route.style === 'controller'
          ? 'Unauthorized'
          : typeof key === 'string' && key !== ''
            ? 'unauthorized'
            : "'X-N8N-API-KEY' header required";
      return send(res, record, { status: 401, body: { message } });
    }

    const ctx: Context = {
      state,
      method: method as Method,
      params,
      query: url.searchParams,
      rawQuery: url.search.replace(/^\?/, ''),
      body,
      rawBody: raw,
      contentType: req.headers['content-type'],
      scopes,
      isLicensed,
    };
    let reply: Reply;
    try {
      if (route.query) checkLegacyQuery(ctx.rawQuery, route.query);
      route.validate?.(ctx);
      for (const guard of route.guards) {
        if ('scope' in guard && !scopes.includes(guard.scope)) throw new ApiError(403, 'Forbidden');
        if ('licence' in guard && !isLicensed(guard.licence))
          throw new ApiError(403, LICENCE_MESSAGE(guard.licence));
        if ('userQuota' in guard && !userQuotaUnlimited) throw new ApiError(403, USER_QUOTA_MESSAGE);
      }
      reply = await route.handle(ctx);
    } catch (error) {
      if (!(error instanceof ApiError)) {
        process.stderr.write(
          `n8n API double: ${method} ${path} failed: ${(error as Error).stack ?? String(error)}\n`,
        );
        return send(res, record, { status: 500, body: { message: 'Internal server error' } });
      }
      reply = { status: error.status, body: { message: error.message } };
    }
    if (reply.status < 400 && loseAnswer(method, path)) return reset(req, record, 'reset-after-write');
    send(res, record, reply);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`n8n API double: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    apiKey,
    state,
    requests,
    webhookRequests,
    faults,
    writeCount: () =>
      requests.filter(
        (r) =>
          r.method !== 'GET' &&
          !r.unparsed &&
          !(r.path === '/n8n-packages/import' && r.status >= 400 && r.status < 500),
      ).length,
    addApiKey: (key, scopes) => {
      keys.set(key, scopes ? [...scopes] : ALL_SCOPES);
    },
    removeApiKey: (key) => {
      keys.delete(key);
    },
    setLicensed: (features) => {
      licensed = features === 'all' ? 'all' : new Set(features);
    },
    setUserQuotaUnlimited: (unlimited) => {
      userQuotaUnlimited = unlimited;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * express-openapi-validator's query checks, in its order: a declared parameter's raw value may not
 * hold reserved characters (it splits on '=' first, so a base64 cursor's padding slips through),
 * then undeclared parameters are refused.
 */
function checkLegacyQuery(rawQuery: string, query: NonNullable<Route['query']>): void {
  if (rawQuery === '') return;
  const pairs = rawQuery.split('&').map((pair) => pair.split('='));
  for (const [name = '', value] of pairs) {
    if (!query.declared.includes(name) || query.allowReserved?.includes(name)) continue;
    if (value && /[:/?#[\]@!$&'()*+,;=]/.test(value))
      throw new ApiError(
        400,
        `Parameter '${name}' must be url encoded. Its value may not contain reserved characters.`,
      );
  }
  for (const [name = ''] of pairs) {
    if (!query.declared.includes(name)) throw new ApiError(400, `Unknown query parameter '${name}'`);
  }
}

/**
 * The request body as n8n's body parser reads it: a gzip or deflate one inflated, and the inflated
 * bytes counted against N8N_PAYLOAD_SIZE_MAX (its rawBodyReader: raw-body on the inflated stream,
 * measured on 2.41.1 to the byte); past it, 'too large' (413).
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  const stream =
    encoding === 'gzip' ? req.pipe(createGunzip()) : encoding === 'deflate' ? req.pipe(createInflate()) : req;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      return 'too large';
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

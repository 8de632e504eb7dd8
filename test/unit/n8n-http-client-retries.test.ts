/**
 * How N8nClient meets a disturbed connection (a proxy answering 429/5xx, resetting, cutting
 * answers off, or sitting on them past the timeout): idempotent requests are tried again, a write
 * that is not is tried again only when n8n certainly did not carry it out, and otherwise fails at
 * once with AmbiguousWriteError. Against a real local HTTP server; `sleep` is injected, so backoffs
 * are recorded instead of waited.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createN8nClient,
  type N8nClient,
  type N8nClientOptions,
} from '../../functions/adapters/n8n/index.js';
import {
  AmbiguousWriteError,
  ConnectionError,
  N8nApiError,
  RetryPastDeadlineError,
} from '../../functions/core/errors.js';
import type { LogFields, Logger } from '../../functions/core/ports.js';

const KEY = 'n8n_api_secret_key_0123456789';
const WORKFLOW = { name: 'Orders', nodes: [], connections: {}, settings: {} };

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server | undefined;

function listen(handler: Handler, port = 0): Promise<number> {
  server = createServer(handler);
  return new Promise((resolve) =>
    server!.listen(port, '127.0.0.1', () => resolve((server!.address() as AddressInfo).port)),
  );
}

async function stop(): Promise<void> {
  if (!server) return;
  const closing = server;
  server = undefined;
  closing.closeAllConnections();
  await new Promise<void>((resolve) => closing.close(() => resolve()));
}

afterEach(stop);

/** Serves `handler`, keeping the method and path of each request that reaches it. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, call: number) => void) {
  const seen: { method: string; path: string }[] = [];
  const port = await listen((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '' });
    handler(req, res, seen.length);
  });
  return { url: `http://127.0.0.1:${port}`, port, seen };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

/** Runs `then` once the whole request body has arrived: whatever happens next, n8n could have acted. */
function afterBody(req: IncomingMessage, then: () => void): void {
  req.resume();
  req.on('end', then);
}

function client(url: string, extra: Partial<N8nClientOptions> = {}) {
  const delays: number[] = [];
  const debug: { message: string; fields?: LogFields }[] = [];
  const logger: Logger = {
    debug: (message, fields) => debug.push({ message, fields }),
    info: () => {},
    warn: () => {},
    error: () => {},
  };
  const api = createN8nClient({
    baseUrl: url,
    apiKey: KEY,
    timeoutMs: 2_000,
    logger,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...extra,
  });
  return { api, delays, debug };
}

/** What a disturbing proxy does to one call, after which it lets calls through. */
const disturbances: Record<string, Handler> = {
  '429 Too Many Requests': (_req, res) => send(res, 429, { message: 'Too Many Requests' }),
  '500 Internal Server Error': (_req, res) => send(res, 500, { message: 'Internal Server Error' }),
  '502 Bad Gateway': (_req, res) => send(res, 502, { message: 'Bad Gateway' }),
  '503 Service Unavailable': (_req, res) => send(res, 503, { message: 'Service Unavailable' }),
  '504 Gateway Timeout': (_req, res) => send(res, 504, { message: 'Gateway Timeout' }),
  'a connection reset after the request arrived': (req) => afterBody(req, () => req.socket.resetAndDestroy()),
  'a socket hang up after the request arrived': (req) => afterBody(req, () => req.socket.end()),
  'an answer cut off mid-body': (req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":"w1","na');
      setTimeout(() => res.destroy(), 10);
    }),
  'no answer within the timeout': (req) => afterBody(req, () => {}),
};

/** Serves `disturb` to the first call and a 200 with `answer` to the rest. */
function disturbedOnce(disturb: Handler, answer: unknown) {
  return serve((req, res, call) => {
    if (call === 1) disturb(req, res);
    else afterBody(req, () => send(res, 200, answer));
  });
}

describe('N8nHttpClient retries idempotent requests through every transient failure', () => {
  const requests = {
    GET: (api: N8nClient) => api.getWorkflow('w1'),
    PUT: (api: N8nClient) => api.updateWorkflow('w1', WORKFLOW),
  };
  for (const [method, call] of Object.entries(requests)) {
    for (const [kind, disturb] of Object.entries(disturbances)) {
      it(`retries a ${method} after ${kind}, and succeeds`, async () => {
        // Prepare
        const { url, seen } = await disturbedOnce(disturb, { id: 'w1', ...WORKFLOW });
        const { api, delays } = client(url, { timeoutMs: 300 });

        // Act
        const workflow = await call(api);

        // Assess
        expect(workflow).toMatchObject({ id: 'w1', name: 'Orders' });
        expect(seen.map((r) => r.method)).toEqual([method, method]);
        expect(delays).toHaveLength(1);
      });
    }
  }

  it('retries a GET whose connection was refused, once n8n listens again', async () => {
    // Prepare
    const port = await listen(() => {});
    await stop();
    let reached = 0;
    const { api, delays } = client(`http://127.0.0.1:${port}`, {
      sleep: async (ms) => {
        delays.push(ms);
        await listen((_req, res) => {
          reached += 1;
          send(res, 200, { id: 'w1', ...WORKFLOW });
        }, port);
      },
    });

    // Act
    const workflow = await api.getWorkflow('w1');

    // Assess
    expect(workflow.id).toBe('w1');
    expect(reached).toBe(1);
    expect(delays).toHaveLength(1);
  });

  it('retries a DELETE after a 502', async () => {
    // Prepare
    const { url, seen } = await disturbedOnce(disturbances['502 Bad Gateway']!, { id: 'w1' });

    // Act
    await client(url).api.deleteWorkflow('w1');

    // Assess
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      'DELETE /api/v1/workflows/w1',
      'DELETE /api/v1/workflows/w1',
    ]);
  });

  const idempotentPosts = {
    publish: (api: N8nClient) => api.publishWorkflow('w1'),
    unpublish: (api: N8nClient) => api.unpublishWorkflow('w1'),
    archive: (api: N8nClient) => api.archiveWorkflow('w1'),
    unarchive: (api: N8nClient) => api.unarchiveWorkflow('w1'),
  };
  for (const [action, call] of Object.entries(idempotentPosts)) {
    it(`retries POST /workflows/{id}/${action}, idempotent in effect, after a 503`, async () => {
      // Prepare
      const { url, seen } = await disturbedOnce(disturbances['503 Service Unavailable']!, { id: 'w1' });

      // Act
      await call(client(url).api);

      // Assess
      expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
        `POST /api/v1/workflows/w1/${action}`,
        `POST /api/v1/workflows/w1/${action}`,
      ]);
    });
  }

  it('retries a publish after the connection was reset once n8n had the request', async () => {
    // Prepare
    const disturb = disturbances['a connection reset after the request arrived']!;
    const { url, seen } = await disturbedOnce(disturb, { id: 'w1' });

    // Act
    await client(url).api.publishWorkflow('w1');

    // Assess
    expect(seen).toHaveLength(2);
  });
});

describe('N8nHttpClient bounds its retries', () => {
  it('stops after the configured retries with the 500, saying how many times it tried', async () => {
    // Prepare
    const { url, seen } = await serve((_req, res) => send(res, 500, { message: 'maintenance' }));
    const { api, delays } = client(url, { retries: 3, backoffMs: 100 });

    // Act
    const error = await api.getWorkflow('w1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(N8nApiError);
    expect(error).toMatchObject({ status: 500, method: 'GET', path: '/workflows/w1' });
    expect((error as Error).message).toMatch(/500 to GET \/workflows\/w1: maintenance \(tried 4 times\)/);
    expect(seen).toHaveLength(4);
    expect(delays).toHaveLength(3);
    // Full jitter: anywhere from nothing to the exponential bound of each attempt.
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(100 * 2 ** i);
    });
  });

  it('stops after the configured retries of a network failure with a ConnectionError', async () => {
    // Prepare
    const { url, seen } = await serve((req) => afterBody(req, () => req.socket.resetAndDestroy()));
    const { api } = client(url, { retries: 2 });

    // Act
    const error = await api.getWorkflow('w1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/could not reach n8n at .* \(ECONNRESET\) \(tried 3 times\)/);
    expect(seen).toHaveLength(3);
  });

  it('stops retrying a 429 too, even for a create', async () => {
    // Prepare
    const { url, seen } = await serve((_req, res) => send(res, 429, { message: 'Too Many Requests' }));

    // Act
    const error = await client(url, { retries: 1 })
      .api.createTag('t')
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(N8nApiError);
    expect(error).toMatchObject({ status: 429 });
    expect(seen).toHaveLength(2);
  });

  it('waits what Retry-After asks when it is within the longest wait', async () => {
    // Prepare
    const { url } = await serve((_req, res, call) => {
      if (call === 1) send(res, 503, { message: 'busy' }, { 'retry-after': '7' });
      else send(res, 200, { id: 'w1', ...WORKFLOW });
    });
    const { api, delays } = client(url);

    // Act
    await api.getWorkflow('w1');

    // Assess
    expect(delays).toEqual([7_000]);
  });

  it('fails at once when Retry-After asks for a day, naming the wait and --max-retry-wait', async () => {
    // Prepare
    const { url, seen } = await serve((_req, res) =>
      send(res, 429, { message: 'Too Many Requests' }, { 'retry-after': '86400' }),
    );
    const { api, delays } = client(url);

    // Act
    const error = await api.getWorkflow('w1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(N8nApiError);
    expect(error).toMatchObject({ status: 429, method: 'GET', path: '/workflows/w1' });
    expect((error as Error).message).toContain(
      'n8n asks to wait 24 h; the longest wait allowed is 60 s (--max-retry-wait)',
    );
    expect(seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('takes the longest wait from maxRetryAfterMs: a Retry-After at it is waited, one past it fails', async () => {
    // Prepare
    const { url } = await serve((req, res) => {
      if (req.url?.endsWith('/ok') && !req.headers['x-again']) send(res, 200, { id: 'ok', ...WORKFLOW });
      else send(res, 429, { message: 'busy' }, { 'retry-after': req.url?.endsWith('/w5') ? '5' : '6' });
    });
    let calls = 0;
    const { api, delays } = client(url, {
      maxRetryAfterMs: 5_000,
      retries: 1,
      sleep: async (ms) => {
        calls += 1;
        delays.push(ms);
      },
    });

    // Act
    const atTheLimit = await api.getWorkflow('w5').catch((e: unknown) => e);
    const pastIt = await api.getWorkflow('w6').catch((e: unknown) => e);

    // Assess: w5 was waited for (5 s) and tried again; w6 failed before any wait
    expect((atTheLimit as Error).message).toContain('429 to GET /workflows/w5: busy (tried 2 times)');
    expect((pastIt as Error).message).toContain(
      'n8n asks to wait 6 s; the longest wait allowed is 5 s (--max-retry-wait)',
    );
    expect(delays).toEqual([5_000]);
    expect(calls).toBe(1);
  });
});

describe('N8nHttpClient rides out an outage for its retry budget', () => {
  /** A fake clock that the waits move on. */
  function clocked(url: string, extra: Partial<N8nClientOptions> = {}) {
    let now = 1_000_000;
    const waits: number[] = [];
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (message) => warnings.push(message),
      error: () => {},
    };
    const api = createN8nClient({
      baseUrl: url,
      apiKey: KEY,
      timeoutMs: 2_000,
      logger,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
      ...extra,
    });
    return { api, waits, warnings, advance: (ms: number) => (now += ms), at: () => now };
  }

  it('asks again past --retries through 503 "Database is not ready!", until n8n is back', async () => {
    // Prepare: n8n answers its database outage to the first 14 calls
    const { url, seen } = await serve((_req, res, call) => {
      if (call <= 14) send(res, 503, { code: 503, message: 'Database is not ready!' });
      else send(res, 200, { id: 'w1', ...WORKFLOW });
    });
    const { api, waits } = clocked(url, { retries: 5 });

    // Act
    const workflow = await api.getWorkflow('w1');

    // Assess
    expect(workflow.id).toBe('w1');
    expect(seen).toHaveLength(15);
    expect(waits).toHaveLength(14);
    // Through an outage the backoff stops growing at 8 s, so n8n coming back is noticed soon.
    expect(Math.max(...waits)).toBeLessThanOrEqual(8_000);
  });

  it('stops once the budget is spent, saying how many times it tried and in how long', async () => {
    // Prepare
    const { url, seen } = await serve((_req, res) => send(res, 502, { message: 'Bad Gateway' }));
    const { api, waits } = clocked(url, { retries: 2, retryBudgetMs: 30_000 });

    // Act
    const error = await api.getWorkflow('w1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(N8nApiError);
    expect((error as Error).message).toMatch(
      /n8n answered 502 to GET \/workflows\/w1: Bad Gateway \(tried \d+ times in 30 s, the retry budget; --retry-budget\)/,
    );
    expect(waits.reduce((a, b) => a + b, 0)).toBeCloseTo(30_000, 3);
    expect(seen.length).toBeGreaterThan(3);
  });

  it('does not ask again past --retries for a failure that is no outage (a 500)', async () => {
    // Prepare
    const { url, seen } = await serve((_req, res) => send(res, 500, { message: 'boom' }));
    const { api } = clocked(url, { retries: 2 });

    // Act
    await api.getWorkflow('w1').catch(() => {});

    // Assess
    expect(seen).toHaveLength(3);
  });

  it('asks again through a refused connection from an n8n that answered before (restarting) for the budget', async () => {
    // Prepare: n8n answers once, then nothing listens for the next 12 attempts
    const port = await listen((_req, res) => send(res, 200, { id: 'w0', ...WORKFLOW }));
    let attempts = 0;
    const { api } = clocked(`http://127.0.0.1:${port}`, {
      retries: 1,
      sleep: async () => {
        attempts += 1;
        if (attempts === 12) await listen((_req, res) => send(res, 200, { id: 'w1', ...WORKFLOW }), port);
      },
    });
    await api.getWorkflow('w0');
    await stop();

    // Act
    const workflow = await api.getWorkflow('w1');

    // Assess
    expect(workflow.id).toBe('w1');
    expect(attempts).toBe(12);
  });

  it('asks a refused connection again only --retries times before n8n ever answered (most likely a wrong --url)', async () => {
    // Prepare
    const port = await listen(() => {});
    await stop();
    let attempts = 0;
    const { api } = clocked(`http://127.0.0.1:${port}`, {
      retries: 2,
      sleep: async () => {
        attempts += 1;
      },
    });

    // Act
    const error = await api.getWorkflow('w1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConnectionError);
    expect(attempts).toBe(2);
  });

  it('shows each wait longer than 5 s as a warning, naming what n8n answered', async () => {
    // Prepare
    const { url } = await serve((_req, res, call) => {
      if (call === 1) send(res, 503, { message: 'Database is not ready!' }, { 'retry-after': '9' });
      else if (call === 2) send(res, 503, { message: 'Database is not ready!' }, { 'retry-after': '2' });
      else send(res, 200, { id: 'w1', ...WORKFLOW });
    });
    const { api, warnings } = clocked(url);

    // Act
    await api.getWorkflow('w1');

    // Assess: the 9 s wait is shown, the 2 s one is not
    expect(warnings).toEqual([
      'n8n answered 503 to GET /workflows/w1 (Database is not ready!): asking again in 9 s (attempt 1; up to 111 s more)',
    ]);
  });

  it('fails at once, without waiting, when the wait would pass the deadline', async () => {
    // Prepare
    const { url, seen } = await serve((_req, res) =>
      send(res, 429, { message: 'Too Many Requests' }, { 'retry-after': '30' }),
    );
    let now = Date.parse('2026-12-01T10:00:00Z');
    const waits: number[] = [];
    const { api } = client(url, {
      deadline: now + 10_000,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    });

    // Act
    const error = await api.getWorkflow('w1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryPastDeadlineError);
    expect(error).toMatchObject({ exitCode: 6, method: 'GET', path: '/workflows/w1' });
    expect((error as Error).message).toBe(
      "n8n answered 429 to GET /workflows/w1 (Too Many Requests); asking again in 30 s would pass the run's deadline (2026-12-01T10:00:10.000Z, --timeout), so it stops now",
    );
    expect(seen).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('stops an outage at the deadline even while its budget lasts', async () => {
    // Prepare
    const { url } = await serve((_req, res) => send(res, 503, { message: 'Database is not ready!' }));
    const deadline = 1_000_000 + 20_000;
    const { api, at, waits } = clocked(url, { retryBudgetMs: 600_000, deadline });

    // Act
    const error = await api.getWorkflow('w1').catch((e: unknown) => e);

    // Assess: it waited while the deadline allowed, then stopped before a wait past it
    expect(error).toBeInstanceOf(RetryPastDeadlineError);
    expect(waits.length).toBeGreaterThan(3);
    expect(at()).toBeLessThanOrEqual(deadline);
  });
});

describe('N8nHttpClient retries a create only when n8n certainly did not carry it out', () => {
  it('retries a create refused with 429, which n8n answers before any handler runs', async () => {
    // Prepare
    const { url, seen } = await disturbedOnce(disturbances['429 Too Many Requests']!, {
      id: 'w9',
      ...WORKFLOW,
    });

    // Act
    const created = await client(url).api.createWorkflow(WORKFLOW);

    // Assess
    expect(created.id).toBe('w9');
    expect(seen.map((r) => r.method)).toEqual(['POST', 'POST']);
  });

  it('retries a create whose connection was refused, once n8n listens again', async () => {
    // Prepare
    const port = await listen(() => {});
    await stop();
    let reached = 0;
    const { api, delays } = client(`http://127.0.0.1:${port}`, {
      sleep: async (ms) => {
        delays.push(ms);
        await listen((req, res) => {
          reached += 1;
          afterBody(req, () => send(res, 200, { id: 'w9', ...WORKFLOW }));
        }, port);
      },
    });

    // Act
    const created = await api.createWorkflow(WORKFLOW);

    // Assess
    expect(created.id).toBe('w9');
    expect(reached).toBe(1);
    expect(delays).toHaveLength(1);
  });

  it('retries a create whose connection was reset before its body was wholly sent', async () => {
    // Prepare: a body far larger than the sockets' buffers, reset as soon as its headers arrive.
    const big = {
      ...WORKFLOW,
      nodes: [
        { name: 'Big', type: 'n8n-nodes-base.noOp', parameters: { text: 'x'.repeat(32 * 1024 * 1024) } },
      ],
    };
    const { url, seen } = await serve((req, res, call) => {
      if (call === 1) req.socket.resetAndDestroy();
      else afterBody(req, () => send(res, 200, { id: 'w9', name: 'Orders' }));
    });

    // Act (the default 2 s timeout would cut a 32 MiB send short on a loaded machine: another retry)
    const created = await client(url, { timeoutMs: 20_000 }).api.createWorkflow(big);

    // Assess
    expect(created.id).toBe('w9');
    expect(seen.map((r) => r.method)).toEqual(['POST', 'POST']);
    // 64 MiB through loopback: seconds on a loaded 2-core machine, not a bound under test.
  }, 30_000);

  const ambiguous: Record<string, string> = {
    '500 Internal Server Error': 'the answer was 500',
    '502 Bad Gateway': 'the answer was 502',
    '503 Service Unavailable': 'the answer was 503',
    '504 Gateway Timeout': 'the answer was 504',
    'a connection reset after the request arrived': 'the connection failed (ECONNRESET)',
    'a socket hang up after the request arrived': 'the connection failed (ECONNRESET)',
    'an answer cut off mid-body': 'the answer was cut off',
    'no answer within the timeout': 'no answer came within 300 ms',
  };
  for (const [kind, what] of Object.entries(ambiguous)) {
    it(`fails a create with AmbiguousWriteError after ${kind}, without sending it again`, async () => {
      // Prepare
      const { url, seen } = await disturbedOnce(disturbances[kind]!, { id: 'w9', ...WORKFLOW });

      // Act
      const error = await client(url, { timeoutMs: 300 })
        .api.createWorkflow(WORKFLOW)
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(AmbiguousWriteError);
      expect(error).toMatchObject({ method: 'POST', path: '/workflows' });
      expect((error as Error).message).toContain(`POST /workflows was sent to n8n at ${url}, but ${what}`);
      expect((error as Error).message).toContain('its outcome is unknown');
      expect((error as Error).message).not.toContain(KEY);
      expect(seen).toHaveLength(1);
    });
  }

  it('keeps the 5xx that made a write ambiguous as its cause', async () => {
    // Prepare
    const { url } = await serve((_req, res) => send(res, 503, { message: 'maintenance' }));

    // Act
    const error = await client(url)
      .api.createTag('t')
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AmbiguousWriteError);
    expect((error as Error).cause).toBeInstanceOf(N8nApiError);
    expect((error as Error).cause).toMatchObject({ status: 503, method: 'POST', path: '/tags' });
  });

  const writes = {
    'a row insert': (api: N8nClient) => api.insertDataTableRows('d1', [{ name: 'a' }]),
    'a credential create': (api: N8nClient) => api.createCredential({ name: 'c', type: 't', data: {} }),
    'a package import': (api: N8nClient) => api.importWorkflows([{ id: 'a', name: 'A' }], { keepIds: true }),
    'adding project members': (api: N8nClient) =>
      api.addProjectMembers('p1', [{ userId: 'u1', role: 'project:editor' }]),
  };
  for (const [write, call] of Object.entries(writes)) {
    it(`fails ${write} with AmbiguousWriteError after a 502, without sending it again`, async () => {
      // Prepare
      const { url, seen } = await disturbedOnce(disturbances['502 Bad Gateway']!, {});

      // Act
      const error = await call(client(url).api).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(AmbiguousWriteError);
      expect(seen).toHaveLength(1);
    });
  }
});

describe('N8nHttpClient tells a 400 that proves a refusal from one that may follow a save', () => {
  const DB_TIMEOUT = { message: 'timeout exceeded when trying to connect' };

  it.each([
    [
      '503 "Database is not ready!", from a middleware in front of every route',
      503,
      { code: 503, message: 'Database is not ready!' },
    ],
    [
      '401 "timeout exceeded when trying to connect", from the key check (Postgres n8n, its database stalling)',
      401,
      DB_TIMEOUT,
    ],
  ])('sends a create again after %s: answered before any handler', async (_what, status, body) => {
    // Prepare
    const { url, seen } = await disturbedOnce((req, res) => afterBody(req, () => send(res, status, body)), {
      id: 'w9',
      ...WORKFLOW,
    });

    // Act
    const created = await client(url).api.createWorkflow(WORKFLOW);

    // Assess
    expect(created.id).toBe('w9');
    expect(seen.map((r) => r.method)).toEqual(['POST', 'POST']);
  });

  it('still fails at once on a 401 that rejects the key', async () => {
    // Prepare
    const { url, seen } = await serve((_req, res) => send(res, 401, { message: 'Unauthorized' }));

    // Act
    const error = await client(url)
      .api.getWorkflow('w1')
      .catch((e: unknown) => e);

    // Assess
    expect((error as Error).name).toBe('AuthenticationError');
    expect(seen).toHaveLength(1);
  });

  it('fails a create answered 400 "timeout exceeded when trying to connect" as ambiguous, naming the answer', async () => {
    // Prepare
    const { url, seen } = await serve((req, res) => afterBody(req, () => send(res, 400, DB_TIMEOUT)));

    // Act
    const error = await client(url)
      .api.createWorkflow(WORKFLOW)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AmbiguousWriteError);
    expect((error as Error).message).toContain(
      'POST /workflows was sent to n8n at ' +
        url +
        ', but the answer was 400 (timeout exceeded when trying to connect): its outcome is unknown',
    );
    expect((error as Error).cause).toMatchObject({ status: 400 });
    expect(seen).toHaveLength(1);
  });

  it('fails a create answered with a 400 it does not know as ambiguous too', async () => {
    // Prepare
    const { url } = await serve((req, res) =>
      afterBody(req, () => send(res, 400, { message: 'Something went wrong while saving' })),
    );

    // Act
    const error = await client(url)
      .api.createTag('t')
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AmbiguousWriteError);
  });

  it.each([
    "request/body must have required property 'nodes'",
    'request/body/id is read-only',
    "Validation error with data table request: unknown column name 'nope'",
    'req.body.type is not a known type',
  ])('fails a create answered 400 "%s" as n8n refused it, once', async (message) => {
    // Prepare
    const { url, seen } = await serve((req, res) => afterBody(req, () => send(res, 400, { message })));

    // Act
    const error = await client(url)
      .api.createWorkflow(WORKFLOW)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(N8nApiError);
    expect(error).not.toBeInstanceOf(AmbiguousWriteError);
    expect((error as Error).message).toBe(`n8n answered 400 to POST /workflows: ${message}`);
    expect(seen).toHaveLength(1);
  });

  it('asks a PUT and a GET again after 400 "timeout exceeded when trying to connect", a database failure', async () => {
    // Prepare
    const { url, seen } = await serve((req, res, call) =>
      afterBody(req, () => {
        if (call === 1 || call === 3) send(res, 400, DB_TIMEOUT);
        else send(res, 200, { id: 'w1', ...WORKFLOW });
      }),
    );
    const { api } = client(url);

    // Act
    await api.updateWorkflow('w1', WORKFLOW);
    await api.getWorkflow('w1');

    // Assess
    expect(seen.map((r) => r.method)).toEqual(['PUT', 'PUT', 'GET', 'GET']);
  });

  it('fails a PUT answered with a 400 it does not know at once: n8n refused it, or a re-run sends it again', async () => {
    // Prepare
    const { url, seen } = await serve((req, res) =>
      afterBody(req, () => send(res, 400, { message: 'Workflow has no trigger' })),
    );

    // Act
    const error = await client(url)
      .api.updateWorkflow('w1', WORKFLOW)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(N8nApiError);
    expect(seen).toHaveLength(1);
  });
});

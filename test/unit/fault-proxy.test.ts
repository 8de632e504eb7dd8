/**
 * The fault proxy over real sockets: a tiny upstream that records what reached it, the proxy in
 * front, and node:http clients that see what a client of n8n would see.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyRequest,
  type FaultKind,
  type FaultProxy,
  type FaultProxyOptions,
  formatFaultTable,
  type RequestClass,
  startFaultProxy,
} from '../support/fault-proxy.js';

interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

interface Upstream {
  url: string;
  received: Received[];
  connections: number;
}

type Answer = (req: IncomingMessage, res: ServerResponse, received: Received) => void;

interface Reply {
  status: number;
  statusMessage: string;
  rawHeaders: string[];
  body: Buffer;
  reusedSocket: boolean;
}

interface Call {
  body?: string | Buffer;
  headers?: string[];
  timeoutMs?: number;
}

const servers: Server[] = [];
const proxies: FaultProxy[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** Answers 201 with the number of the request, unless told otherwise. */
const created: Answer = (_req, res, received) => {
  res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ seen: received.url }));
};

async function startUpstream(answer: Answer = created): Promise<Upstream> {
  const upstream: Upstream = { url: '', received: [], connections: 0 };
  const server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const chunk of req) parts.push(chunk as Buffer);
    const received = {
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(parts),
    };
    upstream.received.push(received);
    answer(req, res, received);
  });
  server.on('connection', () => {
    upstream.connections += 1;
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return upstream;
}

async function proxyFor(
  upstream: Upstream,
  options: Omit<FaultProxyOptions, 'upstream'>,
): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ upstream: upstream.url, ...options });
  proxies.push(proxy);
  return proxy;
}

function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return agent;
}

/** One request with node:http; rejects with the socket's error, or `timeout` after timeoutMs. */
function send(base: string, method: string, path: string, call: Call = {}, agent?: Agent): Promise<Reply> {
  const target = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        hostname: target.hostname,
        port: target.port,
        method,
        path,
        // Raw pairs keep order and repeats; with them node:http adds no Host of its own.
        headers: ['Host', target.host, ...(call.headers ?? [])],
        agent: agent ?? keepAliveAgent(),
        ...(call.timeoutMs === undefined ? {} : { timeout: call.timeoutMs }),
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(parts),
            reusedSocket: outgoing.reusedSocket,
          }),
        );
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    outgoing.on('error', reject);
    outgoing.end(call.body);
  });
}

const errorCode = (promise: Promise<unknown>) =>
  promise.then(
    () => 'answered',
    (error: NodeJS.ErrnoException) => error.code ?? error.message,
  );

const withoutPerHop = (raw: string[]) =>
  raw.flatMap((value, i) =>
    i % 2 === 0 && /^(connection|keep-alive)$/i.test(value)
      ? []
      : i % 2 === 1 && /^(connection|keep-alive)$/i.test(raw[i - 1]!)
        ? []
        : [value],
  );

const JSON_HEADERS = ['Content-Type', 'application/json'];
const WORKFLOW = JSON.stringify({ name: 'Invoices', nodes: [], connections: {}, settings: {} });

describe('classifyRequest: the kind of call decides the rate', () => {
  it.each<[string, string, RequestClass]>([
    ['GET', '/api/v1/workflows', 'read'],
    ['GET', '/api/v1/data-tables/dt1/rows', 'read'],
    ['POST', '/api/v1/workflows', 'create'],
    ['POST', '/api/v1/tags', 'create'],
    ['POST', '/api/v1/data-tables', 'create'],
    ['POST', '/api/v1/projects/p1/folders', 'create'],
    ['POST', '/api/v1/n8n-packages/import', 'create'],
    ['POST', '/api/v1/data-tables/dt1/rows', 'rowInsert'],
    ['POST', '/api/v1/data-tables/dt1/rows/', 'rowInsert'],
    ['POST', '/api/v1/data-tables/dt1/rows/upsert', 'update'],
    ['POST', '/api/v1/workflows/w1/publish', 'update'],
    ['POST', '/api/v1/workflows/w1/archive', 'update'],
    ['PUT', '/api/v1/workflows/w1/transfer', 'update'],
    ['PUT', '/api/v1/workflows/w1', 'update'],
    ['PATCH', '/api/v1/credentials/c1', 'update'],
    ['DELETE', '/api/v1/tags/t1', 'update'],
  ])('%s %s is a %s', (method, path, expected) => {
    expect(classifyRequest(method, path)).toBe(expected);
  });
});

describe('fault proxy: a hook before a request is passed on', () => {
  it('awaits beforeForward with the method and path before the upstream sees the request', async () => {
    // Prepare
    const upstream = await startUpstream();
    const order: string[] = [];
    const proxy = await proxyFor(upstream, {
      seed: 1,
      beforeForward: async (method, path) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push(`hook ${method} ${path} (upstream had ${upstream.received.length})`);
      },
    });

    // Act
    await send(proxy.url, 'GET', '/api/v1/workflows/w1?excludePinnedData=true');
    await send(proxy.url, 'PUT', '/api/v1/workflows/w1', { body: WORKFLOW, headers: JSON_HEADERS });

    // Assess
    expect(order).toEqual([
      'hook GET /api/v1/workflows/w1?excludePinnedData=true (upstream had 0)',
      'hook PUT /api/v1/workflows/w1 (upstream had 1)',
    ]);
    expect(upstream.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /api/v1/workflows/w1?excludePinnedData=true',
      'PUT /api/v1/workflows/w1',
    ]);
  });
});

describe('fault proxy at rate 0', () => {
  it('passes status, status text, headers (names, order, repeats) and body through byte for byte', async () => {
    // Prepare
    const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const upstream = await startUpstream((_req, res, received) => {
      res.sendDate = false;
      if (received.url === '/chunked') {
        res.writeHead(200, 'Streamed', ['X-Part', 'two']);
        res.write(body.subarray(0, 100));
        return void setTimeout(() => res.end(body.subarray(100)), 5);
      }
      res.writeHead(207, 'Partly There', [
        'X-Mixed-Case',
        'Value',
        'Set-Cookie',
        'a=1',
        'Set-Cookie',
        'b=2',
        'Content-Type',
        'application/octet-stream',
        'Content-Length',
        String(body.length),
      ]);
      res.end(body);
    });
    const proxy = await proxyFor(upstream, { seed: 1 });

    // Act
    const direct = await send(upstream.url, 'GET', '/bytes');
    const proxied = await send(proxy.url, 'GET', '/bytes');
    const directChunked = await send(upstream.url, 'GET', '/chunked');
    const proxiedChunked = await send(proxy.url, 'GET', '/chunked');

    // Assess
    for (const [mine, theirs] of [
      [proxied, direct],
      [proxiedChunked, directChunked],
    ] as const) {
      expect(mine.status).toBe(theirs.status);
      expect(mine.statusMessage).toBe(theirs.statusMessage);
      expect(withoutPerHop(mine.rawHeaders)).toEqual(withoutPerHop(theirs.rawHeaders));
      expect(mine.body.equals(theirs.body)).toBe(true);
    }
    expect(proxied.statusMessage).toBe('Partly There');
    expect(proxiedChunked.body.equals(body)).toBe(true);
  });

  it('hands the upstream the method, path with query, headers and body the client sent', async () => {
    // Prepare
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, { seed: 1 });
    const headers = [
      'X-N8N-API-KEY',
      'key-1',
      'Content-Type',
      'application/json',
      'X-Trace',
      'a',
      'X-Trace',
      'b',
    ];

    // Act
    const reply = await send(proxy.url, 'POST', '/api/v1/workflows?projectId=p%201', {
      body: WORKFLOW,
      headers,
    });

    // Assess
    expect(reply.status).toBe(201);
    expect(upstream.received).toHaveLength(1);
    const [received] = upstream.received;
    expect(received?.method).toBe('POST');
    expect(received?.url).toBe('/api/v1/workflows?projectId=p%201');
    expect(received?.body.toString()).toBe(WORKFLOW);
    const pairs = received!.rawHeaders;
    expect(
      pairs.filter(
        (_, i) => i % 2 === 0 && pairs[i] !== 'Host' && !/^(connection|content-length)$/i.test(pairs[i]!),
      ),
    ).toEqual(['X-N8N-API-KEY', 'Content-Type', 'X-Trace', 'X-Trace']);
    expect(pairs.slice(pairs.indexOf('X-Trace'))).toEqual(expect.arrayContaining(['X-Trace', 'a', 'b']));
    expect(pairs[pairs.indexOf('Host') + 1]).toBe(new URL(upstream.url).host);
    expect(pairs[pairs.indexOf('Content-Length') + 1]).toBe(String(Buffer.byteLength(WORKFLOW)));
  });

  it('keeps connections alive on both sides: one client socket and one upstream socket for several calls', async () => {
    // Prepare
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, { seed: 1 });
    const agent = keepAliveAgent();

    // Act
    const replies: Reply[] = [];
    for (let i = 0; i < 3; i += 1)
      replies.push(await send(proxy.url, 'GET', `/api/v1/tags?n=${i}`, {}, agent));

    // Assess
    expect(replies.map((reply) => [reply.status, reply.reusedSocket])).toEqual([
      [201, false],
      [201, true],
      [201, true],
    ]);
    expect(upstream.connections).toBe(1);
    expect(proxy.stats().counts.read.pass).toBe(3);
  });

  it('sends an absolute-form request line to its upstream, never to the host it names', async () => {
    // Prepare
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, { seed: 1 });

    // Act
    const reply = await send(proxy.url, 'GET', 'http://example.invalid/api/v1/tags?limit=5');

    // Assess
    expect(reply.status).toBe(201);
    expect(upstream.received.map((r) => r.url)).toEqual(['/api/v1/tags?limit=5']);
  });
});

describe('fault proxy at rate 1: each kind of fault', () => {
  async function faultedCreate(fault: FaultKind, extra: Partial<FaultProxyOptions> = {}) {
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, {
      seed: 3,
      rates: { create: { rate: 1, faults: [fault] } },
      ...extra,
    });
    return { upstream, proxy };
  }

  it.each<[FaultKind, number, string]>([
    ['429', 429, 'application/json; charset=utf-8'],
    ['500', 500, 'application/json; charset=utf-8'],
    ['502', 502, 'text/html'],
    ['503', 503, 'text/html'],
  ])('%s answers %i before forwarding: the upstream sees nothing', async (fault, status, contentType) => {
    // Prepare
    const { upstream, proxy } = await faultedCreate(fault);

    // Act
    const reply = await send(proxy.url, 'POST', '/api/v1/workflows', {
      body: WORKFLOW,
      headers: JSON_HEADERS,
    });

    // Assess
    expect(reply.status).toBe(status);
    expect(reply.rawHeaders).toEqual(
      expect.arrayContaining(['content-type', contentType, 'x-fault-proxy', fault]),
    );
    expect(upstream.received).toEqual([]);
    expect(proxy.stats().faults).toEqual([
      { method: 'POST', path: '/api/v1/workflows', requestClass: 'create', fault },
    ]);
  });

  it('429 carries Retry-After 1 by default and the configured value otherwise', async () => {
    // Prepare
    const byDefault = await faultedCreate('429');
    const configured = await faultedCreate('429', { retryAfterSeconds: 7 });

    // Act
    const first = await send(byDefault.proxy.url, 'POST', '/api/v1/tags', { body: '{"name":"a"}' });
    const second = await send(configured.proxy.url, 'POST', '/api/v1/tags', { body: '{"name":"a"}' });

    // Assess
    expect(first.rawHeaders[first.rawHeaders.indexOf('retry-after') + 1]).toBe('1');
    expect(second.rawHeaders[second.rawHeaders.indexOf('retry-after') + 1]).toBe('7');
    expect(JSON.parse(first.body.toString())).toEqual({ message: 'Too Many Requests' });
  });

  it('502-after forwards, lets the upstream do the work, then answers 502', async () => {
    // Prepare
    const { upstream, proxy } = await faultedCreate('502-after');

    // Act
    const reply = await send(proxy.url, 'POST', '/api/v1/workflows', {
      body: WORKFLOW,
      headers: JSON_HEADERS,
    });

    // Assess
    expect(reply.status).toBe(502);
    expect(upstream.received.map((r) => r.body.toString())).toEqual([WORKFLOW]);
  });

  it('reset-before resets the client connection and the upstream sees nothing', async () => {
    // Prepare
    const { upstream, proxy } = await faultedCreate('reset-before');

    // Act
    const outcome = await errorCode(send(proxy.url, 'POST', '/api/v1/workflows', { body: WORKFLOW }));

    // Assess
    expect(outcome).toBe('ECONNRESET');
    expect(upstream.received).toEqual([]);
  });

  it('reset-after loses the answer: the upstream applied the request, the client got a reset', async () => {
    // Prepare
    const { upstream, proxy } = await faultedCreate('reset-after');

    // Act
    const outcome = await errorCode(send(proxy.url, 'POST', '/api/v1/workflows', { body: WORKFLOW }));

    // Assess
    expect(outcome).toBe('ECONNRESET');
    expect(upstream.received.map((r) => r.body.toString())).toEqual([WORKFLOW]);
    expect(proxy.stats().counts.create['reset-after']).toBe(1);
  });

  it('slow holds the answer back slowMs: an impatient client times out after the upstream did the work', async () => {
    // Prepare
    const { upstream, proxy } = await faultedCreate('slow', { slowMs: 300, maxFaultsPerRequestKey: 5 });

    // Act
    const impatient = await errorCode(
      send(proxy.url, 'POST', '/api/v1/tags', { body: '{"name":"a"}', timeoutMs: 80 }),
    );
    const started = performance.now();
    const patient = await send(proxy.url, 'POST', '/api/v1/tags', { body: '{"name":"a"}', timeoutMs: 2_000 });
    const waited = performance.now() - started;

    // Assess
    expect(impatient).toBe('TIMEOUT');
    expect(patient.status).toBe(201);
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(upstream.received).toHaveLength(2);
  });
});

describe('fault proxy: rates per kind of call', () => {
  it('faults only the classes that have a rate, and setRates changes them for the next calls', async () => {
    // Prepare
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, { seed: 5, rates: { create: { rate: 1, faults: ['503'] } } });
    const calls = async () =>
      Promise.all([
        send(proxy.url, 'GET', '/api/v1/workflows'),
        send(proxy.url, 'POST', '/api/v1/data-tables', { body: '{"name":"t"}' }),
        send(proxy.url, 'POST', '/api/v1/data-tables/dt1/rows', { body: '{"data":[{"a":1}]}' }),
        send(proxy.url, 'POST', '/api/v1/workflows/w1/publish'),
      ]).then((replies) => replies.map((reply) => reply.status));

    // Act
    const before = await calls();
    proxy.setRates({ rowInsert: { rate: 1, faults: ['500'] }, update: { rate: 1, faults: ['429'] } });
    const after = await calls();

    // Assess
    expect(before).toEqual([201, 503, 201, 201]);
    expect(after).toEqual([201, 201, 500, 429]);
    const { counts } = proxy.stats();
    expect([counts.read.pass, counts.create['503'], counts.create.pass]).toEqual([2, 1, 1]);
    expect([
      counts.rowInsert.pass,
      counts.rowInsert['500'],
      counts.update.pass,
      counts.update['429'],
    ]).toEqual([1, 1, 1, 1]);
    expect(formatFaultTable(proxy.stats())).toBe(
      [
        'class      pass  429  500  503',
        'read       2     0    0    0',
        'create     1     0    0    1',
        'rowInsert  1     0    1    0',
        'update     1     1    0    0',
      ].join('\n'),
    );
  });

  it('refuses an upstream off loopback and rates outside 0..1', async () => {
    await expect(startFaultProxy({ upstream: 'http://example.com', seed: 1 })).rejects.toThrow(/loopback/);
    await expect(startFaultProxy({ upstream: 'https://127.0.0.1:1', seed: 1 })).rejects.toThrow(/loopback/);
    await expect(
      startFaultProxy({
        upstream: 'http://127.0.0.1:1',
        seed: 1,
        rates: { read: { rate: 1.5, faults: ['500'] } },
      }),
    ).rejects.toThrow(/0\.\.1/);
    await expect(
      startFaultProxy({
        upstream: 'http://127.0.0.1:1',
        seed: 1,
        rates: { read: { rate: 0.5, faults: [] } },
      }),
    ).rejects.toThrow(/at least one fault/);
  });
});

describe('fault proxy: reproducible and bounded', () => {
  /** A fixed script of calls, one after the other, through a fresh proxy; what it faulted. */
  async function faultsOf(seed: number): Promise<string[]> {
    const upstream = await startUpstream();
    const every = { rate: 0.4, faults: ['429', '500', '503', '502-after'] as FaultKind[] };
    const proxy = await proxyFor(upstream, {
      seed,
      rates: { read: every, create: every, rowInsert: every, update: every },
    });
    for (let i = 0; i < 40; i += 1) {
      const [method, path] = [
        ['GET', `/api/v1/workflows?cursor=${i}`],
        ['POST', '/api/v1/tags'],
        ['POST', '/api/v1/data-tables/dt1/rows'],
        ['PUT', `/api/v1/workflows/w${i}`],
      ][i % 4] as [string, string];
      await send(proxy.url, method, path, { body: `{"i":${i}}` });
    }
    const stats = proxy.stats();
    expect(stats.requests).toBe(40);
    return stats.faults.map((event) => `${event.method} ${event.path} ${event.fault}`);
  }

  it('gives the same faults for the same seed and other faults for another seed', async () => {
    // Act
    const first = await faultsOf(2024);
    const again = await faultsOf(2024);
    const other = await faultsOf(7);

    // Assess
    expect(first.length).toBeGreaterThan(5);
    expect(first.length).toBeLessThan(35);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('lets a request through after maxFaultsPerRequestKey faults in a row (default 3), then may fault it again', async () => {
    // Prepare
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, { seed: 9, rates: { create: { rate: 1, faults: ['503'] } } });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push((await send(proxy.url, 'POST', '/api/v1/tags', { body: '{"name":"a"}' })).status);
    }

    // Assess
    expect(statuses).toEqual([503, 503, 503, 201, 503]);
    expect(proxy.stats().spared).toBe(1);
    expect(upstream.received).toHaveLength(1);
  });

  it('counts the cap per request: another body or path is another request', async () => {
    // Prepare
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, {
      seed: 9,
      maxFaultsPerRequestKey: 1,
      rates: { create: { rate: 1, faults: ['reset-before'] } },
    });
    const post = (path: string, body: string) => errorCode(send(proxy.url, 'POST', path, { body }));

    // Act
    const outcomes = [
      await post('/api/v1/tags', '{"name":"a"}'),
      await post('/api/v1/tags', '{"name":"b"}'),
      await post('/api/v1/workflows', '{"name":"a"}'),
      await post('/api/v1/tags', '{"name":"a"}'),
      await post('/api/v1/tags', '{"name":"b"}'),
    ];

    // Assess
    expect(outcomes).toEqual(['ECONNRESET', 'ECONNRESET', 'ECONNRESET', 'answered', 'answered']);
    expect(upstream.received.map((r) => r.body.toString())).toEqual(['{"name":"a"}', '{"name":"b"}']);
  });
});

describe('fault proxy: close', () => {
  it('closes idle keep-alive sockets and drops a held-back answer at once', async () => {
    // Prepare
    const upstream = await startUpstream();
    const proxy = await startFaultProxy({
      upstream: upstream.url,
      seed: 1,
      slowMs: 60_000,
      rates: { update: { rate: 1, faults: ['slow'] } },
    });
    const idle = keepAliveAgent();
    await send(proxy.url, 'GET', '/api/v1/tags', {}, idle);
    const held = errorCode(send(proxy.url, 'DELETE', '/api/v1/tags/t1'));
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Act
    const started = performance.now();
    await proxy.close();

    // Assess
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await held).toMatch(/ECONNRESET|socket hang up/);
    expect(upstream.received.map((r) => r.method)).toEqual(['GET', 'DELETE']);
    expect(await errorCode(send(proxy.url, 'GET', '/api/v1/tags', {}, idle))).toBe('ECONNREFUSED');
  });
});

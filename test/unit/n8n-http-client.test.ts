import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createN8nClient,
  type N8nClientOptions,
  normaliseBaseUrl,
} from '../../functions/adapters/n8n/index.js';
import {
  AmbiguousWriteError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  FeatureNotLicensedError,
  MissingScopeError,
  NotFoundError,
  PaginationError,
} from '../../functions/core/errors.js';

const KEY = 'n8n_api_secret_key_0123456789';
type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

let server: Server | undefined;

async function serve(handler: Handler): Promise<string> {
  server = createServer((req, res) => handler(req, res, new URL(req.url ?? '/', 'http://x')));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

const cursorOf = (offset: number) => Buffer.from(JSON.stringify({ limit: 250, offset })).toString('base64');

function client(baseUrl: string, extra: Partial<N8nClientOptions> = {}) {
  const delays: number[] = [];
  const api = createN8nClient({
    baseUrl,
    apiKey: KEY,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...extra,
  });
  return { api, delays };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('N8nHttpClient paging', () => {
  it('follows cursors to the end, asking for 250 per page, and de-duplicates by id', async () => {
    const seenLimits: string[] = [];
    const all = Array.from({ length: 600 }, (_, i) => ({ id: `t${i}`, name: `tag ${i}` }));
    const url = await serve((req, res, u) => {
      expect(req.headers['x-n8n-api-key']).toBe(KEY);
      seenLimits.push(u.searchParams.get('limit') ?? '');
      const cursor = u.searchParams.get('cursor');
      const offset = cursor
        ? (JSON.parse(Buffer.from(cursor, 'base64').toString()) as { offset: number }).offset
        : 0;
      // Overlap pages by one item, as offset paging does when something is inserted mid-scan.
      const from = Math.max(0, offset - 1);
      const page = all.slice(from, from + 250);
      send(res, 200, { data: page, nextCursor: offset + 250 < all.length ? cursorOf(offset + 250) : null });
    });

    const tags = await collect(client(url).api.listTags());

    expect(tags).toHaveLength(600);
    expect(new Set(tags.map((t) => t.id)).size).toBe(600);
    expect(seenLimits).toEqual(['250', '250', '250']);
  });

  it('hands a listing over page by page when asked, without the items an earlier page had', async () => {
    const all = Array.from({ length: 600 }, (_, i) => ({ id: `t${i}`, name: `tag ${i}` }));
    const url = await serve((_req, res, u) => {
      const cursor = u.searchParams.get('cursor');
      const offset = cursor
        ? (JSON.parse(Buffer.from(cursor, 'base64').toString()) as { offset: number }).offset
        : 0;
      const from = Math.max(0, offset - 1);
      const page = all.slice(from, from + 250);
      send(res, 200, { data: page, nextCursor: offset + 250 < all.length ? cursorOf(offset + 250) : null });
    });

    const pages = await collect(client(url).api.listTags().pages());

    expect(pages.map((page) => page.length)).toEqual([250, 249, 101]);
    expect(pages.flat()).toEqual(all);
  });

  it('reads data-table rows by id: each page after the first asks for the rows after the last id read', async () => {
    const filters: (string | null)[] = [];
    const url = await serve((_req, res, u) => {
      filters.push(u.searchParams.get('filter'));
      const after = u.searchParams.get('filter') ? 2 : 0;
      send(res, 200, {
        data: after === 0 ? [{ id: 1 }, { id: 2 }] : [{ id: 5 }],
        nextCursor: after === 0 ? cursorOf(2) : null,
      });
    });

    const rows = await collect(client(url).api.listDataTableRows('d1'));

    expect(rows.map((row) => row.id)).toEqual([1, 2, 5]);
    expect(filters).toEqual([
      null,
      JSON.stringify({ type: 'and', filters: [{ columnName: 'id', condition: 'gt', value: 2 }] }),
    ]);
  });

  it('fails a rows listing whose page does not follow the last id read, as a paging bug', async () => {
    const url = await serve((_req, res) =>
      send(res, 200, { data: [{ id: 1 }, { id: 2 }], nextCursor: cursorOf(2) }),
    );

    const error = await collect(client(url).api.listDataTableRows('d1')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PaginationError);
    expect((error as Error).message).toContain('GET /data-tables/d1/rows listed row 1 after row 2');
  });

  it('drops an item repeated from two pages back, and remembers no further', async () => {
    const pages: Record<string, { data: { id: string }[]; nextCursor: string | null }> = {
      first: { data: [{ id: 'a' }, { id: 'b' }], nextCursor: 'second' },
      second: { data: [{ id: 'c' }], nextCursor: 'third' },
      third: { data: [{ id: 'a' }, { id: 'd' }], nextCursor: 'fourth' },
      fourth: { data: [{ id: 'e' }], nextCursor: 'fifth' },
      fifth: { data: [{ id: 'b' }], nextCursor: null },
    };
    const url = await serve((_req, res, u) => send(res, 200, pages[u.searchParams.get('cursor') ?? 'first']));

    const tags = await collect(client(url).api.listTags());

    // 'a' comes back two pages later and is dropped; 'b' comes back four pages later, past the window.
    expect(tags.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'b']);
  });

  it('read item by item, asks for the next page only when 50 items of the current one are left', async () => {
    const requests: string[] = [];
    const url = await serve((_req, res, u) => {
      const second = u.searchParams.has('cursor');
      requests.push(second ? 'second' : 'first');
      const data = Array.from({ length: second ? 1 : 250 }, (_, i) => ({ id: `${second ? 's' : 'f'}${i}` }));
      send(res, 200, { data, nextCursor: second ? null : cursorOf(250) });
    });
    const seenAt: Record<number, string[]> = {};
    const settle = async () => {
      for (let turn = 0; turn < 20; turn += 1) await nextTurn();
    };

    let index = 0;
    for await (const _tag of client(url).api.listTags()) {
      if (index === 199 || index === 200) {
        await settle();
        seenAt[index] = [...requests];
      }
      index += 1;
    }

    expect(seenAt[199]).toEqual(['first']);
    expect(seenAt[200]).toEqual(['first', 'second']);
    expect(index).toBe(251);
  });

  it('has the next page on its way to n8n before the caller starts on the current one', async () => {
    // The server runs on its own thread, so it sees requests while this thread is busy with page 1.
    const asked = new Int32Array(new SharedArrayBuffer(4));
    const server = new Worker(
      `const { createServer } = require('node:http');
      const { workerData, parentPort } = require('node:worker_threads');
      const asked = new Int32Array(workerData);
      const server = createServer((req, res) => {
        const second = req.url.includes('cursor=');
        if (second) { Atomics.store(asked, 0, 1); Atomics.notify(asked, 0); }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(second
          ? { data: [{ id: 'b', name: 'b' }], nextCursor: null }
          : { data: [{ id: 'a1', name: 'a1' }, { id: 'a2', name: 'a2' }], nextCursor: 'page-2' }));
      });
      server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
      parentPort.on('message', () => server.close(() => parentPort.close()));`,
      { eval: true, workerData: asked.buffer },
    );
    try {
      const port = await new Promise<number>((resolve) => server.once('message', resolve));
      const seen: string[] = [];
      let askedBeforePage1Done = false;

      for await (const tag of client(`http://127.0.0.1:${port}`).api.listTags()) {
        seen.push(tag.id);
        // Blocks this thread (no tick, no I/O here) until the server has the request, or 5 s.
        if (tag.id === 'a2') askedBeforePage1Done = Atomics.wait(asked, 0, 0, 5000) !== 'timed-out';
      }

      expect(seen).toEqual(['a1', 'a2', 'b']);
      expect(askedBeforePage1Done).toBe(true);
    } finally {
      server.postMessage('stop');
      await new Promise((resolve) => server.once('exit', resolve));
    }
  });

  it('stops with a PaginationError when n8n hands back a cursor it already gave', async () => {
    const url = await serve((_req, res) => send(res, 200, { data: [{ id: 'a' }], nextCursor: cursorOf(0) }));

    await expect(collect(client(url).api.listTags())).rejects.toBeInstanceOf(PaginationError);
  });

  it('pages folders with skip/take and fills in the project id', async () => {
    const folders = Array.from({ length: 300 }, (_, i) => ({
      id: `f${i}`,
      name: `F${i}`,
      parentFolderId: null,
    }));
    const url = await serve((_req, res, u) => {
      const skip = Number(u.searchParams.get('skip'));
      const take = Number(u.searchParams.get('take'));
      send(res, 200, { count: folders.length, data: folders.slice(skip, skip + take) });
    });

    const listed = await collect(client(url).api.listFolders('p1'));

    expect(listed).toHaveLength(300);
    expect(listed[299]).toEqual({ id: 'f299', name: 'F299', parentFolderId: null, projectId: 'p1' });
  });
});

describe('N8nHttpClient retries', () => {
  it('retries 429 honouring Retry-After, then succeeds', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls += 1;
      if (calls <= 2) send(res, 429, { message: 'slow down' }, { 'retry-after': '3' });
      else send(res, 200, { data: [{ id: 'w' }], nextCursor: null });
    });
    const { api, delays } = client(url);

    expect(await collect(api.listTags())).toHaveLength(1);
    expect(delays).toEqual([3000, 3000]);
  });

  it('retries a 500 on GET with jittered exponential backoff', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls += 1;
      if (calls <= 3) send(res, 500, { message: 'oops' });
      else send(res, 200, { id: 'w1', name: 'x' });
    });
    const { api, delays } = client(url, { backoffMs: 100 });

    await api.getWorkflow('w1');

    expect(delays).toHaveLength(3);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(100 * 2 ** i);
    });
  });

  it('does not retry a 500 on a create, which may already have been applied', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls += 1;
      send(res, 500, { message: 'Internal error' });
    });

    await expect(client(url).api.createTag('x')).rejects.toBeInstanceOf(AmbiguousWriteError);
    expect(calls).toBe(1);
  });

  it('retries a connection reset on GET', async () => {
    let calls = 0;
    const url = await serve((req, res) => {
      calls += 1;
      if (calls === 1) req.socket.destroy();
      else send(res, 200, { data: [], nextCursor: null });
    });

    expect(await collect(client(url).api.listTags())).toEqual([]);
    expect(calls).toBe(2);
  });

  it('retries a GET whose answer is cut off halfway through the body', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls += 1;
      if (calls === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"data":[{"id":');
        setTimeout(() => res.destroy(), 10);
      } else {
        send(res, 200, { data: [{ id: 't1', name: 'one' }], nextCursor: null });
      }
    });

    expect(await collect(client(url).api.listTags())).toEqual([{ id: 't1', name: 'one' }]);
    expect(calls).toBe(2);
  });

  it('gives up after the configured retries with a clear error', async () => {
    const url = await serve((_req, res) => send(res, 503, { message: 'maintenance' }));

    await expect(client(url, { retries: 2 }).api.getWorkflow('w')).rejects.toThrow(
      /503 to GET \/workflows\/w: maintenance/,
    );
  });

  it('times out a request that hangs', async () => {
    const url = await serve(() => {});

    await expect(client(url, { timeoutMs: 200, retries: 0 }).api.getWorkflow('w')).rejects.toThrow(
      /timed out after 200 ms/,
    );
  });

  it('times out an answer whose body stops coming', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"w",');
    });

    await expect(client(url, { timeoutMs: 200, retries: 0 }).api.getWorkflow('w')).rejects.toThrow(
      /timed out after 200 ms/,
    );
  });

  it('keeps connections open between requests instead of connecting for each one', async () => {
    const url = await serve((_req, res) => send(res, 200, { id: 'w', name: 'w' }));
    let connections = 0;
    server!.on('connection', () => {
      connections += 1;
    });
    const { api } = client(url, { concurrency: 2 });

    for (let i = 0; i < 10; i += 1) await api.getWorkflow(`w${i}`);
    await Promise.all(Array.from({ length: 10 }, (_, i) => api.getWorkflow(`v${i}`)));

    expect(connections).toBeLessThanOrEqual(2);
  });

  it('never has more requests in flight than its concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const url = await serve((_req, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        send(res, 200, { id: 'w', name: 'w' });
      }, 20);
    });
    const { api } = client(url, { concurrency: 3 });

    await Promise.all(Array.from({ length: 12 }, (_, i) => api.getWorkflow(`w${i}`)));

    expect(peak).toBe(3);
  });
});

describe('N8nHttpClient errors', () => {
  async function failWith(status: number, body: unknown, contentType = 'application/json') {
    const url = await serve((_req, res) => {
      res.writeHead(status, { 'content-type': contentType });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    return { url, api: client(url, { retries: 0 }).api };
  }

  it('401 says the key was rejected by that URL, without the key', async () => {
    const { api, url } = await failWith(401, { message: 'unauthorized' });
    const error = await api.getWorkflow('w').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain(`n8n at ${url} rejected the API key`);
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(String((error as Error).stack)).not.toContain(KEY);
  });

  it('403 Forbidden names the scope the route needs', async () => {
    const { api } = await failWith(403, { message: 'Forbidden' });
    const error = await api
      .createWorkflow({ name: 'x', nodes: [], connections: {}, settings: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingScopeError);
    expect((error as MissingScopeError).scope).toBe('workflow:create');
    expect((error as Error).message).toMatch(/lacks the scope workflow:create/);
  });

  it('403 from a licence gate becomes FeatureNotLicensedError with the feature', async () => {
    const { api } = await failWith(403, {
      message:
        'Your license does not allow for feat:variables. To enable feat:variables, please upgrade to a license that supports this feature.',
    });
    const error = await collect(api.listVariables()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeatureNotLicensedError);
    expect((error as FeatureNotLicensedError).feature).toBe('feat:variables');
  });

  it('404 and 409 carry n8n’s message, method and path', async () => {
    const notFound = await (await failWith(404, { message: 'Not Found' })).api
      .getWorkflow('nope')
      .catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(notFound).toMatchObject({ status: 404, method: 'GET', path: '/workflows/nope' });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const conflict = await (await failWith(409, { message: 'Tag already exists' })).api
      .createTag('a')
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as Error).message).toContain('Tag already exists');
  });

  it('an HTML page at the URL is reported as "not n8n\'s Public API"', async () => {
    const { api } = await failWith(200, '<html>hello</html>', 'text/html');
    await expect(api.getWorkflow('w')).rejects.toThrow(/does not look like n8n's Public API/);
  });

  it('a closed port is reported as unreachable, naming the URL', async () => {
    const url = await serve(() => {});
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const error = await client(url, { retries: 1 })
      .api.getWorkflow('w')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(new RegExp(`could not reach n8n at ${url} \\(ECONNREFUSED\\)`));
  });
});

describe('N8nHttpClient package import (--keep-workflow-ids)', () => {
  it('sends an identity-only .n8np as multipart with the id-keeping policies and reads the ids back', async () => {
    let fields: Record<string, string> = {};
    let files: string[] = [];
    let manifest: { workflows: { id: string; name: string; target: string }[] } | undefined;
    let workflowFile: Record<string, unknown> | undefined;
    const url = await serve(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const form = await new Response(Buffer.concat(chunks), {
        headers: { 'content-type': req.headers['content-type'] ?? '' },
      }).formData();
      fields = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === 'string')) as Record<
        string,
        string
      >;
      const { gunzipSync } = await import('node:zlib');
      const tar = gunzipSync(Buffer.from(await (form.get('package') as Blob).arrayBuffer()));
      const entries = new Map<string, string>();
      for (let offset = 0; offset + 512 <= tar.length && tar[offset] !== 0; ) {
        const name = tar
          .subarray(offset, offset + 100)
          .toString('ascii')
          .replace(/\0.*$/s, '');
        const size = Number.parseInt(tar.subarray(offset + 124, offset + 136).toString('ascii'), 8);
        entries.set(name, tar.subarray(offset + 512, offset + 512 + size).toString('utf8'));
        offset += 512 + Math.ceil(size / 512) * 512;
      }
      files = [...entries.keys()];
      manifest = JSON.parse(entries.get('manifest.json') ?? '{}');
      workflowFile = JSON.parse(entries.get('workflows/w2/workflow.json') ?? '{}');
      send(res, 200, {
        workflows: [
          { sourceWorkflowId: 'keepMe0000000001', localId: 'keepMe0000000001', status: 'created' },
          { sourceWorkflowId: 'keep/me?2', localId: 'keep/me?2', status: 'created' },
        ],
      });
    });

    const imported = await client(url).api.importWorkflows(
      [
        { id: 'keepMe0000000001', name: 'Orders' },
        { id: 'keep/me?2', name: 'Élan ✨' },
      ],
      { projectId: 'proj1', keepIds: true },
    );

    expect(imported).toEqual([
      { sourceId: 'keepMe0000000001', id: 'keepMe0000000001' },
      { sourceId: 'keep/me?2', id: 'keep/me?2' },
    ]);
    expect(fields).toEqual({
      workflowConflictPolicy: 'fail',
      workflowIdPolicy: 'source',
      workflowPublishingPolicy: 'preserve-published-state',
      projectId: 'proj1',
    });
    expect(files).toEqual([
      'manifest.json',
      'workflows/w1/workflow.json',
      'workflows/w1/workflow-metadata.json',
      'workflows/w2/workflow.json',
      'workflows/w2/workflow-metadata.json',
    ]);
    expect(manifest?.workflows).toEqual([
      { id: 'keepMe0000000001', name: 'Orders', target: 'workflows/w1' },
      { id: 'keep/me?2', name: 'Élan ✨', target: 'workflows/w2' },
    ]);
    expect(workflowFile).toMatchObject({ id: 'keep/me?2', name: 'Élan ✨', nodes: [], isArchived: false });
  });

  it('sends content with new ids: the restore policies, the folder, and the nodes as given', async () => {
    let fields: Record<string, string> = {};
    let files = new Map<string, string>();
    const url = await serve(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const form = await new Response(Buffer.concat(chunks), {
        headers: { 'content-type': req.headers['content-type'] ?? '' },
      }).formData();
      fields = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === 'string')) as Record<
        string,
        string
      >;
      const { packageFiles } = await import('../../functions/adapters/n8n/package-format.js');
      const read = packageFiles(Buffer.from(await (form.get('package') as Blob).arrayBuffer()));
      files = new Map([...read].map(([path, bytes]) => [path, bytes.toString('utf8')]));
      send(res, 200, { workflows: [{ sourceWorkflowId: 'src1', localId: 'new1', status: 'created' }] });
    });
    const nodes = [
      {
        id: 'n1',
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0] as [number, number],
        parameters: {},
      },
    ];

    const imported = await client(url).api.importWorkflows(
      [{ id: 'src1', name: 'Orders', nodes, connections: {}, settings: { executionOrder: 'v1' } }],
      { projectId: 'proj1', folderId: 'fold1', keepIds: false },
    );

    expect(imported).toEqual([{ sourceId: 'src1', id: 'new1' }]);
    expect(fields).toEqual({
      workflowConflictPolicy: 'fail',
      workflowIdPolicy: 'new',
      workflowPublishingPolicy: 'unpublish-all',
      missingNodeTypeMode: 'import-anyway',
      credentialMatchingMode: 'id-only',
      credentialMissingMode: 'must-preexist',
      projectId: 'proj1',
      folderId: 'fold1',
    });
    expect(JSON.parse(files.get('manifest.json') ?? '{}')).not.toHaveProperty('requirements');
    expect(JSON.parse(files.get('workflows/w1/workflow.json') ?? '{}')).toEqual({
      id: 'src1',
      name: 'Orders',
      nodes,
      connections: {},
      settings: { executionOrder: 'v1' },
      parentFolderId: null,
      isArchived: false,
      tagIds: [],
    });
  });

  it('tells a blocked import by its issues, and probes the route without writing', async () => {
    const methods: string[] = [];
    const url = await serve((req, res) => {
      methods.push(req.method ?? '');
      if (req.method === 'GET') return send(res, 405, { message: 'GET method not allowed' });
      send(res, 409, {
        message: 'Import blocked: 1 issue(s) must be resolved before the package can be imported.',
        issues: [
          { type: 'workflow-conflict', sourceWorkflowId: 'a', existingWorkflowId: 'a', name: 'Orders' },
        ],
      });
    });
    const { api } = client(url);

    expect(await api.supportsWorkflowImport()).toBe(true);
    await expect(api.importWorkflows([{ id: 'a', name: 'Orders' }], { keepIds: true })).rejects.toThrow(
      /409.*Import blocked.*workflow-conflict "Orders"/,
    );
    expect(methods).toEqual(['GET', 'POST']);
  });

  it('reports no package import where the route is missing (n8n before 2.24)', async () => {
    const url = await serve((_req, res) => send(res, 404, { message: 'not found' }));

    expect(await client(url).api.supportsWorkflowImport()).toBe(false);
  });
});

describe('normaliseBaseUrl', () => {
  it('strips credentials, a trailing slash and /api/v1', () => {
    expect(normaliseBaseUrl('https://user:pw@n8n.example.com/api/v1/')).toBe('https://n8n.example.com');
    expect(normaliseBaseUrl('http://127.0.0.1:5678/')).toBe('http://127.0.0.1:5678');
    expect(normaliseBaseUrl('https://example.com/n8n')).toBe('https://example.com/n8n');
  });
});

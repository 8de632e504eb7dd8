import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { ConnectionError, PaginationError } from '../../functions/core/errors.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A hostile server of the test's own: `answer` writes each response. */
async function hostile(answer: (url: URL, respond: (status: number, body: string | Buffer) => void) => void) {
  let requests = 0;
  server = createServer((req, res) => {
    requests += 1;
    answer(new URL(req.url ?? '/', 'http://x'), (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

async function drain(items: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of items) count += 1;
  return count;
}

describe('N8nHttpClient bounds against a hostile server', () => {
  it('stops a listing whose new cursors bring nothing new', async () => {
    // Prepare: every page is the same tag under a fresh cursor
    let page = 0;
    const { url, requests } = await hostile((_url, respond) => {
      page += 1;
      respond(200, JSON.stringify({ data: [{ id: 't1', name: 'same' }], nextCursor: `c${page}` }));
    });
    const client = createN8nClient({ baseUrl: url, apiKey: 'k', retries: 0 });

    // Act
    const listing = drain(client.listTags());

    // Assess
    await expect(listing).rejects.toThrow(PaginationError);
    await expect(drain(client.listTags())).rejects.toThrow(/new cursors for pages with nothing new/);
    expect(requests()).toBeLessThan(10);
  });

  it('stops a listing that goes on past its page cap, even with new items on every page', async () => {
    // Prepare
    let page = 0;
    const { url } = await hostile((_url, respond) => {
      page += 1;
      respond(
        200,
        JSON.stringify({ data: [{ id: `t${page}`, name: `tag ${page}` }], nextCursor: `c${page}` }),
      );
    });
    const client = createN8nClient({ baseUrl: url, apiKey: 'k', retries: 0, maxPages: 50 });

    // Act
    const listing = drain(client.listTags());

    // Assess
    await expect(listing).rejects.toThrow(/went on past 50 pages/);
  });

  /** A server whose every listing hands out a full page of new objects for ever (cursor = next offset). */
  async function endless() {
    return hostile((url, respond) => {
      const cursor = url.searchParams.get('cursor');
      const offset = cursor ? Number(cursor) : 0;
      const data = Array.from({ length: 250 }, (_, i) => ({
        id: `t${offset + i}`,
        name: `tag ${offset + i}`,
      }));
      respond(200, JSON.stringify({ data, nextCursor: String(offset + 250) }));
    });
  }

  it('stops a listing of new objects for ever once it hands out more than its ceiling of objects', async () => {
    // Prepare
    const { url, requests } = await endless();
    const client = createN8nClient({ baseUrl: url, apiKey: 'k', retries: 0, maxListedObjects: 1_000 });

    // Act
    const listing = drain(client.listTags());

    // Assess
    await expect(listing).rejects.toThrow(
      'GET /tags listed more than 1,000 objects, more than any n8n instance holds of one kind',
    );
    expect(requests()).toBeLessThanOrEqual(6);
  });

  it('stops a long listing once the process passes its memory ceiling, and never a short one', async () => {
    // Prepare: memory "past the ceiling" from the start
    const { url } = await endless();
    const memoryCeiling = { bytes: 100, rss: () => 1_000 };
    const client = createN8nClient({ baseUrl: url, apiKey: 'k', retries: 0, memoryCeiling });

    // Act
    let handedOut = 0;
    const error = await (async () => {
      for await (const _ of client.listTags()) handedOut += 1;
    })().catch((e: unknown) => e);

    // Assess: a listing is blamed only once long (25,000 objects)
    expect(error).toBeInstanceOf(PaginationError);
    expect((error as Error).message).toMatch(
      /^GET \/tags had listed 25,000 objects when n8n-ark's memory reached 0 MB, past its ceiling of 0 MB/,
    );
    expect(handedOut).toBe(24_750);
  });

  it('refuses a page with more items than were asked for', async () => {
    // Prepare
    const data = Array.from({ length: 251 }, (_, i) => ({ id: `t${i}`, name: `t${i}` }));
    const { url } = await hostile((_url, respond) =>
      respond(200, JSON.stringify({ data, nextCursor: null })),
    );
    const client = createN8nClient({ baseUrl: url, apiKey: 'k', retries: 0 });

    // Act / Assess
    await expect(drain(client.listTags())).rejects.toThrow(
      'GET /tags answered a page of 251 items when 250 were asked for',
    );
  });

  it('stops folder paging that repeats the same full page whatever count it claims', async () => {
    // Prepare: 250 folders, count a billion, the same page for every skip
    const folders = Array.from({ length: 250 }, (_, i) => ({
      id: `f${i}`,
      name: `f${i}`,
      parentFolderId: null,
    }));
    const { url, requests } = await hostile((_url, respond) =>
      respond(200, JSON.stringify({ count: 1_000_000_000, data: folders })),
    );
    const client = createN8nClient({ baseUrl: url, apiKey: 'k', retries: 0 });

    // Act
    const listing = drain(client.listFolders('p1'));

    // Assess
    await expect(listing).rejects.toThrow(PaginationError);
    expect(requests()).toBe(2);
  });

  it('gives up on an answer that drips in a byte at a time, within its timeout and retries', async () => {
    // Prepare: a server that sends one byte of the body every 50 ms, for ever
    const timers: NodeJS.Timeout[] = [];
    let requests = 0;
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      timers.push(setInterval(() => res.write(' '), 50));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = createN8nClient({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: 'k',
      timeoutMs: 300,
      retries: 1,
      backoffMs: 1,
    });

    // Act
    const read = client.getWorkflow('w1');

    // Assess
    await expect(read).rejects.toThrow(/timed out after 300 ms/);
    expect(requests).toBe(2);
    for (const timer of timers) clearInterval(timer);
    server.closeAllConnections();
  });

  it('refuses an answer that declares a length past its cap, naming the route', async () => {
    // Prepare: a 16 MiB answer (with its Content-Length) against a 1 MiB cap
    const { url, requests } = await hostile((_url, respond) =>
      respond(200, Buffer.alloc(16 * 1024 * 1024, 0x20)),
    );
    const client = createN8nClient({ baseUrl: url, apiKey: 'k', retries: 3, maxAnswerBytes: 1024 * 1024 });

    // Act
    const read = client.getWorkflow('w1');

    // Assess
    await expect(read).rejects.toThrow(ConnectionError);
    await expect(client.getWorkflow('w1')).rejects.toThrow(
      /\/workflows\/w1: the answer is larger than 1 MiB/,
    );
    expect(requests()).toBe(2);
  });

  it('refuses an answer without a declared length once it grows past its cap, naming the route', async () => {
    // Prepare: 16 MiB sent chunked, 64 KiB at a time, against a 1 MiB cap
    let sent = 0;
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const more = () => {
        while (sent < 16 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = createN8nClient({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: 'k',
      retries: 3,
      maxAnswerBytes: 1024 * 1024,
    });

    // Act
    const read = client.getWorkflow('w1');

    // Assess
    await expect(read).rejects.toThrow(/\/workflows\/w1: the answer is larger than 1 MiB.*--max-answer-mib/);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });
});

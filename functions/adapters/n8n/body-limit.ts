/**
 * n8n's payload limit, learnt without writing. n8n 2.41 states N8N_PAYLOAD_SIZE_MAX nowhere (not in
 * /discover, the OpenAPI spec, its answers' headers or its settings), but its global body parser
 * reads every request body ahead of routing, authentication and any handler, inflating a gzip body
 * and counting the inflated bytes against the limit: a body of N spaces, gzipped (about N/1000 bytes
 * on the wire), is answered 413 "request entity too large" when N is past the limit, and otherwise
 * 500 "Failed to parse request body" (spaces are no JSON) — nothing reaches a handler either way.
 * Measured on n8n 2.41.1 with N8N_PAYLOAD_SIZE_MAX=1: 1,048,576 bytes → 500, 1,048,577 → 413.
 */
import { constants, createGzip } from 'node:zlib';
import type { N8nBodyLimitApi } from '../../core/n8n-ports.js';
import type { N8nTransport } from './transport.js';

/** What the probe posts to: a route every n8n has, whose handler the probe never reaches. */
const PROBE_ROUTE = '/workflows';
const PARSE_FAILURE = 'Failed to parse request body';
const SPACES = Buffer.alloc(64 * 1024, 0x20);

export class HttpBodyLimit implements N8nBodyLimitApi {
  constructor(private readonly http: N8nTransport) {}

  async acceptsBodyOf(bytes: number): Promise<boolean | undefined> {
    const answer = await this.http.answer('POST', PROBE_ROUTE, {
      route: PROBE_ROUTE,
      encoded: { body: await gzippedSpaces(bytes), contentType: 'application/json', contentEncoding: 'gzip' },
      // Nothing is written whatever the answer: asking again is harmless.
      idempotent: true,
      accept: [400, 413, 422, 500],
    });
    if (answer.status === 413) return false;
    if (answer.status === 500) return answer.body.toString('utf8').includes(PARSE_FAILURE) ? true : undefined;
    // A parser that refuses the spaces itself (400, 422) read them all first.
    return answer.status === 400 || answer.status === 422 ? true : undefined;
  }
}

/** `bytes` spaces, gzipped as they stream (never held whole). */
async function gzippedSpaces(bytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: constants.Z_BEST_COMPRESSION });
  const parts: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => parts.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  for (let left = bytes; left > 0; left -= SPACES.length) {
    const chunk = left >= SPACES.length ? SPACES : SPACES.subarray(0, left);
    if (!gzip.write(chunk)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await ended;
  return Buffer.concat(parts);
}

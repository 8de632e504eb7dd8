import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Covers the whole exchange: connecting, sending, and reading the answer to its end. */
  timeoutMs: number;
  /** The largest answer body read; a longer one is cut off and fails with HttpAnswerTooLargeError. */
  maxAnswerBytes?: number;
}

/**
 * An answer read in full. The body stays bytes until it is parsed: a Buffer's memory is freed with
 * the young generation, while a page-sized string that waits (a prefetched page) is moved into
 * V8's large-object space and stays there until a full collection.
 */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The error an exchange fails with when it outlives its timeout (the name fetch uses too). */
export class HttpTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** An answer larger than the request's maxAnswerBytes: not read further, and not worth retrying. */
export class HttpAnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
}

/** An answer whose connection closed before its body was complete. */
export class HttpAnswerCutOffError extends Error {
  override readonly name = 'AnswerCutOffError';
}

/**
 * A failed exchange; `cause` is what failed (a Node network error, HttpTimeoutError,
 * HttpAnswerCutOffError). `requestSent` tells whether the whole request, headers and body, had been
 * handed to the operating system before the failure: until then the server cannot have the whole
 * request, so it cannot have acted on it.
 */
export class HttpExchangeError extends Error {
  override readonly cause: Error;
  readonly requestSent: boolean;

  constructor(cause: Error, requestSent: boolean) {
    super(cause.message, { cause });
    this.cause = cause;
    this.requestSent = requestSent;
  }
}

/**
 * HTTP exchanges over keep-alive sockets (node:http and node:https), each answer read in full.
 *
 * Not fetch: Node's fetch registers every Response with a FinalizationRegistry, which keeps each
 * response and its body stream alive through young-generation collections. Over the tens of
 * thousands of small requests of a large backup, all of that is moved into V8's old generation,
 * which then grows with the instance. Measured on the bench's double, 10,000 workflow GETs at
 * concurrency 4: fetch promoted 91 MB into the old generation and took 3.4–4.1 s; this, 0.1 MB and
 * 2.1 s.
 */
export class HttpExchange {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(options: { maxSockets: number }) {
    this.http = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets });
  }

  send(url: URL, request: HttpRequest): Promise<HttpAnswer> {
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      let requestSent = false;
      const settle = (error: Error | undefined, answer?: HttpAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(new HttpExchangeError(error, requestSent));
        else resolve(answer!);
      };
      const outgoing = send(
        url,
        { method: request.method, headers: request.headers, agent: secure ? this.https : this.http },
        (incoming) => {
          // An answer has begun: the server (or a proxy) has the request, whatever became of its body.
          requestSent = true;
          const chunks: Buffer[] = [];
          const tooLarge = (size: number) =>
            request.maxAnswerBytes !== undefined && size > request.maxAnswerBytes;
          const refuse = () => {
            settled = true;
            clearTimeout(timer);
            reject(new HttpAnswerTooLargeError(`the answer is larger than ${request.maxAnswerBytes} bytes`));
            chunks.length = 0;
            outgoing.destroy();
          };
          // A length declared past the cap is refused before a byte of the body is read.
          if (tooLarge(Number(incoming.headers['content-length'] ?? 0))) return refuse();
          let size = 0;
          incoming.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (tooLarge(size)) return refuse();
            chunks.push(chunk);
          });
          incoming.on('error', (error) =>
            settle(new HttpAnswerCutOffError(`the answer was cut off: ${error.message}`, { cause: error })),
          );
          incoming.on('end', () =>
            settle(undefined, {
              status: incoming.statusCode ?? 0,
              headers: incoming.headers,
              body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
            }),
          );
          incoming.on('close', () => {
            if (!incoming.complete)
              settle(new HttpAnswerCutOffError('the connection closed before the answer was complete'));
          });
        },
      );
      const timer = setTimeout(() => {
        const error = new HttpTimeoutError(`no complete answer within ${request.timeoutMs} ms`);
        settle(error);
        outgoing.destroy(error);
      }, request.timeoutMs);
      outgoing.on('error', (error) => settle(error));
      // 'finish': the last byte of the request is with the operating system (not yet with the server).
      outgoing.on('finish', () => {
        requestSent = true;
      });
      outgoing.end(request.body);
    });
  }
}

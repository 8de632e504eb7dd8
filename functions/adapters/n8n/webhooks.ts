/**
 * n8n's production webhook and form URLs, asked only by CORS preflight. n8n 2.41 answers an OPTIONS
 * with an Origin from its webhook registry (webhook-request-handler.ts): `access-control-allow-methods`
 * names every method registered on the path, and the method asked in
 * `Access-Control-Request-Method` is looked up, an unregistered one failing with its error page
 * (500, "The requested webhook … is not registered."). Nothing runs (measured on n8n 2.41.1: the
 * executions list stays empty). The webhook's own method is never sent, nor the API key.
 */
import type { N8nWebhooksApi, WebhookRegistration } from '../../core/ports.js';
import { HttpExchange } from './http-exchange.js';
import { normaliseBaseUrl } from './transport.js';

/** Only the preflight's headers and a short error page are read. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** A browser-like origin for the preflight: n8n adds the CORS headers only when one is present. */
const PROBE_ORIGIN = 'https://n8n-ark.invalid';

export class HttpWebhooks implements N8nWebhooksApi {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly exchange = new HttpExchange({ maxSockets: 4 });

  constructor(options: { baseUrl: string; timeoutMs?: number }) {
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async webhookRegistration(
    endpoint: 'webhook' | 'form',
    path: string,
    method: string,
  ): Promise<WebhookRegistration> {
    const url = new URL(`${this.baseUrl}/${endpoint}/${path.split('/').map(encodeURIComponent).join('/')}`);
    let answer: Awaited<ReturnType<HttpExchange['send']>>;
    try {
      answer = await this.exchange.send(url, {
        method: 'OPTIONS',
        headers: { origin: PROBE_ORIGIN, 'access-control-request-method': method },
        timeoutMs: this.timeoutMs,
        maxAnswerBytes: MAX_ANSWER_BYTES,
      });
    } catch (error) {
      return { registered: undefined, reason: `OPTIONS ${url.pathname} failed: ${(error as Error).message}` };
    }
    const allowed = String(answer.headers['access-control-allow-methods'] ?? '')
      .split(',')
      .map((m) => m.trim().toUpperCase())
      .filter((m) => m !== '' && m !== 'OPTIONS');
    const body = answer.body.toString('utf8');
    if (answer.status === 204 && allowed.includes(method.toUpperCase()))
      return { registered: true, methods: allowed };
    if (answer.status >= 400 && /is not registered/.test(body))
      return { registered: false, message: errorPageMessage(body) };
    return {
      registered: undefined,
      reason: `OPTIONS ${url.pathname} answered ${answer.status}${
        answer.status === 204 ? ' without naming the method (a proxy answering preflights itself?)' : ''
      }`,
    };
  }
}

/** The message of n8n's error page (`<pre>ResponseError: …<br>`), or of a JSON answer. */
function errorPageMessage(body: string): string {
  const pre = /<pre>(?:\w+Error: )?(.*?)(?:<br>|<\/pre>)/s.exec(body)?.[1];
  const text =
    pre ??
    (() => {
      try {
        return String((JSON.parse(body) as { message?: unknown }).message ?? body);
      } catch {
        return body;
      }
    })();
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&nbsp;', ' ')
    .replaceAll('&amp;', '&')
    .trim();
}

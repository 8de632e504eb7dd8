/**
 * What n8n 2.41.1 answers on its production webhook and form URLs (webhook-request-handler.ts,
 * measured): with an `Origin` header it names the methods registered on the path
 * (`access-control-allow-methods: OPTIONS, POST`) and looks up the requested one (an OPTIONS's
 * `access-control-request-method`), which fails with an error page (500) when it is not registered;
 * OPTIONS then answers 204 without running anything. Any other method runs the workflow: the double
 * counts it instead.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Reply } from './http.js';
import type { WebhookRegistry } from './webhooks.js';

const escapeHtml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('"', '&quot;');

/** n8n's message for a webhook not registered (webhook-not-found.error.ts). */
export function notRegisteredMessage(path: string, method: string, registered: readonly string[]): string {
  if (registered.length === 0) return `The requested webhook "${method} ${path}" is not registered.`;
  const methods =
    registered.length === 1
      ? registered[0]
      : `${registered.slice(0, -1).join(', ')} or ${registered[registered.length - 1]}`;
  return `This webhook is not registered for ${method} requests. Did you mean to make a ${methods} request?`;
}

/** The error page express answers when the handler throws (status 500). */
function errorPage(message: string): Buffer {
  return Buffer.from(
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>ResponseError: ${escapeHtml(message)}<br> &nbsp; &nbsp;at LiveWebhooks.findWebhook</pre>\n</body>\n</html>\n`,
  );
}

export function answerWebhook(
  registry: WebhookRegistry,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
): Reply {
  const registered = registry.methodsOn(path);
  const cors: Record<string, string> = {};
  if (headers.origin !== undefined) {
    cors['access-control-allow-methods'] = ['OPTIONS', ...registered].join(', ');
    const requested = method === 'OPTIONS' ? headers['access-control-request-method'] : method;
    if (typeof requested === 'string' && !registered.includes(requested))
      return {
        status: 500,
        headers: { ...cors, 'content-type': 'text/html; charset=utf-8' },
        raw: errorPage(notRegisteredMessage(path, requested, registered)),
      };
    cors['access-control-allow-origin'] = String(headers.origin);
  }
  if (method === 'OPTIONS') return { status: 204, headers: cors };
  if (!registry.holderOf(path, method))
    return {
      status: 404,
      headers: { ...cors, 'content-type': 'application/json; charset=utf-8' },
      raw: Buffer.from(
        JSON.stringify({ code: 404, message: notRegisteredMessage(path, method, registered) }),
      ),
    };
  registry.executions += 1;
  return {
    status: 200,
    headers: { ...cors, 'content-type': 'application/json; charset=utf-8' },
    raw: Buffer.from(JSON.stringify({ message: 'Workflow was started' })),
  };
}

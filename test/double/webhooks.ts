/**
 * Production webhooks as n8n 2.41.1 registers them, stated from n8n's source (webhook.service.ts,
 * the Webhook and Form Trigger node descriptions) and real n8n (docs/REAL-N8N-FINDINGS.md), apart
 * from n8n-ark's own reading of them so a wrong rule there can fail a test:
 * - a Webhook node registers its `path` (slashes trimmed) for `httpMethod` (default GET; with
 *   `multipleMethods`, each of `httpMethod`, default GET and POST); a path with `:` segments is
 *   registered under the node's `webhookId`;
 * - a Form Trigger registers GET and POST: version 1 on `<path>/n8n-form`, 2 and 2.1 on `path`,
 *   2.2 and later on `options.path`, else on its `webhookId`;
 * - one registry for both `/webhook/` and `/form/`: a method and path are held by one workflow;
 * - registration lands after the publish answer (`lagMs`); a publish that comes in that window is
 *   not refused, and only the first registration holds the path (n8n's race, measured);
 * - OPTIONS answers from the registry, without running anything (webhook-request-handler.ts).
 */
import type { JsonObject } from '../../functions/core/n8n-types.js';

export interface WebhookRoute {
  method: string;
  /** As n8n stores it (`webhookPath`), dynamic segments (`:id`) included. */
  path: string;
  /** The node's webhookId, for a dynamic path. */
  webhookId?: string;
}

const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'];

function trimSlashes(path: string): string {
  return path.trim().replace(/^\//, '').replace(/\/$/, '');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && !value.startsWith('=') ? value : undefined;
}

function webhookNodeRoutes(node: JsonObject): WebhookRoute[] {
  const parameters = (node.parameters ?? {}) as JsonObject;
  const path = text(parameters.path);
  if (path === undefined || trimSlashes(path) === '') return [];
  const methods =
    parameters.multipleMethods === true
      ? Array.isArray(parameters.httpMethod)
        ? parameters.httpMethod.map(String)
        : ['GET', 'POST']
      : [typeof parameters.httpMethod === 'string' ? parameters.httpMethod : 'GET'];
  const trimmed = trimSlashes(path);
  const dynamic = trimmed.startsWith(':') || trimmed.includes('/:');
  const webhookId = typeof node.webhookId === 'string' ? node.webhookId : undefined;
  if (dynamic && !webhookId) return [];
  return methods
    .filter((method) => METHODS.includes(method))
    .map((method) => ({ method, path: trimmed, ...(dynamic ? { webhookId } : {}) }));
}

function formTriggerRoutes(node: JsonObject): WebhookRoute[] {
  const parameters = (node.parameters ?? {}) as JsonObject;
  const version = typeof node.typeVersion === 'number' ? node.typeVersion : 1;
  const webhookId = typeof node.webhookId === 'string' ? node.webhookId : '';
  const options = (parameters.options ?? {}) as JsonObject;
  const given = version >= 2.2 ? text(options.path) : text(parameters.path);
  let path = trimSlashes(given || webhookId);
  if (version < 2) path = `${path}/n8n-form`;
  if (path === '' || path === '/n8n-form') return [];
  return ['GET', 'POST'].map((method) => ({ method, path }));
}

/** The production webhooks a workflow's nodes register when it is published. */
export function webhookRoutesOf(nodes: readonly JsonObject[]): WebhookRoute[] {
  return nodes.flatMap((node) => {
    if (node.disabled === true) return [];
    if (node.type === 'n8n-nodes-base.webhook') return webhookNodeRoutes(node);
    if (node.type === 'n8n-nodes-base.formTrigger') return formTriggerRoutes(node);
    return [];
  });
}

const keyOf = (route: WebhookRoute) =>
  `${route.method} ${route.webhookId ? `${route.webhookId}/` : ''}${route.path}`;

interface Registration {
  route: WebhookRoute;
  workflowId: string;
}

/** The instance's registered production webhooks. */
export class WebhookRegistry {
  /** How long after a publish its webhooks are registered (0: at once). */
  lagMs = 0;
  private readonly held = new Map<string, Registration>();
  private pending: (Registration & { due: number })[] = [];
  /** Requests other than OPTIONS that reached a registered webhook: what would have run. */
  executions = 0;

  /** Registrations whose time has come: the first to land holds its path, a later one is dropped. */
  private settle(): void {
    const now = Date.now();
    const due = this.pending.filter((p) => p.due <= now);
    this.pending = this.pending.filter((p) => p.due > now);
    for (const registration of due) {
      const key = keyOf(registration.route);
      if (!this.held.has(key))
        this.held.set(key, { route: registration.route, workflowId: registration.workflowId });
    }
  }

  /** A route of these nodes another workflow holds now (what makes a publish answer 409). */
  conflict(workflowId: string, nodes: readonly JsonObject[]): WebhookRoute | undefined {
    this.settle();
    return webhookRoutesOf(nodes).find((route) => {
      const holder = this.held.get(keyOf(route));
      return holder !== undefined && holder.workflowId !== workflowId;
    });
  }

  /** A publish: the workflow's old webhooks go, its new ones land after the lag. */
  register(workflowId: string, nodes: readonly JsonObject[]): void {
    this.unregister(workflowId);
    const due = Date.now() + this.lagMs;
    for (const route of webhookRoutesOf(nodes)) this.pending.push({ route, workflowId, due });
    if (this.lagMs <= 0) this.settle();
  }

  unregister(workflowId: string): void {
    this.pending = this.pending.filter((p) => p.workflowId !== workflowId);
    for (const [key, registration] of this.held)
      if (registration.workflowId === workflowId) this.held.delete(key);
  }

  /** The methods registered on a request path (`/webhook/<path>` or `/form/<path>`, without the prefix). */
  methodsOn(requestPath: string): string[] {
    this.settle();
    const path = trimSlashes(requestPath);
    const methods = new Set<string>();
    for (const { route } of this.held.values()) if (matches(route, path)) methods.add(route.method);
    return [...methods].sort();
  }

  /** The workflow holding a method on a request path, if any. */
  holderOf(requestPath: string, method: string): string | undefined {
    this.settle();
    const path = trimSlashes(requestPath);
    for (const { route, workflowId } of this.held.values())
      if (route.method === method && matches(route, path)) return workflowId;
    return undefined;
  }
}

/** A static path matches itself; a dynamic one its webhookId, then its segments (`:x` matches any). */
function matches(route: WebhookRoute, path: string): boolean {
  if (!route.webhookId) return route.path === path;
  const [first, ...rest] = path.split('/');
  const template = route.path.split('/');
  return (
    first === route.webhookId &&
    rest.length === template.length &&
    template.every((segment, i) => segment.startsWith(':') || segment === rest[i])
  );
}

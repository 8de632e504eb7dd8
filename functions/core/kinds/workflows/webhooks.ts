/**
 * The production webhooks a published workflow holds on its instance: what its Webhook and Form
 * Trigger nodes register (n8n 2.41's webhook.service.ts and the nodes' descriptions; measured in
 * docs/REAL-N8N-FINDINGS.md). n8n keeps one registry for `/webhook/` and `/form/`: a method and path
 * are held by one published workflow, and publishing another on them is refused (409).
 *
 * - Webhook: its `path` (slashes trimmed) for `httpMethod` (GET when unset); with `multipleMethods`,
 *   each of `httpMethod` (GET and POST when unset). A path with `:` segments is registered under the
 *   node's `webhookId` (`<webhookId>/<path>`), and is asked for with each `:` segment filled in.
 * - Form Trigger: GET and POST; version 1 on `<path>/n8n-form`, 2 and 2.1 on `path`, 2.2 and later
 *   on `options.path`; without one, on its `webhookId`.
 * A path given as an expression cannot be told without running it: it is left out.
 */
import type { WorkflowNode } from '../../n8n-types.js';

export interface WebhookRoute {
  /** The URL prefix n8n serves it under. */
  endpoint: 'webhook' | 'form';
  method: string;
  /** As n8n registers it (`:` segments kept). */
  path: string;
  /** The path a request (or a preflight) uses: a dynamic one with its `:` segments filled in. */
  requestPath: string;
  /** The node that registers it. */
  node: string;
}

const METHODS = new Set(['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT']);

const trimSlashes = (path: string) => path.trim().replace(/^\//, '').replace(/\/$/, '');

/** A literal parameter (not an expression), or undefined. */
function literal(value: unknown): string | undefined {
  return typeof value === 'string' && !value.startsWith('=') ? value : undefined;
}

function webhookNodeRoutes(node: WorkflowNode): WebhookRoute[] {
  const { parameters } = node;
  const given = literal(parameters.path);
  const path = given === undefined ? '' : trimSlashes(given);
  if (path === '') return [];
  const methods =
    parameters.multipleMethods === true
      ? Array.isArray(parameters.httpMethod)
        ? parameters.httpMethod.map(String)
        : ['GET', 'POST']
      : [literal(parameters.httpMethod) ?? 'GET'];
  const dynamic = path.startsWith(':') || path.includes('/:');
  const webhookId = typeof node.webhookId === 'string' ? node.webhookId : undefined;
  if (dynamic && !webhookId) return [];
  const registered = dynamic ? `${webhookId}/${path}` : path;
  const requestPath = dynamic
    ? `${webhookId}/${path
        .split('/')
        .map((segment) => (segment.startsWith(':') ? 'n8n-ark' : segment))
        .join('/')}`
    : path;
  return methods
    .filter((method) => METHODS.has(method))
    .map((method) => ({ endpoint: 'webhook', method, path: registered, requestPath, node: node.name }));
}

function formTriggerRoutes(node: WorkflowNode): WebhookRoute[] {
  const version = typeof node.typeVersion === 'number' ? node.typeVersion : 1;
  const options = node.parameters.options;
  const optionsPath =
    options && typeof options === 'object' && !Array.isArray(options) ? literal(options.path) : undefined;
  const given = version >= 2.2 ? optionsPath : literal(node.parameters.path);
  const webhookId = typeof node.webhookId === 'string' ? node.webhookId : '';
  const base = trimSlashes(given || webhookId);
  if (base === '') return [];
  const path = version < 2 ? `${base}/n8n-form` : base;
  return ['GET', 'POST'].map((method) => ({
    endpoint: 'form',
    method,
    path,
    requestPath: path,
    node: node.name,
  }));
}

/** The production webhooks these nodes register once published. */
export function webhookRoutes(nodes: readonly WorkflowNode[] | undefined): WebhookRoute[] {
  return (nodes ?? []).flatMap((node) => {
    if (node.disabled === true || typeof node.parameters !== 'object' || node.parameters === null) return [];
    if (node.type === 'n8n-nodes-base.webhook') return webhookNodeRoutes(node);
    if (node.type === 'n8n-nodes-base.formTrigger') return formTriggerRoutes(node);
    return [];
  });
}

/** The key n8n's registry holds a route under, as a person reads it: `POST orders/new`. */
export function routeKey(route: Pick<WebhookRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

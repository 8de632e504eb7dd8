/**
 * The double's request/answer plumbing: route definitions, the context a handler gets, and the
 * error a handler throws to answer like n8n (`{"message": …}` with a status).
 */
import type { DoubleState } from './state.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Thrown by handlers: answered as `{"message": message}` with this status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  /** JSON body; undefined answers with no body at all. */
  body?: unknown;
  /** Bytes sent as they are (with their content-type in `headers`), instead of a JSON body. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

export interface Context {
  state: DoubleState;
  method: Method;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The query string as sent (still percent-encoded), without the leading '?'. */
  rawQuery: string;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
  /** The body's bytes as sent (multipart routes read these). */
  rawBody: Buffer;
  contentType: string | undefined;
  /** The scopes of the API key that made the request. */
  scopes: readonly string[];
  isLicensed(feature: string): boolean;
}

export type Guard = { scope: string } | { licence: string } | { userQuota: true };

/**
 * n8n 2.41 routes public requests two ways, and they answer differently: decorator-routed
 * controllers (workflows, tags, variables, credentials, projects, folder reads) say 401
 * "Unauthorized" and cap `limit` at 250; the older express-openapi-validator handlers (data tables,
 * users, folder writes, discover) say "'X-N8N-API-KEY' header required" / "unauthorized", and
 * refuse `limit` above 250 with 400 before the handler runs.
 */
export type RouteStyle = 'controller' | 'legacy';

export interface Route {
  method: Method;
  /** Express-style path below /api/v1, e.g. `/workflows/:workflowId`. */
  path: string;
  style: RouteStyle;
  /** Checked in this order after authentication (n8n's middleware order for the route). */
  guards: Guard[];
  /** Legacy routes only: the OpenAPI request validation, which runs before the guards. */
  validate?: (ctx: Context) => void;
  /**
   * Legacy routes only: the query parameters the spec declares (any other is 400 "Unknown query
   * parameter"), and those of them that may carry reserved characters unencoded.
   */
  query?: { declared: string[]; allowReserved?: string[] };
  handle(ctx: Context): Reply | Promise<Reply>;
}

export const ok = (body: unknown, status = 200): Reply => ({ status, body });
export const noContent = (status = 204): Reply => ({ status });

export function controller(
  method: Method,
  path: string,
  scope: string | null,
  handle: Route['handle'],
  licence?: string,
): Route {
  const guards: Guard[] = [];
  if (scope) guards.push({ scope });
  if (licence) guards.push({ licence });
  return { method, path, style: 'controller', guards, handle };
}

export function legacy(
  method: Method,
  path: string,
  guards: Guard[],
  handle: Route['handle'],
  validate?: Route['validate'],
  query: Route['query'] = { declared: [] },
): Route {
  return { method, path, style: 'legacy', guards, handle, query, ...(validate ? { validate } : {}) };
}

export function found<T>(value: T | undefined, message = 'Not Found'): T {
  if (value === undefined) throw new ApiError(404, message);
  return value;
}

/**
 * n8n's offset paging behind an opaque cursor (pagination.service.ts): `nextCursor` is
 * base64(JSON {limit, offset}), null once offset + limit reaches the total. Quirks kept on
 * purpose because clients must survive them (measured on n8n 2.41.1): `limit=0` answers everything
 * and still a cursor, a forged cursor's limit is honoured beyond 250, and a cursor that is not
 * base64 JSON is "An invalid cursor was provided".
 */
import { ApiError } from './http.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 250;
export const INVALID_CURSOR = 'An invalid cursor was provided';

export interface Window {
  offset: number;
  limit: number;
}

export function encodeCursor(limit: number, offset: number): string {
  return Buffer.from(JSON.stringify({ limit, offset })).toString('base64');
}

export function nextCursor(window: Window, total: number): string | null {
  return total > window.offset + window.limit
    ? encodeCursor(window.limit, window.offset + window.limit)
    : null;
}

function decode(cursor: string): unknown {
  return JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'));
}

/** The decorator-routed controllers' `limit` (zod): default 100, integers ≥ 0, silently capped at 250. */
export function controllerLimit(query: URLSearchParams): number {
  return controllerInteger(query, 'limit', DEFAULT_LIMIT, MAX_LIMIT);
}

/** The controllers' `offset` (GET /workflows only): default 0, integers ≥ 0. */
export function controllerOffset(query: URLSearchParams): number {
  return controllerInteger(query, 'offset', 0);
}

function controllerInteger(query: URLSearchParams, name: string, fallback: number, max?: number): number {
  const raw = query.get(name);
  // zod's transform: an empty string falls back to the default, like a missing one.
  const value = raw ? Number.parseInt(raw, 10) : fallback;
  if (Number.isNaN(value))
    throw new ApiError(400, `request/query/${name} Param \`${name}\` must be a valid integer`);
  if (value < 0)
    throw new ApiError(400, `request/query/${name} Param \`${name}\` must be a non-negative integer`);
  return max === undefined ? value : Math.min(value, max);
}

/** GET /workflows: a cursor with an offset replaces both; one without keeps the offset. */
export function workflowsWindow(query: URLSearchParams): Window {
  let window: Window = { offset: controllerOffset(query), limit: controllerLimit(query) };
  const cursor = query.get('cursor');
  if (cursor) {
    try {
      const decoded = decode(cursor) as { offset?: number; limit?: number };
      window = {
        offset: 'offset' in decoded ? Number(decoded.offset) : window.offset,
        limit: decoded.limit ?? window.limit,
      };
    } catch {
      throw new ApiError(400, INVALID_CURSOR);
    }
  }
  return window;
}

/** The other controllers (resolveOffsetPagination): a cursor must carry an offset. */
export function controllerWindow(query: URLSearchParams): Window {
  const limit = controllerLimit(query);
  const cursor = query.get('cursor');
  if (!cursor) return { offset: 0, limit };
  try {
    const decoded = decode(cursor) as { offset?: number; limit?: number };
    if (!('offset' in decoded)) throw new Error('no offset');
    return { offset: Number(decoded.offset), limit: Number(decoded.limit) };
  } catch {
    throw new ApiError(400, INVALID_CURSOR);
  }
}

/**
 * The legacy handlers: express-openapi-validator checks `limit` (a number ≤ 250) and `offset`
 * (a number ≥ 0) before anything else, then `validCursor` replaces both from the cursor.
 */
export function validateLegacyPaging(query: URLSearchParams, withOffset = false): void {
  const limit = query.get('limit');
  if (limit !== null) {
    const value = Number(limit);
    if (limit === '' || Number.isNaN(value)) throw new ApiError(400, 'request/query/limit must be number');
    if (value > MAX_LIMIT) throw new ApiError(400, `request/query/limit must be <= ${MAX_LIMIT}`);
  }
  const offset = query.get('offset');
  if (withOffset && offset !== null) {
    const value = Number(offset);
    if (offset === '' || Number.isNaN(value)) throw new ApiError(400, 'request/query/offset must be number');
    if (value < 0) throw new ApiError(400, 'request/query/offset must be >= 0');
  }
}

export function legacyWindow(query: URLSearchParams): Window {
  let offset = Number(query.get('offset') ?? 0) || 0;
  let limit = query.get('limit') === null ? DEFAULT_LIMIT : Number(query.get('limit'));
  const cursor = query.get('cursor');
  if (cursor) {
    let decoded: { offset?: number; limit?: number };
    try {
      decoded = decode(cursor) as typeof decoded;
      if (typeof decoded !== 'object' || decoded === null) throw new Error('not an object');
    } catch {
      throw new ApiError(400, INVALID_CURSOR);
    }
    // A keyset cursor ({lastId, limit}) only changes the limit here.
    if ('offset' in decoded) offset = Number(decoded.offset);
    limit = Number(decoded.limit);
  }
  return { offset, limit };
}

/** The page itself. A limit of 0 means no limit to n8n's queries (and the cursor repeats). */
export function slice<T>(items: readonly T[], window: Window): T[] {
  return window.limit === 0
    ? items.slice(window.offset)
    : items.slice(window.offset, window.offset + window.limit);
}

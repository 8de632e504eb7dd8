/** Saying how two values differ, path by path, and the diff's lines for people. */
import { stableStringify } from '../json.js';
import type { Json, JsonObject } from '../n8n-types.js';
import type { DiffResult } from './compare.js';

/** Paths where two JSON values differ, e.g. `nodes[Slack].parameters.text: "a" → "b"`. */
export function fieldDifferences(
  a: Json | undefined,
  b: Json | undefined,
  path: string,
  limit: number,
): string[] {
  const out: string[] = [];
  walk(a, b, path, out, limit);
  return out;
}

function walk(a: Json | undefined, b: Json | undefined, path: string, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (stableStringify(a) === stableStringify(b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const named = a.every(isNamed) && b.every(isNamed);
    if (named) {
      const byName = (list: Json[]) => new Map(list.map((item) => [(item as { name: string }).name, item]));
      const l = byName(a);
      const r = byName(b);
      for (const name of new Set([...l.keys(), ...r.keys()]))
        walk(l.get(name), r.get(name), `${path}[${name}]`, out, limit);
      return;
    }
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i += 1) walk(a[i], b[i], `${path}[${i}]`, out, limit);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      walk(a[key], b[key], path ? `${path}.${key}` : key, out, limit);
    }
    return;
  }
  out.push(`${path || '(value)'}: ${preview(a)} → ${preview(b)}`);
}

function isNamed(item: Json): boolean {
  return isObject(item) && typeof item.name === 'string';
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(value: Json | undefined): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Human lines for a diff result. */
export function formatDifferences(result: DiffResult): string[] {
  const lines: string[] = [];
  for (const d of result.differences) {
    const label =
      d.change === 'only-in-a'
        ? `only in ${result.a}`
        : d.change === 'only-in-b'
          ? `only in ${result.b}`
          : d.change === 'unavailable'
            ? 'cannot compare'
            : 'changed';
    lines.push(`${d.resource} ${d.key}: ${label}`);
    for (const detail of d.details ?? []) lines.push(`    ${detail}`);
  }
  return lines;
}

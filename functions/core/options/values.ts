/**
 * Value schemas and text readers the option tables share. A schema's refusal is the problem alone
 * (`must be true or false, not "yes"`); the edge adds the option's name. A text reader turns what a
 * person typed after a flag into the plain value the schema checks, keeping text it cannot read so
 * the refusal quotes what was typed.
 */
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { quoted } from './table.js';

export const nonEmptyText = z
  .string({ error: (issue) => `must be a non-empty string, not ${quoted(issue.input)}` })
  .min(1, { error: 'must be a non-empty string' });

/** A switch's value. */
export const onOff = z.boolean({ error: (issue) => `must be true or false, not ${quoted(issue.input)}` });

/** Text as typed; the command checks it where it uses it. */
export const text = z.string();

/** `--timeout <minutes>` as typed: any number above 0 (the edge counts the deadline from its start). */
export const minutesText = z.string().refine(
  (value) => {
    const minutes = Number(value);
    return Number.isFinite(minutes) && minutes > 0;
  },
  { error: (issue) => `must be a number of minutes above 0, not ${quoted(issue.input)}` },
);

/** `a, b,c` as `['a', 'b', 'c']` (blank items dropped). */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A number when the text is one; otherwise the text, so the schema's refusal quotes what was typed. */
export function numberOrText(value: string): number | string {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}

/**
 * Repeated `"A=B"` pairs as `{ A: "B" }`; `shape` is how a pair is written (`Source project=Target
 * project`), for the message that refuses one without `=` or with a side empty.
 */
export function pairs(shape: string): (values: readonly string[], flag: string) => Record<string, string> {
  return (values, flag) => {
    // A Map, then own properties: a name like `__proto__` is a name, never the object's prototype.
    const map = new Map<string, string>();
    for (const pair of values) {
      const at = pair.indexOf('=');
      const from = pair.slice(0, at).trim();
      const to = pair.slice(at + 1).trim();
      if (at < 0 || !from || !to)
        throw new UsageError(`${flag} ${JSON.stringify(pair)}: write it as "${shape}"`);
      if (map.has(from)) throw new UsageError(`${flag} maps ${JSON.stringify(from)} twice`);
      map.set(from, to);
    }
    return Object.fromEntries(map);
  };
}

/** An option taking text after its flag (`--url <url>`), checked where the command uses it. */
export function textOption<const V extends string>(value: V, help: string, fallback?: string) {
  return {
    schema: text,
    flag: fallback === undefined ? { value } : { value, default: fallback },
    help,
  } as const;
}

/** A switch: true when its flag is given. */
export function switchOption(help: string) {
  return { schema: onOff, help } as const;
}

/**
 * Request validation that answers with n8n's own words. n8n 2.41 validates decorator-routed
 * requests with zod 3 DTOs and reports the first issue as `request/<location>/<path> <message>`
 * (public-api-validation-error.ts), e.g. `request/body/id is read-only`,
 * `request/body/settings Unrecognized key(s) in object: 'engineType'`,
 * `request/body must have required property 'name'`. This is a small schema kit producing the
 * same issues in the same order (shape keys first, unknown keys last), so the double's 400s read
 * like the real ones.
 */
export type Path = (string | number)[];

export interface Issue {
  code: 'invalid_type' | 'unrecognized_keys' | 'custom';
  /** zod's name of the received type, for invalid_type. */
  received?: string;
  path: Path;
  message: string;
}

export interface Schema<T = unknown> {
  /** Returns the parsed value (possibly transformed); pushes issues instead of throwing. */
  parse(value: unknown, path: Path, issues: Issue[]): T;
}

/** zod's getParsedType, for the "received …" part of messages. */
export function parsedType(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'nan';
  return typeof value;
}

function typeIssue(expected: string, value: unknown, path: Path): Issue {
  const received = parsedType(value);
  return {
    code: 'invalid_type',
    received,
    path,
    message: received === 'undefined' ? 'Required' : `Expected ${expected}, received ${received}`,
  };
}

interface StringChecks {
  min?: [number, string?];
  max?: [number, string?];
  regex?: [RegExp, string?];
  trim?: boolean;
}

export function string(checks: StringChecks = {}): Schema<string> {
  return {
    parse(value, path, issues) {
      if (typeof value !== 'string') {
        issues.push(typeIssue('string', value, path));
        return value as string;
      }
      const s = checks.trim ? value.trim() : value;
      if (checks.min && s.length < checks.min[0])
        issues.push({
          code: 'custom',
          path,
          message: checks.min[1] ?? `String must contain at least ${checks.min[0]} character(s)`,
        });
      if (checks.max && s.length > checks.max[0])
        issues.push({
          code: 'custom',
          path,
          message: checks.max[1] ?? `String must contain at most ${checks.max[0]} character(s)`,
        });
      if (checks.regex && !checks.regex[0].test(s))
        issues.push({ code: 'custom', path, message: checks.regex[1] ?? 'Invalid' });
      return s;
    },
  };
}

export const number: Schema<number> = {
  parse(value, path, issues) {
    if (typeof value !== 'number' || Number.isNaN(value)) issues.push(typeIssue('number', value, path));
    return value as number;
  },
};

export const boolean: Schema<boolean> = {
  parse(value, path, issues) {
    if (typeof value !== 'boolean') issues.push(typeIssue('boolean', value, path));
    return value as boolean;
  },
};

export function oneOf<T extends string>(values: readonly T[]): Schema<T> {
  const expected = values.map((v) => `'${v}'`).join(' | ');
  return {
    parse(value, path, issues) {
      if (typeof value !== 'string') issues.push(typeIssue(expected, value, path));
      else if (!values.includes(value as T))
        issues.push({
          code: 'custom',
          path,
          message: `Invalid enum value. Expected ${expected}, received '${value}'`,
        });
      return value as T;
    },
  };
}

/** A field clients must not send (zod `z.undefined()` with "is read-only"): any value is refused. */
export const readOnly: Schema<undefined> = {
  parse(value, path, issues) {
    if (value !== undefined)
      issues.push({ code: 'invalid_type', received: parsedType(value), path, message: 'is read-only' });
    return undefined;
  },
};

export function optional<T>(schema: Schema<T>): Schema<T | undefined> {
  return {
    parse: (value, path, issues) => (value === undefined ? undefined : schema.parse(value, path, issues)),
  };
}

export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return { parse: (value, path, issues) => (value === null ? null : schema.parse(value, path, issues)) };
}

export function array<T>(item: Schema<T>, min?: number): Schema<T[]> {
  return {
    parse(value, path, issues) {
      if (!Array.isArray(value)) {
        issues.push(typeIssue('array', value, path));
        return value as T[];
      }
      if (min !== undefined && value.length < min)
        issues.push({ code: 'custom', path, message: `Array must contain at least ${min} element(s)` });
      return value.map((entry, index) => item.parse(entry, [...path, index], issues));
    },
  };
}

/** Any JSON object (zod `z.record(z.unknown())`). */
export const record: Schema<Record<string, unknown>> = {
  parse(value, path, issues) {
    if (parsedType(value) !== 'object') issues.push(typeIssue('object', value, path));
    return value as Record<string, unknown>;
  },
};

export function custom<T>(check: (value: unknown) => boolean, message: string): Schema<T> {
  return {
    parse(value, path, issues) {
      if (!check(value)) issues.push({ code: 'custom', path, message });
      return value as T;
    },
  };
}

/** A schema with one more check, run only when the schema itself passed (zod's `.refine`). */
export function refine<T>(schema: Schema<T>, check: (value: T) => boolean, message: string): Schema<T> {
  return {
    parse(value, path, issues) {
      const before = issues.length;
      const parsed = schema.parse(value, path, issues);
      if (issues.length === before && !check(parsed)) issues.push({ code: 'custom', path, message });
      return parsed;
    },
  };
}

/**
 * zod's union: the first option that parses wins; failing that, an option that got past its type
 * check and failed a refinement reports its own issues; otherwise "Invalid input".
 */
export function union<T>(...options: Schema<T>[]): Schema<T> {
  return {
    parse(value, path, issues) {
      let refined: Issue[] | undefined;
      for (const option of options) {
        const own: Issue[] = [];
        const parsed = option.parse(value, path, own);
        if (own.length === 0) return parsed;
        if (!refined && own.every((issue) => issue.code !== 'invalid_type')) refined = own;
      }
      issues.push(...(refined ?? [{ code: 'custom', path, message: 'Invalid input' }]));
      return value as T;
    },
  };
}

export type Shape = Record<string, Schema>;

/**
 * An object with known keys. Strict objects refuse unknown keys (one issue after the key issues,
 * as zod reports them); others drop them silently.
 */
export function object(
  shape: Shape,
  options: { strict?: boolean; transform?: (value: Record<string, unknown>) => Record<string, unknown> } = {},
): Schema<Record<string, unknown>> {
  return {
    parse(value, path, issues) {
      if (parsedType(value) !== 'object') {
        issues.push(typeIssue('object', value, path));
        return value as Record<string, unknown>;
      }
      const input = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(shape)) {
        const parsed = schema.parse(input[key], [...path, key], issues);
        if (parsed !== undefined) out[key] = parsed;
      }
      if (options.strict) {
        const unknown = Object.keys(input).filter((key) => !(key in shape));
        if (unknown.length > 0)
          issues.push({
            code: 'unrecognized_keys',
            path,
            message: `Unrecognized key(s) in object: ${unknown.map((k) => `'${k}'`).join(', ')}`,
          });
      }
      return options.transform ? options.transform(out) : out;
    },
  };
}

/** n8n's formatValidationError: the first issue as `request/<location>/<path> <message>`. */
export function formatIssue(location: 'body' | 'query' | 'params', issue: Issue): string {
  if (issue.code === 'invalid_type' && issue.received === 'undefined' && issue.path.length > 0) {
    const parent = issue.path.slice(0, -1);
    const field = issue.path[issue.path.length - 1];
    const prefix = parent.length > 0 ? `/${parent.join('/')}` : '';
    return `request/${location}${prefix} must have required property '${field}'`;
  }
  const path = issue.path.length > 0 ? `/${issue.path.join('/')}` : '';
  return `request/${location}${path} ${issue.message}`;
}

/** Parses `value`; returns the value or the first issue formatted the way n8n words it. */
export function validate<T>(
  schema: Schema<T>,
  value: unknown,
  location: 'body' | 'query' | 'params',
): { ok: true; value: T } | { ok: false; message: string } {
  const issues: Issue[] = [];
  const parsed = schema.parse(value, [], issues);
  const first = issues[0];
  return first ? { ok: false, message: formatIssue(location, first) } : { ok: true, value: parsed };
}

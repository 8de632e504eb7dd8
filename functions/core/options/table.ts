/**
 * An option table: each option of a command declared once — its value's schema, what it decides
 * (its group), its help line, how the CLI takes it and whether a Lambda event does. From the table
 * come the zod schema of each edge, the options the core receives (grouped), the CLI's flags and
 * --help (functions/cli/flags.ts) and the docs' option tables (`optionsMarkdown`), which a test
 * compares with the docs.
 *
 * Problems name the option key (`onConflict`), never a CLI flag: each edge words the key its own
 * way (`--on-conflict`, the event's `onConflict`).
 */
import { z } from 'zod';
import { InvalidOptionError, UsageError } from '../errors.js';

/** How the CLI takes an option: `--<key in kebab-case>`, a switch unless it has a `value`. */
export interface FlagForm {
  /** The value's placeholder in --help (`<policy>`); without it the flag is a switch. */
  readonly value?: string;
  /** The flag is `--no-<key>`: the option is true unless it is given. */
  readonly negated?: true;
  /** The value when the flag is absent, as typed (commander shows it in --help). */
  readonly default?: string;
  /** The flag may be given again; its values collect, in order, into a list. */
  readonly repeatable?: true;
  /** The command is refused without it. */
  readonly required?: true;
  /**
   * The typed text (a list of texts for a repeatable flag) as the plain value the schema checks;
   * without it the text itself. `flag` is how the person typed the option, for a message.
   */
  readonly fromText?: (text: never, flag: string) => unknown;
}

export interface OptionSpec<Group extends string = string> {
  /** What the option decides: the core receives options grouped by it. None: the edge turns it into a dependency. */
  readonly group?: Group;
  /** The value, validated; a refusal's message is the problem without the option's name. */
  readonly schema: z.ZodType;
  /** One line for --help and the docs (the CLI's wording). */
  readonly help: string;
  /** How the CLI takes it; `false`: it is not a flag. Without it: a switch. */
  readonly flag?: FlagForm | false;
  /** The Lambda event takes it: `true` as it is (optional), or how the event's differs. */
  readonly event?: true | EventForm;
}

/** How a Lambda event takes an option when not as the CLI does. */
export interface EventForm {
  /** The event's own (stricter) schema; without it the option's. */
  readonly schema?: z.ZodType;
  /** The event is refused without it. */
  readonly required?: true;
  /** How the event's value differs, for the docs (`sm://<prefix> only`). */
  readonly note?: string;
}

export type OptionTable<Group extends string = string> = Readonly<Record<string, OptionSpec<Group>>>;

/** Each option's value as the schema gives it, all optional (an absent option takes its default). */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]?: z.output<T[K]['schema']> };

/** The groups the table's options fall in. */
export type GroupOf<T extends OptionTable> = {
  [K in keyof T]: T[K] extends { group: infer G extends string } ? G : never;
}[keyof T];

/** The keys of the options in group `G`. */
type KeysOf<T extends OptionTable, G> = { [K in keyof T]: T[K] extends { group: G } ? K : never }[keyof T];

/** The options the core receives: one object per group, each option optional. */
export type GroupedOptions<T extends OptionTable> = {
  [G in GroupOf<T>]?: OptionValues<Pick<T, KeysOf<T, G>>>;
};

type EventKeys<T extends OptionTable> = {
  [K in keyof T]: T[K]['event'] extends true | EventForm ? K : never;
}[keyof T];

type EventSchemaOf<S extends OptionSpec> = S['event'] extends { schema: infer E extends z.ZodType }
  ? E
  : S['schema'];

/** The zod shape of the options an event takes: optional unless the event requires them. */
export type EventShape<T extends OptionTable> = {
  [K in EventKeys<T>]: T[K]['event'] extends { required: true }
    ? EventSchemaOf<T[K]>
    : z.ZodOptional<EventSchemaOf<T[K]>>;
};

/** The zod shape of the table's values, each optional. */
export type ValueShape<T extends OptionTable> = { [K in keyof T]: z.ZodOptional<T[K]['schema']> };

const entriesOf = <T extends OptionTable>(table: T) =>
  Object.entries(table) as [keyof T & string, OptionSpec][];

/** The table's options in `groups` order, table order within a group, those of no group last. */
export function byGroup<T extends OptionTable>(
  table: T,
  groups: readonly string[],
): [keyof T & string, OptionSpec][] {
  const rank = (spec: OptionSpec) => {
    const at = spec.group === undefined ? -1 : groups.indexOf(spec.group);
    return at < 0 ? groups.length : at;
  };
  return entriesOf(table)
    .map((entry, i) => ({ entry, i }))
    .sort((a, b) => rank(a.entry[1]) - rank(b.entry[1]) || a.i - b.i)
    .map(({ entry }) => entry);
}

/** The table's schema over plain values: unknown keys are ignored (an event carries other fields). */
export function valuesSchema<T extends OptionTable>(table: T): z.ZodObject<ValueShape<T>> {
  const shape = Object.fromEntries(entriesOf(table).map(([key, spec]) => [key, spec.schema.optional()]));
  return z.object(shape) as unknown as z.ZodObject<ValueShape<T>>;
}

/**
 * The event's shape: options grouped in `groups` order (table order within a group), then the
 * event's options that are no group's. The order is the order an unknown-field message lists them in.
 */
export function eventShape<T extends OptionTable>(
  table: T,
  groups: readonly GroupOf<T>[] = [],
): EventShape<T> {
  const taken = byGroup(table, groups).filter(([, spec]) => spec.event !== undefined);
  const shape = Object.fromEntries(
    taken.map(([key, spec]) => {
      const form: EventForm = spec.event === true || spec.event === undefined ? {} : spec.event;
      const schema = form.schema ?? spec.schema;
      return [key, form.required ? schema : schema.optional()];
    }),
  );
  return shape as unknown as EventShape<T>;
}

/**
 * Validates options given as plain data. Throws an `InvalidOptionError` for the first bad option,
 * naming its key; unknown keys are ignored.
 */
export function parseOptions<T extends OptionTable>(table: T, input: unknown, what: string): OptionValues<T> {
  const parsed = valuesSchema(table).safeParse(input);
  if (parsed.success) return parsed.data as OptionValues<T>;
  const [issue] = parsed.error.issues;
  const option = issue?.path[0];
  if (issue === undefined || option === undefined)
    throw new UsageError(`${what} must be an object of option → value, not ${quoted(input)}`);
  throw new InvalidOptionError(String(option), issue.message);
}

/** The options of the table that are some group's, from `values`, as the core takes them. */
export function groupOptions<T extends OptionTable>(table: T, values: OptionValues<T>): GroupedOptions<T> {
  const grouped: Record<string, Record<string, unknown>> = {};
  for (const [key, spec] of entriesOf(table)) {
    const value = values[key];
    if (spec.group === undefined || value === undefined) continue;
    grouped[spec.group] = { ...grouped[spec.group], [key]: value };
  }
  return grouped as GroupedOptions<T>;
}

/** Only the table's options that are some group's (what reaches the core). */
export function groupedOnly<T extends OptionTable>(table: T): Pick<T, KeysOf<T, string>> {
  return Object.fromEntries(entriesOf(table).filter(([, spec]) => spec.group !== undefined)) as Pick<
    T,
    KeysOf<T, string>
  >;
}

/** The flag an option key is given with: `onConflict` → `--on-conflict`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** The flag as its form writes it: `--on-conflict`, or `--no-activate` for a negated switch. */
export function flagFor(key: string, form: FlagForm): string {
  return form.negated ? `--no-${flagOf(key).slice(2)}` : flagOf(key);
}

/** A value as a refusal quotes it: strings in quotes, numbers as they are. */
export function quoted(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value)
    ? String(value)
    : (JSON.stringify(value) ?? String(value));
}

/**
 * Option tables (functions/core/options/table.ts) as commander flags: each option becomes
 * `--<key in kebab-case>` with its help line and default, in table order; what commander collects
 * is read back through the table — text readers first (`--only a,b` → a list), then the schemas —
 * so a command's action gets typed values and a refusal names the flag.
 */
import { type Command, Option } from 'commander';
import {
  type FlagForm,
  flagFor,
  type OptionSpec,
  type OptionTable,
  type OptionValues,
  parseOptions,
} from '../core/options/table.js';
import { switchOption } from '../core/options/values.js';

/** What commander collects for a table's flags, before they are read: text, lists of text, switches. */
export type FlagTexts<T extends OptionTable> = {
  -readonly [K in keyof T]?: T[K]['flag'] extends { repeatable: true }
    ? string[]
    : T[K]['flag'] extends { value: string }
      ? string
      : boolean;
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

const formOf = (spec: OptionSpec): FlagForm | undefined =>
  spec.flag === false ? undefined : (spec.flag ?? {});

/** The option as commander declares it: `--on-conflict <policy>`, `--no-activate`, `--dry-run`. */
function commanderOption(key: string, spec: OptionSpec, form: FlagForm): Option {
  const option = new Option(`${flagFor(key, form)}${form.value ? ` ${form.value}` : ''}`, spec.help);
  if (form.repeatable) option.argParser(collect);
  if (form.default !== undefined) option.default(form.default);
  if (form.required) option.makeOptionMandatory();
  return option;
}

/** Adds the table's flags to `command`, in the table's order (the order --help lists them). */
export function addFlags(command: Command, table: OptionTable): Command {
  for (const [key, spec] of Object.entries(table)) {
    const form = formOf(spec);
    if (form) command.addOption(commanderOption(key, spec, form));
  }
  return command;
}

/** The flags as plain values, each read by its option's text reader; the schemas still to check them. */
export function readFlags<T extends OptionTable>(table: T, texts: FlagTexts<T>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const form = formOf(spec);
    const typed = texts[key];
    if (!form || typed === undefined) continue;
    values[key] = form.fromText ? form.fromText(typed as never, flagFor(key, form)) : typed;
  }
  return values;
}

/**
 * The flags as the table's values: read, then validated. The first bad one is an
 * `InvalidOptionError` naming its option, which the CLI words with its flag.
 */
export function flagValues<T extends OptionTable>(table: T, texts: FlagTexts<T>): OptionValues<T> {
  return parseOptions(table, readFlags(table, texts), 'flags');
}

/** `--json`, saying what it prints. */
export const jsonFlag = (help: string) => switchOption(help);

/** `--verbose`: info and debug log lines on stderr. */
export const VERBOSE_FLAG = switchOption('log each step on stderr');

/** `--timeout <minutes>` (validated) as the run's deadline, epoch ms, counted from now. */
export function deadlineFrom(
  minutes: string | undefined,
  now = Date.now(),
): { deadline?: number; deadlineMarginMs?: number } {
  if (minutes === undefined) return {};
  return { deadline: now + Number(minutes) * 60_000, deadlineMarginMs: 0 };
}

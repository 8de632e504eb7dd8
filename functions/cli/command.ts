/**
 * A CLI command is data and one action: `commands/<name>/options.ts` declares its name, help and
 * option table; `commands/<name>/action.ts` what it does with the values, given the composition
 * root's adapters. `registerCommand` makes the commander command from both.
 */
import type { Command } from 'commander';
import type { OptionTable, OptionValues } from '../core/options/table.js';
import type { Cli } from './compose.js';
import { addFlags, type FlagTexts, flagValues } from './flags.js';

export interface CommandSpec<T extends OptionTable = OptionTable> {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** One paragraph (commander wraps it). */
  readonly description: string;
  /** Positional arguments with their help: `<archive>` required, `[b]` optional. */
  readonly arguments?: readonly (readonly [name: string, help: string])[];
  /** The flags, in the order --help lists them. */
  readonly options: T;
  /** The help's closing text: examples that run the command, and where to look next. */
  readonly examples: string;
}

/** What an action is given: the positional arguments, the flags' values (validated) and the adapters. */
export interface CommandRun<T extends OptionTable> {
  readonly args: readonly (string | undefined)[];
  readonly values: OptionValues<T>;
  readonly cli: Cli;
}

/** A command ready to add to the program. */
export interface CliCommand {
  readonly name: string;
  register(program: Command, cli: Cli): void;
}

/** Binds a command's declaration to its action, keeping the option table's types between them. */
export function defineCommand<T extends OptionTable>(
  spec: CommandSpec<T>,
  action: (run: CommandRun<T>) => Promise<void>,
): CliCommand {
  return { name: spec.name, register: (program, cli) => registerCommand(program, spec, action, cli) };
}

/** The commander command: summary, description, arguments, flags, examples, and the action. */
function registerCommand<T extends OptionTable>(
  program: Command,
  spec: CommandSpec<T>,
  action: (run: CommandRun<T>) => Promise<void>,
  cli: Cli,
): void {
  const sub = program.command(spec.name).summary(spec.summary).description(spec.description);
  for (const [name, help] of spec.arguments ?? []) sub.argument(name, help);
  addFlags(sub, spec.options).addHelpText('after', spec.examples);
  const argCount = spec.arguments?.length ?? 0;
  sub.action(async (...params: unknown[]) => {
    const values = flagValues(spec.options, params[argCount] as FlagTexts<T>);
    await action({ args: params.slice(0, argCount) as (string | undefined)[], values, cli });
  });
}

import { Command, CommanderError } from 'commander';
import { InvalidOptionError, isArkError } from '../core/errors.js';
import { flagOf } from '../core/options/table.js';
import { TOOL_VERSION } from '../version.js';
import type { CliCommand } from './command.js';
import { backupCommand } from './commands/backup/action.js';
import { cutoverCommand } from './commands/cutover/action.js';
import { diffCommand } from './commands/diff/action.js';
import { doctorCommand } from './commands/doctor/action.js';
import { drillCommand } from './commands/drill/action.js';
import { extractCommand } from './commands/extract/action.js';
import { inspectCommand } from './commands/inspect/action.js';
import { listCommand } from './commands/list/action.js';
import { migrateCommand } from './commands/migrate/action.js';
import { pruneCommand } from './commands/prune/action.js';
import { restoreCommand } from './commands/restore/action.js';
import { verifyCommand } from './commands/verify/action.js';
import { composeCli } from './compose.js';
import { exitCodesHelp } from './exit-codes.js';
import type { Output } from './output.js';

export { flagOf };

/** The commands, in the order `n8n-ark --help` lists them. */
const COMMANDS: readonly CliCommand[] = [
  backupCommand,
  restoreCommand,
  migrateCommand,
  cutoverCommand,
  verifyCommand,
  listCommand,
  pruneCommand,
  diffCommand,
  inspectCommand,
  extractCommand,
  doctorCommand,
  drillCommand,
];

export function buildProgram(out: Output, env: NodeJS.ProcessEnv): Command {
  const program = new Command()
    .name('n8n-ark')
    .description(
      "Backup, migration and disaster recovery for n8n, through n8n's Public API. " +
        'Archives are single checksummed zip files kept in a folder or a versioned S3 bucket.',
    )
    .version(TOOL_VERSION)
    // Root options only before the command: `extract … --version <versionId>` is extract's own flag.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => out.stdout.write(s),
      writeErr: (s) => out.stderr.write(s),
    })
    .addHelpText('after', exitCodesHelp());
  const cli = composeCli(out, env);
  for (const command of COMMANDS) command.register(program, cli);
  for (const command of program.commands) command.exitOverride();
  return program.exitOverride();
}

/** Runs the CLI and returns the process exit code; errors become one clear line on stderr. */
export async function runCli(argv: string[], out: Output, env: NodeJS.ProcessEnv): Promise<number> {
  const program = buildProgram(out, env);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof InvalidOptionError) {
      out.stderr.write(`error: ${flagOf(error.option)} ${error.problem}\n`);
      return error.exitCode;
    }
    if (isArkError(error)) {
      out.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    out.stderr.write(
      `error: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

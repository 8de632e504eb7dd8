import { Command, CommanderError } from 'commander';
import { InvalidOptionError, isArkError } from '../core/errors.js';
import { flagOf } from '../core/options/table.js';
import { TOOL_VERSION } from '../version.js';
import type { CliCommand } from './command.js';
import { backupCommand } from './commands/backup/action.js';
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
import type { Output } from './output.js';

export { flagOf };

/** The commands, in the order `n8n-ark --help` lists them. */
const COMMANDS: readonly CliCommand[] = [
  backupCommand,
  restoreCommand,
  migrateCommand,
  verifyCommand,
  listCommand,
  pruneCommand,
  diffCommand,
  inspectCommand,
  extractCommand,
  doctorCommand,
  drillCommand,
];

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  differences found (diff), or an unexpected failure
  2  bad usage: a flag, a file or a missing API key, or a missing or wrong key
     for an encrypted archive
  3  n8n refused or could not be reached (wrong key, missing scope, wrong URL),
     or answered more than --max-answer-mib
  4  the archive is corrupt, truncated or of an unknown format
  5  the archive store failed (folder not writable, S3 error)
  6  a restore step failed (the ledger keeps what was done; run the same command again to resume),
     a backup could not be confirmed complete (what is missing is named), or a run stopped at --timeout
`;

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
    .addHelpText('after', EXIT_CODES_HELP);
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

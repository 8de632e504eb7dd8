import type { Command } from 'commander';
import { runDoctor } from '../../core/instance/doctor.js';
import { addConnectionOptions, type ConnectionOptions, connect } from '../connection.js';
import { createCliLogger, formatTable, type Output, printJson } from '../output.js';

const READ_LABEL = {
  ok: 'yes',
  'not-licensed': 'no (not licensed)',
  'missing-scope': 'no (key lacks scope)',
  error: 'error',
  'not-checked': 'not checked',
} as const;

export function registerDoctorCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  addConnectionOptions(
    program
      .command('doctor')
      .summary('check what this API key can back up and restore')
      .description(
        'Reads one page of each resource (writes nothing) and, where n8n answers GET /discover, compares ' +
          "the key's scopes with what a restore needs. Run it before the first backup and before a restore.",
      ),
  )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  export N8N_API_KEY=…   # Settings → n8n API in n8n\n' +
        '  n8n-ark doctor --url https://n8n.example.com --api-key-env N8N_API_KEY\n' +
        '  n8n-ark doctor --url https://n8n-dr.example.com --api-key-file ~/.dr-key --json\n',
    )
    .action(async (flags: ConnectionOptions & { json?: boolean }) => {
      const api = await connect(flags, env, createCliLogger(out, false));
      const report = await runDoctor(api);
      if (flags.json) {
        printJson(out, report);
        return;
      }
      out.stdout.write(
        `${formatTable([
          ['resource', 'back up', 'restore: missing scopes', 'detail'],
          ...report.resources.map((r) => [
            r.resource,
            READ_LABEL[r.read],
            r.missingRestoreScopes === undefined ? 'unknown' : r.missingRestoreScopes.join(', ') || 'none',
            r.detail ?? '',
          ]),
        ])}\n\n`,
      );
      out.stdout.write(
        `${report.canBackUp ? 'Backup: possible' : 'Backup: NOT possible (workflows cannot be read)'}\n` +
          `Restore: ${report.canRestore === undefined ? 'unknown (this n8n does not answer /discover)' : report.canRestore ? 'possible' : 'missing scopes above'}\n` +
          `Restore keeping workflow ids (--keep-workflow-ids): ${report.keepWorkflowIds.possible === undefined ? 'unknown' : report.keepWorkflowIds.possible ? 'possible' : 'NOT possible'} (${report.keepWorkflowIds.detail})\n` +
          `Workflow creates by package import (faster than one POST each): ${report.keepWorkflowIds.possible === undefined ? 'unknown' : report.keepWorkflowIds.possible ? 'available' : 'not available, every workflow goes by POST'}\n`,
      );
    });
}

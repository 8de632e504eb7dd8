import { type DoctorReport, runDoctor } from '../../../core/instance/doctor.js';
import { defineCommand } from '../../command.js';
import { connectionOf } from '../../connection.js';
import { formatTable, type Output, printJson } from '../../output.js';
import { DOCTOR_COMMAND } from './options.js';

const READ_LABEL = {
  ok: 'yes',
  'not-licensed': 'no (not licensed)',
  'missing-scope': 'no (key lacks scope)',
  error: 'error',
  'not-checked': 'not checked',
} as const;

export const doctorCommand = defineCommand(DOCTOR_COMMAND, async ({ values, cli }) => {
  const api = cli.n8n(await connectionOf(values, cli.env), cli.logger(false));
  const report = await runDoctor(api);
  if (values.json) printJson(cli.out, report);
  else printDoctor(cli.out, report);
});

function printDoctor(out: Output, report: DoctorReport): void {
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
  const { possible, detail } = report.keepWorkflowIds;
  out.stdout.write(
    `${report.canBackUp ? completeBackupLine(report.completeBackup) : 'Backup: NOT possible (workflows cannot be read)'}\n` +
      `Restore: ${report.canRestore === undefined ? 'unknown (this n8n does not answer /discover)' : report.canRestore ? 'possible' : 'missing scopes above'}\n` +
      `Restore keeping workflow ids (--keep-workflow-ids): ${possible === undefined ? 'unknown' : possible ? 'possible' : 'NOT possible'} (${detail})\n` +
      `Workflow creates by package import (faster than one POST each): ${possible === undefined ? 'unknown' : possible ? 'available' : 'not available, every workflow goes by POST'}\n`,
  );
}

/** "Complete backup: no — missing scopes …", with what a backup would have to leave out to run. */
function completeBackupLine(c: DoctorReport['completeBackup']): string {
  const unlicensed = c.notLicensed.length > 0 ? ` (not licensed, skipped: ${c.notLicensed.join(', ')})` : '';
  if (c.complete) return `Complete backup: yes${unlicensed}`;
  return (
    `Complete backup: no — missing scopes ${c.missingScopes.join(', ')}${unlicensed}; a backup fails (exit 6) ` +
    `until the key has them, or leaves ${c.wouldExclude.join(', ')} out on purpose with --exclude ${c.wouldExclude.join(',')}`
  );
}

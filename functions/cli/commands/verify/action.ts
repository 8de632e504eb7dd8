import { verifyArchive } from '../../../core/archive/verify.js';
import { defineCommand } from '../../command.js';
import { failedVerification } from '../../errors.js';
import { formatBytes, printJson } from '../../output.js';
import { VERIFY_COMMAND } from './options.js';

export const verifyCommand = defineCommand(VERIFY_COMMAND, async ({ args: [location = ''], values, cli }) => {
  const archives = await cli.archives(values);
  const report = await verifyArchive(await archives.storeForArchive(location), location, archives.openReader);
  const { out } = cli;
  if (values.json) printJson(out, report);
  else if (report.ok) {
    out.stdout.write(
      `OK: ${location}\n  ${report.entriesChecked} entries, ${formatBytes(report.bytesChecked)} checked against the manifest\n`,
    );
  } else {
    out.stdout.write(`CORRUPT: ${location}\n`);
    for (const problem of report.problems) out.stdout.write(`  ${problem.entry}: ${problem.problem}\n`);
  }
  if (!report.ok) throw failedVerification.verify(location, report.problems);
});

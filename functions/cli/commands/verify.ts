import type { Command } from 'commander';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { verifyArchive } from '../../core/archive/verify.js';
import { ArchiveIntegrityError } from '../../core/errors.js';
import { formatBytes, type Output, printJson } from '../output.js';
import { storeForArchive } from '../stores.js';

export function registerVerifyCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  program
    .command('verify')
    .summary('check every checksum of an archive')
    .description(
      'Reads the whole archive and checks the manifest and the SHA-256 and size of every entry. ' +
        'Exits 0 when the archive is intact, 4 when anything is missing, truncated or altered.',
    )
    .argument('<archive>', 'archive path, or s3://bucket/key[?versionId=…]')
    .option('--json', 'print the verification report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  n8n-ark verify ./n8n-ark-backups/prod/2026-11-29T02-00-00-000Z.zip\n' +
        '  n8n-ark verify "s3://my-bucket/n8n/prod/2026-11-29T02-00-00-000Z.zip?versionId=3HL4…" --json\n',
    )
    .action(async (location: string, flags: { json?: boolean }) => {
      const store = await storeForArchive(location, env);
      const report = await verifyArchive(store, location, openZipArchive);
      if (flags.json) printJson(out, report);
      else if (report.ok) {
        out.stdout.write(
          `OK: ${location}\n  ${report.entriesChecked} entries, ${formatBytes(report.bytesChecked)} checked against the manifest\n`,
        );
      } else {
        out.stdout.write(`CORRUPT: ${location}\n`);
        for (const problem of report.problems) out.stdout.write(`  ${problem.entry}: ${problem.problem}\n`);
      }
      if (!report.ok) {
        const first = report.problems[0];
        throw new ArchiveIntegrityError(
          `${location} failed verification: ${report.problems.length} problem(s)${first ? `, first in ${first.entry}` : ''}`,
          { entry: first?.entry ?? '(archive)' },
        );
      }
    });
}

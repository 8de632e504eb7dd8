import { formatDuration } from '../../../core/drill/html.js';
import type { DrillReport } from '../../../core/drill/report.js';
import { runDrill } from '../../../core/drill/run.js';
import type { ArchiveAnnexStore, ArchiveStore } from '../../../core/ports.js';
import { defineCommand } from '../../command.js';
import type { ArchiveAccess } from '../../compose.js';
import { connectionOf } from '../../connection.js';
import { cannotKeepReport, drillFailed, noArchive } from '../../errors.js';
import { formatTable, type Output, printJson } from '../../output.js';
import { DRILL_COMMAND } from './options.js';

export const drillCommand = defineCommand(DRILL_COMMAND, async ({ values, cli }) => {
  const logger = cli.logger(values.verbose);
  const api = cli.n8n(await connectionOf(values, cli.env), logger);
  const secrets = await cli.secrets(values.credentialSecrets);
  const archives = await cli.archives(values);
  const { store, location } = await archiveToDrill(archives, values.archive ?? '', values);
  const archive = await archives.openArchive(location, store);
  try {
    const { report, files } = await runDrill(
      {
        archive,
        location,
        api,
        capabilities: api,
        ...(secrets ? { secrets } : {}),
        reports: annexOf(store),
        clock: cli.clock,
        logger,
        progress: cli.progress(values.json),
        pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
      { wipe: values.wipeScratch === true },
    );
    if (values.json) printJson(cli.out, { ...report, files });
    else printDrill(cli.out, report, files);
    if (report.verdict === 'fail') throw drillFailed(report.reasons, files, !report.restore.complete);
  } finally {
    await archive.close();
  }
});

/** `--archive newest` is the newest archive in --store (of --instance); anything else is a location. */
async function archiveToDrill(
  archives: ArchiveAccess,
  given: string,
  where: { store?: string; instance?: string },
): Promise<{ store: ArchiveStore; location: string }> {
  if (given !== 'newest') return { store: await archives.storeForArchive(given), location: given };
  const store = await archives.store(where.store);
  for await (const ref of store.list(where.instance ? { instance: where.instance } : {}))
    return { store, location: ref.location };
  throw noArchive('--archive newest', store.description, where.instance);
}

function annexOf(store: ArchiveStore): ArchiveAnnexStore {
  if ('writeBeside' in store) return store as ArchiveStore & ArchiveAnnexStore;
  throw cannotKeepReport(store.description);
}

function printDrill(out: Output, report: DrillReport, files: { html: string; json: string }): void {
  out.stdout.write(
    `Drill of ${report.archive.location} into ${report.target}: ${report.verdict.toUpperCase()} in ${formatDuration(report.durationMs)} (RTO estimate ${formatDuration(report.rtoEstimateMs)})\n\n`,
  );
  out.stdout.write(
    `${formatTable([
      ['kind', 'in archive', 'restored', 'failed'],
      ...report.kinds.map((k) => [k.resource, String(k.inArchive), String(k.restored), String(k.failed)]),
    ])}\n\n`,
  );
  for (const reason of report.reasons) out.stdout.write(`failed: ${reason}\n`);
  for (const line of report.differences.listed.slice(0, 20)) out.stdout.write(`  ${line}\n`);
  out.stdout.write(`Report: ${files.html}\n        ${files.json}\n`);
}

import type { Command } from 'commander';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../core/archive/access.js';
import { formatDuration } from '../../core/drill/html.js';
import type { DrillReport } from '../../core/drill/report.js';
import { runDrill } from '../../core/drill/run.js';
import { DRILL_TARGET_TAG } from '../../core/drill/scratch.js';
import { DrillFailedError, StoreError, UsageError } from '../../core/errors.js';
import { type ArchiveAnnexStore, type ArchiveStore, systemClock } from '../../core/ports.js';
import { addConnectionOptions, type ConnectionOptions, connect } from '../connection.js';
import { createCliLogger, createProgress, formatTable, type Output, printJson } from '../output.js';
import { credentialSecretSource } from '../secrets.js';
import { DEFAULT_STORE, storeForArchive, storeFromOption } from '../stores.js';

interface DrillFlags extends ConnectionOptions {
  archive?: string;
  store?: string;
  instance?: string;
  wipeScratch?: boolean;
  credentialSecrets?: string;
  json?: boolean;
  verbose?: boolean;
}

export function registerDrillCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  addConnectionOptions(
    program
      .command('drill')
      .summary('prove an archive restores: restore it into a scratch instance, compare, write a report')
      .description(
        `Restores an archive into a scratch n8n instance marked as a drill target (a tag named "${DRILL_TARGET_TAG}" on it), ` +
          'runs the closing check and a diff of the archive against the instance, times every step, and writes a ' +
          'report beside the archive: <archive>.drill-<time>.html (a self-contained page) and .json. Refuses an ' +
          'unmarked instance, and a non-empty one unless --wipe-scratch. Exits 0 when the drill passed, 6 when the ' +
          'restore was incomplete, 1 when the instance differs from the archive (the report is written either way).',
      ),
  )
    .requiredOption(
      '--archive <newest|path>',
      'the archive: a path, s3://bucket/key[?versionId=…], or "newest" in --store',
    )
    .option('--store <dir|s3://bucket/prefix>', 'where "newest" is looked for', DEFAULT_STORE)
    .option('--instance <name>', 'with "newest": the newest archive of this instance')
    .option(
      '--wipe-scratch',
      'delete the workflows, credentials, data tables and tags the marked scratch instance holds first',
    )
    .option(
      '--credential-secrets <file|sm://prefix>',
      'credential data to restore real credentials instead of stubs (as restore)',
    )
    .option('--json', 'print the drill report (JSON) on stdout')
    .option('--verbose', 'log each step on stderr')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        `  # once, on the scratch instance: mark it as a drill target`,
        `  curl -X POST https://n8n-scratch.example.com/api/v1/tags -H "X-N8N-API-KEY: $SCRATCH_KEY" -H 'content-type: application/json' -d '{"name":"${DRILL_TARGET_TAG}"}'`,
        "  # restore last night's archive of prod into it, emptying it first",
        '  n8n-ark drill --archive newest --instance prod --url https://n8n-scratch.example.com --api-key-env SCRATCH_KEY --wipe-scratch',
        '  n8n-ark drill --archive ./n8n-ark-backups/prod/2026-11-22T01-00-00-000Z.zip --url http://localhost:5679 --api-key-env SCRATCH_KEY --json',
        '',
      ].join('\n'),
    )
    .action(async (flags: DrillFlags) => {
      const logger = createCliLogger(out, flags.verbose === true);
      const api = await connect(flags, env, logger);
      const secrets = flags.credentialSecrets
        ? await credentialSecretSource(flags.credentialSecrets)
        : undefined;
      const { store, location } = await archiveToDrill(flags, env);
      const archive = await openArchiveAt(store, location, openZipArchive);
      try {
        const { report, files } = await runDrill(
          {
            archive,
            location,
            api,
            capabilities: api,
            ...(secrets ? { secrets } : {}),
            reports: annexOf(store),
            clock: systemClock,
            logger,
            progress: createProgress(out, flags.json !== true),
            pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          },
          { wipe: flags.wipeScratch === true },
        );
        if (flags.json) printJson(out, { ...report, files });
        else printDrill(out, report, files);
        if (report.verdict === 'fail')
          throw new DrillFailedError(
            `the drill failed: ${report.reasons.join('; ')}. Report: ${files.html}`,
            {
              incomplete: !report.restore.complete,
              report: [files.html, files.json],
            },
          );
      } finally {
        await archive.close();
      }
    });
}

/** `--archive newest` is the newest archive in --store (of --instance); anything else is a location. */
async function archiveToDrill(
  flags: DrillFlags,
  env: NodeJS.ProcessEnv,
): Promise<{ store: ArchiveStore; location: string }> {
  const given = flags.archive ?? '';
  if (given !== 'newest') return { store: await storeForArchive(given, env), location: given };
  const store = await storeFromOption(flags.store, env);
  for await (const ref of store.list(flags.instance ? { instance: flags.instance } : {}))
    return { store, location: ref.location };
  throw new UsageError(
    `--archive newest: no archive in ${store.description}${flags.instance ? ` for instance ${flags.instance}` : ''}`,
  );
}

function annexOf(store: ArchiveStore): ArchiveAnnexStore {
  if ('writeBeside' in store) return store as ArchiveStore & ArchiveAnnexStore;
  throw new StoreError(`${store.description} cannot keep a drill report`, { location: store.description });
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

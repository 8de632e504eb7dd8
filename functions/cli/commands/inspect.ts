import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../core/archive-access.js';
import type { Manifest, OpenedArchive } from '../../core/archive-format.js';
import {
  countVersions,
  findArchivedWorkflow,
  holdsHistory,
  versionAsWorkflow,
  versionsOf,
} from '../../core/archive-history.js';
import { UsageError } from '../../core/errors.js';
import { formatBytes, formatTable, type Output, printJson } from '../output.js';
import { storeForArchive } from '../stores.js';

interface InspectFlags {
  json?: boolean;
  workflow?: string;
  versions?: boolean;
  versionId?: string;
  out?: string;
}

export function registerInspectCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  program
    .command('inspect')
    .summary("show an archive's manifest, and the workflow versions it holds")
    .argument('<archive>', 'archive path, or s3://bucket/key[?versionId=…]')
    .option('--json', 'print the manifest (or, with --versions, the versions) as JSON')
    .option('--workflow <name-or-id>', 'the workflow whose saved versions to show or write out')
    .option('--versions', "list the workflow's saved versions in the archive (versionId, createdAt, authors)")
    .option(
      '--version-id <versionId>',
      'write this saved version out as workflow JSON (with --workflow and --out)',
    )
    .option('--out <file>', 'where --version-id writes the workflow JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  n8n-ark inspect ./n8n-ark-backups/prod/2026-11-29T02-00-00.000Z.zip\n' +
        '  n8n-ark inspect <archive> --workflow "Orders" --versions\n' +
        '  n8n-ark inspect <archive> --workflow "Orders" --version-id 8b8381c0-… --out orders-old.json\n',
    )
    .action(async (location: string, flags: InspectFlags) => {
      const archive = await openArchiveAt(await storeForArchive(location, env), location, openZipArchive);
      try {
        if (flags.workflow === undefined) {
          if (flags.versions || flags.versionId || flags.out)
            throw new UsageError('--versions, --version-id and --out need --workflow <name-or-id>');
          await printManifest(out, archive, flags.json === true);
        } else await inspectWorkflow(out, archive, flags.workflow, flags);
      } finally {
        await archive.close();
      }
    });
}

async function printManifest(out: Output, archive: OpenedArchive, json: boolean): Promise<void> {
  const m = archive.manifest;
  if (json) return printJson(out, m);
  out.stdout.write(`${formatTable(manifestFields(m))}\n\n`);
  out.stdout.write(
    `${formatTable([['resource', 'count'], ...Object.entries(m.counts).map(([k, v]) => [k, String(v)])])}\n\n`,
  );
  out.stdout.write(
    `${formatTable([
      ['entry', 'records', 'size', 'sha256'],
      ...m.entries.map((e) => [e.name, String(e.records), formatBytes(e.size), e.sha256.slice(0, 16)]),
    ])}\n`,
  );
  for (const skip of m.skipped) out.stdout.write(`skipped: ${skip.resource} — ${skip.reason}\n`);
  for (const warning of m.warnings) out.stdout.write(`warning: ${warning.message}\n`);
  if (!holdsHistory(archive)) return;
  const counts = await countVersions(archive);
  out.stdout.write(
    `\n${formatTable([['workflow', 'id', 'saved versions'], ...counts.map((w) => [w.name, w.id, String(w.versions)])])}\n`,
  );
}

function manifestFields(m: Manifest): string[][] {
  const duration = (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000;
  return [
    ['field', 'value'],
    ['format', `${m.format} v${m.formatVersion}`],
    ['tool', `${m.tool.name} ${m.tool.version}`],
    ['instance', m.source.instance],
    ['source URL', m.source.url],
    [
      'n8n version',
      m.source.n8nVersion ?? `unknown (${m.source.n8nVersionNote ?? 'not recorded by this archive'})`,
    ],
    [
      'community packages',
      m.communityPackages === undefined
        ? 'not recorded'
        : m.communityPackages.map((p) => `${p.name}@${p.version}`).join(', ') || 'none',
    ],
    ['started', m.startedAt],
    ['finished', `${m.finishedAt} (${duration.toFixed(1)} s)`],
  ];
}

async function inspectWorkflow(
  out: Output,
  archive: OpenedArchive,
  nameOrId: string,
  flags: InspectFlags,
): Promise<void> {
  if (!flags.versions && !flags.versionId)
    throw new UsageError('--workflow goes with --versions or --version-id');
  if (Boolean(flags.versionId) !== Boolean(flags.out))
    throw new UsageError('--version-id and --out go together');
  if (!holdsHistory(archive))
    throw new UsageError(
      'this archive holds no saved versions (backed up before history was kept, or with --history 0)',
    );
  const workflow = await findArchivedWorkflow(archive, nameOrId);
  if (flags.versionId && flags.out) {
    const body = await versionAsWorkflow(archive, workflow, flags.versionId);
    await writeFile(flags.out, `${JSON.stringify(body, null, 2)}\n`);
    out.stdout.write(`wrote version ${flags.versionId} of "${workflow.name}" to ${flags.out}\n`);
  }
  if (!flags.versions) return;
  const versions = await versionsOf(archive, workflow.id);
  if (flags.json) return printJson(out, { workflow: { id: workflow.id, name: workflow.name }, versions });
  out.stdout.write(
    `${formatTable([
      ['versionId', 'createdAt', 'authors', 'name'],
      ...versions.map((v) => [v.versionId, v.createdAt, v.authors ?? '', v.name ?? '']),
    ])}\n`,
  );
}

import { createWriteStream } from 'node:fs';
import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { type ClosableArchive, openArchiveAt } from '../../core/archive/access.js';
import {
  type ExtractedWorkflow,
  extractWorkflows,
  FileNames,
  findArchivedTable,
  type RowFormat,
  tableRowsText,
} from '../../core/archive/extract.js';
import { verifyArchive } from '../../core/archive/verify.js';
import { ArchiveIntegrityError, UsageError } from '../../core/errors.js';
import type { Output } from '../output.js';
import { storeForArchive } from '../stores.js';

interface ExtractFlags {
  workflow?: string;
  version?: string;
  dataTable?: string;
  format?: string;
  out: string;
}

export function registerExtractCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  program
    .command('extract')
    .summary('write workflows (as n8n-importable JSON) or a data table (CSV/JSON) out of an archive')
    .description(
      "Verifies the archive, then writes each chosen workflow to its own file, as n8n's editor " +
        '("Import from File") and POST /workflows take it, or one data table\'s rows. Files are named ' +
        'after the workflow or table; an existing file is never overwritten.',
    )
    .argument('<archive>', 'archive path, or s3://bucket/key[?versionId=…]')
    .option('--workflow <name|id|glob>', 'the workflows to write: an id, a name, or a glob such as "Orders*"')
    .option('--version <versionId>', 'write this saved version of the one chosen workflow instead')
    .option('--data-table <name|id>', "write this data table's rows")
    .option('--format <csv|json>', 'the rows as CSV (RFC 4180, header line) or a JSON array', 'csv')
    .option('--out <dir>', 'the folder to write into (created if missing)', '.')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  n8n-ark extract <archive> --workflow "Orders" --out ./restore-by-hand\n' +
        '  n8n-ark extract <archive> --workflow "Billing*" --out ./billing\n' +
        '  n8n-ark extract <archive> --workflow 8Xk2… --version 8b8381c0-… --out .\n' +
        '  n8n-ark extract <archive> --data-table "Customers" --format csv --out .\n' +
        'List what an archive holds with `n8n-ark inspect <archive> --contents`, versions with\n' +
        '`inspect <archive> --workflow <name> --versions`.\n',
    )
    .action(async (location: string, flags: ExtractFlags) => {
      const format = checkFlags(flags);
      const archive = await openVerifiedArchive(location, env);
      try {
        if (flags.workflow !== undefined)
          await writeWorkflows(
            out,
            await extractWorkflows(archive, flags.workflow, flags.version),
            flags.out,
          );
        if (flags.dataTable !== undefined) await writeTable(out, archive, flags.dataTable, format, flags.out);
      } finally {
        await archive.close();
      }
    });
}

function checkFlags(flags: ExtractFlags): RowFormat {
  if (flags.workflow === undefined && flags.dataTable === undefined)
    throw new UsageError('extract needs --workflow <name|id|glob> or --data-table <name|id>');
  if (flags.version !== undefined && flags.workflow === undefined)
    throw new UsageError('--version needs --workflow <name|id>');
  if (flags.format !== 'csv' && flags.format !== 'json')
    throw new UsageError(`--format ${JSON.stringify(flags.format)}: use csv or json`);
  return flags.format;
}

/** The archive, opened only once every entry's bytes and records have passed verification. */
async function openVerifiedArchive(location: string, env: NodeJS.ProcessEnv): Promise<ClosableArchive> {
  const store = await storeForArchive(location, env);
  const report = await verifyArchive(store, location, openZipArchive);
  const first = report.problems[0];
  if (!report.ok)
    throw new ArchiveIntegrityError(
      `${location} failed verification, nothing was extracted: ${first ? `${first.entry}: ${first.problem}` : 'unknown problem'}`,
      { entry: first?.entry ?? '(archive)' },
    );
  return openArchiveAt(store, location, openZipArchive);
}

/** Refuses before writing anything when any of the files is already there. */
async function refuseExisting(paths: string[]): Promise<void> {
  const existing: string[] = [];
  for (const path of paths) if (await lstat(path).catch(() => undefined)) existing.push(path);
  if (existing.length > 0)
    throw new UsageError(
      `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written (choose another --out, or move them away)`,
    );
}

async function writeWorkflows(out: Output, files: ExtractedWorkflow[], dir: string): Promise<void> {
  const paths = files.map((f) => join(dir, f.fileName));
  await refuseExisting(paths);
  await mkdir(dir, { recursive: true });
  for (const [i, file] of files.entries()) {
    const path = paths[i] as string;
    await writeFile(path, `${JSON.stringify(file.body, null, 2)}\n`, { flag: 'wx' });
    const version = file.versionId ? `version ${file.versionId} of ` : '';
    out.stdout.write(`wrote ${path}  (${version}workflow "${file.workflowName}", ${file.workflowId})\n`);
  }
}

async function writeTable(
  out: Output,
  archive: ClosableArchive,
  nameOrId: string,
  format: RowFormat,
  dir: string,
): Promise<void> {
  const table = await findArchivedTable(archive, nameOrId);
  const path = join(dir, new FileNames(`.${format}`).take(table.name, table.id));
  await refuseExisting([path]);
  await mkdir(dir, { recursive: true });
  try {
    await pipeline(
      Readable.from(tableRowsText(archive, table, format)),
      createWriteStream(path, { flags: 'wx' }),
    );
  } catch (error) {
    await rm(path, { force: true }); // never leave half a table behind
    throw error;
  }
  out.stdout.write(`wrote ${path}  (data table "${table.name}", ${table.id})\n`);
}

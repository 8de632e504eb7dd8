import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClosableArchive } from '../../../core/archive/access.js';
import {
  type ExtractedWorkflow,
  extractWorkflows,
  FileNames,
  findArchivedTable,
  type RowFormat,
  tableRowsText,
} from '../../../core/archive/extract.js';
import { verifyArchive } from '../../../core/archive/verify.js';
import type { OptionValues } from '../../../core/options/table.js';
import { defineCommand } from '../../command.js';
import type { ArchiveAccess } from '../../compose.js';
import { extractUsage, failedVerification } from '../../errors.js';
import type { Output } from '../../output.js';
import { FILE_MODE, writeAllOrNone } from '../../output-files.js';
import { EXTRACT_COMMAND } from './options.js';

type ExtractValues = OptionValues<typeof EXTRACT_COMMAND.options>;

export const extractCommand = defineCommand(
  EXTRACT_COMMAND,
  async ({ args: [location = ''], values, cli }) => {
    const format = checkFlags(values);
    const dir = values.out ?? '.';
    const archive = await openVerifiedArchive(await cli.archives(values), location);
    try {
      if (values.workflow !== undefined)
        await writeWorkflows(cli.out, await extractWorkflows(archive, values.workflow, values.version), dir);
      if (values.dataTable !== undefined) await writeTable(cli.out, archive, values.dataTable, format, dir);
    } finally {
      await archive.close();
    }
  },
);

function checkFlags(values: ExtractValues): RowFormat {
  if (values.workflow === undefined && values.dataTable === undefined) throw extractUsage.nothingChosen();
  if (values.version !== undefined && values.workflow === undefined)
    throw extractUsage.versionWithoutWorkflow();
  if (values.format !== 'csv' && values.format !== 'json') throw extractUsage.badFormat(values.format);
  return values.format;
}

/** The archive, opened only once every entry's bytes and records have passed verification. */
async function openVerifiedArchive(archives: ArchiveAccess, location: string): Promise<ClosableArchive> {
  const store = await archives.storeForArchive(location);
  const report = await verifyArchive(store, location, archives.openReader);
  if (!report.ok) throw failedVerification.extract(location, report.problems);
  return archives.openArchive(location, store);
}

async function writeWorkflows(out: Output, files: ExtractedWorkflow[], dir: string): Promise<void> {
  const paths = await writeAllOrNone(
    dir,
    files.map((file) => ({
      name: file.fileName,
      write: (path) =>
        writeFile(path, `${JSON.stringify(file.body, null, 2)}\n`, { flag: 'wx', mode: FILE_MODE }),
    })),
  );
  for (const [i, file] of files.entries()) {
    const version = file.versionId ? `version ${file.versionId} of ` : '';
    out.stdout.write(`wrote ${paths[i]}  (${version}workflow "${file.workflowName}", ${file.workflowId})\n`);
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
  const [path] = await writeAllOrNone(dir, [
    {
      name: new FileNames(`.${format}`).take(table.name, table.id),
      write: (to) =>
        pipeline(
          Readable.from(tableRowsText(archive, table, format)),
          createWriteStream(to, { flags: 'wx', mode: FILE_MODE }),
        ),
    },
  ]);
  out.stdout.write(`wrote ${path}  (data table "${table.name}", ${table.id})\n`);
}

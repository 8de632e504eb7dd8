import { textOption } from '../../../core/options/values.js';
import { ARCHIVE_KEY_OPTIONS } from '../../archive-keys.js';
import type { CommandSpec } from '../../command.js';
import { S3_STORE_OPTIONS } from '../../stores.js';

export const EXTRACT_COMMAND = {
  name: 'extract',
  summary: 'write workflows (as n8n-importable JSON) or a data table (CSV/JSON) out of an archive',
  description:
    "Verifies the archive, then writes each chosen workflow to its own file, as n8n's editor " +
    '("Import from File") and POST /workflows take it, or one data table\'s rows. Files are named ' +
    'after the workflow or table (a long name is shortened and given the id); an existing file is never ' +
    'overwritten. The files are written all or none, readable by their owner only (0600; a folder made for ' +
    'them 0700).',
  arguments: [['<archive>', 'archive path, or s3://bucket/key[?versionId=…]']],
  options: {
    workflow: textOption(
      '<name|id|glob>',
      'the workflows to write: an id, a name, or a glob such as "Orders*"',
    ),
    version: textOption('<versionId>', 'write this saved version of the one chosen workflow instead'),
    dataTable: textOption('<name|id>', "write this data table's rows"),
    format: textOption('<csv|json>', 'the rows as CSV (RFC 4180, header line) or a JSON array', 'csv'),
    out: textOption('<dir>', 'the folder to write into (created if missing)', '.'),
    ...ARCHIVE_KEY_OPTIONS,
    ...S3_STORE_OPTIONS,
  },
  examples:
    '\nExamples:\n' +
    '  n8n-ark extract <archive> --workflow "Orders" --out ./restore-by-hand\n' +
    '  n8n-ark extract <archive> --workflow "Billing*" --out ./billing\n' +
    '  n8n-ark extract <archive> --workflow 8Xk2… --version 8b8381c0-… --out .\n' +
    '  n8n-ark extract <archive> --data-table "Customers" --format csv --out .\n' +
    'List what an archive holds with `n8n-ark inspect <archive> --contents`, versions with\n' +
    '`inspect <archive> --workflow <name> --versions`.\n',
} as const satisfies CommandSpec;

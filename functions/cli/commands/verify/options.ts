import type { CommandSpec } from '../../command.js';
import { jsonFlag } from '../../flags.js';

export const VERIFY_COMMAND = {
  name: 'verify',
  summary: 'check every checksum of an archive',
  description:
    'Reads the whole archive and checks the manifest and the SHA-256 and size of every entry. ' +
    'Exits 0 when the archive is intact, 4 when anything is missing, truncated or altered.',
  arguments: [['<archive>', 'archive path, or s3://bucket/key[?versionId=…]']],
  options: { json: jsonFlag('print the verification report as JSON') },
  examples:
    '\nExamples:\n' +
    '  n8n-ark verify ./n8n-ark-backups/prod/2026-11-29T02-00-00-000Z.zip\n' +
    '  n8n-ark verify "s3://my-bucket/n8n/prod/2026-11-29T02-00-00-000Z.zip?versionId=3HL4…" --json\n',
} as const satisfies CommandSpec;

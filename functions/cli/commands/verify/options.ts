import { ARCHIVE_KEY_OPTIONS } from '../../archive-keys.js';
import type { CommandSpec } from '../../command.js';
import { jsonFlag } from '../../flags.js';
import { S3_STORE_OPTIONS } from '../../stores.js';

export const VERIFY_COMMAND = {
  name: 'verify',
  summary: 'check every checksum of an archive',
  description:
    'Reads the whole archive and checks the manifest and the SHA-256 and size of every entry. ' +
    'An encrypted archive (….zip.age) is opened with its key and every byte of it authenticated. ' +
    'Exits 0 when the archive is intact, 4 when anything is missing, truncated or altered, 2 when ' +
    'the key to an encrypted archive is missing or wrong.',
  arguments: [['<archive>', 'archive path, or s3://bucket/key[?versionId=…]']],
  options: {
    ...ARCHIVE_KEY_OPTIONS,
    ...S3_STORE_OPTIONS,
    json: jsonFlag('print the verification report as JSON'),
  },
  examples:
    '\nExamples:\n' +
    '  n8n-ark verify ./n8n-ark-backups/prod/2026-11-29T02-00-00-000Z.zip\n' +
    '  n8n-ark verify "s3://my-bucket/n8n/prod/2026-11-29T02-00-00-000Z.zip?versionId=3HL4…" --json\n' +
    '  n8n-ark verify ./n8n-ark-backups/prod/2026-11-29T02-00-00-000Z.zip.age --identity-file ~/.n8n-ark/offline.key\n',
} as const satisfies CommandSpec;

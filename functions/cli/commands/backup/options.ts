import { BACKUP_OPTIONS } from '../../../core/backup/options.js';
import { ARCHIVE_KEY_OPTIONS, ENCRYPT_OPTIONS } from '../../archive-keys.js';
import type { CommandSpec } from '../../command.js';
import { CONNECTION_OPTIONS } from '../../connection.js';
import { jsonFlag, VERBOSE_FLAG } from '../../flags.js';
import { S3_STORE_OPTIONS } from '../../stores.js';

export const BACKUP_COMMAND = {
  name: 'backup',
  summary: 'back up an n8n instance into one verifiable archive',
  description:
    'Backs up workflows, tags, variables, data tables (schema and rows), credential metadata (never ' +
    'secrets), projects, folders and users into one checksummed zip archive in the store. ' +
    'Resources the instance is not licensed for, or the key may not read, are skipped and listed. ' +
    'With --encrypt the archive is encrypted as it streams (age: ….zip.age), to public keys whose ' +
    'identities may be kept offline, or with a passphrase; an incremental backup reads the previous ' +
    'encrypted archive when given its key (--identity-file, the passphrase), and reads every workflow afresh when not.',
  options: {
    ...CONNECTION_OPTIONS,
    ...BACKUP_OPTIONS,
    ...S3_STORE_OPTIONS,
    ...ENCRYPT_OPTIONS,
    ...ARCHIVE_KEY_OPTIONS,
    json: jsonFlag('print one JSON object {archive, counts, skipped, warnings} on stdout'),
    verbose: VERBOSE_FLAG,
  },
  examples:
    '\nExamples:\n' +
    '  export N8N_API_KEY=…   # Settings → n8n API in n8n\n' +
    '  n8n-ark backup --url https://n8n.example.com --api-key-env N8N_API_KEY\n' +
    '  n8n-ark backup --url http://localhost:5678 --api-key-file ~/.n8n-key --instance prod --store s3://my-bucket/n8n\n' +
    '  n8n-ark backup --url https://n8n.example.com --api-key-env N8N_API_KEY --full   # nothing reused from the last archive\n' +
    '  # encrypted to a key kept offline (age-keygen -o offline.key; age-keygen -y offline.key prints the age1… key)\n' +
    '  n8n-ark backup --url https://n8n.example.com --api-key-env N8N_API_KEY --encrypt --recipient age1…\n' +
    '  # on MinIO (or R2, B2, Wasabi: README "S3-compatible stores")\n' +
    '  n8n-ark backup --url https://n8n.example.com --api-key-env N8N_API_KEY --store s3://backups/n8n --s3-endpoint http://minio.internal:9000 --s3-path-style\n',
} as const satisfies CommandSpec;

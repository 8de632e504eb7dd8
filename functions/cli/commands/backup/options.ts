import { BACKUP_OPTIONS } from '../../../core/backup/options.js';
import type { CommandSpec } from '../../command.js';
import { CONNECTION_OPTIONS } from '../../connection.js';
import { jsonFlag, VERBOSE_FLAG } from '../../flags.js';

export const BACKUP_COMMAND = {
  name: 'backup',
  summary: 'back up an n8n instance into one verifiable archive',
  description:
    'Backs up workflows, tags, variables, data tables (schema and rows), credential metadata (never ' +
    'secrets), projects, folders and users into one checksummed zip archive in the store. ' +
    'Resources the instance is not licensed for are skipped and listed. A kind the API key may not ' +
    'read fails the backup (exit 6, nothing published) naming the scope n8n wants, unless it is ' +
    'left out on purpose with --exclude, which the manifest records.',
  options: {
    ...CONNECTION_OPTIONS,
    ...BACKUP_OPTIONS,
    json: jsonFlag('print one JSON object {archive, counts, skipped, excluded, warnings} on stdout'),
    verbose: VERBOSE_FLAG,
  },
  examples:
    '\nExamples:\n' +
    '  export N8N_API_KEY=…   # Settings → n8n API in n8n\n' +
    '  n8n-ark backup --url https://n8n.example.com --api-key-env N8N_API_KEY\n' +
    '  n8n-ark backup --url http://localhost:5678 --api-key-file ~/.n8n-key --instance prod --store s3://my-bucket/n8n\n' +
    '  n8n-ark backup --url https://n8n.example.com --api-key-env N8N_API_KEY --full   # nothing reused from the last archive\n' +
    '  n8n-ark backup --url https://n8n.example.com --api-key-env N8N_API_KEY --exclude credentials   # a key without credential:list, on purpose\n',
} as const satisfies CommandSpec;

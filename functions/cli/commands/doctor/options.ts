import type { CommandSpec } from '../../command.js';
import { CONNECTION_OPTIONS } from '../../connection.js';
import { jsonFlag } from '../../flags.js';

export const DOCTOR_COMMAND = {
  name: 'doctor',
  summary: 'check what this API key can back up and restore',
  description:
    'Reads one page of each resource (writes nothing) and, where n8n answers GET /discover, compares ' +
    "the key's scopes with what a restore needs. Run it before the first backup and before a restore.",
  options: { ...CONNECTION_OPTIONS, json: jsonFlag('print the report as JSON') },
  examples:
    '\nExamples:\n' +
    '  export N8N_API_KEY=…   # Settings → n8n API in n8n\n' +
    '  n8n-ark doctor --url https://n8n.example.com --api-key-env N8N_API_KEY\n' +
    '  n8n-ark doctor --url https://n8n-dr.example.com --api-key-file ~/.dr-key --json\n',
} as const satisfies CommandSpec;

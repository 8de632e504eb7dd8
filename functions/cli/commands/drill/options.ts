import { DRILL_TARGET_TAG } from '../../../core/drill/scratch.js';
import { instanceName } from '../../../core/instance/name.js';
import { switchOption, text, textOption } from '../../../core/options/values.js';
import { ARCHIVE_KEY_OPTIONS } from '../../archive-keys.js';
import type { CommandSpec } from '../../command.js';
import { CONNECTION_OPTIONS } from '../../connection.js';
import { jsonFlag, VERBOSE_FLAG } from '../../flags.js';
import { DEFAULT_STORE, S3_STORE_OPTIONS } from '../../stores.js';

export const DRILL_COMMAND = {
  name: 'drill',
  summary: 'prove an archive restores: restore it into a scratch instance, compare, write a report',
  description:
    `Restores an archive into a scratch n8n instance marked as a drill target (a tag named "${DRILL_TARGET_TAG}" on it), ` +
    'runs the closing check and a diff of the archive against the instance, times every step, and writes a ' +
    'report beside the archive: <archive>.drill-<time>.html (a self-contained page) and .json. Refuses an ' +
    'unmarked instance, and a non-empty one unless --wipe-scratch. Exits 0 when the drill passed, 6 when the ' +
    'restore was incomplete, 1 when the instance differs from the archive (the report is written either way).',
  options: {
    ...CONNECTION_OPTIONS,
    archive: {
      schema: text,
      flag: { value: '<newest|path>', required: true },
      help: 'the archive: a path, s3://bucket/key[?versionId=…], or "newest" in --store',
    },
    store: textOption('<dir|s3://bucket/prefix>', 'where "newest" is looked for', DEFAULT_STORE),
    ...S3_STORE_OPTIONS,
    instance: {
      schema: instanceName,
      flag: { value: '<name>' },
      help: 'with "newest": the newest archive of this instance',
    },
    wipeScratch: switchOption(
      'delete the workflows, credentials, data tables and tags the marked scratch instance holds first',
    ),
    credentialSecrets: textOption(
      '<file|sm://prefix>',
      'credential data to restore real credentials instead of stubs (as restore)',
    ),
    ...ARCHIVE_KEY_OPTIONS,
    json: jsonFlag('print the drill report (JSON) on stdout'),
    verbose: VERBOSE_FLAG,
  },
  examples: [
    '',
    'Examples:',
    `  # once, on the scratch instance: mark it as a drill target`,
    `  curl -X POST https://n8n-scratch.example.com/api/v1/tags -H "X-N8N-API-KEY: $SCRATCH_KEY" -H 'content-type: application/json' -d '{"name":"${DRILL_TARGET_TAG}"}'`,
    "  # restore last night's archive of prod into it, emptying it first",
    '  n8n-ark drill --archive newest --instance prod --url https://n8n-scratch.example.com --api-key-env SCRATCH_KEY --wipe-scratch',
    '  n8n-ark drill --archive ./n8n-ark-backups/prod/2026-11-22T01-00-00-000Z.zip --url http://localhost:5679 --api-key-env SCRATCH_KEY --json',
    '',
  ].join('\n'),
} as const satisfies CommandSpec;

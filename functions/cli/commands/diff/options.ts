import { switchOption, textOption } from '../../../core/options/values.js';
import { ARCHIVE_KEY_OPTIONS } from '../../archive-keys.js';
import type { CommandSpec } from '../../command.js';
import { REQUEST_BOUND_OPTIONS } from '../../connection.js';
import { jsonFlag, VERBOSE_FLAG } from '../../flags.js';
import { S3_STORE_OPTIONS } from '../../stores.js';

export const DIFF_COMMAND = {
  name: 'diff',
  summary: 'compare two instances or archives, ignoring ids and timestamps',
  description:
    'Compares two sides, each an archive (path or s3:// URL) or a live instance (an http(s):// URL, ' +
    'or --url for a side not given as an argument). Ids and timestamps are ignored; references are ' +
    'compared by the name of what they point to, so a restored instance equals its source. ' +
    'Exits 0 when equal, 1 with the list of differences otherwise.',
  arguments: [
    ['<a>', 'archive, or http(s):// URL of a live instance'],
    ['[b]', 'archive, or http(s):// URL of a live instance (default: the instance at --url)'],
  ],
  options: {
    ...REQUEST_BOUND_OPTIONS,
    url: textOption('<url>', 'live instance to compare with, when only one side is an argument'),
    apiKeyEnv: textOption(
      '<VAR>',
      'environment variable holding the API key of the live side(s) (default: N8N_API_KEY)',
    ),
    apiKeyFile: textOption('<path>', 'file holding the API key of the live side(s)'),
    aApiKeyEnv: textOption('<VAR>', 'API key variable for side a, when both sides are live'),
    bApiKeyEnv: textOption('<VAR>', 'API key variable for side b, when both sides are live'),
    concurrency: textOption('<n>', 'parallel requests to a live instance', '4'),
    ignoreUsers: switchOption('leave users out (a restore does not create users)'),
    ...ARCHIVE_KEY_OPTIONS,
    ...S3_STORE_OPTIONS,
    json: jsonFlag('print the comparison as JSON'),
    verbose: VERBOSE_FLAG,
  },
  examples:
    '\nExamples:\n' +
    '  n8n-ark diff before.zip after.zip\n' +
    '  # did the restore land? compare the archive with the live instance\n' +
    '  n8n-ark diff ./n8n-ark-backups/prod/2026-11-22T01-00-00-000Z.zip --url https://n8n-dr.example.com --api-key-env DR_KEY\n',
} as const satisfies CommandSpec;

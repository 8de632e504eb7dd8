import { instanceName } from '../../../core/instance/name.js';
import { switchOption, textOption } from '../../../core/options/values.js';
import { ENCRYPT_OPTIONS } from '../../archive-keys.js';
import type { CommandSpec } from '../../command.js';
import { REQUEST_BOUND_OPTIONS } from '../../connection.js';
import { S3_STORE_OPTIONS } from '../../stores.js';
import { RESTORE_FLAGS } from '../restore/options.js';

/** The two instances, where the intermediate archive goes, then every restore flag. */
export const MIGRATE_COMMAND = {
  name: 'migrate',
  summary: 'move everything from one n8n instance to another',
  description:
    'Backs the source up into an archive, verifies it, and restores it into the target (see ' +
    '`n8n-ark restore --help` for how objects are matched and references rewritten). The archive ' +
    'is temporary unless --keep-archive; if the restore stops, the archive and its ledger are kept ' +
    'and the message says how to continue with `n8n-ark restore`.',
  options: {
    ...REQUEST_BOUND_OPTIONS,
    fromUrl: textOption('<url>', 'base URL of the source instance'),
    fromKeyEnv: textOption('<VAR>', "environment variable holding the source's API key"),
    fromKeyFile: textOption('<path>', "file holding the source's API key"),
    toUrl: textOption('<url>', 'base URL of the target instance'),
    toKeyEnv: textOption('<VAR>', "environment variable holding the target's API key"),
    toKeyFile: textOption('<path>', "file holding the target's API key"),
    keepArchive: switchOption('keep the intermediate archive (printed at the end)'),
    store: textOption(
      '<dir|s3://bucket/prefix>',
      'where the intermediate archive goes (default: a temporary folder)',
    ),
    ...S3_STORE_OPTIONS,
    ...ENCRYPT_OPTIONS,
    instance: {
      schema: instanceName,
      flag: { value: '<name>' },
      help: 'name the archive is filed under (default: the source host)',
    },
    concurrency: textOption('<n>', 'parallel requests to each instance', '4'),
    ...RESTORE_FLAGS,
  },
  examples:
    '\nExamples:\n' +
    '  # the plan first, then the move (keeping workflow ids needs n8n 2.24+ on the target)\n' +
    '  n8n-ark migrate --from-url https://old.example.com --from-key-env OLD_KEY --to-url https://new.example.com --to-key-env NEW_KEY --dry-run\n' +
    '  n8n-ark migrate --from-url https://old.example.com --from-key-env OLD_KEY --to-url https://new.example.com --to-key-env NEW_KEY --keep-workflow-ids\n',
} as const satisfies CommandSpec;

import { CUTOVER_OPTIONS } from '../../../core/cutover/options.js';
import { instanceName } from '../../../core/instance/name.js';
import { textOption } from '../../../core/options/values.js';
import type { CommandSpec } from '../../command.js';
import { REQUEST_BOUND_OPTIONS } from '../../connection.js';
import { jsonFlag, VERBOSE_FLAG } from '../../flags.js';
import { S3_STORE_OPTIONS } from '../../stores.js';
import { MIGRATE_COMMAND } from '../migrate/options.js';

const { fromUrl, fromKeyEnv, fromKeyFile, toUrl, toKeyEnv, toKeyFile } = MIGRATE_COMMAND.options;

/** The two instances (as migrate takes them), where the archives and the journal go, then the cutover's own. */
export const CUTOVER_COMMAND = {
  name: 'cutover',
  summary: 'move a live n8n instance to another one: no double firing, no lost watermark, a way back',
  description:
    'In steps, each recorded in a journal so the same command continues after a stop: preflight ' +
    '(writes nothing; --dry-run stops there), copy (a restore with nothing published while the ' +
    "source runs), freeze (the source's published workflows unpublished, trigger-bearing first, each " +
    "one's published version journaled; waits for running executions), delta (a backup of the frozen " +
    'source restored over the target with --on-conflict overwrite: staticData, rows, edits), switch ' +
    '(publishes on the target what ran on the source, then checks it runs: published, the same ' +
    'version, webhooks registered). The source is frozen before the target publishes: a stop between ' +
    'them leaves both frozen. --rollback unpublishes on the target and publishes again on the source ' +
    'exactly the versions that ran. Exit 0 means the target runs what the source ran.',
  options: {
    ...REQUEST_BOUND_OPTIONS,
    fromUrl,
    fromKeyEnv,
    fromKeyFile,
    toUrl,
    toKeyEnv,
    toKeyFile,
    ...CUTOVER_OPTIONS,
    store: textOption(
      '<dir|s3://bucket/prefix>',
      "where the copy's and the delta's archives go (kept: a re-run restores the same ones)",
      './n8n-ark-cutovers',
    ),
    ...S3_STORE_OPTIONS,
    instance: {
      schema: instanceName,
      flag: { value: '<name>' },
      help: 'name the archives are filed under (default: the source host)',
    },
    credentialSecrets: textOption(
      '<file>',
      'JSON file mapping credential id or name to its data, to create real credentials instead of stubs',
    ),
    concurrency: textOption('<n>', 'parallel requests to each instance', '4'),
    json: jsonFlag('print the report as one JSON object on stdout'),
    verbose: VERBOSE_FLAG,
  },
  examples:
    '\nExamples:\n' +
    '  # what would move, be frozen and published; writes nothing\n' +
    '  n8n-ark cutover --from-url https://old.example.com --from-key-env OLD_KEY --to-url https://new.example.com --to-key-env NEW_KEY --dry-run\n' +
    '  # the move (run it again to continue after a stop)\n' +
    '  n8n-ark cutover --from-url https://old.example.com --from-key-env OLD_KEY --to-url https://new.example.com --to-key-env NEW_KEY --keep-workflow-ids\n' +
    '  # the way back: the source runs again exactly what it ran, the target nothing of it\n' +
    '  n8n-ark cutover --from-url https://old.example.com --from-key-env OLD_KEY --to-url https://new.example.com --to-key-env NEW_KEY --rollback\n',
} as const satisfies CommandSpec;

import { PRUNE_OPTIONS } from '../../../core/retention/options.js';
import { ARCHIVE_KEY_OPTIONS } from '../../archive-keys.js';
import type { CommandSpec } from '../../command.js';
import { jsonFlag } from '../../flags.js';
import { S3_STORE_OPTIONS } from '../../stores.js';

export const PRUNE_COMMAND = {
  name: 'prune',
  summary: "delete an instance's archives that no retention rule keeps (restic forget's rules)",
  description:
    "Keeps, as restic's `forget` does, the newest archive of each of the N most recent periods that " +
    'have one, for each rule on its own (days and months in UTC, ISO weeks; --keep-last counts ' +
    'archives); an archive kept by any rule stays, and so do the newest archive that passes ' +
    'verification, archives a restore has not finished from (a ledger beside them) and archives ' +
    'S3 Object Lock holds. Everything else is deleted; on a versioned bucket that is a delete ' +
    "marker, and the bucket's lifecycle removes the bytes later (docs/OPERATIONS.md). Encrypted " +
    'archives need no key: without one, the newest is checked as far as its encryption shows ' +
    '(header and length); with one, verified whole.',
  options: {
    ...PRUNE_OPTIONS,
    ...S3_STORE_OPTIONS,
    ...ARCHIVE_KEY_OPTIONS,
    json: jsonFlag('print one JSON object {instance, policy, newestVerified, kept, deleted, …} on stdout'),
  },
  examples:
    '\nExamples:\n' +
    '  n8n-ark prune --instance prod --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --dry-run\n' +
    '  n8n-ark prune --instance prod --store s3://my-bucket/archives --keep-last 3 --keep-daily 14 --json\n',
} as const satisfies CommandSpec;

/**
 * Every option of a backup, at either edge, declared once: `n8n-ark backup`'s flags and --help,
 * the backup Lambda's event and the table in docs/OPERATIONS.md come from `BACKUP_OPTIONS`. None is
 * grouped: the edges hand `runBackup` its few options themselves.
 */
import { z } from 'zod';
import { instanceName } from '../instance/name.js';
import type { OptionTable } from '../options/table.js';
import { minutesText, switchOption, textOption } from '../options/values.js';

export const MAX_HISTORY_VERSIONS = 1000;

export { INSTANCE_NAME } from '../instance/name.js';

const historyProblem = (issue: { input?: unknown }) =>
  `${JSON.stringify(String(issue.input))}: give a whole number of versions from 0 to ${MAX_HISTORY_VERSIONS}.`;

const shareProblem = 'must be a share between 0 and 1';

export const BACKUP_OPTIONS = {
  instance: {
    schema: instanceName,
    event: { schema: instanceName, required: true },
    flag: { value: '<name>' },
    help: 'name the archives are filed under (default: the URL host)',
  },
  store: textOption('<dir|s3://bucket/prefix>', 'where archives are kept', './n8n-ark-backups'),
  timeout: {
    schema: minutesText,
    flag: { value: '<minutes>' },
    help: 'stop the backup at the next object after this many minutes and publish nothing (exit 6; the partial archive is removed)',
  },
  history: {
    schema: z
      .number({ error: historyProblem })
      .int({ error: historyProblem })
      .min(0, { error: historyProblem })
      .max(MAX_HISTORY_VERSIONS, { error: historyProblem }),
    event: true,
    flag: {
      value: '<versions>',
      default: '10',
      fromText: (value: string) => (/^\d+$/.test(value) ? Number(value) : value),
    },
    help: "newest saved versions of each workflow to keep in the archive (n8n's version history; 0 keeps none)",
  },
  full: switchOption(
    'read every workflow afresh; by default workflows unchanged since the previous archive of this instance in the store are copied from it',
  ),
  shrinkAlarmShare: {
    schema: z.number({ error: shareProblem }).gt(0, { error: shareProblem }).lt(1, { error: shareProblem }),
    event: true,
    flag: false,
    help: 'the share of workflows a backup may lose against the one before before the BackupShrank alarm fires (default 0.2; from cdk.json)',
  },
} as const satisfies OptionTable;

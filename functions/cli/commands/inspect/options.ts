import { switchOption, textOption } from '../../../core/options/values.js';
import { ARCHIVE_KEY_OPTIONS } from '../../archive-keys.js';
import type { CommandSpec } from '../../command.js';
import { jsonFlag } from '../../flags.js';
import { S3_STORE_OPTIONS } from '../../stores.js';

export const INSPECT_COMMAND = {
  name: 'inspect',
  summary: "show what an archive holds: its manifest, its objects by name, a workflow's saved versions",
  description:
    'Without options: the manifest (source, n8n version, counts, entries with their checksums) and ' +
    "each workflow's number of saved versions. --contents lists every object by name; --workflows " +
    'only the workflows. Nothing is written anywhere; `extract` writes workflows and rows out.',
  arguments: [['<archive>', 'archive path, or s3://bucket/key[?versionId=…]']],
  options: {
    contents: switchOption(
      'list every object by kind: names, projects, folders, tags, active state, last update',
    ),
    workflows: switchOption('list the workflows only (as --contents does)'),
    workflow: textOption(
      '<glob|name|id>',
      'with --contents/--workflows: only workflows whose name matches this glob; with --versions: the workflow',
    ),
    tag: textOption('<name>', 'with --contents/--workflows: only workflows with this tag'),
    project: textOption('<name>', 'with --contents/--workflows: only this project and what it holds'),
    versions: switchOption(
      "list one workflow's saved versions (versionId, createdAt, authors); needs --workflow",
    ),
    ...ARCHIVE_KEY_OPTIONS,
    ...S3_STORE_OPTIONS,
    json: jsonFlag('print the manifest, the contents or the versions as JSON'),
  },
  examples:
    '\nExamples:\n' +
    '  n8n-ark inspect ./n8n-ark-backups/prod/2026-11-29T02-00-00-000Z.zip\n' +
    '  n8n-ark inspect <archive> --contents\n' +
    '  n8n-ark inspect <archive> --workflows --workflow "Orders*" --tag billing\n' +
    '  n8n-ark inspect <archive> --workflows --project "Finance" --json\n' +
    '  n8n-ark inspect <archive> --workflow "Orders" --versions\n' +
    'Write a workflow or a saved version out with `n8n-ark extract`.\n',
} as const satisfies CommandSpec;

import { instanceName } from '../../../core/instance/name.js';
import { switchOption, textOption } from '../../../core/options/values.js';
import type { CommandSpec } from '../../command.js';
import { jsonFlag } from '../../flags.js';
import { DEFAULT_STORE, S3_STORE_OPTIONS } from '../../stores.js';

export const LIST_COMMAND = {
  name: 'list',
  summary: 'list archives in a store, newest first',
  description:
    'Lists the archives in a folder or an S3 prefix, newest first, with their instance, creation ' +
    'time, size and whether it is encrypted (….zip.age: its name and size are all anyone without ' +
    'the key learns of it). Reads names and sizes only, so it needs no key; `verify` checks an ' +
    'archive, `inspect` shows what it holds.',
  options: {
    store: textOption('<dir|s3://bucket/prefix>', 'where archives are kept', DEFAULT_STORE),
    ...S3_STORE_OPTIONS,
    instance: { schema: instanceName, flag: { value: '<name>' }, help: 'only archives of this instance' },
    versions: switchOption('with an S3 store, also list noncurrent object versions'),
    json: jsonFlag('print a JSON array on stdout'),
  },
  examples:
    '\nExamples:\n' +
    '  n8n-ark list\n' +
    '  n8n-ark list --store ./n8n-ark-backups --instance prod\n' +
    '  n8n-ark list --store s3://my-bucket/n8n --versions --json\n',
} as const satisfies CommandSpec;

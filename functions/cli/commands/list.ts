import type { Command } from 'commander';
import { formatBytes, formatTable, type Output, printJson } from '../output.js';
import { storeFromOption } from '../stores.js';

interface ListFlags {
  store?: string;
  instance?: string;
  versions?: boolean;
  json?: boolean;
}

export function registerListCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  program
    .command('list')
    .summary('list archives in a store, newest first')
    .description(
      'Lists the archives in a folder or an S3 prefix, newest first, with their instance, creation ' +
        'time and size. Reads names and sizes only; `verify` checks an archive, `inspect` shows what it holds.',
    )
    .option('--store <dir|s3://bucket/prefix>', 'where archives are kept', './n8n-ark-backups')
    .option('--instance <name>', 'only archives of this instance')
    .option('--versions', 'with an S3 store, also list noncurrent object versions')
    .option('--json', 'print a JSON array on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  n8n-ark list\n' +
        '  n8n-ark list --store ./n8n-ark-backups --instance prod\n' +
        '  n8n-ark list --store s3://my-bucket/n8n --versions --json\n',
    )
    .action(async (flags: ListFlags) => {
      const store = await storeFromOption(flags.store, env);
      const archives = [];
      for await (const ref of store.list({
        ...(flags.instance ? { instance: flags.instance } : {}),
        includeVersions: flags.versions === true,
      })) {
        archives.push(ref);
      }
      if (flags.json) {
        printJson(
          out,
          archives.map((a) => ({ ...a, createdAt: a.createdAt.toISOString() })),
        );
        return;
      }
      if (archives.length === 0) {
        out.stdout.write(
          `No archives in ${store.description}${flags.instance ? ` for instance ${flags.instance}` : ''}.\n`,
        );
        return;
      }
      out.stdout.write(
        `${formatTable([
          ['instance', 'created (UTC)', 'size', 'archive'],
          ...archives.map((a) => [a.instance, a.createdAt.toISOString(), formatBytes(a.size), a.location]),
        ])}\n`,
      );
    });
}

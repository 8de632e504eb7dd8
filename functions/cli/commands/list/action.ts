import type { ArchiveRef } from '../../../core/ports.js';
import { defineCommand } from '../../command.js';
import { formatBytes, formatTable, type Output, printJson } from '../../output.js';
import { LIST_COMMAND } from './options.js';

export const listCommand = defineCommand(LIST_COMMAND, async ({ values, cli }) => {
  const store = await (await cli.archives(values)).store(values.store);
  const archives: ArchiveRef[] = [];
  for await (const ref of store.list({
    ...(values.instance ? { instance: values.instance } : {}),
    includeVersions: values.versions === true,
  }))
    archives.push(ref);
  if (values.json)
    printJson(
      cli.out,
      archives.map((a) => ({ ...a, createdAt: a.createdAt.toISOString(), encrypted: a.encrypted === true })),
    );
  else if (archives.length === 0)
    cli.out.stdout.write(
      `No archives in ${store.description}${values.instance ? ` for instance ${values.instance}` : ''}.\n`,
    );
  else printArchives(cli.out, archives);
});

function printArchives(out: Output, archives: readonly ArchiveRef[]): void {
  out.stdout.write(
    `${formatTable([
      ['instance', 'created (UTC)', 'size', 'encrypted', 'archive'],
      ...archives.map((a) => [
        a.instance,
        a.createdAt.toISOString(),
        formatBytes(a.size),
        a.encrypted ? 'yes (age)' : 'no',
        a.location,
      ]),
    ])}\n`,
  );
}

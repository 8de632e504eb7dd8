import type { Command } from 'commander';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../core/archive-access.js';
import { formatBytes, formatTable, type Output, printJson } from '../output.js';
import { storeForArchive } from '../stores.js';

export function registerInspectCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  program
    .command('inspect')
    .summary("show an archive's manifest")
    .argument('<archive>', 'archive path, or s3://bucket/key[?versionId=…]')
    .option('--json', 'print the manifest as JSON')
    .action(async (location: string, flags: { json?: boolean }) => {
      const archive = await openArchiveAt(await storeForArchive(location, env), location, openZipArchive);
      try {
        const m = archive.manifest;
        if (flags.json) {
          printJson(out, m);
          return;
        }
        const duration = (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000;
        out.stdout.write(
          `${formatTable([
            ['field', 'value'],
            ['format', `${m.format} v${m.formatVersion}`],
            ['tool', `${m.tool.name} ${m.tool.version}`],
            ['instance', m.source.instance],
            ['source URL', m.source.url],
            [
              'n8n version',
              m.source.n8nVersion ?? `unknown (${m.source.n8nVersionNote ?? 'not recorded by this archive'})`,
            ],
            ['started', m.startedAt],
            ['finished', `${m.finishedAt} (${duration.toFixed(1)} s)`],
          ])}\n\n`,
        );
        out.stdout.write(
          `${formatTable([['resource', 'count'], ...Object.entries(m.counts).map(([k, v]) => [k, String(v)])])}\n\n`,
        );
        out.stdout.write(
          `${formatTable([
            ['entry', 'records', 'size', 'sha256'],
            ...m.entries.map((e) => [e.name, String(e.records), formatBytes(e.size), e.sha256.slice(0, 16)]),
          ])}\n`,
        );
        for (const skip of m.skipped) out.stdout.write(`skipped: ${skip.resource} — ${skip.reason}\n`);
        for (const warning of m.warnings) out.stdout.write(`warning: ${warning.message}\n`);
      } finally {
        await archive.close();
      }
    });
}

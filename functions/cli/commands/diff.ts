import type { Command } from 'commander';
import { N8nHttpClient } from '../../adapters/n8n-http-client.js';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../core/archive/access.js';
import {
  archiveSnapshot,
  diffInstances,
  formatDifferences,
  type InstanceSnapshot,
  liveSnapshot,
} from '../../core/diff/index.js';
import { ArchiveIntegrityError, ArkError, UsageError } from '../../core/errors.js';
import { resolveApiKey } from '../api-key.js';
import {
  addRequestBoundOptions,
  parsePositiveInt,
  parseUrl,
  type RequestBoundFlags,
  requestBounds,
} from '../connection.js';
import { createCliLogger, type Output, printJson } from '../output.js';
import { storeForArchive } from '../stores.js';

interface DiffFlags extends RequestBoundFlags {
  url?: string;
  apiKeyEnv?: string;
  apiKeyFile?: string;
  aApiKeyEnv?: string;
  bApiKeyEnv?: string;
  concurrency?: string;
  ignoreUsers?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** Exit 1 with the differences listed: the CLI's "differences found". */
class DifferencesFound extends ArkError {}

export function registerDiffCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  addRequestBoundOptions(program.command('diff'))
    .summary('compare two instances or archives, ignoring ids and timestamps')
    .description(
      'Compares two sides, each an archive (path or s3:// URL) or a live instance (an http(s):// URL, ' +
        'or --url for a side not given as an argument). Ids and timestamps are ignored; references are ' +
        'compared by the name of what they point to, so a restored instance equals its source. ' +
        'Exits 0 when equal, 1 with the list of differences otherwise.',
    )
    .argument('<a>', 'archive, or http(s):// URL of a live instance')
    .argument('[b]', 'archive, or http(s):// URL of a live instance (default: the instance at --url)')
    .option('--url <url>', 'live instance to compare with, when only one side is an argument')
    .option(
      '--api-key-env <VAR>',
      'environment variable holding the API key of the live side(s) (default: N8N_API_KEY)',
    )
    .option('--api-key-file <path>', 'file holding the API key of the live side(s)')
    .option('--a-api-key-env <VAR>', 'API key variable for side a, when both sides are live')
    .option('--b-api-key-env <VAR>', 'API key variable for side b, when both sides are live')
    .option('--concurrency <n>', 'parallel requests to a live instance', '4')
    .option('--ignore-users', 'leave users out (a restore does not create users)')
    .option('--json', 'print the comparison as JSON')
    .option('--verbose', 'log each step on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  n8n-ark diff before.zip after.zip\n' +
        '  # did the restore land? compare the archive with the live instance\n' +
        '  n8n-ark diff ./n8n-ark-backups/prod/2026-11-22T01-00-00-000Z.zip --url https://n8n-dr.example.com --api-key-env DR_KEY\n',
    )
    .action(async (a: string, b: string | undefined, flags: DiffFlags) => {
      if (b === undefined && flags.url === undefined) {
        throw new UsageError(
          'diff needs two sides: two arguments, or one argument and --url <live instance>',
        );
      }
      if (b !== undefined && flags.url !== undefined) {
        throw new UsageError('diff takes two sides: give --url only when one side is an argument');
      }
      const logger = createCliLogger(out, flags.verbose === true);
      const closers: (() => Promise<void>)[] = [];
      const side = async (spec: string, which: 'a' | 'b'): Promise<InstanceSnapshot> => {
        if (/^https?:\/\//i.test(spec)) {
          const apiKeyEnv = (which === 'a' ? flags.aApiKeyEnv : flags.bApiKeyEnv) ?? flags.apiKeyEnv;
          const apiKey = await resolveApiKey(
            {
              ...(apiKeyEnv ? { apiKeyEnv } : {}),
              ...(flags.apiKeyFile && !apiKeyEnv ? { apiKeyFile: flags.apiKeyFile } : {}),
            },
            env,
          );
          const concurrency = parsePositiveInt(flags.concurrency, '--concurrency', 4);
          const bounds = requestBounds(flags);
          return liveSnapshot(
            new N8nHttpClient({
              baseUrl: parseUrl(spec, which),
              apiKey,
              concurrency,
              ...bounds,
              logger,
            }),
            { concurrency },
          );
        }
        const archive = await openArchiveAt(await storeForArchive(spec, env), spec, openZipArchive);
        closers.push(() => archive.close());
        // Read the whole archive before comparing: a damaged archive must not pass as "different".
        const report = await archive.verify();
        if (!report.ok) {
          const first = report.problems[0];
          throw new ArchiveIntegrityError(
            `${spec} failed verification${first ? ` (${first.entry}: ${first.problem})` : ''}; run \`n8n-ark verify ${spec}\` for every problem`,
            { entry: first?.entry ?? '(archive)' },
          );
        }
        return archiveSnapshot(archive, spec);
      };
      try {
        const left = await side(a, 'a');
        const right = await side(b ?? (flags.url as string), 'b');
        const result = await diffInstances(left, right, { ignoreUsers: flags.ignoreUsers === true });
        if (flags.json) printJson(out, result);
        else if (result.equal) out.stdout.write(`No differences between ${result.a} and ${result.b}.\n`);
        else {
          out.stdout.write(
            `${result.differences.length} difference(s) between ${result.a} (a) and ${result.b} (b):\n`,
          );
          for (const line of formatDifferences(result)) out.stdout.write(`  ${line}\n`);
        }
        if (!result.equal) throw new DifferencesFound(`${result.differences.length} difference(s) found`);
      } finally {
        for (const close of closers) await close();
      }
    });
}

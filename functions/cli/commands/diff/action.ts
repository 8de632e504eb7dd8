import {
  archiveSnapshot,
  type DiffResult,
  diffInstances,
  formatDifferences,
  type InstanceSnapshot,
  liveSnapshot,
} from '../../../core/diff/index.js';
import type { OptionValues } from '../../../core/options/table.js';
import type { Logger } from '../../../core/ports.js';
import { resolveApiKey } from '../../api-key.js';
import { defineCommand } from '../../command.js';
import type { ArchiveAccess, Cli } from '../../compose.js';
import { parseUrl, requestLimits, urlWarnings } from '../../connection.js';
import { DifferencesFound, diffSides, failedVerification } from '../../errors.js';
import { type Output, printJson } from '../../output.js';
import { DIFF_COMMAND } from './options.js';

type DiffValues = OptionValues<typeof DIFF_COMMAND.options>;

export const diffCommand = defineCommand(DIFF_COMMAND, async ({ args: [a = '', b], values, cli }) => {
  if (b === undefined && values.url === undefined) throw diffSides.missing();
  if (b !== undefined && values.url !== undefined) throw diffSides.tooMany();
  const sides = new Sides(cli, await cli.archives(values), values, cli.logger(values.verbose));
  try {
    const left = await sides.open(a, 'a');
    const right = await sides.open(b ?? values.url ?? '', 'b');
    const result = await diffInstances(left, right, { ignoreUsers: values.ignoreUsers === true });
    if (values.json) printJson(cli.out, result);
    else printDifferences(cli.out, result);
    if (!result.equal) throw new DifferencesFound(`${result.differences.length} difference(s) found`);
  } finally {
    await sides.close();
  }
});

/** The two sides: live instances read through the API, archives read whole and verified first. */
class Sides {
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(
    private readonly cli: Cli,
    private readonly archives: ArchiveAccess,
    private readonly values: DiffValues,
    private readonly logger: Logger,
  ) {}

  open(spec: string, which: 'a' | 'b'): Promise<InstanceSnapshot> {
    return /^https?:\/\//i.test(spec) ? this.live(spec, which) : this.archive(spec);
  }

  private async live(spec: string, which: 'a' | 'b'): Promise<InstanceSnapshot> {
    const { values } = this;
    const apiKeyEnv = (which === 'a' ? values.aApiKeyEnv : values.bApiKeyEnv) ?? values.apiKeyEnv;
    const baseUrl = parseUrl(spec, which);
    const warnings = urlWarnings(baseUrl, which, values.requireHttps);
    const apiKey = await resolveApiKey(
      {
        apiKeyEnv: apiKeyEnv || undefined,
        apiKeyFile: apiKeyEnv ? undefined : values.apiKeyFile || undefined,
      },
      this.cli.env,
      undefined,
      warnings,
    );
    const limits = requestLimits(values);
    const api = this.cli.n8n({ baseUrl, apiKey, ...limits, warnings }, this.logger);
    return liveSnapshot(api, { concurrency: limits.concurrency });
  }

  /** Read whole before comparing: a damaged archive must not pass as "different". */
  private async archive(spec: string): Promise<InstanceSnapshot> {
    const archive = await this.archives.openArchive(spec);
    this.closers.push(() => archive.close());
    const report = await archive.verify();
    if (!report.ok) throw failedVerification.diff(spec, report.problems);
    return archiveSnapshot(archive, spec);
  }

  async close(): Promise<void> {
    for (const close of this.closers) await close();
  }
}

function printDifferences(out: Output, result: DiffResult): void {
  if (result.equal) {
    out.stdout.write(`No differences between ${result.a} and ${result.b}.\n`);
    return;
  }
  out.stdout.write(
    `${result.differences.length} difference(s) between ${result.a} (a) and ${result.b} (b):\n`,
  );
  for (const line of formatDifferences(result)) out.stdout.write(`  ${line}\n`);
}

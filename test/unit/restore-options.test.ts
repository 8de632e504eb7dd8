import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  addRestoreOptions,
  type RestoreFlags,
  restoreOptionsFrom,
} from '../../functions/cli/commands/restore/options.js';
import { flagOf, runCli } from '../../functions/cli/program.js';
import { InvalidOptionError, UsageError } from '../../functions/core/errors.js';
import { parseRestoreOptions } from '../../functions/core/restore/options.js';
import { parseAtEdge, restoreEventSchema } from '../../functions/handlers/events.js';

function refusal(input: unknown): InvalidOptionError {
  try {
    parseRestoreOptions(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

/** What the CLI makes of `n8n-ark restore <archive> <args>`, through commander as the program parses them. */
function cliOptions(args: string[]) {
  const command = addRestoreOptions(new Command('restore').argument('<archive>')).exitOverride();
  command.parse(['backup.zip', ...args], { from: 'user' });
  return restoreOptionsFrom(command.opts<RestoreFlags>());
}

/** What the restore handler makes of an event, without its archive and target. */
function eventOptions(options: Record<string, unknown>) {
  const { archive, target, ...rest } = parseAtEdge(
    restoreEventSchema,
    { archive: { key: 'archives/prod/x.zip' }, target: 'dr', ...options },
    'restore event',
  );
  expect([archive.key, target]).toEqual(['archives/prod/x.zip', 'dr']);
  return rest;
}

async function cliError(args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const code = await runCli(['node', 'n8n-ark', ...args], { stdout: new PassThrough(), stderr }, {});
  return { code, stderr: text };
}

describe('parseRestoreOptions', () => {
  it('accepts every option and gives the project map as a Map', () => {
    const unchanged = {
      onConflict: 'rename',
      dataTableRows: 'append',
      only: ['projects', 'workflows'],
      project: 'Ops',
      tag: 'billing',
      workflow: 'Orders *',
      keepWorkflowIds: true,
      requireSameMinor: true,
      activate: false,
      dryRun: true,
      rowBatchSize: 10_000,
    };

    const options = parseRestoreOptions({ ...unchanged, projectMap: { Ops: 'Operations' } });

    expect(options).toEqual({ ...unchanged, projectMap: new Map([['Ops', 'Operations']]) });
  });

  it('keeps a project named like a prototype property as the name it is, at both edges', () => {
    const event = JSON.parse('{"archive":{"key":"a.zip"},"target":"dr","projectMap":{"__proto__":"Ops"}}');

    const options = parseRestoreOptions({
      projectMap: JSON.parse('{"__proto__":"Ops","constructor":"Team"}'),
    });
    const fromEvent = parseAtEdge(restoreEventSchema, event, 'restore event');

    expect(options.projectMap).toEqual(
      new Map([
        ['__proto__', 'Ops'],
        ['constructor', 'Team'],
      ]),
    );
    expect(fromEvent.projectMap).toEqual(new Map([['__proto__', 'Ops']]));
  });

  it('leaves absent options absent, for the core to default', () => {
    expect(parseRestoreOptions({})).toEqual({});
  });

  it.each([
    [{ onConflict: 'merge' }, 'onConflict', 'must be one of skip, overwrite, rename, not "merge"'],
    [{ dataTableRows: 'merge' }, 'dataTableRows', 'must be one of skip, append, replace, not "merge"'],
    [
      { only: ['tags', 'users'] },
      'only',
      /must list only projects, folders, .*workflows; "users" is none of them/,
    ],
    [{ only: [] }, 'only', /must name at least one of projects/],
    [{ only: 'tags' }, 'only', /must be a list of .*, not "tags"/],
    [{ projectMap: { Ops: '' } }, 'projectMap', 'maps "Ops" to a project with no name'],
    [{ projectMap: { ' ': 'Operations' } }, 'projectMap', 'maps a source project with no name'],
    [
      { projectMap: [['Ops', 'Operations']] },
      'projectMap',
      /must map source project names to target project names/,
    ],
    [{ project: '' }, 'project', 'must be a non-empty string'],
    [{ tag: 7 }, 'tag', 'must be a non-empty string, not 7'],
    [{ workflow: '' }, 'workflow', 'must be a non-empty string'],
    [{ keepWorkflowIds: 'yes' }, 'keepWorkflowIds', 'must be true or false, not "yes"'],
    [{ requireSameMinor: 1 }, 'requireSameMinor', 'must be true or false, not 1'],
    [{ activate: 1 }, 'activate', 'must be true or false, not 1'],
    [{ dryRun: 'true' }, 'dryRun', 'must be true or false, not "true"'],
    [{ rowBatchSize: 0 }, 'rowBatchSize', 'must be a whole number from 1 to 10000, not 0'],
    [{ rowBatchSize: 10_001 }, 'rowBatchSize', 'must be a whole number from 1 to 10000, not 10001'],
    [{ rowBatchSize: 2.5 }, 'rowBatchSize', 'must be a whole number from 1 to 10000, not 2.5'],
    [{ rowBatchSize: '250' }, 'rowBatchSize', 'must be a whole number from 1 to 10000, not "250"'],
  ])('refuses %j as an InvalidOptionError of %s', (input, option, problem) => {
    const error = refusal(input);

    expect(error.option).toBe(option);
    if (typeof problem === 'string') expect(error.problem).toBe(problem);
    else expect(error.problem).toMatch(problem);
    expect(error.message).toBe(`${option}: ${error.problem}`);
    expect(error.message).not.toMatch(/--/);
  });

  it('names the first bad option when several are bad', () => {
    expect(refusal({ onConflict: 'merge', rowBatchSize: 0 }).option).toBe('onConflict');
  });

  it('refuses input that is not an object of options', () => {
    expect(() => parseRestoreOptions(null)).toThrow(UsageError);
    expect(() => parseRestoreOptions(['onConflict'])).toThrow(/must be an object of option/);
  });
});

describe('the CLI and the restore event give equal options for the same input', () => {
  it('with every option given', () => {
    const fromCli = cliOptions([
      '--on-conflict',
      'overwrite',
      '--data-table-rows',
      'replace',
      '--only',
      'projects, tags,workflows',
      '--project-map',
      'Ops=Operations',
      '--project-map',
      'Sales = Revenue',
      '--project',
      'Ops',
      '--tag',
      'billing',
      '--workflow',
      'Orders *',
      '--keep-workflow-ids',
      '--require-same-minor',
      '--no-activate',
      '--dry-run',
      '--row-batch-size',
      '500',
    ]);
    const fromEvent = eventOptions({
      onConflict: 'overwrite',
      dataTableRows: 'replace',
      only: ['projects', 'tags', 'workflows'],
      projectMap: { Ops: 'Operations', Sales: 'Revenue' },
      project: 'Ops',
      tag: 'billing',
      workflow: 'Orders *',
      keepWorkflowIds: true,
      requireSameMinor: true,
      activate: false,
      dryRun: true,
      rowBatchSize: 500,
    });

    expect(fromCli).toEqual(fromEvent);
    expect(fromCli.projectMap).toEqual(
      new Map([
        ['Ops', 'Operations'],
        ['Sales', 'Revenue'],
      ]),
    );
  });

  it("with nothing given but the CLI's defaults, spelled out in the event", () => {
    expect(cliOptions([])).toEqual(
      eventOptions({ onConflict: 'skip', dataTableRows: 'skip', activate: true, rowBatchSize: 5000 }),
    );
  });

  it('refusing the same bad value with the same problem, each worded its own way', async () => {
    const core = refusal({ onConflict: 'merge' });

    expect(() => cliOptions(['--on-conflict', 'merge'])).toThrow(core.message);
    expect(() => eventOptions({ onConflict: 'merge' })).toThrow(
      `invalid restore event: onConflict: ${core.problem}`,
    );
    expect((await cliError(['restore', 'x.zip', '--on-conflict', 'merge'])).stderr).toBe(
      `error: --on-conflict ${core.problem}\n`,
    );
  });
});

describe('CLI flag text', () => {
  it('a --row-batch-size that is not a number is refused quoting what was typed, exit 2', async () => {
    const run = await cliError(['restore', 'x.zip', '--row-batch-size', 'lots']);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: --row-batch-size must be a whole number from 1 to 10000, not "lots"\n');
  });

  it('a --project-map pair without "=" is the CLI\'s own usage error', () => {
    const error = (() => {
      try {
        return cliOptions(['--project-map', 'Ops']);
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(UsageError);
    expect(error).not.toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toBe('--project-map "Ops": write it as "Source project=Target project"');
  });

  it('a project mapped twice is refused', () => {
    expect(() => cliOptions(['--project-map', 'Ops=A', '--project-map', 'Ops=B'])).toThrow(
      '--project-map maps "Ops" twice',
    );
  });

  it('an --only of commas alone names no resource', async () => {
    const run = await cliError(['restore', 'x.zip', '--only', ' , ']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: --only must name at least one of projects/);
  });

  it('option keys become flags: camelCase to --kebab-case', () => {
    expect(['onConflict', 'projectMap', 'rowBatchSize', 'credentialSecrets', 'only'].map(flagOf)).toEqual([
      '--on-conflict',
      '--project-map',
      '--row-batch-size',
      '--credential-secrets',
      '--only',
    ]);
  });
});

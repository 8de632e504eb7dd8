/**
 * One exit-code table, and the code agrees with it: `n8n-ark --help`, the README and
 * docs/OPERATIONS.md show EXIT_CODES as it is declared, and every error class the CLI can end with
 * exits with the code of the one row that names it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as cliErrors from '../../functions/cli/errors.js';
import { EXIT_CODES, exitCodesHelp, exitCodesMarkdown } from '../../functions/cli/exit-codes.js';
import { buildProgram, runCli } from '../../functions/cli/program.js';
import * as coreErrors from '../../functions/core/errors.js';
import { ArkError, DrillFailedError } from '../../functions/core/errors.js';

const root = join(import.meta.dirname, '..', '..');

/** The text between the exit-codes markers of a document. */
function documentedTable(doc: string): string | undefined {
  const text = readFileSync(join(root, doc), 'utf8');
  const start = /<!-- exit-codes:[^\n]*-->\n/.exec(text);
  if (!start) return undefined;
  const from = start.index + start[0].length;
  const end = text.indexOf('\n<!-- /exit-codes -->', from);
  return end < 0 ? undefined : text.slice(from, end);
}

type ErrorClass = abstract new (...args: never[]) => ArkError;

/** Every ArkError class the core and the CLI export. */
const exported: unknown[] = [...Object.values(coreErrors), ...Object.values(cliErrors)];
const errorClasses = exported.filter(
  (value): value is ErrorClass =>
    typeof value === 'function' && (value === ArkError || value.prototype instanceof ArkError),
);

/** One instance of a class, made without knowing its context fields (they are not what is checked). */
function instanceOf(errorClass: ErrorClass, context: Record<string, unknown> = {}): ArkError {
  const Made = errorClass as unknown as new (message: string, context: Record<string, unknown>) => ArkError;
  return new Made('x', { status: 403, method: 'GET', path: '/', location: 'l', entry: 'e', ...context });
}

describe('the exit-code table', () => {
  it.each(['README.md', 'docs/OPERATIONS.md'])('%s shows it as EXIT_CODES declares it', (doc) => {
    expect(documentedTable(doc)).toBe(exitCodesMarkdown());
  });

  it('n8n-ark --help prints it', async () => {
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c: Buffer) => (text += c.toString()));
    await runCli(['node', 'n8n-ark', '--help'], { stdout, stderr: new PassThrough() }, {});

    expect(text).toContain(exitCodesHelp());
  });

  it('names every error class the core and the CLI export, each in the row of the code it exits with', () => {
    const named = EXIT_CODES.flatMap((row) => row.errors);
    expect(errorClasses.length).toBeGreaterThan(20);

    expect(errorClasses.filter((c) => !named.includes(c)).map((c) => c.name)).toEqual([]);
    for (const row of EXIT_CODES)
      for (const errorClass of row.errors) {
        if (errorClass === DrillFailedError) continue;
        expect([errorClass.name, instanceOf(errorClass).exitCode]).toEqual([errorClass.name, row.code]);
      }
  });

  it('a drill exits 6 when its restore is incomplete and 1 when the scratch instance differs, as its two rows say', () => {
    const rowsOf = (code: number) => EXIT_CODES.find((row) => row.code === code)?.errors ?? [];
    const failed = (incomplete: boolean) => new DrillFailedError('x', { incomplete, report: [] });

    expect([failed(true).exitCode, failed(false).exitCode]).toEqual([6, 1]);
    expect(rowsOf(6)).toContain(DrillFailedError);
    expect(rowsOf(1)).toContain(DrillFailedError);
  });

  it('the README says what exit 0 means for every command `n8n-ark --help` lists', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.split('### What exit 0 means')[1]?.split('\n#')[0] ?? '';
    const commands = buildProgram({ stdout: new PassThrough(), stderr: new PassThrough() }, {}).commands;
    const explained = [...section.matchAll(/^- \*\*`([a-z]+)`\*\*: \S/gm)].map((m) => m[1]);

    expect(explained.sort()).toEqual(commands.map((c) => c.name()).sort());
  });
});

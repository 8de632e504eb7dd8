/**
 * Help that teaches: every command's --help has a description, wrapped by commander rather than
 * broken by hand, and examples that run the command; the README's command table lists exactly the
 * commands `n8n-ark --help` lists, each with a one-line example, and no README table cell is a wall.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildProgram, runCli } from '../../functions/cli/program.js';

const root = join(import.meta.dirname, '..', '..');

async function help(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  const code = await runCli(
    ['node', 'n8n-ark', ...args, '--help'],
    { stdout, stderr: new PassThrough() },
    {},
  );
  expect(code).toBe(0);
  return text;
}

const commands = buildProgram({ stdout: new PassThrough(), stderr: new PassThrough() }, {}).commands;

const readme = (): string[] => readFileSync(join(root, 'README.md'), 'utf8').split('\n');

/** The rows of the README's command table (the table whose header is `| command`). */
function commandRows(): string[] {
  const lines = readme();
  const start = lines.findIndex((l) => /^\|\s*command\s*\|/.test(l));
  expect(start).toBeGreaterThan(-1);
  const rows = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows;
}

/** The first word of each row of the README's command table. */
function readmeCommands(): string[] {
  return commandRows().map(
    (line) => /^\|\s*`([a-z-]+)/.exec(line)?.[1] ?? `(unreadable row: ${line.slice(0, 40)})`,
  );
}

/** A table row's cells (a `\|` inside a cell is not a border). */
function cellsOf(row: string): string[] {
  return row
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());
}

/** Command names as the top-level --help lists them. */
function listedCommands(text: string): string[] {
  const section = text.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return section
    .split('\n')
    .map((l) => /^ {2}([a-z-]+)/.exec(l)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

describe('--help', () => {
  it("the README's command table and `n8n-ark --help` list the same commands", async () => {
    const listed = listedCommands(await help([]));
    expect(listed.length).toBeGreaterThan(5);
    expect([...readmeCommands()].sort()).toEqual([...listed].sort());
    expect([...listed].sort()).toEqual(commands.map((c) => c.name()).sort());
  });

  it("every row of the README's command table has a one-line example of its own command", () => {
    for (const row of commandRows()) {
      const [name, , example] = cellsOf(row);
      expect(example, row).toMatch(new RegExp(`^\`n8n-ark ${name?.replaceAll('`', '')} [^\`]+\`$`));
    }
  });

  it('no cell of a README table has 40 words or more', () => {
    const walls = readme()
      .filter((l) => l.startsWith('|') && !/^\|[\s:|-]+\|$/.test(l))
      .flatMap(cellsOf)
      .filter((cell) => cell.split(/\s+/).length >= 40);
    expect(walls).toEqual([]);
  });

  it.each(commands.map((c) => [c.name()]))(
    '%s --help has a description, a summary and examples of itself',
    async (name) => {
      const command = commands.find((c) => c.name() === name);
      const text = await help([name]);

      expect(command?.summary().length).toBeGreaterThan(10);
      expect(command?.summary()).not.toContain('\n');
      expect(command?.description().length).toBeGreaterThan(20);
      // Line breaks inside a paragraph break lines mid-phrase once commander wraps them: paragraphs only.
      expect(command?.description().replaceAll('\n\n', '')).not.toContain('\n');
      const examples = text.split('\nExamples:\n')[1] ?? '';
      expect(examples.split('\n').some((l) => l.startsWith(`  n8n-ark ${name}`))).toBe(true);
    },
  );

  it('the top-level description is one paragraph too', () => {
    const program = buildProgram({ stdout: new PassThrough(), stderr: new PassThrough() }, {});
    expect(program.description().replaceAll('\n\n', '')).not.toContain('\n');
  });
});

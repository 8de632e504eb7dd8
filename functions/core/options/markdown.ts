/**
 * An option table as the docs show it: one row per option with its CLI flag, its Lambda event
 * field and, where the options are grouped, what it decides. A test compares the docs' tables with
 * these, so the docs cannot drift from the flags and events they describe.
 */
import { byGroup, flagFor, type OptionSpec, type OptionTable } from './table.js';

/**
 * Text in a table cell: `|` would end the cell, and outside code spans `<x>` would be read as an
 * HTML tag.
 */
const cell = (text: string) =>
  text
    .split('`')
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/<(?=[\w"])/g, '\\<')))
    .join('`')
    .replaceAll('|', '\\|');

function flagCell(key: string, spec: OptionSpec): string {
  if (spec.flag === false) return '—';
  const form = spec.flag ?? {};
  const flag = flagFor(key, form);
  const notes = [
    ...(form.default !== undefined ? [`default \`${form.default}\``] : []),
    ...(form.required ? ['required'] : []),
  ];
  const written = `\`${flag}${form.value ? ` ${form.value}` : ''}\``;
  return cell(notes.length > 0 ? `${written} (${notes.join(', ')})` : written);
}

function eventCell(key: string, spec: OptionSpec): string {
  if (spec.event === undefined) return '—';
  const form = spec.event === true ? {} : spec.event;
  const notes = [...(form.required ? ['required'] : []), ...(form.note ? [form.note] : [])];
  return cell(notes.length > 0 ? `\`${key}\` (${notes.join('; ')})` : `\`${key}\``);
}

/**
 * The table as Markdown. With `groups`, a first column says what each option decides, options in
 * `groups` order, then those of no group (the edge turns them into what the run is given).
 */
export function optionsMarkdown(table: OptionTable, groups: readonly string[] = []): string {
  const grouped = groups.length > 0;
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const header = [...(grouped ? ['decides'] : []), 'CLI flag', 'Lambda event field', 'what it does'];
  const rows = byGroup(table, groups).map(([key, spec]) =>
    row([
      ...(grouped ? [spec.group ?? '—'] : []),
      flagCell(key, spec),
      eventCell(key, spec),
      cell(spec.help),
    ]),
  );
  return [row(header), row(header.map(() => '---')), ...rows].join('\n');
}

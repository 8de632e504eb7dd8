/**
 * The docs' option tables say what the option tables declare: each table between
 * `<!-- options: NAME … -->` and `<!-- /options -->` is the Markdown the table NAME gives. When one
 * fails, paste the expected table from the failure into the doc.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_KEY_OPTIONS, ENCRYPT_OPTIONS } from '../../functions/cli/archive-keys.js';
import { S3_STORE_OPTIONS } from '../../functions/cli/stores.js';
import { BACKUP_OPTIONS } from '../../functions/core/backup/options.js';
import { optionsMarkdown } from '../../functions/core/options/markdown.js';
import { RESTORE_GROUPS, RESTORE_OPTIONS } from '../../functions/core/restore/options.js';

const root = join(import.meta.dirname, '..', '..');

/** Each documented table: where it is, and the Markdown it must be. */
const DOCUMENTED = [
  {
    doc: 'docs/RESTORE.md',
    name: 'RESTORE_OPTIONS',
    markdown: optionsMarkdown(RESTORE_OPTIONS, RESTORE_GROUPS),
  },
  { doc: 'docs/OPERATIONS.md', name: 'BACKUP_OPTIONS', markdown: optionsMarkdown(BACKUP_OPTIONS) },
  { doc: 'docs/OPERATIONS.md', name: 'ARCHIVE_KEY_OPTIONS', markdown: optionsMarkdown(ARCHIVE_KEY_OPTIONS) },
  { doc: 'docs/OPERATIONS.md', name: 'ENCRYPT_OPTIONS', markdown: optionsMarkdown(ENCRYPT_OPTIONS) },
  { doc: 'docs/OPERATIONS.md', name: 'S3_STORE_OPTIONS', markdown: optionsMarkdown(S3_STORE_OPTIONS) },
];

/** The text between `<!-- options: NAME … -->` and the next `<!-- /options -->`, or undefined. */
function documentedTable(doc: string, name: string): string | undefined {
  const text = readFileSync(join(root, doc), 'utf8');
  const start = new RegExp(`<!-- options: ${name}\\b[^\\n]*-->\\n`).exec(text);
  if (!start) return undefined;
  const from = start.index + start[0].length;
  const end = text.indexOf('\n<!-- /options -->', from);
  return end < 0 ? undefined : text.slice(from, end);
}

describe('option tables in the docs', () => {
  it.each(DOCUMENTED)('$doc shows $name as the table declares it', ({ doc, name, markdown }) => {
    expect(documentedTable(doc, name)).toBe(markdown);
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** README.md and every Markdown file under docs/, as paths from the repository root. */
function documents(): string[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name));
  return ['README.md', ...docs];
}

/** Text outside fenced code blocks (commands and JSON there are not links). */
function prose(file: string): string {
  return readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function anchorsIn(file: string): Set<string> {
  return new Set([...prose(file).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => anchorOf(m[1] ?? '')));
}

/** Where a relative target points, from the repository root, or why it is wrong. */
function problemWith(file: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#');
  const absolute = path === '' ? join(root, file) : resolve(root, dirname(file), path);
  const fromRoot = relative(root, absolute);
  if (fromRoot.startsWith('..')) return 'points outside the repository';
  if (!existsSync(absolute)) return 'names no file in the repository';
  if (anchor !== undefined && absolute.endsWith('.md') && !anchorsIn(fromRoot).has(anchor))
    return `has no heading for #${anchor}`;
  return undefined;
}

/** Paths written as code (`functions/core/…`) that name files of this repository. */
const REPO_PATH =
  /`((?:\.\.\/)+[^`\s]+|(?:bin|bench|docs|functions|lib|scripts|test)\/[^`\s<>…*]+\.[a-z]+)`/g;
/** Files the docs name on purpose though they do not exist (none now). */
const HYPOTHETICAL = new Set<string>();

describe('the docs point at what exists', () => {
  it('checks the README and every file under docs/', () => {
    expect(documents()).toEqual(
      expect.arrayContaining(['README.md', 'docs/RESTORE.md', 'docs/OPERATIONS.md', 'docs/ARCHITECTURE.md']),
    );
  });

  it('finds a bad link, a link out of the repository and a missing anchor', () => {
    expect(problemWith('README.md', 'docs/NOPE.md')).toBe('names no file in the repository');
    expect(problemWith('docs/RESTORE.md', '../../shared/n8n/API-NOTES.md')).toBe(
      'points outside the repository',
    );
    expect(problemWith('README.md', 'docs/RESTORE.md#no-such-heading')).toBe(
      'has no heading for #no-such-heading',
    );
    expect(problemWith('docs/ARCHITECTURE.md', '#restore-by-kind')).toBeUndefined();
    expect(problemWith('README.md', 'docs/RESTORE.md')).toBeUndefined();
  });

  it('every relative Markdown link resolves to a file (and heading) inside the repository', () => {
    const broken = documents().flatMap((file) =>
      [...prose(file).matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1] ?? '')
        .filter((target) => !/^[a-z]+:/i.test(target))
        .flatMap((target) => {
          const problem = problemWith(file, target);
          return problem ? [`${file}: (${target}) ${problem}`] : [];
        }),
    );
    expect(broken).toEqual([]);
  });

  it('every repository path written as code names a file that exists, none outside the repository', () => {
    const broken = documents().flatMap((file) =>
      [...prose(file).matchAll(REPO_PATH)]
        .map((m) => m[1] ?? '')
        .filter((path) => !HYPOTHETICAL.has(path))
        .flatMap((path) => {
          const outside = path.startsWith('../');
          if (!outside && existsSync(join(root, path))) return [];
          return [`${file}: \`${path}\` ${outside ? 'points outside the repository' : 'names no file'}`];
        }),
    );
    expect(broken).toEqual([]);
  });
});

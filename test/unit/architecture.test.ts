import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  const absolute = join(root, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute).flatMap((name) => {
    const path = join(absolute, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path));
    return name.endsWith('.ts') ? [relative(root, path)] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
}

function violations(dir: string, forbidden: (specifier: string, file: string) => boolean): string[] {
  return sourceFiles(dir).flatMap((file) =>
    importsOf(file)
      .filter((specifier) => forbidden(specifier, file))
      .map((specifier) => `${file} imports ${specifier}`),
  );
}

/** Imports of `file` that bring values (not only types) from functions/, as "specifier: names". */
function productionValueImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)].flatMap(
    ([, typeOnly, names = '', specifier = '']) => {
      if (typeOnly || !specifier.includes('functions/')) return [];
      const values = names
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '' && !name.startsWith('type '));
      return values.length > 0 ? [`${specifier}: ${values.join(', ')}`] : [];
    },
  );
}

describe('layout boundaries', () => {
  it('lib/ (CDK) never imports functions/', () => {
    expect(violations('lib', (s) => s.includes('functions/'))).toEqual([]);
  });

  it('functions/ never imports aws-cdk-lib or constructs', () => {
    expect(violations('functions', (s) => s.startsWith('aws-cdk-lib') || s === 'constructs')).toEqual([]);
  });

  it('functions/core imports no adapter, handler, CLI, AWS SDK, archiver, yauzl or HTTP library', () => {
    const forbidden =
      /^(@aws-sdk\/|archiver|yauzl|commander|undici|node:http|node:https)|\/(adapters|handlers|cli)\//;
    expect(violations('functions/core', (s) => forbidden.test(s))).toEqual([]);
  });

  it('functions/core never reads the environment', () => {
    const readers = sourceFiles('functions/core').filter((file) =>
      /process\.env/.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(readers).toEqual([]);
  });

  it("test fakes take no production values but error classes and archive entry names: n8n's rules are their own", () => {
    // Error classes are the port's contract and entry names the archive's layout; anything else
    // (such as which keys n8n accepts) a fake must state itself, or a wrong constant cannot fail a test.
    const allowed = /\/(errors|archive-format)\.js$/;
    const imports = [...sourceFiles('test/unit/fakes'), ...sourceFiles('test/unit/support')].flatMap((file) =>
      productionValueImports(file)
        .filter((entry) => !allowed.test(entry.split(':')[0] ?? ''))
        .map((entry) => `${file} imports ${entry}`),
    );
    expect(imports).toEqual([]);
  });

  it('bin/ holds entry points only: each file is a few lines', () => {
    const long = sourceFiles('bin').filter(
      (file) => readFileSync(join(root, file), 'utf8').split('\n').length > 40,
    );
    expect(long).toEqual([]);
  });
});

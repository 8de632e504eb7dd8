import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_RESOURCES } from '../../functions/core/kinds/index.js';
import { matchBrackets, measureTree, type Token, tokenize } from '../../scripts/code-size.js';

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
    const allowed = /\/(errors|archive\/format|archive\/entries)\.js$/;
    const imports = [...sourceFiles('test/unit/fakes'), ...sourceFiles('test/unit/support')].flatMap((file) =>
      productionValueImports(file)
        .filter((entry) => !allowed.test(entry.split(':')[0] ?? ''))
        .map((entry) => `${file} imports ${entry}`),
    );
    expect(imports).toEqual([]);
  });

  it('CLI commands get their adapters from the composition root; no handler but compose.ts builds a client', () => {
    const commands = violations('functions/cli/commands', (s) => s.includes('/adapters/'));
    // A handler may import a stateless adapter it alone uses (the zip writer: archiver stays out of
    // the other functions' bundles); the n8n, S3 and Secrets Manager clients are built in one place.
    const clients = /^@aws-sdk\/|\/adapters\/(n8n\/[\w-]+|s3-[\w-]+|secrets-manager)\.js$/;
    const handlers = violations(
      'functions/handlers',
      (s, file) => clients.test(s) && !file.endsWith(`${posix.sep}compose.ts`),
    );
    expect([...commands, ...handlers]).toEqual([]);
  });

  it('bin/ holds entry points only: each file is a few lines', () => {
    const long = sourceFiles('bin').filter(
      (file) => readFileSync(join(root, file), 'utf8').split('\n').length > 40,
    );
    expect(long).toEqual([]);
  });
});

interface ImportStatement {
  specifier: string;
  /** `import type …` / `export type … from`: erased at build, so it creates no module dependency. */
  typeOnly: boolean;
}

function importStatements(text: string): ImportStatement[] {
  const statements = [
    ...text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm),
  ].map(([, typeOnly, specifier = '']) => ({ specifier, typeOnly: typeOnly !== undefined }));
  const dynamic = [...text.matchAll(/import\s*\(\s*['"]([^'"]+)['"]/g)].map(([, specifier = '']) => ({
    specifier,
    typeOnly: false,
  }));
  return [...statements, ...dynamic];
}

const KINDS_DIR = 'functions/core/kinds';

/**
 * `users` for kinds/users.ts, `workflows` for anything in kinds/workflows/, `kind`, `index`, `shared`
 * (kinds/shared/: what kinds share, itself no kind); else undefined.
 */
function kindOfPath(path: string): string | undefined {
  if (path === KINDS_DIR) return 'index';
  if (!path.startsWith(`${KINDS_DIR}/`)) return undefined;
  const [first = '', ...rest] = path.slice(KINDS_DIR.length + 1).split('/');
  return rest.length > 0 ? first : first.replace(/\.(ts|js)$/, '');
}

/** Modules of kinds/ that are no kind: the contract, the list and what kinds share. */
const NOT_KINDS = new Set(['kind', 'index', 'shared']);

/**
 * Why `file`'s import breaks "a kind never imports another kind", or undefined. A kind's module may
 * reach into kinds/ only for its own file or folder, the contract (kind.ts), what kinds share
 * (shared/) and types of the list (index.ts); the relative specifier is resolved against the
 * importing file's directory. What kinds share imports no kind.
 */
function kindImportProblem(file: string, statement: ImportStatement): string | undefined {
  const own = kindOfPath(file);
  if (own === undefined || own === 'kind' || own === 'index' || !statement.specifier.startsWith('.'))
    return undefined;
  const target = kindOfPath(posix.join(posix.dirname(file), statement.specifier));
  if (target === undefined || target === own || target === 'kind') return undefined;
  if (target === 'shared' && own !== 'shared') return undefined;
  if (target === 'index' && statement.typeOnly) return undefined;
  return `${file} imports ${statement.specifier}${target === 'index' ? ' (values of the kind list)' : ''}`;
}

describe('kinds stay apart', () => {
  it('the kind import rule tells own-folder, contract and list-type imports from another kind or list values', () => {
    // Prepare
    const file = 'functions/core/kinds/workflows/create.ts';
    const imports: ImportStatement[] = [
      { specifier: './planned.js', typeOnly: false },
      { specifier: '../kind.js', typeOnly: false },
      { specifier: '../index.js', typeOnly: true },
      { specifier: '../../restore/types.js', typeOnly: false },
      { specifier: '../credentials/stub-data.js', typeOnly: false },
      { specifier: '../folders.js', typeOnly: true },
      { specifier: '../index.js', typeOnly: false },
    ];

    // Act
    const problems = imports.map((statement) => kindImportProblem(file, statement));

    // Assess
    expect(problems).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      `${file} imports ../credentials/stub-data.js`,
      `${file} imports ../folders.js`,
      `${file} imports ../index.js (values of the kind list)`,
    ]);
  });

  it('a kind module never imports another kind, nor values from the kind list', () => {
    const problems = sourceFiles(KINDS_DIR).flatMap((file) =>
      importStatements(readFileSync(join(root, file), 'utf8')).flatMap(
        (statement) => kindImportProblem(file, statement) ?? [],
      ),
    );
    expect(problems).toEqual([]);
  });

  it('kinds/index.ts imports every kind module beside it', () => {
    const kinds = readdirSync(join(root, KINDS_DIR))
      .map((name) => name.replace(/\.ts$/, ''))
      .filter((name) => !NOT_KINDS.has(name))
      .sort();
    const indexFile = `${KINDS_DIR}/index.ts`;
    const imported = importStatements(readFileSync(join(root, indexFile), 'utf8'))
      .map((s) => kindOfPath(posix.join(KINDS_DIR, s.specifier)))
      .filter((kind): kind is string => kind !== undefined && !NOT_KINDS.has(kind))
      .sort();
    expect(imported).toEqual(kinds);
  });
});

/** The core's import graph: each file's relative imports (type-only ones too), resolved to files. */
function importGraph(dir: string): Map<string, string[]> {
  return new Map(
    sourceFiles(dir).map((file) => [
      file,
      importStatements(readFileSync(join(root, file), 'utf8'))
        .filter((statement) => statement.specifier.startsWith('.'))
        .map((statement) => posix.join(posix.dirname(file), statement.specifier).replace(/\.js$/, '.ts'))
        .filter((target) => existsSync(join(root, target))),
    ]),
  );
}

/** Files reachable from `file` through the graph. */
function reachable(graph: Map<string, string[]>, file: string): Set<string> {
  const seen = new Set<string>();
  const queue = [...(graph.get(file) ?? [])];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(graph.get(next) ?? []));
  }
  return seen;
}

describe('kinds stand below the restore', () => {
  it('the reach of an import graph follows imports through other files', () => {
    // Prepare
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['b.ts']],
      ['d.ts', []],
    ]);

    // Act
    const fromA = reachable(graph, 'a.ts');

    // Assess
    expect([...fromA].sort()).toEqual(['b.ts', 'c.ts']);
  });

  it('no module of kinds/ imports restore/, even through another module (so no cycle joins them)', () => {
    const graph = importGraph('functions/core');
    const problems = [...graph.keys()]
      .filter((file) => file.startsWith(`${KINDS_DIR}/`))
      .flatMap((file) =>
        [...reachable(graph, file)]
          .filter((target) => target.startsWith('functions/core/restore/'))
          .map((target) => `${file} reaches ${target}`),
      );
    expect(problems).toEqual([]);
  });
});

function quotedValue(token: Token | undefined): string | undefined {
  return token?.kind === 'literal' && /^['"]/.test(token.text) ? token.text.slice(1, -1) : undefined;
}

function distinctNames(tokens: readonly Token[], names: ReadonlySet<string>): number {
  return new Set(tokens.map(quotedValue).filter((value) => value !== undefined && names.has(value))).size;
}

/**
 * Lines where `source` lists three or more of `names` as quoted strings, in one of two shapes:
 * - a `[...]` with the strings anywhere inside it (reported once, at its `[`, not again for the
 *   brackets within it), as in `['users', 'projects', 'tags']` or `new Map([['users', 1], …])`;
 * - a union of string literals, `'a' | 'b' | 'c'`, as in `type X = 'a' | 'b' | 'c'` (reported at
 *   its first string; a non-string member ends the union).
 * Comments never count, and a string counts only when it is exactly a name.
 */
function resourceNameLists(source: string, names: ReadonlySet<string>): number[] {
  const tokens = tokenize(source);
  const partners = matchBrackets(tokens);
  const lines: number[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i] as Token;
    const close = token.kind === 'punct' && token.text === '[' ? partners.get(i) : undefined;
    if (close !== undefined && distinctNames(tokens.slice(i + 1, close), names) >= 3) {
      lines.push(token.line);
      i = close + 1;
      continue;
    }
    let end = i;
    while (quotedValue(tokens[end]) !== undefined && tokens[end + 1]?.text === '|') end += 2;
    if (end > i && distinctNames(tokens.slice(i, end + 1), names) >= 3) lines.push(token.line);
    i = end + 1;
  }
  return lines;
}

/** Lists of resources allowed outside KINDS, as file:line (none: every list derives from KINDS). */
const RESOURCE_LIST_EXCEPTIONS: readonly string[] = [];

describe('one list of resources', () => {
  const resources = new Set<string>(SNAPSHOT_RESOURCES);

  it('the list detector finds a bracket list and a string union of three resource names', () => {
    // Prepare
    const sample = [
      "const order = ['users', 'projects',",
      "  'tags'];",
      'type Optional =',
      "  | 'folders'",
      "  | 'variables'",
      "  | 'dataTables';",
      "const pairs = new Map([['credentials', 1], ['workflows', 2], ['users', 3]]);",
    ].join('\n');

    // Act
    const lines = resourceNameLists(sample, resources);

    // Assess
    expect(lines).toEqual([1, 4, 7]);
  });

  it('the list detector ignores two names, other strings, comments and object keys', () => {
    // Prepare
    const sample = [
      "const two = ['users', 'projects'];",
      "const other = ['users', 'Projects', 'tag', `folders`];",
      "// ['users', 'projects', 'tags']",
      "const text = \"['users', 'projects', 'tags']\";",
      'const counts = { users: 1, projects: 2, tags: 3 };',
      "type Mixed = 'users' | Other | 'projects' | 'tags';",
      "const same = ['tags', 'tags', 'tags'];",
    ].join('\n');

    // Act
    const lines = resourceNameLists(sample, resources);

    // Assess
    expect(lines).toEqual([]);
  });

  it('no list of resource names outside functions/core/kinds/index.ts', () => {
    const lists = sourceFiles('functions')
      .filter((file) => file !== `${KINDS_DIR}/index.ts` && !file.endsWith('.test.ts'))
      .flatMap((file) =>
        resourceNameLists(readFileSync(join(root, file), 'utf8'), resources).map((line) => `${file}:${line}`),
      );
    expect(lists).toEqual(RESOURCE_LIST_EXCEPTIONS);
  });
});

/**
 * Whether `source` names `name` as a key: an object key or type member (`tags:`, `tags?:`), a
 * property (`.tags`) or a string (`'tags'`, as in `resource === 'tags'` or `record['tags']`).
 */
function namesAsKey(source: string, name: string): boolean {
  const tokens = tokenize(source);
  return tokens.some((token, i) => {
    if (token.kind === 'literal') return quotedValue(token) === name;
    if (token.kind !== 'name' || token.text !== name) return false;
    const next = tokens[i + 1]?.text;
    return tokens[i - 1]?.text === '.' || next === ':' || (next === '?' && tokens[i + 2]?.text === ':');
  });
}

/**
 * Kinds no generic module needs to name: everything about them is in their own module and reaches
 * the rest through the contract. (Projects say where objects land; credentials and data tables are
 * what workflows refer to; workflows are the required kind, with their own export and history.)
 */
const KINDS_KNOWN_ONLY_BY_THEMSELVES = ['users', 'folders', 'tags', 'variables'];
/** At most this many core files outside kinds/ may name one of them (`InstanceNames.folders`, the drill's marker tag, a workflow's tags…). */
const MAX_FILES_NAMING_A_KIND = 3;

describe('a kind is one file', () => {
  it('the key detector finds keys, members, properties and strings, not other words', () => {
    // Prepare
    const samples = [
      'const x = { tags: 1 };',
      'interface A { tags?: string[] }',
      'const n = workflow.tags;',
      "if (resource === 'tags') return;",
      'const tagsById = new Map(); // tags',
      "const name = 'tags.ndjson';",
    ];

    // Act
    const found = samples.map((sample) => namesAsKey(sample, 'tags'));

    // Assess
    expect(found).toEqual([true, true, true, true, false, false]);
  });

  it(`${KINDS_KNOWN_ONLY_BY_THEMSELVES.join(', ')} are each named as a key in at most ${MAX_FILES_NAMING_A_KIND} core files outside kinds/`, () => {
    const files = sourceFiles('functions/core').filter((file) => !file.startsWith(`${KINDS_DIR}/`));
    const naming = Object.fromEntries(
      KINDS_KNOWN_ONLY_BY_THEMSELVES.map((name) => [
        name,
        files.filter((file) => namesAsKey(readFileSync(join(root, file), 'utf8'), name)),
      ]),
    );
    const over = Object.entries(naming).filter(([, named]) => named.length > MAX_FILES_NAMING_A_KIND);
    expect(over).toEqual([]);
  });
});

/** The longest string or template literal among a call's arguments, from the `(` at `open`. */
function longestLiteralIn(source: string, open: number): number {
  let longest = 0;
  let depth = 0;
  for (let i = open; i < source.length; i += 1) {
    const c = source[i];
    if (c === '`' || c === "'" || c === '"') {
      const end = literalEnd(source, i);
      longest = Math.max(longest, end - i);
      i = end - 1;
    } else if (c === '(') depth += 1;
    else if (c === ')' && --depth === 0) break;
  }
  return longest;
}

/** Where the literal starting at `start` ends (after its closing quote), templates' `${}` included. */
function literalEnd(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i += 1) {
    const c = source[i];
    if (c === '\\') i += 1;
    else if (c === quote) return i + 1;
    else if (quote === '`' && c === '$' && source[i + 1] === '{') {
      let depth = 0;
      for (i += 1; i < source.length; i += 1) {
        if (source[i] === '`') i = literalEnd(source, i) - 1;
        else if (source[i] === '{') depth += 1;
        else if (source[i] === '}' && --depth === 0) break;
      }
    }
  }
  return source.length;
}

/** A long message, past which an error is built by a factory (a function that returns it), not inline. */
const LONG_MESSAGE = 100;

/** `file:line` of each `new …Error(` with a long literal message that is not a factory's `return new …`. */
function inlineLongMessages(file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8');
  return [...source.matchAll(/new\s+\w+Error\(/g)].flatMap((match) => {
    const at = match.index ?? 0;
    if (/return\s*$/.test(source.slice(Math.max(0, at - 16), at))) return [];
    if (longestLiteralIn(source, at + match[0].length - 1) < LONG_MESSAGE) return [];
    return [`${file}:${source.slice(0, at).split('\n').length}`];
  });
}

describe('long messages live in error factories', () => {
  it('the message detector tells an inline long message from a factory and a short one', () => {
    // Prepare
    const long = 'x'.repeat(LONG_MESSAGE);
    const sample = [
      `if (bad) throw new RestoreError(\`${long} \${why}\`);`,
      `function refused(): RestoreError { return new RestoreError('${long}'); }`,
      "throw new UsageError('short');",
    ].join('\n');

    // Act
    const longest = [...sample.matchAll(/new\s+\w+Error\(/g)].map((m) =>
      longestLiteralIn(sample, (m.index ?? 0) + m[0].length - 1),
    );

    // Assess
    expect(longest.map((n) => n >= LONG_MESSAGE)).toEqual([true, true, false]);
  });

  it(`in functions/core, a message of ${LONG_MESSAGE} characters or more is built by a factory, not inline in control flow`, () => {
    expect(sourceFiles('functions/core').flatMap(inlineLongMessages)).toEqual([]);
  });
});

/**
 * The files docs/ARCHITECTURE.md names, by folder: each table row whose first cell is a folder
 * (`` `functions/core/kinds/` ``) names the files of that folder as `` `name.ts` `` anywhere in the row.
 */
function namedInMap(map: string): Map<string, Set<string>> {
  const named = new Map<string, Set<string>>();
  for (const [, folder = '', rest = ''] of map.matchAll(/^\|\s*`([^`]+\/)`\s*\|(.*)$/gm))
    named.set(
      folder.replace(/\/$/, ''),
      new Set([...rest.matchAll(/`([\w.-]+\.ts)`/g)].map((m) => m[1] ?? '')),
    );
  return named;
}

/** The files a folder's row names; `commands/*` is the row of every folder in `commands/`. */
function namesOf(named: Map<string, Set<string>>, folder: string): Set<string> {
  return named.get(folder) ?? named.get(posix.join(posix.dirname(folder), '*')) ?? new Set();
}

describe('the map is true', () => {
  it('the map reader takes the files a folder row names, not those of other rows', () => {
    // Prepare
    const map = [
      '| folder | what |',
      '|---|---|',
      '| `lib/` | the stack: `stack.ts` (and `other/x.ts` is not its own) |',
      '| `lib/rules/` | `pack.ts`, `rule.ts` |',
    ].join('\n');

    // Act
    const named = namedInMap(map);

    // Assess
    expect([...named]).toEqual([
      ['lib', new Set(['stack.ts'])],
      ['lib/rules', new Set(['pack.ts', 'rule.ts'])],
    ]);
  });

  it("docs/ARCHITECTURE.md names every source file under functions/, lib/ and bin/ in its folder's row", () => {
    const named = namedInMap(readFileSync(join(root, 'docs', 'ARCHITECTURE.md'), 'utf8'));
    const unnamed = ['functions', 'lib', 'bin']
      .flatMap((dir) => sourceFiles(dir))
      .filter((file) => !namesOf(named, posix.dirname(file)).has(posix.basename(file)));
    expect(unnamed).toEqual([]);
  });
});

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 60;

/**
 * Files (`path`) and functions (`path:functionName`) of functions/core allowed past the limits,
 * with the reason. Each was past its limit when the limit was set; an entry that no longer
 * exceeds fails the test, so the list only shrinks.
 */
const SIZE_EXCEPTIONS: Record<string, string> = {};

describe('code size', () => {
  const size = measureTree(root, 'functions/core');
  const tooLong = [
    ...size.files.filter((f) => f.lines > MAX_FILE_LINES).map((f) => ({ key: f.path, lines: f.lines })),
    ...size.functions
      .filter((f) => f.length > MAX_FUNCTION_LINES)
      .map((f) => ({ key: `${f.path}:${f.name}`, lines: f.length })),
  ];

  it(`functions/core has no file over ${MAX_FILE_LINES} lines and no function over ${MAX_FUNCTION_LINES} but the listed exceptions`, () => {
    const unlisted = tooLong
      .filter((t) => !(t.key in SIZE_EXCEPTIONS))
      .map((t) => `${t.key} (${t.lines} lines)`);
    expect(unlisted).toEqual([]);
  });

  it('every size exception is still needed', () => {
    const stale = Object.keys(SIZE_EXCEPTIONS).filter((key) => !tooLong.some((t) => t.key === key));
    expect(stale).toEqual([]);
  });
});

const MAX_PORT_METHODS = 15;

/**
 * The methods each exported interface of a (biome-formatted) TypeScript source declares itself:
 * members at the body's indentation that are called, `name(…)`, `name?(…)`, `name<T>(…)`, or hold a
 * function, `name: (…) =>`. Inherited members are not counted: a composite is a type of its own.
 */
function interfaceMethodCounts(source: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [, name = '', body = ''] of source.matchAll(/^export interface (\w+)[^{]*\{\n([\s\S]*?)^\}/gm)) {
    const methods = body
      .split('\n')
      .filter(
        (line) =>
          /^ {2}(readonly )?\w+\??(<[^>]*>)?\(/.test(line) || /^ {2}(readonly )?\w+\??: \(/.test(line),
      );
    counts.set(name, methods.length);
  }
  return counts;
}

describe('ports', () => {
  it('the method counter counts called and function-typed members of each interface, not properties or comments', () => {
    // Prepare
    const sample = [
      'export interface Small {',
      '  /** listSomething(): not a member */',
      '  readonly baseUrl: string;',
      '  list(): AsyncIterable<string>;',
      '  get?(id: string): Promise<string>;',
      '  parse<T>(',
      '    text: string,',
      '  ): T;',
      '  onItem: (item: string) => void;',
      '}',
      'interface Private {',
      '  hidden(): void;',
      '}',
    ].join('\n');

    // Act
    const counts = interfaceMethodCounts(sample);

    // Assess
    expect([...counts]).toEqual([['Small', 4]]);
  });

  it(`no port interface has more than ${MAX_PORT_METHODS} methods`, () => {
    const ports = ['functions/core/ports.ts', 'functions/core/n8n-ports.ts'].flatMap((file) =>
      [...interfaceMethodCounts(readFileSync(join(root, file), 'utf8'))].map(([name, count]) => ({
        file,
        name,
        count,
      })),
    );
    expect(ports.length).toBeGreaterThan(10);
    expect(ports.filter((p) => p.count > MAX_PORT_METHODS)).toEqual([]);
  });

  it('the n8n client is composed in one place: only functions/adapters/n8n/index.ts builds its transport and areas', () => {
    const areas = sourceFiles('functions/adapters/n8n').flatMap((file) => [
      ...readFileSync(join(root, file), 'utf8').matchAll(/^export class (\w+) implements N8n/gm),
    ]);
    const parts = new RegExp(`new (N8nTransport|${areas.map(([, name]) => name).join('|')})\\(`);
    const builders = sourceFiles('functions')
      .filter((file) => file !== 'functions/adapters/n8n/index.ts')
      .filter((file) => parts.test(readFileSync(join(root, file), 'utf8')));
    expect(areas.length).toBeGreaterThan(5);
    expect(builders).toEqual([]);
  });
});

/** The adapters, the edges, the entry points and the CDK app keep the core's limits, with no exceptions. */
describe.each(['functions/adapters', 'functions/cli', 'functions/handlers', 'bin', 'lib'])(
  'code size in %s',
  (dir) => {
    it(`no file over ${MAX_FILE_LINES} lines and no function over ${MAX_FUNCTION_LINES}`, () => {
      const size = measureTree(root, dir);
      const tooLong = [
        ...size.files.filter((f) => f.lines > MAX_FILE_LINES).map((f) => `${f.path} (${f.lines} lines)`),
        ...size.functions
          .filter((f) => f.length > MAX_FUNCTION_LINES)
          .map((f) => `${f.path}:${f.name} (${f.length} lines)`),
      ];
      expect(size.files.length).toBeGreaterThan(0);
      expect(tooLong).toEqual([]);
    });
  },
);

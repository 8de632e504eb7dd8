/**
 * Measures TypeScript source: lines per file and lines per function, for the architecture test's
 * size limits and for a person deciding what to split next:
 *   npx tsx scripts/code-size.ts [dir]        (default functions/core)
 *
 * The repository's TypeScript is native (no JS compiler API) and no parser is installed, so this
 * is a small lexer and a brace matcher. The lexer skips comments, strings, template literals (with
 * `${}` nesting) and regex literals (a `/` starts a regex unless it follows a value: a name, a
 * literal, `)` or `]`; a would-be regex that does not end on its line is taken as division). The
 * matcher then asks of every `{` what it opens. A function body is a `{` after `=>`, or after a
 * parameter list `(...)` (optionally followed by a return type annotation) that follows
 * `function`, `function name`, or a method name (with `async`, `*`, `get`/`set`, `static`,
 * `private` and the like in front). `if/for/while/switch/catch/with (...) {` are not; nor are
 * `else/try/do/finally {`, object literals, class bodies or type literals, which no parameter
 * list precedes. A `{` that starts like a type literal (`name:`, `name?:`, `readonly`, `[k:`) is
 * never a body, so `(x) => { a: string }` in a type is not taken for an arrow function.
 * A function's length counts the lines from its header (the `function` keyword, the method's
 * first modifier or name, the arrow's parameters) to its closing brace, both included.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export type TokenKind = 'name' | 'punct' | 'literal';

export interface Token {
  kind: TokenKind;
  /** The name or punctuation; a string literal's source with its quotes; `template`, `regex`, a number. */
  text: string;
  line: number;
}

export interface FunctionSpan {
  /** `name`, `Class.method`, or `<anonymous>` for a callback nobody named. */
  name: string;
  /** Line of the header (1-based). */
  line: number;
  endLine: number;
  length: number;
}

/** After these names a `/` starts a regex; after any other name it divides. */
const REGEX_AFTER_NAMES = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/** Names before `(...)` that make a statement, not a method: their `{` is a block. */
const CONTROL = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'await', 'return', 'typeof']);

/** Words that may stand before a method name. */
const MODIFIERS = new Set([
  'async',
  'static',
  'get',
  'set',
  'public',
  'private',
  'protected',
  'override',
  'readonly',
  '*',
]);

/** Words that cannot appear in a return type annotation: walking back past one means there is none. */
const NOT_IN_TYPES = new Set([
  'else',
  'do',
  'try',
  'finally',
  'return',
  'if',
  'for',
  'while',
  'switch',
  'case',
  'default',
  'class',
  'interface',
  'enum',
  'namespace',
  'implements',
  'const',
  'let',
  'var',
  'export',
  'import',
  'throw',
  'yield',
  'await',
  'function',
  'catch',
]);

/** Splits source into names, punctuation and opaque literals (strings, templates, regexes, numbers). */
export function tokenize(source: string): Token[] {
  const lexer = new Lexer(source);
  lexer.run();
  return lexer.tokens;
}

class Lexer {
  readonly tokens: Token[] = [];
  private pos = 0;
  private line = 1;
  /** One entry per open `{`: 'block' for code braces, 'template' for a template's `${`. */
  private readonly braces: ('block' | 'template')[] = [];

  constructor(private readonly src: string) {}

  run(): void {
    while (this.pos < this.src.length) this.next();
  }

  private next(): void {
    const c = this.src[this.pos] ?? '';
    const d = this.src[this.pos + 1] ?? '';
    if (c === '\n') this.line += 1;
    if (/\s/.test(c)) this.pos += 1;
    else if (c === '/' && d === '/') this.skipTo('\n', false);
    else if (c === '/' && d === '*') this.skipTo('*/', true);
    else if (c === "'" || c === '"') this.string(c);
    else if (c === '`') this.template(this.pos + 1);
    else if (c === '/' && this.regexAllowed() && this.regex()) return;
    else if (/[A-Za-z_$#\d]/.test(c)) this.word();
    else this.punct(c, d);
  }

  private push(kind: TokenKind, text: string, line = this.line): void {
    this.tokens.push({ kind, text, line });
  }

  private advanceTo(end: number): void {
    for (let i = this.pos; i < end; i += 1) if (this.src[i] === '\n') this.line += 1;
    this.pos = end;
  }

  private skipTo(terminator: string, consume: boolean): void {
    const at = this.src.indexOf(terminator, this.pos + 2);
    const end = at === -1 ? this.src.length : at + (consume ? terminator.length : 0);
    this.advanceTo(end);
  }

  private string(quote: string): void {
    const line = this.line;
    let i = this.pos + 1;
    while (i < this.src.length && this.src[i] !== quote && this.src[i] !== '\n')
      i += this.src[i] === '\\' ? 2 : 1;
    const text = this.src.slice(this.pos, i + 1);
    this.advanceTo(i + 1);
    this.push('literal', text, line);
  }

  /** Reads template text from `from` up to the closing backtick or the next `${`. */
  private template(from: number): void {
    const line = this.line;
    let i = from;
    while (i < this.src.length && this.src[i] !== '`' && !(this.src[i] === '$' && this.src[i + 1] === '{'))
      i += this.src[i] === '\\' ? 2 : 1;
    const opensExpression = this.src[i] === '$';
    this.advanceTo(opensExpression ? i + 2 : i + 1);
    this.push('literal', 'template', line);
    if (opensExpression) this.braces.push('template');
  }

  private regexAllowed(): boolean {
    const previous = this.tokens.at(-1);
    if (!previous) return true;
    if (previous.kind === 'literal') return false;
    if (previous.kind === 'name') return REGEX_AFTER_NAMES.has(previous.text);
    return previous.text !== ')' && previous.text !== ']';
  }

  /** Reads a regex literal; false (and nothing read) when it does not end on its line: a division. */
  private regex(): boolean {
    let i = this.pos + 1;
    let inClass = false;
    while (i < this.src.length) {
      const c = this.src[i];
      if (c === '\n') return false;
      if (c === '\\') i += 1;
      else if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
      i += 1;
    }
    if (i >= this.src.length) return false;
    i += 1;
    while (/[a-z]/.test(this.src[i] ?? '')) i += 1;
    this.pos = i;
    this.push('literal', 'regex');
    return true;
  }

  private word(): void {
    const match = /^[#$\w.]+/.exec(this.src.slice(this.pos, this.pos + 200));
    let text = match?.[0] ?? '';
    // A name stops at a dot (`a.b` is three tokens); a number keeps its dot (`1.5`).
    if (!/^\d/.test(text)) text = text.split('.')[0] ?? text;
    this.pos += Math.max(text.length, 1);
    this.push(/^\d/.test(text) ? 'literal' : 'name', text);
  }

  private punct(c: string, d: string): void {
    if (c === '=' && d === '>') {
      this.pos += 2;
      this.push('punct', '=>');
      return;
    }
    this.pos += 1;
    if (c === '{') this.braces.push('block');
    if (c === '}' && this.braces.pop() === 'template') {
      this.template(this.pos);
      return;
    }
    this.push('punct', c);
  }
}

/** Index of each bracket's partner (`(` ↔ `)`, `[` ↔ `]`, `{` ↔ `}`). */
export function matchBrackets(tokens: readonly Token[]): Map<number, number> {
  const partners = new Map<number, number>();
  const open: number[] = [];
  tokens.forEach((token, i) => {
    if (token.kind !== 'punct') return;
    if ('([{'.includes(token.text)) open.push(i);
    else if (')]}'.includes(token.text)) {
      const start = open.pop();
      if (start === undefined) return;
      partners.set(start, i);
      partners.set(i, start);
    }
  });
  return partners;
}

/** Every function with a block body in `source`, in the order their bodies open. */
export function functionSpans(source: string): FunctionSpan[] {
  const tokens = tokenize(source);
  const partners = matchBrackets(tokens);
  const classes = classBodies(tokens, partners);
  const spans: FunctionSpan[] = [];
  tokens.forEach((token, open) => {
    if (token.text !== '{' || token.kind !== 'punct') return;
    const close = partners.get(open);
    if (close === undefined || looksLikeTypeLiteral(tokens, open)) return;
    const header = functionHeader(tokens, partners, open);
    if (!header) return;
    const owner = classes.filter((c) => c.open < open && open < c.close).at(-1);
    const name = owner && header.isMethod ? `${owner.name}.${header.name}` : header.name;
    const line = tokens[header.start]?.line ?? token.line;
    const endLine = tokens[close]?.line ?? line;
    spans.push({ name, line, endLine, length: endLine - line + 1 });
  });
  return spans;
}

interface Header {
  name: string;
  /** Token index where the header starts. */
  start: number;
  isMethod: boolean;
}

/** What the `{` at `open` is the body of, if it is a function's. */
function functionHeader(
  tokens: readonly Token[],
  partners: Map<number, number>,
  open: number,
): Header | undefined {
  if (tokens[open - 1]?.text === '=>') return arrowHeader(tokens, partners, open - 1);
  const paramsClose = parameterListBefore(tokens, open);
  if (paramsClose === undefined) return undefined;
  // `foo(): { a: string }` with nothing between `):` and `{`: the `{` is the return type, not a body.
  if (tokens[open - 1]?.text === ':') return undefined;
  const paramsOpen = partners.get(paramsClose);
  if (paramsOpen === undefined) return undefined;
  let at = skipTypeParametersBack(tokens, paramsOpen - 1);
  if (tokens[at]?.text === '*') at -= 1;
  const before = tokens[at];
  if (before?.text === 'function') return { name: variableName(tokens, at), start: at, isMethod: false };
  const nameStart = tokens[at]?.text === ']' ? partners.get(at) : at;
  if (nameStart === undefined || !isMethodName(tokens[nameStart])) return undefined;
  if (CONTROL.has(before?.text ?? '') && before?.kind === 'name') return undefined;
  let keyword = nameStart - 1;
  if (tokens[keyword]?.text === '*') keyword -= 1;
  if (tokens[keyword]?.text === 'function')
    return { name: before?.text ?? '', start: keyword, isMethod: false };
  let start = nameStart;
  while (MODIFIERS.has(tokens[start - 1]?.text ?? '') && tokens[start - 1]?.line === tokens[nameStart]?.line)
    start -= 1;
  const name = before?.text === ']' ? '[computed]' : (before?.text ?? '');
  return { name, start, isMethod: true };
}

function isMethodName(token: Token | undefined): boolean {
  if (!token) return false;
  return token.kind === 'name' || isStringLiteral(token) || token.text === '[';
}

function isStringLiteral(token: Token | undefined): boolean {
  return token?.kind === 'literal' && /^['"]/.test(token.text);
}

/**
 * The `)` closing the parameter list that the token before `before` ends, directly or through a
 * return type annotation (`): Promise<Map<string, X>>`, `): { a: string }`, `): x is Y`).
 */
function parameterListBefore(tokens: readonly Token[], before: number): number | undefined {
  if (tokens[before - 1]?.text === ')') return before - 1;
  let depth = 0;
  for (let i = before - 1; i >= 0 && i > before - 300; i -= 1) {
    const token = tokens[i];
    if (!token) return undefined;
    if (token.kind === 'punct' && ')]}>'.includes(token.text)) depth += 1;
    else if (token.kind === 'punct' && '([{<'.includes(token.text)) depth -= 1;
    if (depth < 0) return undefined;
    if (depth > 0) continue;
    if (token.text === ':') return tokens[i - 1]?.text === ')' ? i - 1 : undefined;
    if (token.kind === 'punct' && ';,=?'.includes(token.text)) return undefined;
    if (token.kind === 'name' && NOT_IN_TYPES.has(token.text)) return undefined;
  }
  return undefined;
}

/** Steps back over `<...>` type parameters ending at `at`, if any. */
function skipTypeParametersBack(tokens: readonly Token[], at: number): number {
  if (tokens[at]?.text !== '>') return at;
  let depth = 0;
  for (let i = at; i >= 0; i -= 1) {
    if (tokens[i]?.text === '>') depth += 1;
    else if (tokens[i]?.text === '<') depth -= 1;
    if (depth === 0) return i - 1;
  }
  return at;
}

function arrowHeader(
  tokens: readonly Token[],
  partners: Map<number, number>,
  arrow: number,
): Header | undefined {
  // `(a, b): T =>` first: in `(a): number =>` the name before `=>` is the return type, not a parameter.
  const paramsClose = parameterListBefore(tokens, arrow);
  let start = paramsClose === undefined ? undefined : partners.get(paramsClose);
  if (start === undefined && tokens[arrow - 1]?.kind === 'name') start = arrow - 1;
  if (start === undefined) return undefined;
  start = skipTypeParametersBack(tokens, start - 1) + 1;
  if (tokens[start - 1]?.text === 'async') start -= 1;
  return { name: variableName(tokens, start), start, isMethod: false };
}

/** The name a function expression is given: `const name = …`, `name: …`, `name = …` (a field). */
function variableName(tokens: readonly Token[], start: number): string {
  const before = tokens[start - 1];
  if (before?.text === ':' && tokens[start - 2]?.kind === 'name') return tokens[start - 2]?.text ?? '';
  if (before?.text !== '=') return '<anonymous>';
  // `name: Type = …`: the name is before the annotation's colon.
  let depth = 0;
  for (let i = start - 2; i > 0 && i > start - 40; i -= 1) {
    const token = tokens[i];
    if (token?.kind !== 'punct') continue;
    if (')]>'.includes(token.text)) depth += 1;
    else if ('([<'.includes(token.text)) depth -= 1;
    if (depth < 0 || (depth === 0 && ';{},'.includes(token.text))) break;
    if (depth === 0 && token.text === ':' && tokens[i - 1]?.kind === 'name') return tokens[i - 1]?.text ?? '';
  }
  return tokens[start - 2]?.kind === 'name' ? (tokens[start - 2]?.text ?? '') : '<anonymous>';
}

/** `{` opening a type literal rather than a block: `{ name: …`, `{ name?: …`, `{ readonly …`, `{ [k: …`. */
function looksLikeTypeLiteral(tokens: readonly Token[], open: number): boolean {
  const first = tokens[open + 1];
  const second = tokens[open + 2]?.text;
  if (first?.text === 'readonly') return true;
  if (first?.text === '[' && tokens[open + 2]?.kind === 'name' && tokens[open + 3]?.text === ':') return true;
  if (first?.kind !== 'name' && !isStringLiteral(first)) return false;
  return second === ':' || (second === '?' && tokens[open + 3]?.text === ':');
}

/** Class bodies and their class names, so methods can be reported as `Class.method`. */
function classBodies(tokens: readonly Token[], partners: Map<number, number>) {
  const bodies: { name: string; open: number; close: number }[] = [];
  tokens.forEach((token, i) => {
    if (token.text !== 'class' || token.kind !== 'name') return;
    const name = tokens[i + 1]?.kind === 'name' ? (tokens[i + 1]?.text ?? '') : '<anonymous class>';
    let angle = 0;
    for (let j = i + 1; j < tokens.length; j += 1) {
      const text = tokens[j]?.text;
      if (text === '<') angle += 1;
      else if (text === '>') angle -= 1;
      else if (text === '{' && angle === 0) {
        bodies.push({ name, open: j, close: partners.get(j) ?? tokens.length });
        return;
      }
    }
  });
  return bodies;
}

/** Lines in a file (a final newline ends the last line, it does not start another). */
export function lineCount(source: string): number {
  if (source === '') return 0;
  const newlines = source.split('\n').length - 1;
  return source.endsWith('\n') ? newlines : newlines + 1;
}

export interface CodeSize {
  files: { path: string; lines: number }[];
  functions: (FunctionSpan & { path: string })[];
}

/** Sizes of every `.ts` file under `dir` (relative to `root`), paths reported relative to `root`. */
export function measureTree(root: string, dir: string): CodeSize {
  const size: CodeSize = { files: [], functions: [] };
  for (const path of typeScriptFiles(root, dir)) {
    const text = readFileSync(join(root, path), 'utf8');
    size.files.push({ path, lines: lineCount(text) });
    size.functions.push(...functionSpans(text).map((span) => ({ ...span, path })));
  }
  return size;
}

function typeScriptFiles(root: string, dir: string): string[] {
  return readdirSync(join(root, dir))
    .sort()
    .flatMap((name) => {
      const path = join(root, dir, name);
      if (statSync(path).isDirectory()) return typeScriptFiles(root, relative(root, path));
      return name.endsWith('.ts') ? [relative(root, path)] : [];
    });
}

function report(dir: string): void {
  const size = measureTree(process.cwd(), dir);
  const files = [...size.files].sort((a, b) => b.lines - a.lines);
  const functions = [...size.functions].sort((a, b) => b.length - a.length).slice(0, 10);
  const largest = files[0];
  if (largest) console.log(`largest file: ${largest.path} (${largest.lines} lines)`);
  console.log('longest functions:');
  for (const f of functions) console.log(`  ${String(f.length).padStart(4)}  ${f.path}:${f.line}  ${f.name}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(process.argv[2] ?? 'functions/core');
}

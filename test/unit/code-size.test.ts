import { describe, expect, it } from 'vitest';
import { functionSpans, lineCount } from '../../scripts/code-size.js';

/** Spans as "name@line+length", easy to compare as a whole. */
function spans(source: string): string[] {
  return functionSpans(source).map((s) => `${s.name}@${s.line}+${s.length}`);
}

describe('code-size scanner: what counts as a function', () => {
  it('measures a function declaration from its header line to its closing brace', () => {
    // Prepare
    const source = [
      '// a comment { with a brace',
      'export async function load(',
      '  store: Store,',
      '  clock: Clock,',
      '): Promise<Map<string, Array<number>>> {',
      '  const x = 1;',
      '  return new Map();',
      '}',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual(['load@2+7']);
  });

  it('measures function expressions and generators, named after what they are assigned to', () => {
    // Prepare
    const source = [
      'const handler = function () {',
      '  return 1;',
      '};',
      'function* pages<T>(items: T[]): Generator<T> {',
      '  yield* items;',
      '}',
      'const named = function inner() {',
      '};',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual(['handler@1+3', 'pages@4+3', 'inner@7+2']);
  });

  it('measures class methods with modifiers, accessors, generators and return types, named by their class', () => {
    // Prepare
    const source = [
      'export class Ledger extends Base<{ a: string }> implements Port {',
      '  private readonly ids = new Map<string, string>();',
      '  constructor(private readonly store: Store) {',
      '    super();',
      '  }',
      '  static async load(store: Store): Promise<Ledger | undefined> {',
      '    return undefined;',
      '  }',
      '  get description(): string {',
      "    return 'x';",
      '  }',
      '  set description(value: string) {}',
      '  private async *entries(): AsyncGenerator<[string, string]> {',
      '    yield* this.ids;',
      '  }',
      '  protected override shape(): { a: string; b: number } {',
      '    return { a: "", b: 0 };',
      '  }',
      '  [Symbol.iterator]() {',
      '    return this.ids[Symbol.iterator]();',
      '  }',
      '}',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual([
      'Ledger.constructor@3+3',
      'Ledger.load@6+3',
      'Ledger.description@9+3',
      'Ledger.description@12+1',
      'Ledger.entries@13+3',
      'Ledger.shape@16+3',
      'Ledger.[computed]@19+3',
    ]);
  });

  it('measures arrow functions with block bodies, not those with expression bodies', () => {
    // Prepare
    const source = [
      'const total = (items: number[]): number => {',
      '  return items.reduce((a, b) => a + b, 0);',
      '};',
      'const typed: Handler<Event> = async (event) => {',
      '  await run(event);',
      '};',
      'items.forEach(async item => {',
      '  await item;',
      '});',
      'const build = <T,>(',
      '  value: T,',
      ') => {',
      '  return [value];',
      '};',
      'const options = { onDone: () => {',
      '} };',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual(['total@1+3', 'typed@4+3', '<anonymous>@7+3', 'build@10+5', 'onDone@15+2']);
  });

  it('measures object literal methods', () => {
    // Prepare
    const source = [
      'export const silent = {',
      '  debug() {},',
      '  info(message: string) {',
      '  },',
      '};',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual(['debug@2+1', 'info@3+2']);
  });
});

describe('code-size scanner: what is not a function', () => {
  it('does not take control-flow blocks for functions', () => {
    // Prepare
    const source = [
      'if (a) {',
      '} else if (b) {',
      '} else {',
      '}',
      'for (const x of xs) {',
      '}',
      'for await (const page of pages) {',
      '}',
      'while (true) {',
      '}',
      'do {',
      '} while (false);',
      'switch (k) {',
      "  case 'a': {",
      '    break;',
      '  }',
      '}',
      'try {',
      '} catch (error) {',
      '} catch {',
      '} finally {',
      '}',
      '{',
      '}',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual([]);
  });

  it('does not take object literals, class bodies, interfaces or type literals for functions', () => {
    // Prepare
    const source = [
      'const plan = { archive: { digest: "d" }, entries: [{ id: 1 }] };',
      'class Empty {',
      '}',
      'interface Port {',
      '  load(): { text: string };',
      '  save(contents: string): Promise<void>;',
      '}',
      'type Make = (x: number) => { made: number };',
      'type Read = () => { readonly id: string };',
      'type Index = (k: string) => { [key: string]: number };',
      'type Shape = { a: string; b?: { c: number } };',
      'function options(opts: { a: string } = { a: "" }): void {',
      '}',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual(['options@12+2']);
  });
});

describe('code-size scanner: literals that hold braces', () => {
  it('skips braces inside a regex literal, and still reads division as division', () => {
    // Prepare
    const source = [
      'function parse(text: string): string[] {',
      '  const half = text.length / 2 / 1;',
      '  const braces = /\\{[^}]*\\}|[{]/g;',
      '  if (/}$/.test(text)) return [];',
      '  return text.match(braces) ?? [];',
      '}',
      'function after() {',
      '}',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual(['parse@1+6', 'after@7+2']);
  });

  it('skips braces inside template literals, following nested ${} expressions', () => {
    // Prepare
    const source = [
      'function describe(x: { a: number }): string {',
      '  const text = `} { ${x.a} {${`inner ${ { a: 1 }.a } }`}',
      '  }`;',
      '  return `${text}{`;',
      '}',
      'const next = () => {',
      '};',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual(['describe@1+5', 'next@6+2']);
  });

  it('skips braces inside strings and comments', () => {
    // Prepare
    const source = [
      'function quoted() {',
      "  const a = '}';",
      '  const b = "{ \\" }";',
      '  // }',
      '  /* } } */',
      '  return a + b;',
      '}',
    ].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual(['quoted@1+7']);
  });

  it('measures arrow functions inside template expressions', () => {
    // Prepare
    const source = ['const list = `${items.map((item) => {', '  return item;', '})}`;'].join('\n');

    // Act
    const found = spans(source);

    // Assess
    expect(found).toEqual(['<anonymous>@1+3']);
  });
});

describe('code-size scanner: file length', () => {
  it('counts lines, a final newline ending the last line rather than starting another', () => {
    // Prepare
    const samples = ['', 'one', 'one\n', 'one\ntwo', 'one\ntwo\n', '\n\n'];

    // Act
    const counts = samples.map(lineCount);

    // Assess
    expect(counts).toEqual([0, 1, 1, 2, 2, 2]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ARK_BUNDLING } from '../../lib/ark-function.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The one place the docs state the bundle's size (the README links there). */
function documentedKb(): number {
  const operations = readFileSync(join(ROOT, 'docs', 'OPERATIONS.md'), 'utf8');
  const match = /the backup bundle is ([\d,]+) KB minified/.exec(operations);
  if (!match?.[1]) throw new Error('docs/OPERATIONS.md no longer states the backup bundle size');
  return Number(match[1].replaceAll(',', ''));
}

/** Bundles a handler as the stack does (NodejsFunction: CommonJS for Node, ARK_BUNDLING) and returns its bytes. */
async function bundledBytes(handler: string): Promise<number> {
  const result = await build({
    entryPoints: [join(ROOT, 'functions', 'handlers', `${handler}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: ARK_BUNDLING.target,
    minify: ARK_BUNDLING.minify,
    sourcemap: ARK_BUNDLING.sourceMap,
    external: [...ARK_BUNDLING.externalModules],
    outdir: join(ROOT, 'cdk.out', 'bundle-size'),
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!code) throw new Error(`esbuild produced no JavaScript for ${handler}`);
  return code.contents.byteLength;
}

describe('the Lambda bundle', () => {
  it('is the size docs/OPERATIONS.md states (within 10 %), and under 1.5 MB', async () => {
    const bytes = await bundledBytes('backup');

    const kb = bytes / 1000;
    expect(Math.abs(kb - documentedKb()) / documentedKb()).toBeLessThan(0.1);
    expect(bytes).toBeLessThan(1_500_000);
  });
});

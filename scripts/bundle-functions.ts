/**
 * `npm run build` (last step): the Lambda handlers bundled once, into `dist/lambda/<handler>/`, so
 * that the CDK construct deploys prebuilt code and its users need neither esbuild nor TypeScript.
 *
 * Each bundle is CommonJS with its own `package.json` saying so (the clone's root says "module"),
 * minified but with class names kept (`keepNames`: `UsageError`, `LedgerLockedError` … are what a
 * Step Functions `Retry`/`Catch` matches and what an operator reads in the execution history),
 * with a source map (mappings only), and with the AWS SDK inside: the versions package-lock.json pins are the ones
 * tested, not whichever the Lambda runtime ships (ledger locking needs S3 conditional writes).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { BUNDLE_FILE, BUNDLES_DIRECTORY, HANDLERS, type HandlerName } from '../lib/bundles.js';

const ROOT = join(import.meta.dirname, '..');

/** How every handler is bundled; `external` leaves packages to the runtime (the figures' "before"). */
export function bundleOptions(handler: HandlerName, external: string[] = []): BuildOptions {
  return {
    entryPoints: [join(ROOT, 'functions', 'handlers', `${handler}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    // ESM builds of the SDK first: smaller (tree-shaken) than their CommonJS builds.
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true,
    sourcemap: true,
    // Stack traces need the mappings, not the sources: a third of the map, and Node parses the
    // map at load time under --enable-source-maps (cold start).
    sourcesContent: false,
    legalComments: 'none',
    external,
    logLevel: 'warning',
  };
}

export async function bundleFunctions(outRoot = join(ROOT, BUNDLES_DIRECTORY)): Promise<void> {
  await rm(outRoot, { recursive: true, force: true });
  await Promise.all(
    HANDLERS.map(async (handler) => {
      const outdir = join(outRoot, handler);
      await mkdir(outdir, { recursive: true });
      await build({ ...bundleOptions(handler), outfile: join(outdir, BUNDLE_FILE) });
      await writeFile(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await bundleFunctions();

import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The Lambda handlers, one prebuilt bundle each (functions/handlers/<name>.ts → dist/lambda/<name>/). */
export const HANDLERS = ['backup', 'restore', 'verify', 'prune', 'drill'] as const;
export type HandlerName = (typeof HANDLERS)[number];

/** The file each bundle's handler lives in; the functions' `handler` setting is `index.handler`. */
export const BUNDLE_FILE = 'index.js';

export const BUNDLES_DIRECTORY = join('dist', 'lambda');

/**
 * The directory holding a handler's prebuilt bundle (`npm run build` writes it; the published
 * package carries it), so that a CDK app needs neither esbuild nor TypeScript to deploy n8n-ark.
 */
export function bundleDirectory(handler: HandlerName): string {
  // From lib/ in a clone, or dist/lib/ in the installed package: the bundles are in the package
  // root's dist/lambda/ either way, one or two levels up.
  for (let dir = import.meta.dirname; basename(dir) !== 'node_modules'; dir = dirname(dir)) {
    const directory = join(dir, BUNDLES_DIRECTORY, handler);
    if (existsSync(join(directory, BUNDLE_FILE))) return directory;
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `n8n-ark: the prebuilt ${handler} function is missing (no ${join(BUNDLES_DIRECTORY, handler, BUNDLE_FILE)} above ${import.meta.dirname}); in a clone of n8n-ark, run npm run build`,
  );
}

import { readFile, stat } from 'node:fs/promises';
import { badApiKey } from './errors.js';

export interface ApiKeyOptions {
  apiKeyEnv?: string | undefined;
  apiKeyFile?: string | undefined;
}

/** The environment variable read when neither --api-key-env nor --api-key-file is given. */
export const DEFAULT_API_KEY_ENV = 'N8N_API_KEY';

/**
 * Resolves an API key from an environment variable or a file. The key is never accepted as a plain
 * argument: arguments end up in shell history and process listings.
 */
export async function resolveApiKey(
  options: ApiKeyOptions,
  env: NodeJS.ProcessEnv,
  flags: { env: string; file: string } = { env: '--api-key-env', file: '--api-key-file' },
  warnings: string[] = [],
): Promise<string> {
  if (options.apiKeyEnv && options.apiKeyFile) throw badApiKey.both(flags);
  if (options.apiKeyFile) return keyFromFile(options.apiKeyFile, warnings);
  const variable = options.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  // Only the environment's own variables: `--api-key-env constructor` names none.
  const key = Object.hasOwn(env, variable) ? env[variable]?.trim() : undefined;
  if (key) return key;
  throw options.apiKeyEnv
    ? badApiKey.emptyVariable(variable, flags.env)
    : badApiKey.none(flags, DEFAULT_API_KEY_ENV);
}

/** The key in a file; a file others may read is said (`warnings`), as ssh says of a private key. */
async function keyFromFile(path: string, warnings: string[]): Promise<string> {
  let contents: string;
  try {
    contents = await readFile(path, 'utf8');
    const { mode } = await stat(path);
    if (process.platform !== 'win32' && (mode & 0o077) !== 0)
      warnings.push(badApiKey.readableByOthers(path, mode));
  } catch (error) {
    throw badApiKey.unreadableFile(path, error);
  }
  const key = contents.trim();
  if (!key) throw badApiKey.emptyFile(path);
  return key;
}

import { readFile } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';

export interface ApiKeyOptions {
  apiKeyEnv?: string;
  apiKeyFile?: string;
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
): Promise<string> {
  if (options.apiKeyEnv && options.apiKeyFile) {
    throw new UsageError(`Give either ${flags.env} or ${flags.file}, not both.`);
  }
  if (options.apiKeyFile) {
    let contents: string;
    try {
      contents = await readFile(options.apiKeyFile, 'utf8');
    } catch (error) {
      throw new UsageError(
        `Cannot read the API key file ${options.apiKeyFile}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const key = contents.trim();
    if (!key) throw new UsageError(`The API key file ${options.apiKeyFile} is empty.`);
    return key;
  }
  const variable = options.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const key = env[variable]?.trim();
  if (!key) {
    throw new UsageError(
      options.apiKeyEnv
        ? `The environment variable ${variable} (from ${flags.env}) is not set or empty. Export the n8n API key in it.`
        : `No API key: pass ${flags.env} <VAR> naming an environment variable that holds the key, or ${flags.file} <path> (or set ${DEFAULT_API_KEY_ENV}). Create a key in n8n under Settings → n8n API.`,
    );
  }
  return key;
}

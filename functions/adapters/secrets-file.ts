import { readFile } from 'node:fs/promises';
import { InvalidOptionError } from '../core/errors.js';
import type { SecretSource } from '../core/ports.js';

/**
 * Credential data from a JSON file: `{ "<credential id or name>": { ...credential data } }`. Read
 * once; its values are handed to n8n and never printed. A bad file is an `InvalidOptionError` of the
 * `credentialSecrets` option naming the file, never a value from it.
 */
export async function secretsFromJsonFile(path: string): Promise<SecretSource> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw badSecretsFile(path, `cannot read it (${(error as Error).message})`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // Neither JSON.parse's message nor the error as cause: both quote the text around the fault,
    // which is credential data.
    throw badSecretsFile(path, `cannot read it as JSON (${(error as Error).name})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badSecretsFile(path, 'expected a JSON object mapping credential id or name to its data');
  const entries = Object.entries(parsed as Record<string, unknown>);
  for (const [key, value] of entries) {
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw badSecretsFile(
        path,
        `the entry ${JSON.stringify(key)} must be an object of the credential's fields`,
      );
  }
  const byKey = new Map(entries.map(([key, value]) => [key, JSON.stringify(value)]));
  return { get: async (name) => byKey.get(name) };
}

/** The `credentialSecrets` file at `path` is unusable: `problem` says why, never quoting a value. */
function badSecretsFile(path: string, problem: string, cause?: unknown): InvalidOptionError {
  return new InvalidOptionError(
    'credentialSecrets',
    `${path}: ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

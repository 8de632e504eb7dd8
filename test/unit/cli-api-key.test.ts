import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveApiKey } from '../../functions/cli/api-key.js';
import { UsageError } from '../../functions/core/errors.js';
import { sendsKeyInClear } from '../../functions/core/instance/url-safety.js';
import { tempFolderPerTest } from './support/temp-folder.js';

const KEY = 'n8n_api_0123456789abcdef';

const folder = tempFolderPerTest('n8n-ark-key-');

async function keyFile(contents: string): Promise<string> {
  const path = join(folder.path, 'key');
  await writeFile(path, contents);
  return path;
}

async function refusal(...args: Parameters<typeof resolveApiKey>): Promise<UsageError> {
  const error = await resolveApiKey(...args).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).not.toContain(KEY);
  return error as UsageError;
}

describe('resolveApiKey', () => {
  it('reads the key from the variable --api-key-env names', async () => {
    expect(await resolveApiKey({ apiKeyEnv: 'DR_KEY' }, { DR_KEY: KEY, N8N_API_KEY: 'other' })).toBe(KEY);
  });

  it('reads N8N_API_KEY when no flag is given', async () => {
    expect(await resolveApiKey({}, { N8N_API_KEY: KEY })).toBe(KEY);
  });

  it('reads the key from a file, trimming the trailing newline an editor adds', async () => {
    expect(await resolveApiKey({ apiKeyFile: await keyFile(`${KEY}\n`) }, {})).toBe(KEY);
  });

  it('trims whitespace around a key in the environment', async () => {
    expect(await resolveApiKey({ apiKeyEnv: 'K' }, { K: `  ${KEY}\n` })).toBe(KEY);
  });

  it('refuses both a variable and a file, naming both flags', async () => {
    const error = await refusal({ apiKeyEnv: 'K', apiKeyFile: await keyFile(KEY) }, { K: KEY });

    expect(error.message).toBe('Give either --api-key-env or --api-key-file, not both.');
  });

  it("words its refusals with the caller's flags (migrate's --to-key-env)", async () => {
    const error = await refusal(
      { apiKeyEnv: 'K', apiKeyFile: 'f' },
      { K: KEY },
      {
        env: '--to-key-env',
        file: '--to-key-file',
      },
    );

    expect(error.message).toBe('Give either --to-key-env or --to-key-file, not both.');
  });

  it('refuses a named variable that is unset or blank, naming the variable', async () => {
    for (const env of [{}, { DR_KEY: '' }, { DR_KEY: '  \n' }]) {
      const error = await refusal({ apiKeyEnv: 'DR_KEY' }, env);
      expect(error.message).toMatch(
        /^The environment variable DR_KEY \(from --api-key-env\) is not set or empty/,
      );
    }
  });

  it('with no key anywhere, says how to give one', async () => {
    const error = await refusal({}, {});

    expect(error.message).toMatch(
      /^No API key: pass --api-key-env <VAR> .* or --api-key-file <path> \(or set N8N_API_KEY\)/,
    );
  });

  it('refuses an empty key file, naming the file', async () => {
    const path = await keyFile('\n');

    expect((await refusal({ apiKeyFile: path }, {})).message).toBe(`The API key file ${path} is empty.`);
  });

  it('refuses a key file that cannot be read, naming the file', async () => {
    const path = join(folder.path, 'missing');

    expect((await refusal({ apiKeyFile: path }, { N8N_API_KEY: KEY })).message).toMatch(
      `Cannot read the API key file ${path}: ENOENT`,
    );
  });
});

describe('what the person is warned of', () => {
  it('a key file others may read is said (as ssh says of a private key); one only its owner reads is not', async () => {
    // Prepare
    const open = await keyFile(KEY);
    await chmod(open, 0o644);
    const privateFile = join(folder.path, 'private-key');
    await writeFile(privateFile, KEY, { mode: 0o600 });
    const openWarnings: string[] = [];
    const privateWarnings: string[] = [];

    // Act
    const keys = [
      await resolveApiKey({ apiKeyFile: open }, {}, undefined, openWarnings),
      await resolveApiKey({ apiKeyFile: privateFile }, {}, undefined, privateWarnings),
    ];

    // Assess
    expect(keys).toEqual([KEY, KEY]);
    expect(openWarnings).toEqual([
      `the API key file ${open} can be read by other users (mode 644); chmod 600 it`,
    ]);
    expect(privateWarnings).toEqual([]);
  });

  it('--api-key-env naming a property every object has finds no key, and says so', async () => {
    const error = await refusal({ apiKeyEnv: 'constructor' }, { N8N_API_KEY: KEY });
    expect(error.message).toMatch(
      /The environment variable constructor \(from --api-key-env\) is not set or empty/,
    );
  });
});

describe('sendsKeyInClear', () => {
  it.each([
    ['https://n8n.example.com', false],
    ['http://localhost:5678', false],
    ['http://127.0.0.1:5678', false],
    ['http://127.9.8.7', false],
    ['http://[::1]:5678', false],
    ['http://[::ffff:127.0.0.1]:5678', false],
    ['http://n8n.example.com', true],
    ['http://10.0.0.5:5678', true],
    ['http://[::ffff:10.0.0.1]', true],
    ['http://localhost.example.com', true],
    ['http://127.0.0.1.nip.io', true],
  ])('%s → %s', (url, clear) => {
    expect(sendsKeyInClear(url)).toBe(clear);
  });
});

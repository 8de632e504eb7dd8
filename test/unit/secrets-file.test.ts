import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretsFromJsonFile } from '../../functions/adapters/secrets-file.js';
import { InvalidOptionError } from '../../functions/core/errors.js';
import { tempFolderPerTest } from './support/temp-folder.js';

const folder = tempFolderPerTest('n8n-ark-secrets-');

async function fileWith(text: string): Promise<string> {
  const path = join(folder.path, 'secrets.json');
  await writeFile(path, text);
  return path;
}

async function refusal(path: string): Promise<InvalidOptionError> {
  const error = await secretsFromJsonFile(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidOptionError);
  return error as InvalidOptionError;
}

describe('secretsFromJsonFile', () => {
  it("hands out each credential's data as JSON, by credential id or name", async () => {
    const path = await fileWith('{"cred-1": {"apiKey": "k1"}, "Stripe live": {"token": "t2"}}');

    const source = await secretsFromJsonFile(path);

    expect(JSON.parse((await source.get('cred-1')) ?? '')).toEqual({ apiKey: 'k1' });
    expect(JSON.parse((await source.get('Stripe live')) ?? '')).toEqual({ token: 't2' });
    expect(await source.get('unknown')).toBeUndefined();
  });

  it('refuses text that is not JSON, naming the file and the option key but none of the text', async () => {
    const path = await fileWith('{"cred-1": {"apiKey": sk_live_secret}}');

    const error = await refusal(path);

    expect(error.option).toBe('credentialSecrets');
    expect(error.problem).toBe(`${path}: cannot read it as JSON (SyntaxError)`);
    expect(error.message).not.toContain('--');
    expect(JSON.stringify({ message: error.message, cause: String(error.cause) })).not.toContain('sk_live');
  });

  it('refuses a file that does not exist, naming it', async () => {
    const error = await refusal(join(folder.path, 'missing.json'));

    expect(error.problem).toMatch(/missing\.json: cannot read it \(ENOENT/);
  });

  it('refuses JSON that is not an object of objects, naming the bad entry', async () => {
    expect((await refusal(await fileWith('[{"apiKey": "k"}]'))).problem).toMatch(
      /expected a JSON object mapping credential id or name to its data/,
    );
    const error = await refusal(await fileWith('{"cred-1": "just-a-string-secret"}'));
    expect(error.problem).toMatch(/the entry "cred-1" must be an object of the credential's fields/);
    expect(error.message).not.toContain('just-a-string-secret');
  });
});

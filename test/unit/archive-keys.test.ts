/**
 * The key flags as the CLI reads them: identity files with comments and several identities, a
 * recipients file, passphrases from a variable or a file, and how a backup is sealed — never
 * quoting a key in a refusal.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveKeysOf, sealingOf } from '../../functions/cli/archive-keys.js';

let dir: string;
const ids: string[] = [];
const recipients: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'n8n-ark-keys-'));
  for (let i = 0; i < 3; i += 1) {
    ids.push(await generateX25519Identity());
    recipients.push(await identityToRecipient(ids[i] as string));
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const file = async (name: string, text: string) => {
  const path = join(dir, name);
  await writeFile(path, text, { mode: 0o600 });
  return path;
};

describe('reading keys', () => {
  it('reads every identity of every --identity-file, passing comments and blank lines', async () => {
    const a = await file(
      'a.key',
      `# created: 2026-12-07\n# public key: ${recipients[0]}\n${ids[0]}\n\n${ids[1]}\n`,
    );
    const b = await file('b.key', `${ids[2]}`);
    expect(await archiveKeysOf({ identityFile: [a, b] }, {})).toEqual({ identities: ids });
  });

  it('refuses a line that is no identity by file and line, without quoting it', async () => {
    const bad = await file('bad.key', `${ids[0]}\nAGE-SECRET-KEY-1NOTAKEY\n`);
    const refused = await archiveKeysOf({ identityFile: [bad] }, {}).catch((error: Error) => error);
    expect((refused as Error).message).toBe(
      `--identity-file ${bad}, line 2: not an age identity (an identity file holds AGE-SECRET-KEY-1… lines, as age-keygen writes them)`,
    );
  });

  it('reads a passphrase from a variable or a file (its final line break dropped), not from both', async () => {
    const path = await file('pass.txt', 'a long passphrase\n');
    expect(await archiveKeysOf({ passphraseEnv: 'P' }, { P: 'from the environment' })).toEqual({
      identities: [],
      passphrase: 'from the environment',
    });
    expect((await archiveKeysOf({ passphraseFile: path }, {}))?.passphrase).toBe('a long passphrase');
    await expect(archiveKeysOf({ passphraseEnv: 'P', passphraseFile: path }, { P: 'x' })).rejects.toThrow(
      'Give either --passphrase-env or --passphrase-file, not both.',
    );
    await expect(archiveKeysOf({ passphraseEnv: 'UNSET' }, {})).rejects.toThrow(
      /UNSET .* is not set or empty/,
    );
    expect(await archiveKeysOf({}, {})).toBeUndefined();
  });
});

describe('sealing a backup', () => {
  it('seals to the recipients given, from flags and a file, and to the identities given', async () => {
    const list = await file('recipients.txt', `# the DR team\n${recipients[1]}\n`);
    const sealing = await sealingOf(
      { encrypt: true, recipient: [recipients[0] as string], recipientsFile: list },
      { identities: [ids[2] as string] },
    );
    expect(sealing).toEqual({ recipients: [recipients[0], recipients[1], recipients[2]] });
  });

  it('seals with the passphrase alone, and refuses it beside recipients', async () => {
    expect(await sealingOf({ encrypt: true }, { identities: [], passphrase: 'p' })).toEqual({
      passphrase: 'p',
    });
    await expect(
      sealingOf({ encrypt: true, recipient: [recipients[0] as string] }, { identities: [], passphrase: 'p' }),
    ).rejects.toThrow(/either with a passphrase or to recipients, not both/);
  });

  it('seals nothing without --encrypt, and refuses recipients without it or --encrypt without a key', async () => {
    expect(await sealingOf({}, { identities: [ids[0] as string] })).toBeUndefined();
    await expect(sealingOf({ recipient: [recipients[0] as string] }, undefined)).rejects.toThrow(
      /add --encrypt/,
    );
    await expect(sealingOf({ encrypt: true }, undefined)).rejects.toThrow(/--encrypt needs a key/);
    await expect(sealingOf({ encrypt: true, recipient: ['age1nope'] }, undefined)).rejects.toThrow(
      '--recipient "age1nope": not an age recipient',
    );
  });
});

/**
 * The keys of encrypted archives as the CLI takes them, declared once: `ARCHIVE_KEY_OPTIONS` for
 * every command that reads archives (an identity file, or a passphrase from a variable or a file),
 * `ENCRYPT_OPTIONS` for those that write one (backup, migrate). Like the API key, a key or a
 * passphrase is never an argument (arguments reach shell history and process listings), and no
 * message names one. `archiveKeysOf` and `sealingOf` read them; age-encryption checks each key.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  type AgeKeys,
  type AgeSealing,
  checkedRecipient,
  identitiesIn,
  passphraseIn,
  recipientsIn,
  recipientsOf,
} from '../adapters/age/keys.js';
import type { OptionValues } from '../core/options/table.js';
import { switchOption, text, textOption } from '../core/options/values.js';
import { badArchiveKey } from './errors.js';

export const ARCHIVE_KEY_OPTIONS = {
  identityFile: {
    schema: z.array(text),
    flag: { value: '<path>', repeatable: true },
    help: 'age identity file (AGE-SECRET-KEY-1… lines, as age-keygen writes) that opens encrypted archives (repeatable)',
  },
  passphraseEnv: textOption('<VAR>', 'environment variable holding the passphrase of encrypted archives'),
  passphraseFile: textOption('<path>', 'file holding the passphrase of encrypted archives'),
} as const;

export const ENCRYPT_OPTIONS = {
  encrypt: switchOption(
    'encrypt the archive as it streams (age format, ….zip.age): to --recipient/--recipients-file and the --identity-file identities, or with the passphrase',
  ),
  recipient: {
    schema: z.array(text),
    flag: { value: '<age1…>', repeatable: true },
    help: 'age public key to encrypt to, e.g. one whose identity is kept offline (repeatable; with --encrypt)',
  },
  recipientsFile: textOption('<path>', 'file of age public keys to encrypt to, one a line (with --encrypt)'),
} as const;

export type ArchiveKeyFlags = OptionValues<typeof ARCHIVE_KEY_OPTIONS>;
export type EncryptFlags = OptionValues<typeof ENCRYPT_OPTIONS>;

/** What to give when an encrypted archive cannot be opened. */
export const KEY_HINT =
  'give --identity-file <path> (the age identity it was encrypted to) or --passphrase-env <VAR> / --passphrase-file <path>';

/** The keys the flags give, read and checked; undefined when none is given. */
export async function archiveKeysOf(
  flags: ArchiveKeyFlags,
  env: NodeJS.ProcessEnv,
): Promise<AgeKeys | undefined> {
  const identities: string[] = [];
  for (const path of flags.identityFile ?? [])
    identities.push(...identitiesIn(await readKeyFile(path, '--identity-file'), `--identity-file ${path}`));
  const passphrase = await passphraseOf(flags, env);
  if (identities.length === 0 && passphrase === undefined) return undefined;
  return { identities, ...(passphrase === undefined ? {} : { passphrase }) };
}

/**
 * How a new archive is sealed, or undefined without --encrypt: with the passphrase, else to the
 * recipients given and to the identities' own (so the next incremental backup given the same
 * identity can read it back). A key flag without --encrypt, or --encrypt without one, is refused.
 */
export async function sealingOf(
  flags: EncryptFlags,
  keys: AgeKeys | undefined,
): Promise<AgeSealing | undefined> {
  const recipients = [
    ...(flags.recipient ?? []).map((r) => checkedRecipient(r, `--recipient ${JSON.stringify(r)}`)),
    ...(flags.recipientsFile
      ? recipientsIn(
          await readKeyFile(flags.recipientsFile, '--recipients-file'),
          `--recipients-file ${flags.recipientsFile}`,
        )
      : []),
  ];
  if (!flags.encrypt) {
    if (recipients.length > 0 || flags.recipientsFile) throw badArchiveKey.recipientsWithoutEncrypt();
    return undefined;
  }
  if (keys?.passphrase !== undefined) {
    if (recipients.length > 0 || keys.identities.length > 0) throw badArchiveKey.passphraseAndRecipients();
    return { passphrase: keys.passphrase };
  }
  const all = [...new Set([...recipients, ...(await recipientsOf(keys?.identities ?? []))])];
  if (all.length === 0) throw badArchiveKey.encryptWithoutKey();
  return { recipients: all };
}

async function passphraseOf(flags: ArchiveKeyFlags, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (flags.passphraseEnv && flags.passphraseFile) throw badArchiveKey.twoPassphrases();
  if (flags.passphraseFile)
    return passphraseIn(
      await readKeyFile(flags.passphraseFile, '--passphrase-file'),
      `--passphrase-file ${flags.passphraseFile}`,
    );
  if (!flags.passphraseEnv) return undefined;
  const value = env[flags.passphraseEnv];
  if (value === undefined || value === '') throw badArchiveKey.emptyVariable(flags.passphraseEnv);
  return passphraseIn(value, `the environment variable ${flags.passphraseEnv}`);
}

async function readKeyFile(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw badArchiveKey.unreadableFile(flag, path, error);
  }
}

/**
 * The keys of encrypted archives, as the edges hand them in: identities and a passphrase that open
 * archives, recipients or a passphrase that seal them. Every key is checked by age-encryption
 * itself when it is read, so a bad one is refused before anything is read or written; no message
 * ever quotes a key or a passphrase (only where it came from and on which line).
 */
import { Decrypter, Encrypter, identityToRecipient } from 'age-encryption';
import { UsageError } from '../../core/errors.js';

/** What opens encrypted archives: age identities (`AGE-SECRET-KEY-1…`) and/or a passphrase. */
export interface AgeKeys {
  readonly identities: readonly string[];
  readonly passphrase?: string;
}

/** What seals a new archive: recipients (`age1…`), or a passphrase (scrypt, alone as age requires). */
export type AgeSealing = { readonly recipients: readonly string[] } | { readonly passphrase: string };

/**
 * Where readers get their keys: loaded when an encrypted archive is first met (a Lambda reads its
 * secret only then), and what to give when none opens it (`--identity-file …`, the config's secret).
 */
export interface KeySource {
  load(): Promise<AgeKeys | undefined>;
  readonly hint: string;
}

/** Keys known already (the CLI reads its flags before it starts). */
export function givenKeys(keys: AgeKeys | undefined, hint: string): KeySource {
  return { load: async () => keys, hint };
}

/** The identities in an age identity file: one a line, `#` comments and blank lines ignored. */
export function identitiesIn(text: string, source: string): string[] {
  const identities = keyLines(text).map(({ line, number }) => {
    try {
      new Decrypter().addIdentity(line);
    } catch {
      throw new UsageError(
        `${source}, line ${number}: not an age identity (an identity file holds AGE-SECRET-KEY-1… lines, as age-keygen writes them)`,
      );
    }
    return line;
  });
  if (identities.length === 0) throw new UsageError(`${source} holds no age identity`);
  return identities;
}

/** The recipients in a recipients file (or given one by one): `age1…` public keys. */
export function recipientsIn(text: string, source: string): string[] {
  return keyLines(text).map(({ line, number }) => checkedRecipient(line, `${source}, line ${number}`));
}

/** A recipient as typed, checked; `source` says where it came from. */
export function checkedRecipient(recipient: string, source: string): string {
  try {
    new Encrypter().addRecipient(recipient.trim());
  } catch {
    throw new UsageError(
      `${source}: not an age recipient (a public key age1…, as age-keygen prints it; SSH keys are not supported)`,
    );
  }
  return recipient.trim();
}

/** The recipients the identities open (so an archive sealed to them is one they can read back). */
export async function recipientsOf(identities: readonly string[]): Promise<string[]> {
  return Promise.all(identities.map((identity) => identityToRecipient(identity)));
}

/** A passphrase from a file or a variable: its text without the final line break, never empty. */
export function passphraseIn(text: string, source: string): string {
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase.length === 0) throw new UsageError(`${source} holds no passphrase (it is empty)`);
  return passphrase;
}

function keyLines(text: string): { line: string; number: number }[] {
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));
}

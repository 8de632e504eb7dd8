/**
 * Opening archives that may be encrypted: an OpenArchiveReader wrapped so that an age file is read
 * through its plaintext (sealed-blob.ts) and any other blob goes to the wrapped reader as it is. An
 * archive is known by its first bytes, not its name. The key is asked for only when an encrypted
 * archive is met; without one, or with one that does not open it, the refusal (ArchiveKeyError,
 * exit 2) comes before any of the archive's content is read.
 */
import { Decrypter } from 'age-encryption';
import { ArchiveIntegrityError, ArchiveKeyError } from '../../core/errors.js';
import type { ArchiveBlob, ArchiveReader, OpenArchiveReader } from '../../core/ports.js';
import { type AgeHeader, describeRecipients, sniffAge } from './header.js';
import type { AgeKeys, KeySource } from './keys.js';
import { NONCE_SIZE, PayloadLayout } from './payload.js';
import { SealedBlob } from './sealed-blob.js';

/** The pseudo-entry problems of the encryption's header are reported under. */
export const AGE_HEADER = '(age header)';

export function openDecrypting(openReader: OpenArchiveReader, keys: KeySource): OpenArchiveReader {
  return async (blob) => {
    const header = await headerOf(blob);
    if (!header) return openReader(blob);
    const given = await keys.load();
    if (!given || (given.identities.length === 0 && given.passphrase === undefined))
      throw new ArchiveKeyError(
        `the archive is encrypted (age, to ${describeRecipients(header)}) and no key was given: ${keys.hint}`,
        { reason: 'missing', structure: structureOf(blob, header) },
      );
    const plaintext = await SealedBlob.open(blob, header, await fileKey(header, given, keys.hint, blob));
    const reader = await openReader(plaintext);
    return withAuthentication(reader, plaintext);
  };
}

/** The age header, when the blob is an age file. */
async function headerOf(blob: ArchiveBlob): Promise<AgeHeader | undefined> {
  let sniffed: Awaited<ReturnType<typeof sniffAge>>;
  try {
    sniffed = await sniffAge(blob);
  } catch (error) {
    throw new ArchiveIntegrityError(
      `the encrypted archive's header is unreadable (${(error as Error).message})`,
      { entry: AGE_HEADER },
      { cause: error },
    );
  }
  if (sniffed.kind === 'armored')
    throw new ArchiveIntegrityError(
      'the archive is ASCII-armored age (-----BEGIN AGE ENCRYPTED FILE-----); n8n-ark writes and reads binary age only: dearmor it first (age -d, then age -e without -a)',
      { entry: AGE_HEADER },
    );
  return sniffed.kind === 'age' ? sniffed.header : undefined;
}

/** The file key, unwrapped by age-encryption from the header with the keys given, and the header's MAC checked. */
async function fileKey(
  header: AgeHeader,
  keys: AgeKeys,
  hint: string,
  blob: ArchiveBlob,
): Promise<Uint8Array> {
  const decrypter = new Decrypter();
  for (const identity of keys.identities) decrypter.addIdentity(identity);
  if (keys.passphrase !== undefined) decrypter.addPassphrase(keys.passphrase);
  try {
    return await decrypter.decryptHeader(header.bytes);
  } catch (error) {
    const message = (error as Error).message;
    if (/no identity matched/.test(message))
      throw new ArchiveKeyError(
        `none of the keys given opens the archive (it is encrypted to ${describeRecipients(header)}): ${hint}`,
        { reason: 'wrong', structure: structureOf(blob, header) },
      );
    throw new ArchiveIntegrityError(
      /HMAC/.test(message)
        ? "the encrypted archive's header fails authentication: it was altered after it was written"
        : `the encrypted archive's header is malformed (${message})`,
      { entry: AGE_HEADER },
      { cause: error },
    );
  }
}

/** Without the key: whether the file's length is one an age payload after this header can have. */
function structureOf(blob: ArchiveBlob, header: AgeHeader): 'intact' | { problem: string } {
  try {
    new PayloadLayout(blob.size - header.bytes.length - NONCE_SIZE);
    return 'intact';
  } catch (error) {
    return { problem: `truncated or damaged: ${(error as Error).message}` };
  }
}

/** The zip reader over the plaintext, whose container check authenticates what no entry covered. */
function withAuthentication(reader: ArchiveReader, plaintext: SealedBlob): ArchiveReader {
  return {
    entries: () => reader.entries(),
    openEntry: (name) => reader.openEntry(name),
    close: () => reader.close(),
    async checkContainer() {
      return [...((await reader.checkContainer?.()) ?? []), ...(await plaintext.unauthenticated())];
    },
  };
}

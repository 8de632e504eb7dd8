/**
 * An age file's header, read from the front of a stored blob without any key: the version line,
 * one stanza per recipient (`-> X25519 …`, `-> scrypt <salt> <work factor>`, …) and the MAC line
 * `--- …`. What it tells without a key — that the archive is encrypted, to which kinds of
 * recipient — is all anyone without the key learns, besides the file's size.
 */
import type { ArchiveBlob } from '../../core/ports.js';

export const AGE_MAGIC = 'age-encryption.org/v1\n';
/** The armored (PEM) form, which archives never use; named so the refusal can say what it is. */
const ARMOR_MAGIC = '-----BEGIN AGE ENCRYPTED FILE-----';
/** Headers grow by one stanza per recipient (a post-quantum one is about 1.6 KB): 1 MiB is hundreds. */
const MAX_HEADER = 1024 * 1024;
const READ_STEP = 16 * 1024;

export interface AgeHeader {
  /** The header's bytes, the MAC line included. */
  readonly bytes: Buffer;
  /** The stanzas' types in order (`X25519`, `scrypt`, `mlkem768x25519`, …). */
  readonly stanzas: readonly string[];
  /** The scrypt stanza's work factor (log2 N), when the file is passphrase-encrypted. */
  readonly scryptWorkFactor?: number;
}

/** What the blob begins with: an age file (its header read), an armored one, or something else. */
export type Sniffed = { kind: 'age'; header: AgeHeader } | { kind: 'armored' } | { kind: 'other' };

/** Reads as much of the front of the blob as the header needs (nothing when it is no age file). */
export async function sniffAge(blob: ArchiveBlob): Promise<Sniffed> {
  let front = await readBytes(blob, 0, Math.min(blob.size, READ_STEP));
  if (front.subarray(0, ARMOR_MAGIC.length).toString('latin1') === ARMOR_MAGIC) return { kind: 'armored' };
  if (front.subarray(0, AGE_MAGIC.length).toString('latin1') !== AGE_MAGIC) return { kind: 'other' };
  for (;;) {
    const end = headerEnd(front);
    if (end !== undefined) return { kind: 'age', header: describe(front.subarray(0, end)) };
    if (front.length >= Math.min(blob.size, MAX_HEADER))
      throw new Error(
        front.length >= MAX_HEADER
          ? `no end of the header within its first ${MAX_HEADER} bytes`
          : 'the file ends inside the header',
      );
    const more = await readBytes(blob, front.length, Math.min(blob.size, front.length + READ_STEP));
    front = Buffer.concat([front, more]);
  }
}

/** Where the MAC line (`--- <mac>\n`) ends, if the bytes hold it. */
function headerEnd(bytes: Buffer): number | undefined {
  const mac = bytes.indexOf('\n--- ');
  if (mac < 0) return undefined;
  const newline = bytes.indexOf('\n', mac + 1);
  return newline < 0 ? undefined : newline + 1;
}

function describe(bytes: Buffer): AgeHeader {
  const lines = bytes.toString('latin1').split('\n');
  const stanzas = lines.filter((line) => line.startsWith('-> ')).map((line) => line.split(' ')[1] ?? '');
  const scrypt = lines.find((line) => line.startsWith('-> scrypt '))?.split(' ')[3];
  return {
    bytes: Buffer.from(bytes),
    stanzas,
    ...(scrypt && /^\d+$/.test(scrypt) ? { scryptWorkFactor: Number(scrypt) } : {}),
  };
}

/** How the archive is encrypted, for a message: `a passphrase (scrypt, work factor 18)`, `2 X25519 recipients`. */
export function describeRecipients(header: AgeHeader): string {
  if (header.stanzas.includes('scrypt'))
    return `a passphrase (scrypt, work factor ${header.scryptWorkFactor ?? '?'})`;
  const counts = new Map<string, number>();
  for (const type of header.stanzas) counts.set(type, (counts.get(type) ?? 0) + 1);
  const parts = [...counts].map(
    ([type, n]) => `${n} ${RECIPIENT_NAMES[type] ?? type} recipient${n > 1 ? 's' : ''}`,
  );
  return parts.join(' and ') || 'no recipient';
}

const RECIPIENT_NAMES: Record<string, string> = {
  X25519: 'X25519',
  mlkem768x25519: 'post-quantum (ML-KEM-768 + X25519)',
};

/** Bytes [start, end) of the blob, read whole (a header, a chunk: small). */
export async function readBytes(blob: ArchiveBlob, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of blob.readRange(start, end)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

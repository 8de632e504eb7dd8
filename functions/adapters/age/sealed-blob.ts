/**
 * The plaintext of an age-encrypted archive as an ArchiveBlob, so the zip reader works over it as
 * over any stored archive: a byte range of the plaintext is read as the sealed chunks that hold it
 * (a ranged read of the file, or of the S3 object), each authenticated and decrypted alone. Nothing
 * is decrypted to disk and memory holds one chunk per range being read, whatever the archive's size.
 *
 * Every chunk a read touches is authenticated; `unauthenticated()` then reads the chunks no read
 * touched (zip headers between entries, at most), so a full verify authenticates the whole file.
 */
import { Readable } from 'node:stream';
import { ArchiveIntegrityError } from '../../core/errors.js';
import type { ArchiveBlob } from '../../core/ports.js';
import { type AgeHeader, readBytes } from './header.js';
import { CHUNK_SIZE, NONCE_SIZE, openChunk, PayloadLayout, payloadKey } from './payload.js';

/** The pseudo-entry an authentication failure is reported under. */
export const AGE_PAYLOAD = '(age payload)';

export class SealedBlob implements ArchiveBlob {
  readonly size: number;
  private readonly layout: PayloadLayout;
  private readonly payloadStart: number;
  /** One bit per chunk: authenticated by some read. */
  private readonly seen: Uint8Array;

  private constructor(
    private readonly sealed: ArchiveBlob,
    header: AgeHeader,
    private readonly key: Buffer,
  ) {
    this.payloadStart = header.bytes.length + NONCE_SIZE;
    this.layout = new PayloadLayout(sealed.size - this.payloadStart);
    this.size = this.layout.plaintextSize;
    this.seen = new Uint8Array(Math.ceil(this.layout.chunks / 8));
  }

  /** The plaintext of `sealed`, whose header is read and whose file key that header unwrapped to. */
  static async open(sealed: ArchiveBlob, header: AgeHeader, fileKey: Uint8Array): Promise<SealedBlob> {
    const at = header.bytes.length;
    const nonce = await readBytes(sealed, at, at + NONCE_SIZE);
    if (nonce.length !== NONCE_SIZE) throw truncated('the file ends before the payload');
    try {
      return new SealedBlob(sealed, header, payloadKey(fileKey, nonce));
    } catch (error) {
      throw truncated((error as Error).message);
    }
  }

  readRange(start: number, end: number): Readable {
    const to = Math.min(end, this.size);
    if (to <= start) return Readable.from([]);
    return Readable.from(this.plaintext(start, to), { objectMode: false });
  }

  close(): Promise<void> {
    return this.sealed.close();
  }

  /** Authenticates the chunks no read has touched; the first that fails is the problem. */
  async unauthenticated(): Promise<{ entry: string; problem: string }[]> {
    for (let index = 0; index < this.layout.chunks; index += 1) {
      if (this.wasSeen(index)) continue;
      let next = index + 1;
      while (next < this.layout.chunks && !this.wasSeen(next)) next += 1;
      try {
        for await (const _ of this.chunks(index, next - 1)) {
          // read for the authentication alone
        }
      } catch (error) {
        return [{ entry: AGE_PAYLOAD, problem: (error as Error).message }];
      }
      index = next;
    }
    return [];
  }

  /** Plaintext bytes [start, end), chunk by chunk. */
  private async *plaintext(start: number, end: number): AsyncGenerator<Buffer> {
    const first = this.layout.chunkAt(start);
    let offset = first * CHUNK_SIZE;
    for await (const plain of this.chunks(first, this.layout.chunkAt(end - 1))) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(end - offset, plain.length);
      if (to > from) yield plain.subarray(from, to);
      offset += plain.length;
    }
  }

  /** Chunks first…last, decrypted, read in one ranged read of their sealed bytes. */
  private async *chunks(first: number, last: number): AsyncGenerator<Buffer> {
    const from = this.payloadStart + this.layout.sealedRange(first)[0];
    const to = this.payloadStart + this.layout.sealedRange(last)[1];
    let index = first;
    let pending: Buffer[] = [];
    let pendingSize = 0;
    const take = () => {
      const [start, end] = this.layout.sealedRange(index);
      const size = end - start;
      const joined = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
      pending = joined.length > size ? [joined.subarray(size)] : [];
      pendingSize = joined.length - size;
      return this.open(index++, joined.subarray(0, size));
    };
    for await (const part of this.sealed.readRange(from, to)) {
      pending.push(part as Buffer);
      pendingSize += (part as Buffer).length;
      while (index <= last && pendingSize >= this.sealedSizeOf(index)) yield take();
    }
    if (index <= last) throw truncated(`the file ends inside chunk ${index}`);
  }

  private sealedSizeOf(index: number): number {
    const [start, end] = this.layout.sealedRange(index);
    return end - start;
  }

  private open(index: number, sealed: Buffer): Buffer {
    let plain: Buffer;
    try {
      plain = openChunk(this.key, index, index === this.layout.chunks - 1, sealed);
    } catch (error) {
      throw new ArchiveIntegrityError(
        `the encrypted archive fails authentication at chunk ${index} of ${this.layout.chunks} (bytes ${this.payloadStart + this.layout.sealedRange(index)[0]}–): it was altered, truncated or damaged after it was written`,
        { entry: AGE_PAYLOAD },
        { cause: error },
      );
    }
    this.seen[index >> 3] = (this.seen[index >> 3] ?? 0) | (1 << (index & 7));
    return plain;
  }

  private wasSeen(index: number): boolean {
    return ((this.seen[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
  }
}

function truncated(why: string): ArchiveIntegrityError {
  return new ArchiveIntegrityError(`the encrypted archive is truncated or damaged (${why})`, {
    entry: AGE_PAYLOAD,
  });
}

/**
 * age's payload (age-encryption.org/v1, "Payload"): after the header, a 16-byte nonce, then the
 * plaintext in 64 KiB chunks, each sealed alone with ChaCha20-Poly1305 under the payload key
 * (HKDF-SHA-256 of the file key, salted with the nonce, info "payload"). A chunk's nonce is its
 * index (11 bytes, big-endian) and a last-chunk flag, so any chunk decrypts given its index, and a
 * file cut at a chunk boundary, or with chunks swapped, fails to authenticate.
 *
 * age-encryption decrypts the payload only front to back; the range reader (sealed-blob.ts) needs a
 * chunk by its index, so the chunk cipher is here, on Node's OpenSSL ChaCha20-Poly1305 (about
 * fourteen times the speed of the library's pure-JavaScript one on this machine).
 */
import { createDecipheriv, hkdfSync } from 'node:crypto';

export const CHUNK_SIZE = 64 * 1024;
const TAG_SIZE = 16;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const NONCE_SIZE = 16;

/** The key each chunk is sealed with. */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

/** Where the payload's chunks lie, given its length (the bytes after the header and the nonce). */
export class PayloadLayout {
  readonly chunks: number;
  readonly plaintextSize: number;

  /** Throws, saying why, for a length no age payload can have (a file cut short or grown). */
  constructor(readonly sealedSize: number) {
    if (sealedSize < TAG_SIZE) throw new Error('the payload is shorter than one sealed chunk');
    this.chunks = Math.ceil(sealedSize / SEALED_CHUNK_SIZE);
    const last = sealedSize - (this.chunks - 1) * SEALED_CHUNK_SIZE;
    if (last < TAG_SIZE || (last === TAG_SIZE && this.chunks > 1))
      throw new Error(`a payload of ${sealedSize} bytes ends inside a chunk's tag`);
    this.plaintextSize = sealedSize - this.chunks * TAG_SIZE;
  }

  /** The chunk holding plaintext byte `offset`. */
  chunkAt(offset: number): number {
    return Math.floor(offset / CHUNK_SIZE);
  }

  /** Where chunk `index` lies in the payload: [start, end) of its sealed bytes. */
  sealedRange(index: number): [number, number] {
    const start = index * SEALED_CHUNK_SIZE;
    return [start, Math.min(start + SEALED_CHUNK_SIZE, this.sealedSize)];
  }
}

/** Chunk `index` of the payload, authenticated; throws when its bytes are not what was sealed. */
export function openChunk(key: Buffer, index: number, last: boolean, sealed: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(index, 5, 6);
  nonce[11] = last ? 1 : 0;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  decipher.final();
  return plain;
}

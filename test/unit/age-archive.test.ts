/**
 * The age layers on their own: what the sealing writer writes, age-encryption's own decrypter
 * reads; any byte range of the plaintext reads back exactly through the range reader, across chunk
 * boundaries; a file cut at a chunk boundary, with chunks swapped or a byte flipped fails
 * authentication; the chunks no read touched are authenticated by the container check; and memory
 * stays flat while a large archive streams through both.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { givenKeys } from '../../functions/adapters/age/keys.js';
import { openDecrypting } from '../../functions/adapters/age/open.js';
import { CHUNK_SIZE, SEALED_CHUNK_SIZE } from '../../functions/adapters/age/payload.js';
import { sealArchiveWriter } from '../../functions/adapters/age/sealed-writer.js';
import { ArchiveIntegrityError, ArchiveKeyError } from '../../functions/core/errors.js';
import type { ArchiveBlob, ArchiveReader, ArchiveWriter } from '../../functions/core/ports.js';

let identity: string;
let recipient: string;

beforeAll(async () => {
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
});

/** An ArchiveWriter whose output is whatever is written into it, end to end (the zip's stand-in). */
function rawWriter(): ArchiveWriter & { write(bytes: Buffer): boolean } {
  const output = new PassThrough();
  return {
    output,
    write: (bytes) => output.write(bytes),
    addEntry: async () => {},
    finish: async () => {
      output.end();
    },
    abort: (error) => output.destroy(error),
  };
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function seal(plain: Buffer): Promise<Buffer> {
  const inner = rawWriter();
  const writer = sealArchiveWriter(inner, { recipients: [recipient] });
  const sealed = collect(writer.output);
  inner.write(plain);
  await writer.finish();
  return sealed;
}

/** A blob over bytes in memory, read in small parts as a file or S3 would hand them. */
function blobOf(bytes: Buffer): ArchiveBlob {
  return {
    size: bytes.length,
    readRange: (start, end) => {
      const part = bytes.subarray(start, end);
      const pieces = [];
      for (let at = 0; at < part.length; at += 10_000) pieces.push(part.subarray(at, at + 10_000));
      return Readable.from(pieces);
    },
    close: async () => {},
  };
}

/** The plaintext blob the decrypting reader hands the zip reader, and its container check. */
async function opened(sealed: Buffer, keys = { identities: [identity] }) {
  let plaintext: ArchiveBlob | undefined;
  const inner = async (blob: ArchiveBlob): Promise<ArchiveReader> => {
    plaintext = blob;
    return { entries: () => [], openEntry: async () => Readable.from([]), close: async () => {} };
  };
  const reader = await openDecrypting(inner, givenKeys(keys, 'give the key'))(blobOf(sealed));
  return { plaintext: plaintext as ArchiveBlob, reader };
}

describe('the sealing writer', () => {
  it.each([1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 200_001])(
    'writes %i bytes as an age file that age-encryption decrypts to the same bytes',
    async (size) => {
      const plain = randomBytes(size);
      const sealed = await seal(plain);
      const decrypter = new Decrypter();
      decrypter.addIdentity(identity);
      expect(Buffer.from(await decrypter.decrypt(new Uint8Array(sealed))).equals(plain)).toBe(true);
    },
  );
});

describe('the range reader', () => {
  it('reads any byte range of the plaintext, across chunk boundaries', async () => {
    const plain = randomBytes(5 * CHUNK_SIZE + 1234);
    const { plaintext } = await opened(await seal(plain));
    expect(plaintext.size).toBe(plain.length);
    const ranges: [number, number][] = [
      [0, 1],
      [0, plain.length],
      [CHUNK_SIZE - 3, CHUNK_SIZE + 3],
      [2 * CHUNK_SIZE, 3 * CHUNK_SIZE],
      [plain.length - 22, plain.length],
      [4 * CHUNK_SIZE + 17, plain.length + 50],
      [100, 100],
    ];
    for (const [start, end] of ranges)
      expect((await collect(plaintext.readRange(start, end))).equals(plain.subarray(start, end))).toBe(true);
  });

  it('reads a file age-encryption wrote itself', async () => {
    const plain = randomBytes(3 * CHUNK_SIZE);
    const encrypter = new Encrypter();
    encrypter.addRecipient(recipient);
    const sealed = Buffer.from(await encrypter.encrypt(new Uint8Array(plain)));
    const { plaintext } = await opened(sealed);
    expect((await collect(plaintext.readRange(0, plain.length))).equals(plain)).toBe(true);
  });

  it('refuses without a key (saying how it is encrypted) and with another, before any chunk is read', async () => {
    const sealed = await seal(randomBytes(1000));
    const noKey = await opened(sealed, { identities: [] }).catch((error: unknown) => error);
    expect(noKey).toBeInstanceOf(ArchiveKeyError);
    expect((noKey as ArchiveKeyError).reason).toBe('missing');
    expect((noKey as ArchiveKeyError).structure).toBe('intact');
    expect((noKey as Error).message).toMatch(
      /encrypted \(age, to 1 X25519 recipient\) and no key was given: give the key/,
    );
    const other = await opened(sealed, { identities: [await generateX25519Identity()] }).catch(
      (e: unknown) => e,
    );
    expect((other as ArchiveKeyError).reason).toBe('wrong');
  });
});

describe('authentication', () => {
  const chunks = 4;
  let plain: Buffer;
  let sealed: Buffer;
  let payloadStart: number;

  beforeAll(async () => {
    plain = randomBytes(chunks * CHUNK_SIZE - 100);
    sealed = await seal(plain);
    payloadStart = sealed.length - (plain.length + chunks * 16);
  });

  const readAll = async (bytes: Buffer) => {
    const { plaintext } = await opened(bytes);
    return collect(plaintext.readRange(0, plaintext.size));
  };

  it('fails a file cut at a chunk boundary: the new last chunk was not sealed as the last', async () => {
    const cut = sealed.subarray(0, payloadStart + 2 * SEALED_CHUNK_SIZE);
    await expect(readAll(cut)).rejects.toThrow(/fails authentication at chunk 1 of 2/);
  });

  it('fails a file whose chunks were swapped', async () => {
    const swapped = Buffer.from(sealed);
    const first = payloadStart;
    const second = payloadStart + SEALED_CHUNK_SIZE;
    sealed.copy(swapped, first, second, second + SEALED_CHUNK_SIZE);
    sealed.copy(swapped, second, first, first + SEALED_CHUNK_SIZE);
    await expect(readAll(swapped)).rejects.toThrow(ArchiveIntegrityError);
  });

  it("fails a flipped byte in the header's MAC as the header's authentication", async () => {
    const flipped = Buffer.from(sealed);
    const mac = flipped.indexOf('\n--- ') + 6;
    flipped.writeUInt8(flipped.readUInt8(mac) === 65 ? 66 : 65, mac);
    await expect(opened(flipped)).rejects.toThrow(/header fails authentication/);
  });

  it('authenticates in the container check the chunks no read touched', async () => {
    const flipped = Buffer.from(sealed);
    const inThird = payloadStart + 2 * SEALED_CHUNK_SIZE + 5;
    flipped.writeUInt8(flipped.readUInt8(inThird) ^ 1, inThird);
    const { plaintext, reader } = await opened(flipped);
    expect((await collect(plaintext.readRange(0, 10))).equals(plain.subarray(0, 10))).toBe(true);
    expect(await reader.checkContainer?.()).toEqual([
      { entry: '(age payload)', problem: expect.stringMatching(/fails authentication at chunk 2 of 4/) },
    ]);
    const intact = await opened(sealed);
    await collect(intact.plaintext.readRange(0, 10));
    expect(await intact.reader.checkContainer?.()).toEqual([]);
  });
});

/** A full garbage collection, so what is measured is what the streams hold, not what awaits collection. */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** Memory the process holds live (JavaScript heap and buffers), after a full collection. */
async function liveBytes(): Promise<number> {
  // Twice, a turn apart: V8 frees dead buffers' memory after the collection that finds them.
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 5));
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('memory', () => {
  it('holds a few chunks, not the archive, while 96 MiB stream through the sealing writer to a file and back through the range reader', async () => {
    const size = 96 * 1024 * 1024;
    const dir = await mkdtemp(join(tmpdir(), 'n8n-ark-age-'));
    try {
      const path = join(dir, 'big.zip.age');
      const inner = rawWriter();
      const writer = sealArchiveWriter(inner, { recipients: [recipient] });
      const baseline = await liveBytes();
      let peak = 0;
      const measure = async () => {
        const now = (await liveBytes()) - baseline;
        peak = Math.max(peak, now);
      };
      const stored = pipeline(writer.output, createWriteStream(path));
      const block = randomBytes(1024 * 1024);
      for (let written = 0; written < size; written += block.length) {
        if (!inner.write(block)) await new Promise((resolve) => inner.output.once('drain', resolve));
        if (written % (8 * block.length) === 0) await measure();
      }
      await writer.finish();
      await stored;
      const { size: sealedSize } = await stat(path);
      const file: ArchiveBlob = {
        size: sealedSize,
        readRange: (start, end) => createReadStream(path, { start, end: end - 1 }),
        close: async () => {},
      };
      const reader = await openDecrypting(
        async (blob) => {
          let read = 0;
          for await (const part of blob.readRange(0, blob.size)) {
            read += (part as Buffer).length;
            if (read % (8 * 1024 * 1024) < (part as Buffer).length) await measure();
          }
          expect(read).toBe(size);
          return { entries: () => [], openEntry: async () => Readable.from([]), close: async () => {} };
        },
        givenKeys({ identities: [identity] }, ''),
      )(file);
      expect(await reader.checkContainer?.()).toEqual([]);
      expect(peak).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

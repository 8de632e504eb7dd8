/**
 * A zip writer that a sliced backup can stop between two records and another process can take up
 * again, writing the same zip archiver writes (zip-archive-writer.ts, the CLI's): every entry
 * deflated at level 1 after a local header without sizes, its CRC-32 and sizes in a data
 * descriptor after it, the central directory last, with ZIP64 records where a size or an offset
 * needs them. Never stopped, its bytes are archiver's byte for byte (the test compares them).
 *
 * Stopping mid-entry: deflate output cannot be taken up again where a stream left off, but a
 * stream whose last block is flushed with Z_FULL_FLUSH ends on a byte boundary with no reference
 * back into what came before, so a new raw deflate stream appended to it continues the same entry
 * (the way pigz compresses in pieces). The entry's CRC-32 carries on from the saved value
 * (zlib.crc32 takes one to start from); its SHA-256 is the archive builder's (core/archive/sha256.ts).
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { constants, crc32, createDeflateRaw, type DeflateRaw } from 'node:zlib';
import type { PausableArchiveWriter } from '../core/ports.js';

/** An entry as the central directory lists it (sizes so far for the one still open). */
interface ZipEntryRecord {
  name: string;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of its local header in the archive. */
  offset: number;
  /** Its modification time as MS-DOS date and time (what archiver writes: the time it was added, UTC). */
  dosTime: number;
}

/** Where a paused writer stands: everything another process needs to continue the same archive. */
export interface PausedZip {
  /** Bytes of the archive written so far. */
  offset: number;
  entries: ZipEntryRecord[];
  /** The entry stopped mid-way, continued by the next `addEntry` of its name. */
  open?: ZipEntryRecord;
}

export interface PausableZipWriterOptions {
  /** Deflate level, as the CLI's writer (zip-archive-writer.ts): default 1. */
  level?: number;
  /** Continue an archive where a paused writer left it. */
  resume?: PausedZip;
  /** The clock entries are dated by. */
  now?: () => Date;
}

const ZIP64_MAGIC = 0xffffffff;
const ZIP64_MAGIC_SHORT = 0xffff;
/** Unix (3) as the origin, version 4.5 of the spec; archiver's "version made by". */
const VERSION_MADE_BY = (3 << 8) | 45;
const VERSION_DATA_DESCRIPTOR = 20;
const VERSION_ZIP64 = 45;
/** Bit 3: sizes and CRC in a data descriptor after the data. */
const FLAGS = 0x0008;
const DEFLATED = 8;
/** -rw-r--r-- regular file, MS-DOS archive bit: what archiver records. */
const EXTERNAL_ATTRIBUTES = ((0o100644 << 16) | 0x20) >>> 0;

export function createPausableZipWriter(options: PausableZipWriterOptions = {}): PausableArchiveWriter {
  return new PausableZipWriter(options);
}

class PausableZipWriter implements PausableArchiveWriter {
  readonly output = new PassThrough({ highWaterMark: 1024 * 1024 });
  private offset: number;
  private readonly entries: ZipEntryRecord[];
  private open: ZipEntryRecord | undefined;
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  /** Set by endPart: the content being added ends a part of its entry, not the entry. */
  private partEnds = false;
  private readonly level: number;
  private readonly now: () => Date;

  constructor(options: PausableZipWriterOptions) {
    this.offset = options.resume?.offset ?? 0;
    this.entries = [...(options.resume?.entries ?? [])];
    this.open = options.resume?.open ? { ...options.resume.open } : undefined;
    this.level = options.level ?? 1;
    this.now = options.now ?? (() => new Date());
  }

  addEntry(name: string, content: Readable): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const added = this.queue.then(() => this.write(name, content));
    this.queue = added.catch(() => {});
    return added;
  }

  endPart(): void {
    this.partEnds = true;
  }

  async checkpoint(): Promise<{ state: PausedZip; bytes: number }> {
    await this.queue;
    if (this.failure) throw this.failure;
    const state: PausedZip = {
      offset: this.offset,
      entries: this.entries.map((e) => ({ ...e })),
      ...(this.open ? { open: { ...this.open } } : {}),
    };
    return { state, bytes: this.offset };
  }

  async finish(): Promise<void> {
    await this.queue;
    if (this.failure) throw this.failure;
    if (this.open) throw new Error(`the zip entry ${this.open.name} was paused and never finished`);
    const centralOffset = this.offset;
    for (const entry of this.entries) await this.push(centralHeader(entry));
    const centralLength = this.offset - centralOffset;
    const zip64 =
      this.entries.length > ZIP64_MAGIC_SHORT || centralLength > ZIP64_MAGIC || centralOffset > ZIP64_MAGIC;
    if (zip64) await this.push(zip64End(this.entries.length, centralLength, centralOffset));
    await this.push(centralEnd(this.entries.length, centralLength, centralOffset, zip64));
    this.output.end();
  }

  abort(error: Error): void {
    this.failure ??= error;
    this.output.destroy(error);
  }

  private async write(name: string, content: Readable): Promise<void> {
    if (this.failure) throw this.failure;
    let entry = this.open;
    if (entry && entry.name !== name)
      throw new Error(`the zip entry ${entry.name} is paused: ${name} cannot start before it ends`);
    if (!entry) {
      entry = { name, crc: 0, compressedSize: 0, size: 0, offset: this.offset, dosTime: dosTime(this.now()) };
      await this.push(localHeader(name, entry.dosTime));
    }
    this.open = entry;
    const deflate = createDeflateRaw({ level: this.level });
    let compressed = 0;
    const taken = new Promise<void>((resolve, reject) => {
      deflate.on('data', (chunk: Buffer) => {
        compressed += chunk.length;
        this.pushNow(chunk);
      });
      deflate.once('end', resolve);
      deflate.once('error', reject);
    });
    taken.catch(() => {});
    try {
      for await (const chunk of content as AsyncIterable<Buffer>) {
        entry.crc = crc32(chunk, entry.crc);
        entry.size += chunk.length;
        if (!deflate.write(chunk)) await once(deflate, 'drain');
        if (this.output.writableNeedDrain) await once(this.output, 'drain');
      }
      if (this.partEnds) {
        await fullFlush(deflate);
        deflate.close();
      } else {
        deflate.end();
        await taken;
      }
    } catch (error) {
      deflate.destroy();
      this.abort(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    entry.compressedSize += compressed;
    if (this.partEnds) {
      this.partEnds = false;
      return;
    }
    this.open = undefined;
    this.entries.push(entry);
    await this.push(dataDescriptor(entry));
  }

  /** Writes bytes to the output, counting them, waiting while the store is behind. */
  private async push(bytes: Buffer): Promise<void> {
    this.pushNow(bytes);
    if (this.output.writableNeedDrain) await once(this.output, 'drain');
  }

  private pushNow(bytes: Buffer): void {
    this.offset += bytes.length;
    this.output.write(bytes);
  }
}

/** Ends the deflate stream's current block on a byte boundary, every byte of it handed out. */
async function fullFlush(deflate: DeflateRaw): Promise<void> {
  await new Promise<void>((resolve) => deflate.flush(constants.Z_FULL_FLUSH, () => resolve()));
  while (deflate.readableLength > 0) await new Promise((resolve) => setImmediate(resolve));
}

function localHeader(name: string, time: number): Buffer {
  const fileName = Buffer.from(name);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(VERSION_DATA_DESCRIPTOR, 4);
  header.writeUInt16LE(FLAGS, 6);
  header.writeUInt16LE(DEFLATED, 8);
  header.writeUInt32LE(time, 10);
  // CRC-32 and sizes: zero, in the data descriptor instead.
  header.writeUInt16LE(fileName.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, fileName]);
}

function isZip64(entry: ZipEntryRecord): boolean {
  return entry.compressedSize > ZIP64_MAGIC || entry.size > ZIP64_MAGIC;
}

function dataDescriptor(entry: ZipEntryRecord): Buffer {
  const zip64 = isZip64(entry);
  const descriptor = Buffer.alloc(zip64 ? 24 : 16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(entry.crc >>> 0, 4);
  if (zip64) {
    descriptor.writeBigUInt64LE(BigInt(entry.compressedSize), 8);
    descriptor.writeBigUInt64LE(BigInt(entry.size), 16);
  } else {
    descriptor.writeUInt32LE(entry.compressedSize, 8);
    descriptor.writeUInt32LE(entry.size, 12);
  }
  return descriptor;
}

function centralHeader(entry: ZipEntryRecord): Buffer {
  const fileName = Buffer.from(entry.name);
  const zip64 = isZip64(entry) || entry.offset > ZIP64_MAGIC;
  let extra = Buffer.alloc(0);
  if (zip64) {
    extra = Buffer.alloc(28);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(entry.size), 4);
    extra.writeBigUInt64LE(BigInt(entry.compressedSize), 12);
    extra.writeBigUInt64LE(BigInt(entry.offset), 20);
  }
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(VERSION_MADE_BY, 4);
  header.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_DATA_DESCRIPTOR, 6);
  header.writeUInt16LE(FLAGS, 8);
  header.writeUInt16LE(DEFLATED, 10);
  header.writeUInt32LE(entry.dosTime, 12);
  header.writeUInt32LE(entry.crc >>> 0, 16);
  header.writeUInt32LE(zip64 ? ZIP64_MAGIC : entry.compressedSize, 20);
  header.writeUInt32LE(zip64 ? ZIP64_MAGIC : entry.size, 24);
  header.writeUInt16LE(fileName.length, 28);
  header.writeUInt16LE(extra.length, 30);
  // Comment length, disk number, internal attributes: zero.
  header.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
  header.writeUInt32LE(zip64 ? ZIP64_MAGIC : entry.offset, 42);
  return Buffer.concat([header, fileName, extra]);
}

function zip64End(entries: number, centralLength: number, centralOffset: number): Buffer {
  const record = Buffer.alloc(56 + 20);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(VERSION_ZIP64, 12);
  record.writeUInt16LE(VERSION_ZIP64, 14);
  record.writeBigUInt64LE(BigInt(entries), 24);
  record.writeBigUInt64LE(BigInt(entries), 32);
  record.writeBigUInt64LE(BigInt(centralLength), 40);
  record.writeBigUInt64LE(BigInt(centralOffset), 48);
  // The locator: where the record above starts, one disk in all.
  record.writeUInt32LE(0x07064b50, 56);
  record.writeBigUInt64LE(BigInt(centralOffset + centralLength), 64);
  record.writeUInt32LE(1, 72);
  return record;
}

function centralEnd(entries: number, centralLength: number, centralOffset: number, zip64: boolean): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? ZIP64_MAGIC_SHORT : entries, 8);
  end.writeUInt16LE(zip64 ? ZIP64_MAGIC_SHORT : entries, 10);
  end.writeUInt32LE(zip64 ? ZIP64_MAGIC : centralLength, 12);
  end.writeUInt32LE(zip64 ? ZIP64_MAGIC : centralOffset, 16);
  return end;
}

/** MS-DOS date and time in UTC, as archiver computes them (zip-stream's dateToDos). */
function dosTime(date: Date): number {
  const year = date.getUTCFullYear();
  if (year < 1980) return 2162688; // 1980-01-01 00:00:00
  if (year >= 2044) return 2141175677; // 2043-12-31 23:59:58
  return (
    (((year - 1980) << 25) |
      ((date.getUTCMonth() + 1) << 21) |
      (date.getUTCDate() << 16) |
      (date.getUTCHours() << 11) |
      (date.getUTCMinutes() << 5) |
      (date.getUTCSeconds() >> 1)) >>>
    0
  );
}

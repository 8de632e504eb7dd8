import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { ArchiveIntegrityError } from '../core/errors.js';
import type { ArchiveBlob, ArchiveEntryInfo, ArchiveReader } from '../core/ports.js';

/** The pseudo-entry named when the zip container itself (its central directory) is unreadable. */
export const ZIP_DIRECTORY = '(zip directory)';

class BlobReader extends yauzl.RandomAccessReader {
  constructor(private readonly blob: ArchiveBlob) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.blob.readRange(start, end);
  }
}

/**
 * Opens a zip archive over byte ranges of a stored blob (a file, or an S3 object read with Range
 * GETs). A truncated or garbled container, and an entry that fails to inflate, become
 * ArchiveIntegrityError naming the entry.
 */
export async function openZipArchive(blob: ArchiveBlob): Promise<ArchiveReader> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new BlobReader(blob), blob.size, {
      lazyEntries: true,
      autoClose: false,
      validateEntrySizes: true,
      strictFileNames: true,
    });
  } catch (error) {
    throw notAZip(error);
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  } catch (error) {
    throw directoryDamaged(error);
  }

  return {
    entries: (): ArchiveEntryInfo[] =>
      [...entries.values()].map((e) => ({ name: e.fileName, size: e.uncompressedSize })),
    async openEntry(name) {
      const entry = entries.get(name);
      if (!entry) throw new ArchiveIntegrityError(`${name} is missing from the archive`, { entry: name });
      let stream: Readable;
      try {
        stream = await zip.openReadStreamPromise(entry);
      } catch (error) {
        throw entryUnreadable(name, error);
      }
      return checked(stream, entry);
    },
    async close() {
      zip.close();
      await blob.close();
    },
  };
}

/**
 * Inflate and size errors surface mid-stream; re-throw them naming the entry. yauzl does not check
 * the zip's CRC-32, so it is checked here: that catches damage to any entry, the manifest included.
 */
function checked(stream: Readable, entry: yauzl.Entry): Readable {
  const name = entry.fileName;
  async function* guarded(): AsyncGenerator<Buffer> {
    let crc = 0;
    try {
      for await (const chunk of stream) {
        crc = crc32(chunk as Buffer, crc);
        yield chunk as Buffer;
      }
    } catch (error) {
      throw entryDamaged(name, (error as Error).message, error);
    }
    if (crc >>> 0 !== entry.crc32 >>> 0)
      throw entryDamaged(name, 'its CRC-32 does not match the zip directory');
  }
  return Readable.from(guarded(), { objectMode: false });
}

function notAZip(error: unknown): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `the archive is not a readable zip (${(error as Error).message}): it may be truncated or not an n8n-ark archive`,
    { entry: ZIP_DIRECTORY },
    { cause: error },
  );
}

function directoryDamaged(error: unknown): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `the zip directory is damaged (${(error as Error).message})`,
    { entry: ZIP_DIRECTORY },
    { cause: error },
  );
}

function entryUnreadable(name: string, error: unknown): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `${name} cannot be read: ${(error as Error).message}`,
    { entry: name },
    { cause: error },
  );
}

/** An entry whose bytes are not what the archive wrote (`why`; the inflate error as `cause`, if one). */
function entryDamaged(name: string, why: string, cause?: unknown): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `${name} is damaged: ${why}`,
    { entry: name },
    cause === undefined ? undefined : { cause },
  );
}

import type { Readable } from 'node:stream';
import { ZipArchive } from 'archiver';
import { ArchiveIntegrityError } from '../core/errors.js';
import type { ArchiveWriter } from '../core/ports.js';

export interface ZipWriterOptions {
  /** Deflate level 0–9. 6 is zlib's default balance; NDJSON compresses ~10× at it. */
  level?: number;
}

/**
 * An ArchiveWriter over archiver's streaming zip. The archive object itself is the output stream,
 * so its backpressure reaches back to the entry sources (and through them to n8n's pages).
 */
export function createZipArchiveWriter(options: ZipWriterOptions = {}): ArchiveWriter {
  const zip = new ZipArchive({ zlib: { level: options.level ?? 6 } });
  let failure: Error | undefined;
  let waiter: { name: string; resolve: () => void; reject: (error: Error) => void } | undefined;

  zip.on('entry', (data: { name: string }) => {
    if (waiter && data.name === waiter.name) {
      const { resolve } = waiter;
      waiter = undefined;
      resolve();
    }
  });
  zip.on('error', (error: Error) => {
    failure ??= error;
    waiter?.reject(error);
    waiter = undefined;
  });

  return {
    output: zip as unknown as Readable,
    addEntry(name, content) {
      if (failure) return Promise.reject(failure);
      return new Promise<void>((resolve, reject) => {
        waiter = { name, resolve, reject };
        // A source that fails (n8n error mid-listing) must fail this entry, not hang it.
        content.once('error', (error: Error) => {
          failure ??= error;
          if (waiter?.name === name) {
            waiter = undefined;
            reject(error);
          }
        });
        zip.append(content, { name });
      });
    },
    async finish() {
      if (failure) throw failure;
      await zip.finalize();
    },
    abort(error) {
      failure ??= error;
      zip.abort();
      (zip as unknown as Readable).destroy(
        error instanceof ArchiveIntegrityError
          ? error
          : new Error(`archive aborted: ${error.message}`, { cause: error }),
      );
    },
  };
}

import { PassThrough } from 'node:stream';
import { ZipArchive } from 'archiver';
import type { ArchiveWriter } from '../core/ports.js';

export interface ZipWriterOptions {
  /**
   * Deflate level 0–9. Default 1: on the bench, level 6 made the archive 10% smaller but the
   * backup 12% slower (compression competes with paging for 2 cores); NDJSON still shrinks ~12×.
   */
  level?: number;
}

/**
 * An ArchiveWriter over archiver's streaming zip. Backpressure from the store reaches back through
 * the zip to the entry sources, and through them to n8n's pages.
 */
export function createZipArchiveWriter(options: ZipWriterOptions = {}): ArchiveWriter {
  const zip = new ZipArchive({ zlib: { level: options.level ?? 1 } });
  // archiver's streams come from the readable-stream package; stores (lib-storage, pipeline) want
  // a Node.js Readable, and pipe() keeps the backpressure.
  const output = new PassThrough();
  zip.pipe(output);
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
    output.destroy(error);
    waiter?.reject(error);
    waiter = undefined;
  });

  return {
    output,
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
      output.destroy(error);
    },
  };
}

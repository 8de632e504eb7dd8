import { PassThrough, Readable } from 'node:stream';
import type {
  ArchiveBlob,
  ArchiveReader,
  ArchiveRef,
  ArchiveStore,
  ArchiveWriter,
} from '../../../functions/core/ports.js';

/** An ArchiveWriter that keeps entries in a Map: the unit tests' stand-in for the zip adapter. */
export class InMemoryArchiveWriter implements ArchiveWriter {
  readonly entries = new Map<string, Buffer>();
  readonly output = new PassThrough();

  async addEntry(name: string, content: Readable): Promise<void> {
    const parts: Buffer[] = [];
    for await (const chunk of content) parts.push(Buffer.from(chunk as Uint8Array));
    this.entries.set(name, Buffer.concat(parts));
  }

  async finish(): Promise<void> {
    this.output.end(
      Buffer.from(JSON.stringify([...this.entries].map(([k, v]) => [k, v.toString('base64')]))),
    );
  }

  abort(error: Error): void {
    this.output.destroy(error);
  }
}

/** A store that keeps whole archives in memory, keyed by `mem://instance/timestamp`. */
export class InMemoryArchiveStore implements ArchiveStore {
  readonly description = 'memory';
  readonly archives = new Map<string, Buffer>();
  failures = 0;

  async put(instance: string, createdAt: Date, body: Readable): Promise<ArchiveRef> {
    const parts: Buffer[] = [];
    try {
      for await (const chunk of body) parts.push(Buffer.from(chunk as Uint8Array));
    } catch (error) {
      this.failures += 1;
      throw error;
    }
    const location = `mem://${instance}/${createdAt.toISOString()}`;
    const bytes = Buffer.concat(parts);
    this.archives.set(location, bytes);
    return { location, instance, createdAt, size: bytes.length };
  }

  /** Newest first, as a store lists them. */
  async *list(options: { instance?: string } = {}): AsyncIterable<ArchiveRef> {
    const refs = [...this.archives].flatMap(([location, bytes]) => {
      const [, instance = '', at = ''] = /^mem:\/\/([^/]+)\/(.+)$/.exec(location) ?? [];
      if (options.instance !== undefined && instance !== options.instance) return [];
      return [{ location, instance, createdAt: new Date(at), size: bytes.length }];
    });
    yield* refs.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  async open(location: string): Promise<ArchiveBlob> {
    const bytes = this.archives.get(location);
    if (!bytes) throw new Error(`no archive ${location}`);
    return {
      size: bytes.length,
      readRange: (start, end) => Readable.from([bytes.subarray(start, end)]),
      close: async () => {},
    };
  }
}

/** Reads back what InMemoryArchiveWriter produced. */
export async function openInMemoryArchive(blob: ArchiveBlob): Promise<ArchiveReader> {
  const parts: Buffer[] = [];
  for await (const chunk of blob.readRange(0, blob.size)) parts.push(Buffer.from(chunk as Uint8Array));
  const entries = new Map(
    (JSON.parse(Buffer.concat(parts).toString('utf8')) as [string, string][]).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64'),
    ]),
  );
  return {
    entries: () => [...entries].map(([name, bytes]) => ({ name, size: bytes.length })),
    openEntry: async (name) => Readable.from([entries.get(name) ?? Buffer.alloc(0)]),
    close: async () => {},
  };
}

/**
 * An archive read as another tool would read it from docs/ARCHIVE-FORMAT.md: a zip of NDJSON
 * entries and a manifest, opened with a plain zip reader rather than n8n-ark's own.
 */
import yauzl from 'yauzl';

/** Every entry of the zip at `path`, name → text. */
export async function archiveEntries(path: string): Promise<Map<string, string>> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const entries = new Map<string, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(error);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

/** The records of one NDJSON entry (none when the entry is absent). */
export function ndjsonRecords<T>(text: string | undefined): T[] {
  return (text ?? '')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

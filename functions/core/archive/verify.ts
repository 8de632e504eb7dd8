import { ArchiveIntegrityError, UnsupportedArchiveFormatError } from '../errors.js';
import type { ArchiveStore, OpenArchiveReader } from '../ports.js';
import { checkArchiveContent } from './check.js';
import { openArchive, type VerifyReport } from './format.js';

/**
 * Checks an archive end to end. Integrity problems (a damaged container, a bad manifest, an entry
 * whose bytes do not match) are reported, not thrown; a store that cannot open the archive throws.
 */
export async function verifyArchive(
  store: ArchiveStore,
  location: string,
  openReader: OpenArchiveReader,
): Promise<VerifyReport> {
  const blob = await store.open(location);
  let reader: Awaited<ReturnType<OpenArchiveReader>> | undefined;
  try {
    reader = await openReader(blob);
    const archive = await openArchive(reader);
    const bytes = await archive.verify();
    if (!bytes.ok) return bytes;
    // Bytes that match their digests can still hold what no restore could use: judge the content too.
    const problems = await checkArchiveContent(archive);
    return { ...bytes, ok: problems.length === 0, problems };
  } catch (error) {
    if (error instanceof ArchiveIntegrityError) {
      return {
        ok: false,
        manifest: null,
        problems: [{ entry: error.entry, problem: error.message }],
        entriesChecked: 0,
        bytesChecked: 0,
      };
    }
    if (error instanceof UnsupportedArchiveFormatError) {
      return {
        ok: false,
        manifest: null,
        problems: [{ entry: 'manifest.json', problem: error.message }],
        entriesChecked: 0,
        bytesChecked: 0,
      };
    }
    throw error;
  } finally {
    if (reader) await reader.close();
    else await blob.close();
  }
}

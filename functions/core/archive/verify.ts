import {
  archiveSnapshot,
  type DiffResult,
  diffInstances,
  formatDifferences,
  liveSnapshot,
} from '../diff/index.js';
import { ArchiveIntegrityError, UnsupportedArchiveFormatError } from '../errors.js';
import type { ArchiveStore, N8nApi, OpenArchiveReader } from '../ports.js';
import { checkArchiveContent } from './check.js';
import { type OpenedArchive, openArchive, type VerifyReport } from './format.js';

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

export interface RestoreCheck {
  /** Whether the target holds what the archive holds, compared the way `n8n-ark diff` compares. */
  equal: boolean;
  differences: number;
  /** The first differences, readable (`workflows team:Ops / Orders: only in …`). */
  sample: string[];
}

/**
 * After a restore: the archive against the live target, users left out (a restore invites no one).
 * With `only`, differences in other resources are not counted: the restore did not touch them.
 */
export async function checkRestoredTarget(
  archive: OpenedArchive,
  label: string,
  target: N8nApi,
  options: { only?: readonly string[]; sampleSize?: number } = {},
): Promise<RestoreCheck> {
  const result = await diffInstances(archiveSnapshot(archive, label), liveSnapshot(target), {
    ignoreUsers: true,
  });
  return restoreCheckOf(result, options);
}

/** A comparison (users left out) as the check after a restore reports it: `only` its resources, a sample of lines. */
export function restoreCheckOf(
  result: DiffResult,
  options: { only?: readonly string[]; sampleSize?: number } = {},
): RestoreCheck {
  const only = options.only;
  const counted = only
    ? result.differences.filter((d) =>
        only.includes(d.resource === 'dataTableRows' ? 'dataTables' : d.resource),
      )
    : result.differences;
  const lines = formatDifferences({ ...result, differences: counted, equal: counted.length === 0 });
  return {
    equal: counted.length === 0,
    differences: counted.length,
    sample: lines.slice(0, options.sampleSize ?? 20),
  };
}

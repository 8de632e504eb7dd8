/**
 * A backup's entries split per record of a kind (a table's rows): for each record (table) its
 * records in chunks of `rowsPerChunk`, the next one's first pages read ahead. A sliced backup stops
 * between two pages and the next slice takes the listing up where it stood (its position saved).
 */
import type { ArchiveBuilder } from '../archive/builder.js';
import { readAhead } from '../async-iterables.js';
import type { SnapshotResource } from '../kinds/index.js';
import type { ArchiveEntrySpec, Kind } from '../kinds/kind.js';
import type { N8nApi, Progress } from '../ports.js';
import type { ExportKept } from './export-kept.js';
import { type ExportSlices, positioned, type ResumeAt } from './export-slices.js';

export interface PerRecordExport {
  api: N8nApi;
  progress: Progress;
  archive: ArchiveBuilder;
  rowsPerChunk: number;
  slices: ExportSlices;
  kept: ExportKept;
  /** Before each record's entries: the upload and the deadline checked. */
  check(): void;
  /** Each record written: counted, checked, shown. */
  counted(resource: string): void;
}

/**
 * An entry split per record of its kind (a table's rows): excluded on purpose, it is recorded and
 * never read; a read the key may not make fails the backup, naming the scope n8n wants.
 */
export async function exportPerRecord(
  x: PerRecordExport,
  kind: Kind,
  resource: string,
  spec: ArchiveEntrySpec,
): Promise<void> {
  const { coverage } = x.kept;
  if (coverage.isExcluded(resource)) return coverage.recordExcluded(resource);
  await exportRecords(x, kind, resource, spec).catch((error: unknown) => coverage.rethrow(resource, error));
}

async function exportRecords(
  x: PerRecordExport,
  kind: Kind,
  resource: string,
  spec: ArchiveEntrySpec,
): Promise<void> {
  const { name, readFor } = spec;
  if (typeof name === 'string' || !readFor) return;
  const step = `records:${resource}`;
  const at = x.slices.resumeAt(step) as ResumeAt<'perRecord'> | undefined;
  const parents = [...(x.kept.tally.identities.get(kind.resource as SnapshotResource)?.keys() ?? [])];
  let total = at?.total ?? 0;
  x.progress.start(resource);
  const start = at?.parent ?? 0;
  const recordsOf = (index: number) => {
    const parent = parents[index];
    if (parent === undefined) return undefined;
    return positioned(readFor(x.api, parent, index === start ? at?.position : undefined));
  };
  let next = recordsOf(start);
  for (let index = start; index < parents.length; index += 1) {
    const parent = parents[index] as string;
    x.check();
    const now = next ?? positioned(readFor(x.api, parent));
    // The next record's first pages come while this one's are written.
    const following = recordsOf(index + 1);
    next = following && { ...following, listing: readAhead(following.listing) };
    let records = index === start ? (at?.records ?? 0) : 0;
    await x.archive.addRecordsInEntries((n) => name(parent, n), resource, now.listing, x.rowsPerChunk, {
      dataTableId: parent,
      firstChunk: Math.floor(records / x.rowsPerChunk) + 1,
      observe: () => {
        records += 1;
        total += 1;
        x.counted(resource);
      },
      ...x.slices.pausable(() => {
        const position = now.position();
        return position && { step, perRecord: { parent: index, records, total, position } };
      }),
    });
  }
  if (!x.kept.skipped.some((s) => s.resource === kind.resource)) x.kept.counts[resource] = total;
  x.progress.done(resource, `${total} rows`);
}

/**
 * An OpenedArchive over a MemoryN8n's state, shaped as a backup writes it (one record list per
 * entry, rows per table), for restore unit tests that need no zip. Integration tests use real
 * archives from runBackup instead.
 */
import { ENTRY } from '../../../functions/core/archive/entries.js';
import type {
  Manifest,
  ManifestEntry,
  OpenedArchive,
  VerifyReport,
} from '../../../functions/core/archive/format.js';
import { ArchiveIntegrityError } from '../../../functions/core/errors.js';
import type { MemoryN8n } from './memory-n8n.js';

export interface MemoryArchive extends OpenedArchive {
  /** Entry name → records; tests may alter them to simulate damage. */
  readonly content: Map<string, unknown[]>;
  /** Entries whose digest "does not match": verify() reports them and records() throws at their end. */
  readonly corrupt: Set<string>;
}

export function memoryArchive(
  source: MemoryN8n,
  options: { skipped?: Manifest['skipped'] } = {},
): MemoryArchive {
  const content = new Map<string, unknown[]>();
  const entries: ManifestEntry[] = [];
  const add = (name: string, resource: string, records: unknown[], dataTableId?: string) => {
    content.set(name, structuredClone(records));
    entries.push({
      name,
      resource,
      sha256: 'f'.repeat(64),
      size: JSON.stringify(records).length,
      records: records.length,
      ...(dataTableId ? { dataTableId } : {}),
    });
  };
  const skipped = new Set((options.skipped ?? []).map((s) => s.resource));
  const unless = (resource: string, fn: () => void) => {
    if (!skipped.has(resource)) fn();
  };
  unless('users', () => add(ENTRY.users, 'users', source.users));
  unless('projects', () => add(ENTRY.projects, 'projects', source.projects));
  unless('tags', () => add(ENTRY.tags, 'tags', source.tags));
  unless('variables', () => add(ENTRY.variables, 'variables', source.variables));
  unless('credentials', () =>
    add(
      ENTRY.credentials,
      'credentials',
      source.credentials.map(({ data: _data, ...meta }) => meta),
    ),
  );
  unless('dataTables', () => {
    add(ENTRY.dataTables, 'dataTables', source.dataTables);
    for (const table of source.dataTables) {
      const rows = source.rows.get(table.id) ?? [];
      // Two rows per chunk, so chunk order matters in tests.
      for (let i = 0, chunk = 1; i < rows.length; i += 2, chunk += 1) {
        add(ENTRY.dataTableRows(table.id, chunk), 'dataTableRows', rows.slice(i, i + 2), table.id);
      }
    }
  });
  add(ENTRY.workflows, 'workflows', source.workflows);
  unless('workflowHistory', () =>
    add(ENTRY.workflowHistory, 'workflowHistory', [...source.history.values()].flat()),
  );
  unless('folders', () => add(ENTRY.folders, 'folders', source.folders));

  const counts: Record<string, number> = {};
  for (const entry of entries) counts[entry.resource] = (counts[entry.resource] ?? 0) + entry.records;
  const manifest: Manifest = {
    format: 'n8n-ark-archive',
    formatVersion: 1,
    tool: { name: 'n8n-ark', version: '0.0.0-test' },
    source: { url: source.baseUrl, instance: 'source', n8nVersion: null },
    startedAt: '2026-11-22T01:00:00.000Z',
    finishedAt: '2026-11-22T01:00:01.000Z',
    counts,
    entries,
    skipped: options.skipped ?? [],
    warnings: [],
  };
  const corrupt = new Set<string>();
  return {
    manifest,
    content,
    corrupt,
    entriesOf: (resource) => manifest.entries.filter((e) => e.resource === resource),
    async *records<T>(name: string): AsyncIterable<T> {
      for (const record of content.get(name) ?? []) yield structuredClone(record) as T;
      if (corrupt.has(name))
        throw new ArchiveIntegrityError(`${name}: sha256 does not match the manifest`, { entry: name });
    },
    async *lines(name: string): AsyncIterable<string> {
      for (const record of content.get(name) ?? []) yield JSON.stringify(record);
      if (corrupt.has(name))
        throw new ArchiveIntegrityError(`${name}: sha256 does not match the manifest`, { entry: name });
    },
    async verify(): Promise<VerifyReport> {
      const problems = [...corrupt].map((entry) => ({
        entry,
        problem: 'sha256 does not match the manifest',
      }));
      return {
        ok: problems.length === 0,
        manifest,
        problems,
        entriesChecked: entries.length,
        bytesChecked: 0,
      };
    },
  };
}

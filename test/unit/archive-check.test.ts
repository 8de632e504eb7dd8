import { describe, expect, it } from 'vitest';
import { checkArchiveContent } from '../../functions/core/archive/check.js';
import { ENTRY } from '../../functions/core/archive/entries.js';
import { ArchiveIntegrityError } from '../../functions/core/errors.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { runRestore } from '../../functions/core/restore/run.js';
import { type MemoryArchive, memoryArchive } from './fakes/memory-archive.js';
import { emptyTarget, seededSource } from './fakes/seeded-instance.js';
import { InMemoryLedgerStore } from './support/in-memory-ledger-store.js';

/** An archive whose content was changed after the backup, digests kept matching (as if recomputed). */
function altered(change: (archive: MemoryArchive) => void): MemoryArchive {
  const archive = memoryArchive(seededSource());
  change(archive);
  return archive;
}

function records(archive: MemoryArchive, name: string): Record<string, unknown>[] {
  return archive.content.get(name) as Record<string, unknown>[];
}

function firstRowsChunk(archive: MemoryArchive) {
  const chunk = archive.manifest.entries.find((e) => e.resource === 'dataTableRows');
  if (!chunk) throw new Error('the seeded archive has no rows');
  return chunk;
}

describe('checkArchiveContent', () => {
  it('finds nothing wrong with an archive as the backup wrote it', async () => {
    expect(await checkArchiveContent(memoryArchive(seededSource()))).toEqual([]);
  });

  it.each([
    [
      'an emptied workflows entry',
      (a: MemoryArchive) => a.content.set(ENTRY.workflows, []),
      /workflows\.ndjson.*holds 0 record\(s\); the manifest says \d+/,
    ],
    [
      'a workflow whose nodes are not a list',
      (a: MemoryArchive) => {
        const [first] = records(a, ENTRY.workflows);
        if (first) first.nodes = 'none';
      },
      /workflows\.ndjson.*line 1: nodes:/,
    ],
    [
      'a data table whose name is a number',
      (a: MemoryArchive) => {
        const [first] = records(a, ENTRY.dataTables);
        if (first) first.name = 42;
      },
      /data-tables\.ndjson.*line 1: name:/,
    ],
    [
      'a rows chunk naming a table the archive lacks',
      (a: MemoryArchive) => {
        firstRowsChunk(a).dataTableId = 'no-such-table';
      },
      /rows-\d{6}\.ndjson: entries of dataTableRows are named data-tables\/no-such-table\//,
    ],
    [
      'a row with a column its table does not have',
      (a: MemoryArchive) => {
        const [row] = records(a, firstRowsChunk(a).name);
        if (row) row.smuggled = 'x';
      },
      /line 1: smuggled: not a column of its data table/,
    ],
    [
      'two tags with one id',
      (a: MemoryArchive) => {
        const tags = records(a, ENTRY.tags);
        if (tags[0] && tags[1]) tags[1].id = tags[0].id;
      },
      /tags\.ndjson.*appears twice among the tags/,
    ],
    [
      'a workflow tagged with a tag the archive lacks',
      (a: MemoryArchive) => {
        const tagged = records(a, ENTRY.workflows).find((w) => (w.tags as unknown[]).length > 0);
        if (tagged) tagged.tags = [{ id: 'ghost', name: 'ghost' }];
      },
      /carries tag ghost, which is not in tags\.ndjson/,
    ],
    [
      'a saved version of a workflow the archive lacks',
      (a: MemoryArchive) => {
        const [version] = records(a, ENTRY.workflowHistory);
        if (version) version.workflowId = 'ghost';
      },
      /workflow-history\.ndjson: it holds versions of workflow ghost, which is not in workflows\.ndjson/,
    ],
    [
      'two saved versions with one versionId',
      (a: MemoryArchive) => {
        const versions = records(a, ENTRY.workflowHistory);
        if (versions[0] && versions[1]) versions[1].versionId = versions[0].versionId;
      },
      /workflow-history\.ndjson.*appears twice among the workflowHistory/,
    ],
    [
      'a saved version without its graph',
      (a: MemoryArchive) => {
        const [version] = records(a, ENTRY.workflowHistory);
        if (version) delete version.nodes;
      },
      /workflow-history\.ndjson.*line 1: nodes:/,
    ],
    [
      'manifest counts that differ from the entries',
      (a: MemoryArchive) => {
        a.manifest.counts.workflows = (a.manifest.counts.workflows ?? 0) + 1;
      },
      /counts\.workflows is \d+, but its entries hold \d+/,
    ],
  ])('refuses %s, naming the entry', async (_what, change, problem) => {
    // Prepare
    const archive = altered(change);

    // Act
    const problems = await checkArchiveContent(archive);

    // Assess
    expect(problems.map((p) => `${p.entry}: ${p.problem}`)).toContainEqual(expect.stringMatching(problem));
  });

  it('accepts an archive written before history was kept (no workflow-history entry)', async () => {
    // Prepare
    const archive = memoryArchive(seededSource(), {
      skipped: [{ resource: 'workflowHistory', reason: 'not kept' }],
    });
    archive.manifest.skipped.length = 0;

    // Act
    const problems = await checkArchiveContent(archive);

    // Assess
    expect(archive.manifest.entries.map((e) => e.resource)).not.toContain('workflowHistory');
    expect(problems).toEqual([]);
  });

  it('makes a restore refuse such an archive before its first write', async () => {
    // Prepare
    const archive = altered((a) => a.content.set(ENTRY.workflows, []));
    const target = emptyTarget();
    const deps = {
      archive,
      api: target,
      ledgerStore: new InMemoryLedgerStore(),
      clock: { now: () => new Date('2026-11-22T02:00:00.000Z') },
      logger: silentLogger,
      progress: silentProgress,
    };

    // Act
    const restore = runRestore(deps);

    // Assess
    await expect(restore).rejects.toThrow(ArchiveIntegrityError);
    await expect(runRestore(deps)).rejects.toThrow(/holds 0 record\(s\).*Nothing was written/);
    expect(target.writes).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { runBackup } from '../../functions/core/backup/run.js';
import { judgeShrink, type ManifestSummary, newestManifest } from '../../functions/core/backup/shrink.js';
import type { ArchiveRef, LogFields, Logger } from '../../functions/core/ports.js';
import { backupDeps } from './backup-deps.js';
import { memoryN8nHolding, workflow } from './fakes/n8n-contents.js';
import { InMemoryArchiveStore, openInMemoryArchive } from './support/in-memory-archive.js';

const summary = (workflows: number, skipped: string[] = []): ManifestSummary => ({
  counts: { workflows, tags: 3 },
  skipped: skipped.map((resource) => ({ resource, reason: `no access to ${resource}` })),
});

describe('judgeShrink', () => {
  it('has nothing to judge without a previous archive', () => {
    expect(judgeShrink(undefined, summary(10))).toEqual({
      shrank: false,
      compared: false,
      newlySkipped: [],
      workflows: { before: 0, after: 10 },
      fell: [],
      reasons: [],
    });
  });

  it('names a resource skipped now that the previous backup had', () => {
    const verdict = judgeShrink(summary(10, ['projects']), summary(10, ['projects', 'variables']));

    expect(verdict.shrank).toBe(true);
    expect(verdict.newlySkipped).toEqual([{ resource: 'variables', reason: 'no access to variables' }]);
    expect(verdict.reasons).toEqual(['variables newly skipped: no access to variables']);
  });

  it('does not count a resource skipped in both, or no longer skipped', () => {
    expect(judgeShrink(summary(10, ['projects', 'variables']), summary(10, ['projects'])).shrank).toBe(false);
  });

  it('does not count a kind the operator excluded on purpose, nor what its kind also counts (rows), as shrinking', () => {
    const before: ManifestSummary = {
      counts: { workflows: 10, credentials: 4, dataTables: 2, dataTableRows: 500, tags: 3 },
      skipped: [],
    };
    const after: ManifestSummary = {
      counts: { workflows: 10, tags: 0 },
      skipped: [],
      excluded: [
        { resource: 'credentials', askedBy: 'ana' },
        { resource: 'dataTables', askedBy: 'ana' },
      ],
    };

    const verdict = judgeShrink(before, after);

    expect(verdict.fell.map((f) => f.kind)).toEqual(['tags']);
  });

  it('counts a drop of workflows beyond the share, not one within it, and not at exactly the share', () => {
    expect(judgeShrink(summary(100), summary(79), 0.2)).toMatchObject({
      shrank: true,
      workflows: { before: 100, after: 79 },
      reasons: ['workflows fell from 100 to 79 (21 %, more than 20 %)'],
    });
    expect(judgeShrink(summary(100), summary(80), 0.2).shrank).toBe(false);
    expect(judgeShrink(summary(100), summary(95), 0.2).shrank).toBe(false);
    expect(judgeShrink(summary(100), summary(94), 0.05).shrank).toBe(true);
  });

  it('takes 20 % as the default share, and never calls growth or an empty previous instance shrinking', () => {
    expect(judgeShrink(summary(10), summary(7)).shrank).toBe(true);
    expect(judgeShrink(summary(10), summary(8)).shrank).toBe(false);
    expect(judgeShrink(summary(10), summary(50)).shrank).toBe(false);
    expect(judgeShrink(summary(0), summary(0)).shrank).toBe(false);
  });

  it('judges every count with the same share: a table emptied of its rows shrinks the backup, workflows unchanged', () => {
    const previous = { counts: { workflows: 10, dataTables: 2, dataTableRows: 1_000_000 }, skipped: [] };
    const verdict = judgeShrink(previous, {
      counts: { workflows: 10, dataTables: 2, dataTableRows: 0 },
      skipped: [],
    });

    expect(verdict.shrank).toBe(true);
    expect(verdict.fell).toEqual([{ kind: 'dataTableRows', before: 1_000_000, after: 0 }]);
    expect(verdict.reasons).toEqual(['dataTableRows fell from 1000000 to 0 (100 %, more than 20 %)']);
  });

  it('counts a kind missing from the new manifest as none, and a kind new in it as no fall', () => {
    const verdict = judgeShrink(
      { counts: { workflows: 5, variables: 4 }, skipped: [] },
      { counts: { workflows: 5, tags: 9 }, skipped: [] },
    );

    expect(verdict.fell).toEqual([{ kind: 'variables', before: 4, after: 0 }]);
  });

  it('reports every reason at once: all workflows gone and a resource newly skipped', () => {
    const verdict = judgeShrink(summary(4), summary(0, ['tags']));

    expect(verdict.reasons).toEqual([
      'tags newly skipped: no access to tags',
      'workflows fell from 4 to 0 (100 %, more than 20 %)',
    ]);
  });
});

/** The in-memory store, listing what it holds newest first as a real store does. */
class ListingStore extends InMemoryArchiveStore {
  readonly refs: ArchiveRef[] = [];
  override async put(...args: Parameters<InMemoryArchiveStore['put']>): Promise<ArchiveRef> {
    const ref = await super.put(...args);
    this.refs.unshift(ref);
    return ref;
  }
  override async *list(options?: { instance?: string }): AsyncIterable<ArchiveRef> {
    yield* this.refs.filter((r) => !options?.instance || r.instance === options.instance);
  }
}

function recordingLogger(): Logger & { warnings: [string, LogFields | undefined][] } {
  const warnings: [string, LogFields | undefined][] = [];
  const ignore = () => {};
  return { debug: ignore, info: ignore, error: ignore, warn: (m, f) => warnings.push([m, f]), warnings };
}

describe('newestManifest', () => {
  it("reads the instance's newest archive's manifest, and none for an instance without archives", async () => {
    const store = new ListingStore();
    const logger = recordingLogger();
    const night = (day: number) => ({ now: () => new Date(`2026-11-${day}T01:00:00.000Z`) });
    const api = (n: number) =>
      memoryN8nHolding({ workflows: Array.from({ length: n }, (_, i) => workflow(`w${i}`, `Flow ${i}`)) });
    await runBackup(backupDeps(api(5), store, night(20)), { instance: 'prod' });
    await runBackup(backupDeps(api(3), store, night(21)), { instance: 'prod' });

    const manifest = await newestManifest(store, 'prod', openInMemoryArchive, logger);

    expect(manifest?.counts.workflows).toBe(3);
    expect(manifest?.startedAt).toBe('2026-11-21T01:00:00.000Z');
    expect(await newestManifest(store, 'staging', openInMemoryArchive, logger)).toBeUndefined();
    expect(logger.warnings).toEqual([]);
  });

  it('treats an unreadable previous archive as none, with a warning naming it', async () => {
    const store = new ListingStore();
    const logger = recordingLogger();
    const createdAt = new Date('2026-11-20T01:00:00.000Z');
    store.archives.set('mem://prod/broken', Buffer.from('not an archive'));
    store.refs.push({ location: 'mem://prod/broken', instance: 'prod', createdAt, size: 14 });

    expect(await newestManifest(store, 'prod', openInMemoryArchive, logger)).toBeUndefined();
    expect(logger.warnings).toEqual([
      [
        'could not read the previous archive to compare this backup with',
        expect.objectContaining({ instance: 'prod', archive: 'mem://prod/broken' }),
      ],
    ]);
  });
});

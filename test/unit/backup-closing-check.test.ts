import { describe, expect, it } from 'vitest';
import { compareIdentities, type InstanceIdentities } from '../../functions/core/backup/closing-check.js';
import { runBackup } from '../../functions/core/backup/run.js';
import { BackupDeadlineError, BackupIncompleteError, N8nApiError } from '../../functions/core/errors.js';
import type { Tag, Variable, Workflow } from '../../functions/core/n8n-types.js';
import type { N8nApi } from '../../functions/core/ports.js';
import { backupDeps } from './backup-deps.js';
import { memoryN8nHolding, type N8nContents, workflow } from './fakes/n8n-contents.js';
import { InMemoryArchiveStore } from './support/in-memory-archive.js';

const clock = { now: () => new Date('2026-11-22T01:00:00.000Z') };

function deps(api: N8nApi, store: InMemoryArchiveStore, now = clock) {
  return backupDeps(api, store, now);
}

function instance(): N8nContents & { workflows: Workflow[]; tags: Tag[]; variables: Variable[] } {
  return {
    workflows: [workflow('w1', 'Orders'), workflow('w2', 'Invoices'), workflow('w3', 'Refunds')],
    tags: [
      { id: 't1', name: 'prod' },
      { id: 't2', name: 'billing' },
    ],
    variables: [{ id: 'v1', key: 'REGION', value: 'eu' }],
    credentials: [{ id: 'c1', name: 'Slack', type: 'slackApi' }],
  };
}

/**
 * Makes the `nth` call of one listing (counted from 1) behave differently, the way n8n's offset
 * paging does when something moves under it: the other calls list what the instance holds.
 */
function onCall<K extends 'listWorkflows' | 'listTags' | 'listCredentials'>(
  api: N8nApi,
  method: K,
  nth: number,
  listing: (items: AsyncIterable<unknown>) => AsyncIterable<unknown>,
): void {
  const original = api[method].bind(api) as () => AsyncIterable<unknown>;
  let calls = 0;
  (api as unknown as Record<K, () => AsyncIterable<unknown>>)[method] = () => {
    calls += 1;
    return calls === nth ? listing(original()) : original();
  };
}

async function* without(items: AsyncIterable<unknown>, id: string): AsyncGenerator<unknown> {
  for await (const item of items) if ((item as { id: string }).id !== id) yield item;
}

async function* withRepeat(items: AsyncIterable<unknown>, id: string): AsyncGenerator<unknown> {
  for await (const item of items) {
    yield item;
    if ((item as { id: string }).id === id) yield item;
  }
}

describe('the backup closing check', () => {
  it('fails naming a workflow the export listing lost though it existed throughout, and publishes nothing', async () => {
    // Prepare: the opening read is the first listing, the export's the second.
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding(instance());
    onCall(api, 'listWorkflows', 2, (items) => without(items, 'w2'));

    // Act
    const backup = runBackup(deps(api, store), { instance: 'prod' });

    // Assess
    await expect(backup).rejects.toThrow(BackupIncompleteError);
    await expect(backup).rejects.toThrow(
      'workflows "Invoices" (id w2) existed for the whole backup but is not in the archive',
    );
    expect(store.archives.size).toBe(0);
    expect(store.failures).toBe(1);
  });

  it('fails naming a tag the export listing lost, with every problem in the error', async () => {
    // Prepare
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding(instance());
    onCall(api, 'listTags', 2, (items) => without(items, 't2'));

    // Act
    const error = await runBackup(deps(api, store), { instance: 'prod' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(BackupIncompleteError);
    expect((error as BackupIncompleteError).problems).toEqual([
      'tags "billing" (id t2) existed for the whole backup but is not in the archive',
    ]);
    expect((error as BackupIncompleteError).exitCode).toBe(6);
    expect(store.archives.size).toBe(0);
  });

  it('fails when the export listing repeats an object: the restore would refuse that archive', async () => {
    // Prepare
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding(instance());
    onCall(api, 'listTags', 2, (items) => withRepeat(items, 't1'));

    // Act
    const backup = runBackup(deps(api, store), { instance: 'prod' });

    // Assess
    await expect(backup).rejects.toThrow('tags "prod" (id t1) was written twice');
    expect(store.archives.size).toBe(0);
  });

  it('completes when objects are created or deleted while it runs, and names each in a warning', async () => {
    // Prepare: as the export starts listing workflows (tags and variables are written, and the
    // opening read is past them), a workflow and a variable are created and a tag deleted.
    const store = new InMemoryArchiveStore();
    const source = instance();
    const api = memoryN8nHolding(source);
    onCall(api, 'listWorkflows', 2, (items) => {
      api.workflows.push(workflow('w4', 'Late'));
      api.variables.push({ id: 'v2', key: 'ZONE', value: 'b' });
      api.tags.splice(0, 1);
      return items;
    });

    // Act
    const { manifest, archive } = await runBackup(deps(api, store), { instance: 'prod' });

    // Assess
    expect(store.archives.has(archive.location)).toBe(true);
    expect(manifest.counts).toMatchObject({ workflows: 4, tags: 2, variables: 1 });
    expect(manifest.warnings.filter((w) => w.code === 'changed-during-backup').map((w) => w.message)).toEqual(
      [
        'tags "prod" (id t1) was deleted while the backup ran; the archive has it',
        'variables "ZONE" (id v2) was created while the backup ran; the archive does not have it',
        'workflows "Late" (id w4) was created while the backup ran; the archive has it',
      ],
    );
  });

  it('completes when a workflow is deleted between its listing and its detail, leaving it out with a warning', async () => {
    // Prepare: "Invoices" is deleted once listed, just before its own GET
    const store = new InMemoryArchiveStore();
    const source = instance();
    const api = memoryN8nHolding(source);
    const getWorkflow = api.getWorkflow.bind(api);
    api.getWorkflow = async (id: string) => {
      if (id === 'w2')
        api.workflows.splice(
          api.workflows.findIndex((w) => w.id === 'w2'),
          1,
        );
      return getWorkflow(id);
    };

    // Act
    const { manifest, archive } = await runBackup(deps(api, store), { instance: 'prod' });

    // Assess
    expect(store.archives.has(archive.location)).toBe(true);
    expect(manifest.counts.workflows).toBe(2);
    expect(manifest.warnings.filter((w) => w.code === 'changed-during-backup').map((w) => w.message)).toEqual(
      ['workflows "Invoices" (id w2) was deleted while the backup ran; the archive does not have it'],
    );
  });

  it('with a listing that cannot miss a workflow, reads workflows once and still names one deleted before its detail', async () => {
    // Prepare: the client offers the gap-free listing; "Invoices" is deleted just before its GET
    const store = new InMemoryArchiveStore();
    const source = instance();
    const api = memoryN8nHolding(source);
    let listings = 0;
    const listWorkflows = api.listWorkflows.bind(api);
    api.listWorkflows = (options) => {
      listings += 1;
      return listWorkflows(options);
    };
    let gapFreeListings = 0;
    api.listWorkflowsWithoutGaps = (options) => {
      gapFreeListings += 1;
      return listWorkflows(options);
    };
    const getWorkflow = api.getWorkflow.bind(api);
    api.getWorkflow = async (id: string) => {
      if (id === 'w2') api.workflows.splice(1, 1);
      return getWorkflow(id);
    };

    // Act
    const { manifest } = await runBackup(deps(api, store), { instance: 'prod' });

    // Assess
    expect([listings, gapFreeListings]).toEqual([0, 1]);
    expect(manifest.counts.workflows).toBe(2);
    expect(manifest.warnings.filter((w) => w.code === 'changed-during-backup').map((w) => w.message)).toEqual(
      ['workflows "Invoices" (id w2) was deleted while the backup ran; the archive does not have it'],
    );
  });

  it('fails with the error of the opening read, which runs beside the export, and publishes nothing', async () => {
    // Prepare
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding(instance());
    onCall(api, 'listWorkflows', 1, () => ({
      [Symbol.asyncIterator]: () => ({
        next: () =>
          Promise.reject(
            new N8nApiError('n8n answered 500', { status: 500, method: 'GET', path: '/workflows' }),
          ),
      }),
    }));

    // Act
    const backup = runBackup(deps(api, store), { instance: 'prod' });

    // Assess
    await expect(backup).rejects.toThrow(N8nApiError);
    expect(store.archives.size).toBe(0);
    expect(store.failures).toBe(1);
  });

  it('completes without warnings when nothing changed, resources excluded or not licensed left out', async () => {
    // Prepare
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({
      ...instance(),
      unlicensed: ['feat:variables'],
      missingScopes: ['user:list'],
      n8nVersion: '2.41.1',
    });

    // Act
    const { manifest } = await runBackup(deps(api, store), {
      instance: 'prod',
      exclude: { resources: ['users'], askedBy: 'the test' },
    });

    // Assess
    expect(manifest.warnings).toEqual([]);
    expect(manifest.skipped.map((s) => s.resource)).toEqual(['variables']);
    expect(manifest.excluded?.map((e) => e.resource)).toEqual(['users']);
    expect(store.archives.size).toBe(1);
  });
});

describe('the closing read beside the export', () => {
  it('lists folders for the closing check only after the export has listed them, and still fails on a folder it lost', async () => {
    // Prepare
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding({
      ...instance(),
      projects: [{ id: 'p1', name: 'Ops', type: 'team' }],
      folders: { p1: [{ id: 'f1', name: 'Top', parentFolderId: null, projectId: 'p1' }] },
    });
    const events: string[] = [];
    const listFolders = api.listFolders.bind(api);
    let folderLists = 0;
    api.listFolders = (projectId) => {
      folderLists += 1;
      const call = folderLists;
      events.push(`folders ${call}`);
      return (async function* () {
        for await (const folder of listFolders(projectId)) {
          // The export's listing (the 2nd) loses the folder: only a closing read after it sees that.
          if (call !== 2) yield folder;
        }
        events.push(`folders ${call} done`);
      })();
    };

    // Act
    const failure = await runBackup(deps(api, store), { instance: 'prod' }).catch((error: unknown) => error);

    // Assess
    expect(events.indexOf('folders 3')).toBeGreaterThan(events.indexOf('folders 2 done'));
    expect(failure).toBeInstanceOf(BackupIncompleteError);
    expect((failure as Error).message).toContain('folders "Top" (id f1) existed for the whole backup');
    expect(store.archives.size).toBe(0);
  });
});

describe('compareIdentities', () => {
  const read = (entries: [string, [string, string][]][]): InstanceIdentities =>
    new Map(entries.map(([resource, ids]) => [resource as 'tags', new Map(ids)]));

  it('names an object of both reads that the archive lacks as missing', () => {
    // Prepare
    const opening = read([['tags', [['t1', 'prod']]]]);
    const archived = read([['tags', []]]);
    const closing = read([['tags', [['t1', 'prod']]]]);

    // Act
    const findings = compareIdentities(opening, archived, closing);

    // Assess
    expect(findings).toEqual({ missing: [{ resource: 'tags', id: 't1', name: 'prod' }], changed: [] });
  });

  it('compares nothing for a resource the export skipped or a read could not list', () => {
    // Prepare
    const opening = read([['tags', [['t1', 'prod']]]]);
    const closing = read([['tags', [['t1', 'prod']]]]);

    // Act
    const skippedByExport = compareIdentities(opening, read([]), closing);
    const unreadAtClose = compareIdentities(opening, read([['tags', []]]), read([]));

    // Assess
    expect(skippedByExport).toEqual({ missing: [], changed: [] });
    expect(unreadAtClose).toEqual({ missing: [], changed: [] });
  });
});

describe('backup deadline', () => {
  it('stops once the clock passes the deadline and publishes nothing', async () => {
    // Prepare: each look at the clock is a second later.
    const store = new InMemoryArchiveStore();
    const api = memoryN8nHolding(instance());
    let seconds = 0;
    const ticking = { now: () => new Date(Date.UTC(2026, 10, 22, 1, 0, seconds++)) };
    const deadline = Date.UTC(2026, 10, 22, 1, 0, 8);

    // Act
    const backup = runBackup(deps(api, store, ticking), { instance: 'prod', deadline });

    // Assess
    await expect(backup).rejects.toThrow(BackupDeadlineError);
    await expect(backup).rejects.toThrow(/reached its deadline \(2026-11-22T01:00:08\.000Z\)/);
    expect(store.archives.size).toBe(0);
    expect(store.failures).toBe(1);
  });
});

/**
 * The comparison of an archive with a live instance in slices (core/diff/sliced.ts), over real
 * HTTP against the API double: each slice given 100 ms, so it stops at the first place it can after
 * that, saves, and the next slice goes on from the saved state (through JSON, as between two
 * Lambda invocations). The result is the one `n8n-ark diff` gives in one go: equal when the
 * instance is the archive's, and the same differences when it is not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderArchiveStore } from '../../functions/adapters/folder-store.js';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../../functions/adapters/zip-archive-writer.js';
import { type ClosableArchive, openArchiveAt } from '../../functions/core/archive/access.js';
import { runBackup } from '../../functions/core/backup/run.js';
import { archiveSnapshot, diffInstances, liveSnapshot } from '../../functions/core/diff/index.js';
import { compareInSlices, DETAILED_WORKFLOWS } from '../../functions/core/diff/sliced.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';

let root: string;
let double: N8nDouble;
let archive: ClosableArchive;
let location: string;
const clock = { now: () => new Date() };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'n8n-ark-sliced-diff-'));
  double = await startN8nDouble({ licensed: 'all' });
  seedInstance(double.state, { workflows: 600, rowsTotal: 3_000 });
  const store = new FolderArchiveStore(root);
  const api = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey, retries: 0 });
  const { archive: ref } = await runBackup(
    {
      api,
      store,
      createWriter: () => createZipArchiveWriter(),
      clock,
      logger: silentLogger,
      progress: silentProgress,
      toolVersion: 't',
    },
    { instance: 'prod' },
  );
  location = ref.location;
  archive = await openArchiveAt(store, location, openZipArchive);
});
afterAll(async () => {
  await archive?.close();
  await double?.close();
  await rm(root, { recursive: true, force: true });
});

/** Slices until done, each given 30 ms (many, however fast the machine); what they saved passes through JSON. */
async function inSlices(execution: string) {
  let saved: string | undefined;
  const store = {
    description: 'memory',
    load: async () => saved,
    save: async (text: string) => {
      saved = JSON.parse(JSON.stringify(text));
    },
  };
  const api = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey, retries: 0 });
  for (let slices = 1; slices <= 2_000; slices += 1) {
    const outcome = await compareInSlices(
      { archive, label: location, api, clock, store },
      { ignoreUsers: true },
      { execution, endsAt: Date.now() + 30, saveEveryMs: 60_000 },
      async () => 'checked',
    );
    if (outcome.done) return { ...outcome, slices };
  }
  throw new Error('the comparison did not end');
}

describe('the comparison in slices', () => {
  it('stops and goes on many times and still finds the instance equal to its archive', async () => {
    const sliced = await inSlices('execution-1');

    expect(sliced.first).toBe('checked');
    expect(sliced.slices).toBeGreaterThan(5);
    expect(sliced.result.equal).toBe(true);
    expect(sliced.result.compared.workflows).toEqual({ a: 600, b: 600 });
  });

  it('finds what `n8n-ark diff` finds in one go when the instance differs (saying how for the first 20 changed workflows)', async () => {
    const [first, second] = [...double.state.workflows.values()];
    double.state.deleteWorkflow(first?.id ?? '');
    if (second) second.name = `${second.name} (renamed)`;
    const [table] = double.state.dataTables.values();
    double.state.insertRows(table as never, [{ id: 999_999 } as never]);
    const api = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey, retries: 0 });

    const whole = await diffInstances(archiveSnapshot(archive, location), liveSnapshot(api), {
      ignoreUsers: true,
    });
    const sliced = await inSlices('execution-2');

    // The first workflow is the error workflow of every sixth: a hundred of them now differ.
    let changed = 0;
    const expected = whole.differences.map((d) => {
      if (d.resource !== 'workflows' || d.change !== 'changed') return d;
      changed += 1;
      return changed <= DETAILED_WORKFLOWS
        ? d
        : { ...d, details: ['(one of 100 changed workflows: the first 20 are read again to say how)'] };
    });
    expect(whole.equal).toBe(false);
    expect(changed).toBe(100);
    expect(sliced.result).toEqual({ ...whole, differences: expected });
  });
});

/**
 * A restore with new ids creates the workflows an n8n package carries exactly by package import
 * and the rest by POST /workflows, through the built CLI into the API double. The seeded archive
 * mixes both: sub-workflow calls and error workflows, pinned data, descriptions, credentials,
 * folders and projects. Whatever path a workflow took, the restore's closing check passes and
 * `diff` finds the target equal to the archive; a package whose answer is lost creates nothing twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import type { DoubleState } from '../double/state.js';
import { assertBuiltCliIsCurrent } from './support/built-cli.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';
import { freshTargetFor } from './support/targets.js';

const WORKFLOWS = 48;

let source: N8nDouble;
let folder: string;
let archive: string;

beforeAll(async () => {
  await assertBuiltCliIsCurrent();
  source = await startN8nDouble({ licensed: 'all' });
  seedInstance(source.state, { workflows: WORKFLOWS, tables: 1, rowsTotal: 50 });
  folder = await mkdtemp(join(tmpdir(), 'n8n-ark-package-'));
  const backup = await runCapturedCli(backupArgs(source.url, join(folder, 'store'), '--json'), {
    SOURCE_KEY: source.apiKey,
  });
  expect(backup.code, backup.stderr).toBe(0);
  archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
});
afterAll(async () => {
  await source?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const freshTarget = () => freshTargetFor(source);

const count = (target: N8nDouble, method: string, path: string) =>
  target.requests.filter((r) => r.method === method && r.path === path && r.status < 400).length;

/** Workflow names held more than once in one project. */
function duplicates(state: DoubleState): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const w of state.workflows.values()) {
    const key = `${w.projectId}/${w.name}`;
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
}

async function restoreAndDiff(target: N8nDouble): Promise<void> {
  const restore = await runCapturedCli(restoreArgs(archive, target.url, '--json'), {
    TARGET_KEY: target.apiKey,
  });
  expect(restore.code, restore.stderr).toBe(0);
  expect(JSON.parse(restore.stdout)).toMatchObject({ complete: true });
  const diff = await runCapturedCli(['diff', archive, '--url', target.url, '--api-key-env', 'TARGET_KEY'], {
    TARGET_KEY: target.apiKey,
  });
  expect(diff.code, diff.stdout).toBe(0);
}

describe('restoring workflows by package import', () => {
  it('imports the workflows a package carries, posts the others, and the target equals the archive', async () => {
    const target = await freshTarget();
    try {
      await restoreAndDiff(target);

      const packaged = [...target.state.workflows.values()].filter((w) => w.sourceWorkflowId);
      const imports = count(target, 'POST', '/n8n-packages/import');
      const posts = count(target, 'POST', '/workflows');
      expect(target.state.workflows.size).toBe(WORKFLOWS);
      expect(packaged.length).toBeGreaterThan(0);
      // Fewer import calls than workflows they carried: packages, one per project and folder.
      expect(imports).toBeLessThan(packaged.length);
      expect(posts).toBe(WORKFLOWS - packaged.length);
      // What went by package was whole at create: no PUT of its body, except to write a description.
      const puts = new Set(
        target.requests
          .filter((r) => r.method === 'PUT' && /^\/workflows\/[^/]+$/.test(r.path))
          .map((r) => r.path),
      );
      for (const w of packaged) expect(puts.has(`/workflows/${w.id}`), w.name).toBe(Boolean(w.description));
    } finally {
      await target.close();
    }
  });

  it('adopts what a package whose answer was lost created: nothing twice, the target equals the archive', async () => {
    const target = await freshTarget();
    target.faults.rateResetAfterWrite = 1;
    target.faults.match = ({ path }) =>
      path === '/api/v1/n8n-packages/import' || path === '/n8n-packages/import';
    try {
      await restoreAndDiff(target);

      expect(target.requests.some((r) => r.fault === 'reset-after-write')).toBe(true);
      expect(duplicates(target.state)).toEqual([]);
      expect(target.state.workflows.size).toBe(WORKFLOWS);
    } finally {
      await target.close();
    }
  });
});

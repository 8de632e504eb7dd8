import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../functions/core/errors.js';
import { compareN8nVersions, parseN8nVersion, sameMinor } from '../../../functions/core/instance/version.js';
import { silentLogger, silentProgress } from '../../../functions/core/ports.js';
import { planRestore } from '../../../functions/core/restore/plan.js';
import { runRestore } from '../../../functions/core/restore/run.js';
import { checkVersions } from '../../../functions/core/restore/version-check.js';
import { memoryArchive } from '../fakes/memory-archive.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';

const source = (n8nVersion: string | null, n8nVersionNote?: string) => ({
  url: 'http://source.test',
  instance: 'source',
  n8nVersion,
  ...(n8nVersionNote ? { n8nVersionNote } : {}),
});

function version(text: string) {
  const parsed = parseN8nVersion(text);
  if (!parsed) throw new Error(`not a version: ${text}`);
  return parsed;
}

describe('n8n versions', () => {
  it('orders versions by major, minor and patch as numbers, not as text', () => {
    expect(compareN8nVersions(version('2.9.0'), version('2.41.1'))).toBeLessThan(0);
    expect(compareN8nVersions(version('2.41.10'), version('2.41.9'))).toBeGreaterThan(0);
    expect(compareN8nVersions(version('3.0.0'), version('2.99.99'))).toBeGreaterThan(0);
    expect(compareN8nVersions(version('2.41.1'), version('2.41.1-exp.0'))).toBe(0);
  });

  it('tells the same major.minor apart from another one', () => {
    expect(sameMinor(version('2.41.1'), version('2.41.7'))).toBe(true);
    expect(sameMinor(version('2.41.1'), version('2.40.1'))).toBe(false);
    expect(sameMinor(version('1.41.1'), version('2.41.1'))).toBe(false);
  });

  it('does not read a version into what is not major.minor.patch', () => {
    expect(parseN8nVersion('2.41')).toBeUndefined();
    expect(parseN8nVersion('n8n-ark')).toBeUndefined();
    expect(parseN8nVersion('')).toBeUndefined();
  });
});

describe('checkVersions', () => {
  it('warns about a target older than the source, naming both versions', () => {
    const check = checkVersions(source('2.41.1'), { version: '2.39.4' });

    expect(check.warnings).toEqual([{ code: 'older-target', message: expect.stringContaining('2.39.4') }]);
    expect(check.warnings[0]?.message).toContain('2.41.1');
    expect(check.notes).toEqual([]);
  });

  it('says nothing about the same release, and only notes a newer target', () => {
    expect(checkVersions(source('2.41.1'), { version: '2.41.1' })).toEqual({ notes: [], warnings: [] });
    expect(checkVersions(source('2.41.1'), { version: '2.42.0' })).toEqual({
      notes: ["The target runs n8n 2.42.0, newer than the source's n8n 2.41.1."],
      warnings: [],
    });
  });

  it('notes, and does not refuse, a version that could not be learned on either side', () => {
    const check = checkVersions(source(null, 'the instance has no workflow'), {
      version: null,
      reason: 'the key lacks workflow:export',
    });

    expect(check.warnings).toEqual([]);
    expect(check.notes).toHaveLength(2);
    expect(check.notes[0]).toContain('the instance has no workflow');
    expect(check.notes[1]).toContain('the key lacks workflow:export');
  });

  it('notes an archive from before versions were recorded (no note in its manifest)', () => {
    const check = checkVersions(source(null), { version: '2.41.1' });

    expect(check.notes).toEqual([expect.stringContaining("does not record the source's n8n version")]);
  });

  it('with requireSameMinor, refuses another major.minor but accepts another patch', () => {
    const refusal = (() => {
      try {
        checkVersions(source('2.41.1'), { version: '2.42.0' }, true);
      } catch (error) {
        return error;
      }
    })();

    expect(refusal).toBeInstanceOf(InvalidOptionError);
    expect(refusal).toMatchObject({ option: 'requireSameMinor', exitCode: 2 });
    expect((refusal as Error).message).toMatch(/2\.41\.1.*2\.42\.0/);
    expect(checkVersions(source('2.41.1'), { version: '2.41.3' }, true).warnings).toEqual([]);
  });

  it('with requireSameMinor, refuses when a version could not be learned, saying so', () => {
    expect(() =>
      checkVersions(source('2.41.1'), { version: null, reason: 'no workflow to export' }, true),
    ).toThrow(
      /requireSameMinor: cannot be checked: the target's n8n version could not be learned \(no workflow to export\)/,
    );
    expect(() => checkVersions(source(null), { version: '2.41.1' }, true)).toThrow(InvalidOptionError);
  });
});

describe('restore and the n8n versions', () => {
  it('plans an older-target warning from the archive and the target', async () => {
    const archive = memoryArchive(seededSource());
    archive.manifest.source.n8nVersion = '2.41.1';
    const target = emptyTarget({ n8nVersion: '2.40.2' });
    await target.createWorkflow({ name: 'already there', nodes: [], connections: {}, settings: {} });

    const plan = await planRestore(archive, target);

    expect(plan.warnings.filter((w) => w.code === 'older-target')).toEqual([
      {
        code: 'older-target',
        message: expect.stringMatching(/target runs n8n 2\.40\.2, older than the source's n8n 2\.41\.1/),
      },
    ]);
  });

  it('notes that an empty target cannot tell its version (nothing to export), without refusing', async () => {
    const archive = memoryArchive(seededSource());
    archive.manifest.source.n8nVersion = '2.41.1';

    const plan = await planRestore(archive, emptyTarget());

    expect(plan.notes).toContainEqual(
      expect.stringContaining("the target's n8n version could not be learned"),
    );
    expect(plan.warnings.filter((w) => w.code === 'older-target')).toEqual([]);
  });

  it('with requireSameMinor, refuses another major.minor before writing anything', async () => {
    const archive = memoryArchive(seededSource());
    archive.manifest.source.n8nVersion = '2.41.1';
    const target = emptyTarget({ n8nVersion: '2.42.0' });
    await target.createWorkflow({ name: 'already there', nodes: [], connections: {}, settings: {} });
    const writesBefore = target.writes.length;
    const ledgerStore = new InMemoryLedgerStore();

    const run = runRestore(
      {
        archive,
        api: target,
        ledgerStore,
        clock: { now: () => new Date('2026-11-22T02:00:00.000Z') },
        logger: silentLogger,
        progress: silentProgress,
      },
      { preflight: { requireSameMinor: true } },
    );

    await expect(run).rejects.toMatchObject({ option: 'requireSameMinor', exitCode: 2 });
    expect(target.writes.length).toBe(writesBefore);
    expect(await ledgerStore.load()).toBeUndefined();
  });
});

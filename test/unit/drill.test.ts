import { describe, expect, it } from 'vitest';
import { type Manifest, openArchive } from '../../functions/core/archive/format.js';
import { runBackup } from '../../functions/core/backup/run.js';
import type { DiffResult } from '../../functions/core/diff/index.js';
import { escapeHtml, renderDrillHtml } from '../../functions/core/drill/html.js';
import { buildDrillReport, reportSuffixes } from '../../functions/core/drill/report.js';
import { compareWithArchive } from '../../functions/core/drill/run.js';
import { refuseUnfitScratch, type ScratchContents } from '../../functions/core/drill/scratch.js';
import { StepTimer, timePerKind } from '../../functions/core/drill/timing.js';
import { DrillRefusedError } from '../../functions/core/errors.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { zeroCounts } from '../../functions/core/restore/ledger-state.js';
import { runRestore } from '../../functions/core/restore/run.js';
import type { RestoreReport } from '../../functions/core/restore/types.js';
import { backupDeps } from './backup-deps.js';
import type { MemoryN8nOptions } from './fakes/memory-n8n.js';
import { emptyTarget, seededSource } from './fakes/seeded-instance.js';
import { InMemoryArchiveStore, openInMemoryArchive } from './support/in-memory-archive.js';
import { InMemoryLedgerStore } from './support/in-memory-ledger-store.js';

const HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';

function manifest(): Manifest {
  return {
    format: 'n8n-ark-archive',
    formatVersion: 1,
    tool: { name: 'n8n-ark', version: '0.1.0' },
    source: { url: 'https://n8n.example.com', instance: HOSTILE, n8nVersion: '2.41.1' },
    startedAt: '2026-11-29T02:00:00.000Z',
    finishedAt: '2026-11-29T02:00:05.000Z',
    counts: { workflows: 3, tags: 2, credentials: 1 },
    entries: [],
    skipped: [{ resource: 'variables', reason: 'variables need a licence for feat:variables' }],
    warnings: [],
  } as unknown as Manifest;
}

function restoreReport(overrides: Partial<RestoreReport> = {}): RestoreReport {
  const created = zeroCounts();
  created.workflows = 3;
  created.tags = 2;
  created.credentials = 1;
  return {
    archive: 'prod',
    target: 'http://scratch',
    done: true,
    complete: true,
    created,
    updated: zeroCounts(),
    skipped: zeroCounts(),
    failed: zeroCounts(),
    idMap: {} as RestoreReport['idMap'],
    warnings: [],
    notes: [],
    credentialsAwaitingSecrets: [],
    runs: 1,
    durationMs: 1200,
    ...overrides,
  };
}

const equalDiff: DiffResult = {
  equal: true,
  a: 'archive',
  b: 'scratch',
  differences: [],
  compared: {},
  notComparable: [],
  leftOut: 0,
};

function facts(overrides: Partial<Parameters<typeof buildDrillReport>[0]> = {}) {
  return {
    location: '/backups/prod/2026-11-29T02-00-00-000Z.zip',
    manifest: manifest(),
    target: 'http://scratch:5678',
    startedAt: new Date('2026-11-29T06:00:00.000Z'),
    finishedAt: new Date('2026-11-29T06:00:09.000Z'),
    restore: { done: true, report: restoreReport() },
    diff: equalDiff,
    steps: [
      { step: 'wipe scratch', ms: 3000 },
      { step: 'verify archive', ms: 500 },
      { step: 'workflows', kind: 'workflows', ms: 2000 },
      { step: 'activation', kind: 'workflows', ms: 1000 },
      { step: 'tags', kind: 'tags', ms: 250 },
      { step: 'diff', ms: 750 },
    ],
    ...overrides,
  };
}

describe('drill report', () => {
  it('passes a complete restore whose scratch equals the archive, with counts per kind and an RTO without the wipe', () => {
    const report = buildDrillReport(facts());

    expect(report.verdict).toBe('pass');
    expect(report.reasons).toEqual([]);
    expect(report.durationMs).toBe(9000);
    expect(report.rtoEstimateMs).toBe(4500);
    expect(report.kinds.find((k) => k.resource === 'workflows')).toEqual({
      resource: 'workflows',
      inArchive: 3,
      restored: 3,
      failed: 0,
    });
    expect(report.perKind).toEqual([
      { kind: 'tags', ms: 250 },
      { kind: 'workflows', ms: 3000 },
    ]);
  });

  it('fails, naming why, when the restore was incomplete, stopped with an error, or the scratch differs', () => {
    const failed = zeroCounts();
    failed.workflows = 1;
    const incomplete = buildDrillReport(
      facts({
        restore: {
          done: true,
          report: restoreReport({
            complete: false,
            failed,
            warnings: [
              {
                code: 'restore-failed',
                resource: 'workflows',
                message: `workflows "${HOSTILE}": create failed`,
              },
            ],
          }),
        },
      }),
    );
    const stopped = buildDrillReport(facts({ restore: { done: true, error: 'n8n answered 500' } }));
    const uncompared = buildDrillReport(
      facts({ diff: { ...equalDiff, equal: false, error: 'the scratch is gone' } }),
    );
    const differs = buildDrillReport(
      facts({
        diff: {
          ...equalDiff,
          equal: false,
          differences: [{ resource: 'workflows', key: `personal:owner / ${HOSTILE}`, change: 'only-in-a' }],
        },
      }),
    );

    expect(incomplete.verdict).toBe('fail');
    expect(incomplete.reasons[0]).toContain('the restore is incomplete: 1 object(s)');
    expect(incomplete.failures.listed).toEqual([`workflows "${HOSTILE}": create failed`]);
    expect(stopped.reasons).toEqual(['the restore stopped: n8n answered 500']);
    expect(stopped.kinds.every((k) => k.restored === 0)).toBe(true);
    expect(uncompared.reasons).toEqual(['the comparison with the archive stopped: the scratch is gone']);
    expect(differs.reasons).toEqual([
      'the scratch instance differs from the archive in 1 object(s) (see differences)',
    ]);
    expect(differs.differences.listed).toEqual([`workflows personal:owner / ${HOSTILE}: only in archive`]);
  });

  it('names its files after the archive and the drill time', () => {
    expect(reportSuffixes(new Date('2026-11-29T06:00:00.123Z'))).toEqual({
      html: '.drill-2026-11-29T06-00-00-123Z.html',
      json: '.drill-2026-11-29T06-00-00-123Z.json',
    });
  });
});

describe('drill report page', () => {
  it('escapes every text from the instance and the archive (workflow names are user data)', () => {
    const report = buildDrillReport(
      facts({
        diff: {
          ...equalDiff,
          equal: false,
          differences: [{ resource: 'workflows', key: HOSTILE, change: 'only-in-a' }],
        },
      }),
    );

    const html = renderDrillHtml(report);

    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(escapeHtml(`"'<>&`)).toBe('&quot;&#39;&lt;&gt;&amp;');
  });

  it('is one self-contained page: counts per kind, verdict, a chart with one bar per kind, no external asset', () => {
    const html = renderDrillHtml(buildDrillReport(facts()));

    expect(html).toMatch(
      /<tr data-kind="workflows"><td>workflows<\/td><td class="n in-archive">3<\/td><td class="n restored">3<\/td>/,
    );
    expect(html).toContain('<span id="verdict" class="verdict pass">PASS</span>');
    expect(html.match(/<rect /g)).toHaveLength(2);
    expect(html).not.toMatch(/<(script|link|img)\b|\b(src|href)="/);
  });
});

describe('StepTimer', () => {
  it('times each task the restore reports by the clock, a plan made of parts as one step, and phases it is given', async () => {
    let now = 0;
    const timer = new StepTimer({ now: () => new Date(now) }, silentProgress, [
      { step: 'wipe scratch', ms: 7 },
    ]);

    timer.start('plan: reading the archive');
    now = 100;
    timer.start('plan: reading the target');
    now = 250;
    timer.done('plan', 'target read');
    timer.start('workflows');
    now = 1250;
    timer.done('workflows');
    timer.start('activation');
    now = 1500;
    timer.done('activation');
    await timer.time('diff', async () => {
      now = 1600;
    });

    expect(timer.steps()).toEqual([
      { step: 'wipe scratch', ms: 7 },
      { step: 'plan', ms: 250 },
      { step: 'workflows', kind: 'workflows', ms: 1000 },
      { step: 'activation', kind: 'workflows', ms: 250 },
      { step: 'diff', ms: 100 },
    ]);
    expect(timePerKind(timer.steps())).toEqual([{ kind: 'workflows', ms: 1250 }]);
  });
});

describe('scratch instance', () => {
  const contents = (marked: boolean, counts: Partial<ScratchContents['counts']> = {}): ScratchContents => ({
    marked,
    counts: { workflows: 0, tags: 0, credentials: 0, dataTables: 0, variables: 0, projects: 0, ...counts },
    unavailable: {},
  });

  it('refuses an unmarked instance even when empty, and tells how to mark it', () => {
    expect(() => refuseUnfitScratch('http://x', contents(false), false)).toThrow(DrillRefusedError);
    expect(() => refuseUnfitScratch('http://x', contents(false), true)).toThrow(
      /create a tag named "n8n-ark-drill-target"/,
    );
  });

  it('refuses a marked busy instance without a wipe, and what a wipe cannot delete even with one', () => {
    expect(() => refuseUnfitScratch('http://x', contents(true), false)).not.toThrow();
    expect(() => refuseUnfitScratch('http://x', contents(true, { workflows: 2 }), false)).toThrow(
      'is not empty (2 workflows)',
    );
    expect(() => refuseUnfitScratch('http://x', contents(true, { workflows: 2 }), true)).not.toThrow();
    expect(() =>
      refuseUnfitScratch('http://x', contents(true, { workflows: 2, variables: 1 }), true),
    ).toThrow('holds 1 variables, which --wipe-scratch cannot delete');
  });
});

describe('the comparison that judges a drill', () => {
  const community: MemoryN8nOptions['licensed'] = { projects: false, folders: false, variables: false };
  const clock = { now: () => new Date('2026-11-29T06:00:00.000Z') };

  /** The seeded source backed up, restored into an empty scratch, then compared as a drill does. */
  async function drilled(source: MemoryN8nOptions['licensed'], scratch: MemoryN8nOptions['licensed']) {
    const store = new InMemoryArchiveStore();
    const backup = await runBackup(
      backupDeps(seededSource(source ? { licensed: source } : {}), store, clock),
      { instance: 'prod' },
    );
    const archive = await openArchive(await openInMemoryArchive(await store.open(backup.archive.location)));
    const target = emptyTarget(scratch ? { licensed: scratch } : {});
    const deps = { archive, api: target, ledgerStore: new InMemoryLedgerStore(), clock };
    await runRestore({ ...deps, logger: silentLogger, progress: silentProgress });
    return compareWithArchive(archive, 'archive', target);
  }

  it("passes a community edition's archive on a licensed scratch: the scratch's own project is not comparable, no failure", async () => {
    const result = await drilled(community, undefined);

    expect([result.equal, result.differences]).toEqual([true, []]);
    expect(result.notComparable.map((n) => [n.resource, n.side])).toEqual([
      ['projects', 'a'],
      ['workflows', 'a'],
    ]);
  });

  it('fails a licensed archive on a community scratch, naming what the scratch cannot hold', async () => {
    const result = await drilled(undefined, community);

    expect(result.equal).toBe(false);
    expect(result.differences.map((d) => [d.resource, d.change])).toEqual([
      ['projects', 'unavailable'],
      ['folders', 'unavailable'],
      ['variables', 'unavailable'],
      ['workflows', 'unavailable'],
    ]);
  });
});

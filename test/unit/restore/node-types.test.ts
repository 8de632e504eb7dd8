import { describe, expect, it } from 'vitest';
import { ENTRY } from '../../../functions/core/archive/entries.js';
import { runBackup } from '../../../functions/core/backup/run.js';
import { MissingScopeError } from '../../../functions/core/errors.js';
import {
  isBuiltInNodeType,
  nodeTypesOf,
  packageOfNodeType,
} from '../../../functions/core/instance/node-types.js';
import type { CommunityPackage, Workflow } from '../../../functions/core/n8n-types.js';
import { silentLogger, silentProgress } from '../../../functions/core/ports.js';
import { planRestore } from '../../../functions/core/restore/plan.js';
import { runRestore } from '../../../functions/core/restore/run.js';
import type { RestoreOptions } from '../../../functions/core/restore/types.js';
import { backupDeps } from '../backup-deps.js';
import { type MemoryArchive, memoryArchive } from '../fakes/memory-archive.js';
import { MemoryN8n } from '../fakes/memory-n8n.js';
import { emptyTarget } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';

const DATASTORE: CommunityPackage = {
  packageName: 'n8n-nodes-datastore',
  installedVersion: '0.1.18',
  installedNodes: [{ name: 'Datastore', type: 'n8n-nodes-datastore.datastore', latestVersion: 1 }],
};

const trigger = {
  name: 'Every hour',
  type: 'n8n-nodes-base.scheduleTrigger',
  typeVersion: 1.2,
  position: [0, 0] as [number, number],
  parameters: {},
};

/** A source with the datastore package: "Uses datastore" (published) and "Plain" (published). */
async function sourceWithCommunityNode(): Promise<MemoryArchive> {
  const source = new MemoryN8n({
    baseUrl: 'http://source.test',
    idPrefix: 's',
    communityPackages: [DATASTORE],
  });
  const uses = await source.createWorkflow({
    name: 'Uses datastore',
    nodes: [
      trigger,
      {
        name: 'Store',
        type: 'n8n-nodes-datastore.datastore',
        typeVersion: 1,
        position: [200, 0],
        parameters: {},
      },
    ],
    connections: {},
    settings: {},
  });
  const plain = await source.createWorkflow({
    name: 'Plain',
    nodes: [trigger],
    connections: {},
    settings: {},
  });
  await source.publishWorkflow(uses.id);
  await source.publishWorkflow(plain.id);
  const archive = memoryArchive(source);
  archive.manifest.communityPackages = [
    {
      name: 'n8n-nodes-datastore',
      version: '0.1.18',
      nodes: [{ type: 'n8n-nodes-datastore.datastore', name: 'Datastore', latestVersion: 1 }],
    },
  ];
  return archive;
}

/** Deps of one restore command (one ledger): each runRestore with them is one run of it. */
function oneLedger(archive: MemoryArchive, target: MemoryN8n) {
  return {
    archive,
    api: target,
    ledgerStore: new InMemoryLedgerStore(),
    clock: { now: () => new Date() },
    logger: silentLogger,
    progress: silentProgress,
  };
}

/** A restore with a fresh ledger. */
function restore(archive: MemoryArchive, target: MemoryN8n, options: RestoreOptions = {}) {
  return runRestore(oneLedger(archive, target), options);
}

const activeOf = (target: MemoryN8n) => Object.fromEntries(target.workflows.map((w) => [w.name, w.active]));

describe('node types', () => {
  it('lists the distinct node types of the draft and the published version, with their versions', () => {
    const workflow = {
      nodes: [
        trigger,
        { ...trigger, name: 'Again' },
        { name: 'x', type: 'n8n-nodes-base.set', position: [0, 0], parameters: {} },
      ],
      activeVersion: { nodes: [{ name: 'Old', type: 'n8n-nodes-foo.bar', typeVersion: 2 }] },
    } as unknown as Workflow;

    expect(nodeTypesOf(workflow)).toEqual([
      { type: 'n8n-nodes-base.scheduleTrigger', typeVersion: 1.2 },
      { type: 'n8n-nodes-base.set', typeVersion: 1 },
      { type: 'n8n-nodes-foo.bar', typeVersion: 2 },
    ]);
  });

  it('names the package of a node type, scoped or not, and tells built-in ones apart', () => {
    expect(packageOfNodeType('n8n-nodes-datastore.datastore')).toBe('n8n-nodes-datastore');
    expect(packageOfNodeType('@acme/n8n-nodes-crm.contactTrigger')).toBe('@acme/n8n-nodes-crm');
    expect(isBuiltInNodeType('n8n-nodes-base.set')).toBe(true);
    expect(isBuiltInNodeType('@n8n/n8n-nodes-langchain.agent')).toBe(true);
    expect(isBuiltInNodeType('@acme/n8n-nodes-crm.contactTrigger')).toBe(false);
  });
});

describe('backing up the community package inventory', () => {
  it('records each package with its version and node types in the manifest', async () => {
    const source = new MemoryN8n({ communityPackages: [DATASTORE] });
    await source.createWorkflow({ name: 'w', nodes: [], connections: {}, settings: {} });

    const { manifest } = await runBackup(backupDeps(source), { instance: 'src' });

    expect(manifest.communityPackages).toEqual([
      {
        name: 'n8n-nodes-datastore',
        version: '0.1.18',
        nodes: [{ type: 'n8n-nodes-datastore.datastore', name: 'Datastore', latestVersion: 1 }],
      },
    ]);
    expect(manifest.skipped.map((s) => s.resource)).not.toContain('communityPackages');
  });

  it('records a key without communityPackage:list as skipped with the scope, and leaves the field out', async () => {
    const source = new MemoryN8n();
    source.listCommunityPackages = async () => {
      throw new MissingScopeError('no', {
        status: 403,
        method: 'GET',
        path: '/community-packages',
        scope: 'communityPackage:list',
      });
    };

    const { manifest } = await runBackup(backupDeps(source), { instance: 'src' });

    expect(manifest.communityPackages).toBeUndefined();
    expect(manifest.skipped).toContainEqual({
      resource: 'communityPackages',
      scope: 'communityPackage:list',
      reason: 'the API key lacks the communityPackage:list scope to read communityPackages',
    });
  });
});

describe('planning against a target that lacks node types', () => {
  it('warns per workflow, names what to install at the archive version, and writes nothing', async () => {
    const archive = await sourceWithCommunityNode();
    const target = emptyTarget();

    const plan = await planRestore(archive, target);

    expect(plan.warnings.filter((w) => w.code === 'missing-node-types')).toEqual([
      expect.objectContaining({
        workflow: { id: expect.any(String), name: 'Uses datastore' },
        message: expect.stringContaining('n8n-nodes-datastore.datastore (version 1)'),
      }),
    ]);
    expect(plan.communityPackagesToInstall).toEqual([{ name: 'n8n-nodes-datastore', version: '0.1.18' }]);
    expect(plan.notes).toContainEqual(expect.stringContaining('n8n-nodes-datastore@0.1.18'));
    expect(Object.values(plan.missingNodeTypes ?? {})).toEqual([['n8n-nodes-datastore.datastore@1']]);
    expect(target.writes).toEqual([]);
  });

  it('says nothing when the target has the package', async () => {
    const archive = await sourceWithCommunityNode();

    const plan = await planRestore(archive, emptyTarget({ communityPackages: [DATASTORE] }));

    expect(plan.warnings.filter((w) => w.code === 'missing-node-types')).toEqual([]);
    expect(plan.missingNodeTypes).toBeUndefined();
  });

  it('notes a package installed on the target whose nodes are not loaded, instead of asking to install it', async () => {
    const archive = await sourceWithCommunityNode();

    const plan = await planRestore(
      archive,
      emptyTarget({ communityPackages: [{ ...DATASTORE, failedLoading: true }] }),
    );

    expect(plan.communityPackagesToInstall).toBeUndefined();
    expect(plan.notes).toContainEqual(expect.stringContaining('n8n failed to load it'));
  });

  it('without the probe, judges community types by the inventory and notes that built-in ones were not checked', async () => {
    const archive = await sourceWithCommunityNode();

    const plan = await planRestore(archive, emptyTarget({ packageImport: false }));

    expect(plan.communityPackagesToInstall).toEqual([{ name: 'n8n-nodes-datastore', version: '0.1.18' }]);
    expect(plan.notes).toContainEqual(expect.stringContaining('built-in node types and versions were not'));
  });

  it('notes when the archive has no inventory to take versions from', async () => {
    const archive = await sourceWithCommunityNode();
    delete archive.manifest.communityPackages;

    const plan = await planRestore(archive, emptyTarget());

    expect(plan.communityPackagesToInstall).toBeUndefined();
    expect(plan.notes).toContainEqual(
      expect.stringContaining('No community package in the archive provides n8n-nodes-datastore.datastore'),
    );
    expect(plan.notes).toContainEqual(
      expect.stringContaining("does not record the source's community packages"),
    );
  });
});

describe('restoring workflows whose node types the target lacks', () => {
  it('writes them but does not publish them, fails them by name and ends incomplete', async () => {
    const archive = await sourceWithCommunityNode();
    const target = emptyTarget();

    const { report } = await restore(archive, target);

    expect(activeOf(target)).toEqual({ 'Uses datastore': false, Plain: true });
    expect(report.complete).toBe(false);
    expect(report.failed.workflows).toBe(1);
    expect(report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'restore-failed',
        message: expect.stringContaining(
          'written but not published: the target lacks its node types n8n-nodes-datastore.datastore',
        ),
      }),
    );
  });

  it('publishes a workflow whose draft alone uses the missing type: what ran on the source runs', async () => {
    const archive = await sourceWithCommunityNode();
    const records = archive.content.get(ENTRY.workflows) as Workflow[];
    for (const workflow of records)
      if (workflow.name === 'Uses datastore') workflow.activeVersion = { nodes: [trigger], connections: {} };

    const plan = await planRestore(archive, emptyTarget());
    const target = emptyTarget();
    const { report } = await restore(archive, target);

    expect(plan.warnings.find((w) => w.code === 'missing-node-types')?.message).toContain(
      'Only its draft uses them',
    );
    expect(plan.missingNodeTypes).toBeUndefined();
    expect(activeOf(target)).toEqual({ 'Uses datastore': true, Plain: true });
    expect(report.complete).toBe(true);
  });

  it('with installCommunityPackages, installs the archive version before any other write and publishes', async () => {
    const archive = await sourceWithCommunityNode();
    const target = emptyTarget({ installable: [DATASTORE] });

    const { report } = await restore(archive, target, {
      preflight: { installCommunityPackages: true, unverifiedCommunityPackages: true },
    });

    expect(target.writes[0]).toBe('POST /community-packages');
    expect(target.communityPackages.map((p) => `${p.packageName}@${p.installedVersion}`)).toEqual([
      'n8n-nodes-datastore@0.1.18',
    ]);
    expect(activeOf(target)).toEqual({ 'Uses datastore': true, Plain: true });
    expect(report.complete).toBe(true);
  });

  it('stops before its first write when n8n will not install the package (not vetted), saying what to do', async () => {
    const archive = await sourceWithCommunityNode();
    const target = emptyTarget({ installable: [DATASTORE] });

    const outcome = restore(archive, target, { preflight: { installCommunityPackages: true } });

    await expect(outcome).rejects.toThrow(
      /Installing the community package n8n-nodes-datastore@0\.1\.18 on the target failed: .*not vetted.*--unverified-community-packages/,
    );
    expect(target.writes).toEqual([]);
  });

  it('publishes them on a later run once the package is installed', async () => {
    const archive = await sourceWithCommunityNode();
    const target = emptyTarget();
    const deps = oneLedger(archive, target);
    await runRestore(deps);
    target.communityPackages.push(structuredClone(DATASTORE));

    const { report } = await runRestore(deps);

    expect(activeOf(target)).toEqual({ 'Uses datastore': true, Plain: true });
    expect(report.complete).toBe(true);
  });
});

describe('the community-package loop: run it again with --install-community-packages', () => {
  const install: RestoreOptions = {
    preflight: { installCommunityPackages: true, unverifiedCommunityPackages: true },
  };

  it('on the same ledger, installs what the plan named and publishes what waited for it', async () => {
    // Prepare: the first run wrote "Uses datastore" but could not publish it
    const archive = await sourceWithCommunityNode();
    const target = emptyTarget({ installable: [DATASTORE] });
    const deps = oneLedger(archive, target);
    const first = await runRestore(deps);

    // Act
    const again = await runRestore(deps, install);

    // Assess
    expect(first.report.complete).toBe(false);
    expect(target.communityPackages.map((p) => p.packageName)).toEqual(['n8n-nodes-datastore']);
    expect(activeOf(target)).toEqual({ 'Uses datastore': true, Plain: true });
    expect(again.report.complete).toBe(true);
  });

  it('with a fresh ledger, installs it and publishes the workflow the earlier restore left unpublished', async () => {
    // Prepare: an earlier restore (its ledger gone) wrote the workflow, unpublished
    const archive = await sourceWithCommunityNode();
    const target = emptyTarget({ installable: [DATASTORE] });
    await restore(archive, target);
    const ids = target.workflows.map((w) => w.id);

    // Act
    const plan = await planRestore(archive, target, install);
    const { report } = await restore(archive, target, install);

    // Assess
    expect(plan.entries.find((e) => e.name === 'Uses datastore')).toMatchObject({
      action: 'skip',
      publishWaiting: true,
    });
    expect(plan.communityPackagesToInstall).toEqual([{ name: 'n8n-nodes-datastore', version: '0.1.18' }]);
    expect(report.complete).toBe(true);
    expect(activeOf(target)).toEqual({ 'Uses datastore': true, Plain: true });
    expect(target.workflows.map((w) => w.id)).toEqual(ids);
  });

  it('without it and with a fresh ledger, a workflow left unpublished for a missing node type is still a failure', async () => {
    const archive = await sourceWithCommunityNode();
    const target = emptyTarget();
    await restore(archive, target);

    const { report } = await restore(archive, target);

    expect(report.complete).toBe(false);
    expect(report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'restore-failed',
        message: expect.stringContaining('the target lacks its node types n8n-nodes-datastore.datastore'),
      }),
    );
    expect(activeOf(target)).toEqual({ 'Uses datastore': false, Plain: true });
  });
});

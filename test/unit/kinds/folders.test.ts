import { describe, expect, it } from 'vitest';
import { foldersKind } from '../../../functions/core/kinds/folders.js';
import { emptyTarget, SEED_USERS } from '../fakes/seeded-instance.js';
import { applyStep, emptySource, exactlyOne, planKind, refuseWrites, resumeAfterCrash } from './support.js';

const [createFolders] = foldersKind.steps;

/** A source whose team project Ops holds Billing/Invoices and Archive. */
function sourceWithOps() {
  const source = emptySource();
  const ops = source.seedProject('Ops');
  const billing = source.seedFolder('Billing', ops.id);
  const invoices = source.seedFolder('Invoices', ops.id, billing.id);
  const archive = source.seedFolder('Archive', ops.id);
  return { source, ops, billing, invoices, archive };
}

describe('folders plan', () => {
  it('matches a folder by its path within its project, not by its name elsewhere', async () => {
    const { source } = sourceWithOps();
    const target = emptyTarget();
    const billing = target.seedFolder('Billing', target.seedProject('Ops').id);
    target.seedFolder('Archive', target.seedProject('Lab').id);

    const { entries } = await planKind(foldersKind, source, target);

    expect(entries.map((e) => [e.name, e.action, e.targetId])).toEqual([
      ['Billing', 'skip', billing.id],
      ['Archive', 'create', undefined],
      ['Billing/Invoices', 'create', undefined],
    ]);
  });

  it('plans parents before children whatever order the archive lists them in', async () => {
    const { source, ops, invoices } = sourceWithOps();
    source.seedFolder('2026', ops.id, invoices.id);
    source.folders.reverse();

    const { entries } = await planKind(foldersKind, source, emptyTarget());

    expect(entries.map((e) => e.name)).toEqual([
      'Archive',
      'Billing',
      'Billing/Invoices',
      'Billing/Invoices/2026',
    ]);
  });

  it("skips the folders of a project that lands in the key owner's personal project", async () => {
    const source = emptySource([...SEED_USERS, { email: 'carol@example.com', role: 'global:member' }]);
    const carols = exactlyOne(source.projects, (p) => p.members[0]?.email === 'carol@example.com');
    source.seedFolder('Drafts', carols.id);

    // Projects outside --only: everything lands in the key owner's personal project.
    const { entries } = await planKind(foldersKind, source, emptyTarget(), {
      selection: { only: ['folders'] },
    });

    expect(entries).toEqual([expect.objectContaining({ name: 'Drafts', action: 'skip' })]);
    expect(entries[0]?.reason).toMatch(/personal project, whose folders the API cannot address/);
  });

  it('creates the folders of a personal project whose owner has no account in the team project named after them', async () => {
    const source = emptySource([...SEED_USERS, { email: 'carol@example.com', role: 'global:member' }]);
    const carols = exactlyOne(source.projects, (p) => p.members[0]?.email === 'carol@example.com');
    source.seedFolder('Drafts', carols.id);

    const { entries } = await planKind(foldersKind, source, emptyTarget());

    expect(entries).toEqual([expect.objectContaining({ name: 'Drafts', action: 'create' })]);
  });

  it("with --project, plans that project's folders only", async () => {
    const { source } = sourceWithOps();
    source.seedFolder('Drafts', source.seedProject('Lab').id);

    const { entries } = await planKind(foldersKind, source, emptyTarget(), { selection: { project: 'Lab' } });

    expect(entries.map((e) => [e.name, e.action])).toEqual([['Drafts', 'create']]);
  });

  it('notes that a target without folders takes none, and skips each', async () => {
    const { source } = sourceWithOps();

    const { entries, plan } = await planKind(
      foldersKind,
      source,
      emptyTarget({ licensed: { folders: false } }),
    );

    expect(plan.notes).toContainEqual(expect.stringMatching(/cannot take folders/));
    expect(entries.map((e) => e.action)).toEqual(['skip', 'skip', 'skip']);
  });
});

describe('folders step', () => {
  it('creates each folder under its new parent in its project and records the ids', async () => {
    const { source, billing, invoices } = sourceWithOps();
    const target = emptyTarget();
    const ops = target.seedProject('Ops');
    const planned = await planKind(foldersKind, source, target);

    const ledger = await applyStep(createFolders, planned);

    const newBilling = exactlyOne(target.folders, (f) => f.name === 'Billing');
    expect(newBilling).toMatchObject({ projectId: ops.id, parentFolderId: null });
    expect(exactlyOne(target.folders, (f) => f.name === 'Invoices').parentFolderId).toBe(newBilling.id);
    expect(ledger.targetId('folders', billing.id)).toBe(newBilling.id);
    expect(ledger.targetId('folders', invoices.id)).toBe(
      exactlyOne(target.folders, (f) => f.name === 'Invoices').id,
    );
    expect(ledger.state.created.folders).toBe(3);
  });

  it('on resume, adopts the folders an interrupted run created instead of duplicating them', async () => {
    const { source, billing } = sourceWithOps();
    const target = emptyTarget();
    target.seedProject('Ops');
    const planned = await planKind(foldersKind, source, target);

    const ledger = await resumeAfterCrash(createFolders, planned, { atWrite: 3 });

    expect(target.folders.map((f) => f.name).sort()).toEqual(['Archive', 'Billing', 'Invoices']);
    const newBilling = exactlyOne(target.folders, (f) => f.name === 'Billing');
    expect(ledger.targetId('folders', billing.id)).toBe(newBilling.id);
    expect(exactlyOne(target.folders, (f) => f.name === 'Invoices').parentFolderId).toBe(newBilling.id);
  });

  it('fails the folders of a project that was not restored and creates the others', async () => {
    const { source } = sourceWithOps();
    const lab = source.seedProject('Lab');
    const drafts = source.seedFolder('Drafts', lab.id);
    const target = emptyTarget();
    target.seedProject('Ops');
    const planned = await planKind(foldersKind, source, target);

    // The projects step could not create Lab: the ledger has no id for it.
    const ledger = await applyStep(createFolders, planned, { ids: { projects: {} } });

    expect(target.folders.map((f) => f.name).sort()).toEqual(['Archive', 'Billing', 'Invoices']);
    expect(ledger.hasFailed('folders', drafts.id)).toBe(true);
    expect(ledger.state.warnings).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/"Drafts".*its project was not restored/) }),
    ]);
  });

  it('fails only the folder n8n refuses and creates the others', async () => {
    const { source, archive } = sourceWithOps();
    const target = emptyTarget();
    target.seedProject('Ops');
    const planned = await planKind(foldersKind, source, target);
    refuseWrites(target, 'createFolder', (_project, body) => body.name === 'Archive');

    const ledger = await applyStep(createFolders, planned);

    expect(target.folders.map((f) => f.name)).toEqual(['Billing', 'Invoices']);
    expect(ledger.hasFailed('folders', archive.id)).toBe(true);
    expect(ledger.state.failed.folders).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { workflowsKind } from '../../../functions/core/kinds/workflows/index.js';
import type { MemoryN8n } from '../fakes/memory-n8n.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { planKind, workflowNamed } from './support.js';

async function planned(source: MemoryN8n, target: MemoryN8n, options: Parameters<typeof planKind>[3]) {
  const { entries } = await planKind(workflowsKind, source, target, options);
  return (name: string) => entries.find((e) => e.name === name);
}

describe('planning workflows', () => {
  it('matches a workflow by name in the project it lands in, not a namesake in another project', async () => {
    const target = emptyTarget();
    const ops = target.seedProject('Ops');
    const subA = target.seedWorkflow({ name: 'Sub A' }, ops.id);
    target.seedWorkflow({ name: 'Main' });

    const entry = await planned(seededSource(), target, {});

    expect(entry('Sub A')).toMatchObject({ action: 'skip', targetId: subA.id });
    expect(entry('Main')).toMatchObject({ action: 'create' });
  });

  it.each([
    ['overwrite', 'update'],
    ['rename', 'create'],
  ] as const)(
    'under %s, keeps a pulled-in sub-workflow the target has, and applies the policy to the one chosen',
    async (onConflict, action) => {
      const target = emptyTarget();
      const ops = target.seedProject('Ops');
      const subA = target.seedWorkflow({ name: 'Sub A', nodes: [] }, ops.id);
      target.seedWorkflow({ name: 'Main', nodes: [] }, ops.id);

      const entry = await planned(seededSource(), target, {
        selection: { workflow: 'Main' },
        conflicts: { onConflict },
      });
      const chosenToo = await planned(seededSource(), target, {
        selection: { workflow: '*' },
        conflicts: { onConflict },
      });

      expect(entry('Main')).toMatchObject({ action });
      expect(entry('Sub A')).toMatchObject({
        action: 'skip',
        targetId: subA.id,
        pulledInBy: 'needed by workflow "Main"',
      });
      expect(entry('Sub A')?.reason).toContain('only created when missing');
      expect(chosenToo('Sub A')).toMatchObject({ action });
    },
  );

  it('keeping ids, matches the target workflow with the archive id before a namesake', async () => {
    const source = seededSource();
    const target = emptyTarget();
    const ops = target.seedProject('Ops');
    target.seedWorkflow({ name: 'Main' }, ops.id);
    target.seedWorkflow(
      { id: workflowNamed(source, 'Main').id, name: 'Main, renamed in the target' },
      ops.id,
    );

    const entry = await planned(source, target, {
      workflowWrite: { keepWorkflowIds: true },
      conflicts: { onConflict: 'overwrite' },
    });

    expect(entry('Main')).toMatchObject({ action: 'update', targetId: workflowNamed(source, 'Main').id });
    expect(entry('Main')?.reason).toContain('same id');
  });

  it('keeping ids, reports a workflow whose id is taken as a conflict under rename, as a copy could not keep it', async () => {
    const source = seededSource();
    const target = emptyTarget();
    target.seedWorkflow({ id: workflowNamed(source, 'Agent').id, name: 'Agent' });

    const entry = await planned(source, target, {
      workflowWrite: { keepWorkflowIds: true },
      conflicts: { onConflict: 'rename' },
    });

    expect(entry('Agent')).toMatchObject({ action: 'conflict', targetId: workflowNamed(source, 'Agent').id });
  });

  it('under overwrite, skips a workflow identical to its match and updates one that differs', async () => {
    const source = seededSource();
    const target = emptyTarget();
    const {
      id: _id,
      shared: _shared,
      ...errorHandler
    } = structuredClone(workflowNamed(source, 'Error handler'));
    target.seedWorkflow(errorHandler);
    const agent = target.seedWorkflow({ name: 'Agent', nodes: [] });

    const entry = await planned(source, target, { conflicts: { onConflict: 'overwrite' } });

    expect(entry('Error handler')).toMatchObject({ action: 'skip', reason: 'identical workflow exists' });
    expect(entry('Agent')).toMatchObject({ action: 'update', targetId: agent.id });
  });

  it('creates a renamed copy of a workflow whose name is taken under rename', async () => {
    const target = emptyTarget();
    target.seedWorkflow({ name: 'Agent' });

    const entry = await planned(seededSource(), target, { conflicts: { onConflict: 'rename' } });

    expect(entry('Agent')).toMatchObject({ action: 'create', renameTo: 'Agent (restored)' });
    expect(entry('Agent')?.targetId).toBeUndefined();
    expect(target.writes).toEqual([]);
  });
});

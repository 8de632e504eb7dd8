import { describe, expect, it } from 'vitest';
import { workflowsKind } from '../../../functions/core/kinds/workflows/index.js';
import type { Workflow } from '../../../functions/core/n8n-types.js';
import { applyStep, callerAndCallee, planKind, workflowNamed, writesTo } from './support.js';

const [createStep, referencesStep, tagsStep, archiveStep, activationStep] = workflowsKind.steps;

const callOf = (w: Workflow) => w.nodes.find((n) => n.name === 'Call')?.parameters.workflowId;

describe('creating workflows', () => {
  it('creates a workflow with its credential and data-table references rewritten through the id map', async () => {
    const { source, target, ids, targetTable } = callerAndCallee();

    await applyStep(createStep, await planKind(workflowsKind, source, target), { ids });

    const orders = workflowNamed(target, 'Caller').nodes.find((n) => n.name === 'Orders');
    expect(orders?.credentials?.httpHeaderAuth?.id).toBe('credApiNew000001');
    expect(orders?.parameters.dataTableId).toMatchObject({ value: targetTable.id });
  });

  it('writes a forward call in the second pass, leaving workflows final at create alone', async () => {
    const { source, target, ids, callee } = callerAndCallee({ packageImport: false });
    const planned = await planKind(workflowsKind, source, target);
    const ledger = await applyStep(createStep, planned, { ids });
    const caller = workflowNamed(target, 'Caller');
    const callAtCreate = structuredClone(callOf(caller));

    await applyStep(referencesStep, planned, { ledger });

    const calleeId = workflowNamed(target, 'Callee').id;
    expect(callAtCreate).toMatchObject({ value: callee.id });
    expect(callOf(caller)).toMatchObject({ value: calleeId });
    expect(writesTo(target, `PUT /workflows/${caller.id}`)).toHaveLength(1);
    expect(writesTo(target, `PUT /workflows/${calleeId}`)).toEqual([]);
  });

  it("overwrites a matched workflow with the archive's body in the second pass", async () => {
    const { source, target, ids } = callerAndCallee();
    const stale = target.seedWorkflow({ name: 'Callee', nodes: [] });
    const planned = await planKind(workflowsKind, source, target, { conflicts: { onConflict: 'overwrite' } });

    const ledger = await applyStep(referencesStep, planned, { ids });

    expect(target.workflows.filter((w) => w.name === 'Callee')).toHaveLength(1);
    expect(stale.nodes.map((n) => n.type)).toEqual(['n8n-nodes-base.executeWorkflowTrigger']);
    expect(ledger.state.updated.workflows).toBe(1);
  });

  it('fails only the workflow n8n refuses to create, and goes on with the others', async () => {
    const { source, target, ids, ops } = callerAndCallee();
    const planned = await planKind(workflowsKind, source, target);

    const ledger = await applyStep(createStep, planned, {
      ids: { ...ids, projects: { [ops.id]: 'tGoneProject0001' } },
    });

    expect(target.workflows.map((w) => w.name).sort()).toEqual(['Callee', 'Caller']);
    expect(ledger.state.failed.workflows).toBe(1);
    expect(ledger.state.created.workflows).toBe(2);
    expect(ledger.state.warnings).toEqual([
      expect.objectContaining({ code: 'restore-failed', workflow: expect.objectContaining({ name: 'Old' }) }),
    ]);
  });

  it('adopts, when resumed, the workflows an interrupted run created instead of creating them again', async () => {
    const { source, target, ids } = callerAndCallee({ packageImport: false });
    const planned = await planKind(workflowsKind, source, target);
    const first = await applyStep(createStep, planned, { ids });

    const ledger = await applyStep(createStep, planned, { ids, resumed: true });

    expect(writesTo(target, 'POST /workflows')).toHaveLength(3);
    expect(ledger.idMap('workflows')).toEqual(first.idMap('workflows'));
  });
});

describe('tagging, archiving and publishing workflows', () => {
  async function restoredCallerAndCallee() {
    const { source, target, ids } = callerAndCallee();
    const planned = await planKind(workflowsKind, source, target);
    const ledger = await applyStep(createStep, planned, { ids });
    return { target, planned, ledger };
  }

  it('tags the restored workflows with the target tags', async () => {
    const { target, planned, ledger } = await restoredCallerAndCallee();

    await applyStep(tagsStep, planned, { ledger });

    expect(workflowNamed(target, 'Caller').tags?.map((t) => t.name)).toEqual(['prod']);
    expect(workflowNamed(target, 'Callee').tags).toEqual([]);
  });

  it('archives what the source had archived, also when an interrupted run archived it already', async () => {
    const { target, planned, ledger } = await restoredCallerAndCallee();
    await applyStep(archiveStep, planned, { ledger });

    const again = await applyStep(archiveStep, planned, {
      ids: { workflows: Object.fromEntries(ledger.idMap('workflows')) },
      resumed: true,
    });

    expect(target.workflows.filter((w) => w.isArchived).map((w) => w.name)).toEqual(['Old']);
    expect(again.state.failed.workflows).toBe(0);
  });

  it('publishes a callee before its caller', async () => {
    const { target, planned, ledger } = await restoredCallerAndCallee();

    await applyStep(activationStep, planned, { ledger });

    const idOf = (name: string) => workflowNamed(target, name).id;
    expect(target.writes.filter((w) => w.endsWith('/publish'))).toEqual([
      `POST /workflows/${idOf('Callee')}/publish`,
      `POST /workflows/${idOf('Caller')}/publish`,
    ]);
    expect(workflowNamed(target, 'Old').active).toBe(false);
  });
});

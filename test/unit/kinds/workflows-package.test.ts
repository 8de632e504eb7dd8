import { describe, expect, it } from 'vitest';
import { AmbiguousWriteError, N8nApiError } from '../../../functions/core/errors.js';
import { workflowsKind } from '../../../functions/core/kinds/workflows/index.js';
import {
  PACKAGE_MAX_BYTES,
  PACKAGE_MAX_WORKFLOWS,
  PackageBatcher,
  packageRefusal,
} from '../../../functions/core/kinds/workflows/package-eligibility.js';
import { toWorkflowWrite } from '../../../functions/core/kinds/workflows/write-body.js';
import type { Workflow, WorkflowNode } from '../../../functions/core/n8n-types.js';
import { findWorkflowReferences } from '../../../functions/core/references/workflow-references.js';
import type { MemoryN8n } from '../fakes/memory-n8n.js';
import { emptyTarget } from '../fakes/seeded-instance.js';
import { applyStep, emptySource, planKind, resumeAfterCrash, workflowNamed, writesTo } from './support.js';

const [createStep] = workflowsKind.steps;

function node(name: string, extra: Partial<WorkflowNode> = {}): WorkflowNode {
  return {
    id: `id-${name}`,
    name,
    type: 'n8n-nodes-base.set',
    typeVersion: 3.4,
    position: [0, 0],
    parameters: { value: `=${name}` },
    ...extra,
  };
}

function simple(name: string, extra: Partial<Workflow> = {}): Partial<Workflow> & { name: string } {
  return {
    name,
    nodes: [node('A'), node('B')],
    connections: { A: { main: [[{ node: 'B', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
    ...extra,
  };
}

/** What the package path decides for a workflow as archived, with nothing left unresolved. */
function refusal(workflow: Partial<Workflow>): string | undefined {
  const full = { id: 'w1', active: false, ...simple('W'), ...workflow } as Workflow;
  return packageRefusal(full, toWorkflowWrite(full).body, []);
}

describe('which workflows a package carries exactly', () => {
  it('carries a workflow of plain nodes, connections and settings', () => {
    expect(refusal({})).toBeUndefined();
    expect(refusal({ description: 'written by the references pass' })).toBeUndefined();
    expect(
      refusal({ nodes: [node('A', { credentials: { httpHeaderAuth: { id: 'c1', name: 'API' } } })] }),
    ).toBe(undefined);
  });

  it('refuses what the package schema strips, and workflow references n8n would rebind', () => {
    const call = node('Call', {
      type: 'n8n-nodes-base.executeWorkflow',
      parameters: { workflowId: { __rl: true, value: 'w2', mode: 'id' } },
    });
    const cases: Partial<Workflow>[] = [
      { pinData: { A: [{ json: { a: 1 } }] } },
      { staticData: { lastId: 1 } },
      { nodeGroups: [{ id: 'g', name: 'G', nodeIds: ['id-A'] }] },
      { nodes: [node('A', { customTelemetryTags: ['x'] })] },
      { nodes: [{ ...node('A'), typeVersion: undefined }] },
      { nodes: [{ ...node('A'), position: [0] as unknown as [number, number] }] },
      { nodes: [node('A', { credentials: { httpHeaderAuth: { id: 'c1' } as never } })] },
      { nodes: [node('A', { notes: 5 as unknown as string })] },
      { connections: { A: { main: [[{ node: 'B', type: 'main', index: 0, extra: 1 }]] } } },
      { nodes: [node('A'), call] },
      { settings: { errorWorkflow: 'w2' } },
      { settings: { callerIds: 'w2,w3' } },
    ];
    for (const workflow of cases) expect(refusal(workflow), JSON.stringify(workflow)).toBeTypeOf('string');
  });

  it('refuses a workflow with a reference the id map does not resolve', () => {
    const full = { id: 'w1', active: false, ...simple('W') } as Workflow;
    full.nodes[0] = node('A', { credentials: { httpHeaderAuth: { id: 'gone', name: 'API' } } });
    const unresolved = findWorkflowReferences(full);
    expect(packageRefusal(full, toWorkflowWrite(full).body, unresolved)).toBe(
      'a reference has no target id yet',
    );
  });
});

describe('cutting packages', () => {
  it('sends a group when it is full, keeps groups apart, and drains the rest', () => {
    const batcher = new PackageBatcher<number>();
    const sent: { group: string; items: number[] }[] = [];
    const total = 2 * PACKAGE_MAX_WORKFLOWS + 50;
    for (let i = 0; i < total; i += 1) sent.push(...batcher.add(i % 2 === 0 ? 'a' : 'b', i, 100));
    sent.push(...batcher.drain());

    expect(sent.map((p) => [p.group, p.items.length])).toEqual([
      ['a', PACKAGE_MAX_WORKFLOWS],
      ['b', PACKAGE_MAX_WORKFLOWS],
      ['a', 25],
      ['b', 25],
    ]);
    expect(sent.flatMap((p) => p.items).sort((x, y) => x - y)).toEqual([...Array(total).keys()]);
  });

  it('sends a group before its bytes would pass the package bound, and the largest when too much is held', () => {
    const batcher = new PackageBatcher<string>(PACKAGE_MAX_BYTES);
    const third = Math.floor(PACKAGE_MAX_BYTES / 3);
    const sent = [
      ...batcher.add('a', 'a1', third),
      ...batcher.add('a', 'a2', third),
      ...batcher.add('a', 'a3', third),
      ...batcher.add('a', 'a4', third),
    ];
    expect(sent).toEqual([{ group: 'a', items: ['a1', 'a2', 'a3'] }]);

    const held = [...batcher.add('b', 'b1', third), ...batcher.add('b', 'b2', third)];
    expect(held).toEqual([]);
    // a4, b1, b2 and c1 pass the bound together: b, the largest group, goes out.
    expect(batcher.add('c', 'c1', third)).toEqual([{ group: 'b', items: ['b1', 'b2'] }]);
    expect(batcher.drain()).toEqual([
      { group: 'a', items: ['a4'] },
      { group: 'c', items: ['c1'] },
    ]);
  });
});

describe('creating workflows by package', () => {
  function sourceWith(count: number): MemoryN8n {
    const source = emptySource();
    for (let i = 1; i <= count; i += 1) source.seedWorkflow(simple(`W${i}`));
    return source;
  }

  const imports = (target: MemoryN8n) => writesTo(target, 'POST /n8n-packages/import').length;
  const posts = (target: MemoryN8n) => writesTo(target, 'POST /workflows').length;

  it('imports what a package carries with its content and posts the rest', async () => {
    const source = sourceWith(3);
    source.seedWorkflow(simple('Pinned', { pinData: { A: [{ json: { a: 1 } }] } }));
    source.seedWorkflow(simple('Described', { description: 'said by PUT' }));
    const target = emptyTarget();
    const planned = await planKind(workflowsKind, source, target);

    const ledger = await applyStep(createStep, planned);

    expect([imports(target), posts(target)]).toEqual([1, 1]);
    for (const name of ['W1', 'W2', 'W3', 'Described']) {
      const [from, to] = [workflowNamed(source, name), workflowNamed(target, name)];
      expect({ nodes: to.nodes, connections: to.connections, settings: to.settings }).toEqual({
        nodes: from.nodes,
        connections: from.connections,
        settings: from.settings,
      });
      // Final at create, except the description, which the references pass writes.
      expect(ledger.isMarked('workflowReferences', from.id)).toBe(name !== 'Described');
    }
    expect(workflowNamed(target, 'Pinned').pinData).toEqual({ A: [{ json: { a: 1 } }] });
    expect(ledger.state.created.workflows).toBe(5);
  });

  it('halves a refused package until the offender is alone, and posts the offender', async () => {
    const source = sourceWith(8);
    const target = emptyTarget();
    const offender = workflowNamed(source, 'W6').id;
    const importWorkflows = target.importWorkflows.bind(target);
    const calls: number[] = [];
    target.importWorkflows = async (workflows, options) => {
      calls.push(workflows.length);
      if (workflows.some((w) => w.id === offender))
        throw new N8nApiError('n8n answered 400: failed schema validation', {
          status: 400,
          method: 'POST',
          path: '/n8n-packages/import',
        });
      return importWorkflows(workflows, options);
    };
    const planned = await planKind(workflowsKind, source, target);

    const ledger = await applyStep(createStep, planned);

    // 1-8 refused; 1-4 in; 5-8 refused; 5-6 refused; 5 in; 6 alone refused (posted); 7-8 in.
    expect(calls).toEqual([8, 4, 4, 2, 1, 1, 2]);
    expect([imports(target), posts(target)]).toEqual([3, 1]);
    expect(target.workflows.map((w) => w.name).sort()).toEqual(
      ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8'].sort(),
    );
    expect(ledger.state.failed.workflows).toBe(0);
  });

  it('adopts what an import whose answer was lost created, sending nothing twice', async () => {
    const source = sourceWith(4);
    const target = emptyTarget();
    const importWorkflows = target.importWorkflows.bind(target);
    target.importWorkflows = async (workflows, options) => {
      await importWorkflows(workflows, options);
      throw new AmbiguousWriteError('the answer was lost', { method: 'POST', path: '/n8n-packages/import' });
    };
    const planned = await planKind(workflowsKind, source, target);

    const ledger = await applyStep(createStep, planned);

    expect([imports(target), posts(target)]).toEqual([1, 0]);
    expect(target.workflows).toHaveLength(4);
    expect(ledger.idMap('workflows').size).toBe(4);
    // Adopted workflows get their body written again by the references pass.
    expect(ledger.isMarked('workflowReferences', workflowNamed(source, 'W1').id)).toBe(false);
  });

  it('sends again as a package what an import whose answer was lost had not created yet', async () => {
    const source = sourceWith(4);
    const target = emptyTarget();
    const importWorkflows = target.importWorkflows.bind(target);
    let calls = 0;
    target.importWorkflows = async (workflows, options) => {
      calls += 1;
      if (calls > 1) return importWorkflows(workflows, options);
      // The connection drops while n8n has created only the first two.
      await importWorkflows(workflows.slice(0, 2), options);
      throw new AmbiguousWriteError('the answer was lost', { method: 'POST', path: '/n8n-packages/import' });
    };
    const planned = await planKind(workflowsKind, source, target);

    const ledger = await applyStep(createStep, planned);

    expect(calls).toBe(2);
    expect([imports(target), posts(target)]).toEqual([2, 0]);
    expect(target.workflows.map((w) => w.name).sort()).toEqual(['W1', 'W2', 'W3', 'W4']);
    expect(ledger.idMap('workflows').size).toBe(4);
  });

  it('adopts, when resumed after a crash, what a package created before the ledger heard of it', async () => {
    const source = sourceWith(3);
    source.seedWorkflow(simple('Pinned', { pinData: { A: [{ json: { a: 1 } }] } }));
    const target = emptyTarget();
    const planned = await planKind(workflowsKind, source, target);

    // Write 1 is the package import; the crash comes at write 2, the POST of the pinned workflow.
    const ledger = await resumeAfterCrash(createStep, planned, { atWrite: 2 });

    expect(target.workflows.map((w) => w.name).sort()).toEqual(['Pinned', 'W1', 'W2', 'W3']);
    expect([imports(target), posts(target)]).toEqual([1, 1]);
    expect(ledger.idMap('workflows').size).toBe(4);
  });

  it('posts every workflow where n8n has no package import, and says so once in the notes', async () => {
    const source = sourceWith(3);
    const target = emptyTarget({ packageImport: false });
    const planned = await planKind(workflowsKind, source, target);

    await applyStep(createStep, planned);

    expect([imports(target), posts(target)]).toEqual([0, 3]);
    expect(planned.plan.notes.filter((n) => n.includes('package import'))).toEqual([
      "Workflows were created one POST /workflows each, not by n8n's package import (faster): this n8n has no POST /n8n-packages/import (n8n 2.24 or later has it).",
    ]);
  });

  it('puts imported workflows in their target folder', async () => {
    const source = emptySource();
    const folder = source.seedFolder('Team', source.ownerPersonalProjectId);
    source.seedWorkflow(simple('Filed', { parentFolderId: folder.id }));
    const target = emptyTarget();
    const targetFolder = target.seedFolder('Team', target.ownerPersonalProjectId);
    const planned = await planKind(workflowsKind, source, target);

    await applyStep(createStep, planned, { ids: { folders: { [folder.id]: targetFolder.id } } });

    expect(imports(target)).toBe(1);
    expect(workflowNamed(target, 'Filed').parentFolderId).toBe(targetFolder.id);
  });
});

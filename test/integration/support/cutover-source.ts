/**
 * A live source for the cutover tests on the double: "Counter" (a Schedule Trigger keeping a
 * counter in its staticData, publishing v1 while its draft is v2), "Orders hook" (a POST webhook),
 * "Worker" (a sub-workflow "Caller" calls), "Never" (never published) and a data table with rows.
 */
import { createN8nClient } from '../../../functions/adapters/n8n/index.js';
import type { Workflow, WorkflowWrite } from '../../../functions/core/n8n-types.js';
import type { N8nDouble } from '../../double/server.js';
import { webhookWorkflow } from '../../support/webhook-workflows.js';

export function scheduled(name: string, marker: string, staticData?: Record<string, number>): WorkflowWrite {
  return {
    name,
    nodes: [
      {
        name: 'Every minute',
        type: 'n8n-nodes-base.scheduleTrigger',
        typeVersion: 1.2,
        position: [0, 0],
        parameters: { rule: { interval: [{ field: 'minutes', minutesInterval: 1 }] } },
      },
      {
        name: 'Mark',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [200, 0],
        parameters: { value: marker },
      },
    ],
    connections: { 'Every minute': { main: [[{ node: 'Mark', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
    ...(staticData ? { staticData: { global: staticData } } : {}),
  };
}

function worker(): WorkflowWrite {
  return {
    name: 'Worker',
    nodes: [
      {
        name: 'When called',
        type: 'n8n-nodes-base.executeWorkflowTrigger',
        typeVersion: 1.1,
        position: [0, 0],
        parameters: { inputSource: 'passthrough' },
      },
    ],
    connections: {},
    settings: { executionOrder: 'v1' },
  };
}

function caller(workerId: string): WorkflowWrite {
  const body = scheduled('Caller', 'CALLS');
  body.nodes.push({
    name: 'Call worker',
    type: 'n8n-nodes-base.executeWorkflow',
    typeVersion: 1.2,
    position: [400, 0],
    parameters: { source: 'database', workflowId: { __rl: true, mode: 'id', value: workerId } },
  });
  return body;
}

export interface LiveSource {
  counter: Workflow;
  hook: Workflow;
  tableId: string;
}

export async function seedLiveSource(source: N8nDouble): Promise<LiveSource> {
  const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
  const counter = await api.createWorkflow(scheduled('Counter', 'PUBLISHED-v1', { counter: 41 }));
  await api.publishWorkflow(counter.id);
  await api.updateWorkflow(counter.id, scheduled('Counter', 'DRAFT-v2', { counter: 41 }), {
    publishIfActive: false,
  });
  const hook = await api.createWorkflow(
    webhookWorkflow('Orders hook', { path: 'orders', httpMethod: 'POST' }) as unknown as WorkflowWrite,
  );
  await api.publishWorkflow(hook.id);
  const work = await api.createWorkflow(worker());
  await api.publishWorkflow(work.id);
  const call = await api.createWorkflow(caller(work.id));
  await api.publishWorkflow(call.id);
  await api.createWorkflow(scheduled('Never', 'DRAFT-ONLY'));
  const table = await api.createDataTable({ name: 'events', columns: [{ name: 'n', type: 'number' }] });
  await api.insertDataTableRows(table.id, [{ n: 1 }, { n: 2 }]);
  return {
    counter: await api.getWorkflow(counter.id),
    hook: await api.getWorkflow(hook.id),
    tableId: table.id,
  };
}

/** Each published workflow of an instance by name: the version it runs. */
export function publishedVersions(double: N8nDouble): Map<string, string> {
  const published = new Map<string, string>();
  for (const workflow of double.state.workflows.values())
    if (workflow.active && workflow.activeVersionId) published.set(workflow.name, workflow.activeVersionId);
  return published;
}

/** Each published workflow by name: its published version's Mark (or its first node's type). */
export function publishedMarkers(double: N8nDouble): Map<string, unknown> {
  const markers = new Map<string, unknown>();
  for (const workflow of double.state.workflows.values()) {
    if (!workflow.active || !workflow.activeVersion) continue;
    const nodes = workflow.activeVersion.nodes as {
      name: string;
      type: string;
      parameters: { value?: unknown };
    }[];
    markers.set(workflow.name, nodes.find((n) => n.name === 'Mark')?.parameters.value ?? nodes[0]?.type);
  }
  return markers;
}

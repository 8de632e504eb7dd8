/**
 * Fills a real n8n through its Public API with a small but varied instance: sub-workflow calls in
 * both forms, an error workflow, credential and data-table references, pinned data, unicode names,
 * an archived workflow, active schedule and webhook workflows, shared tags, data tables with every
 * column type, and credentials of several types.
 */
import { randomUUID } from 'node:crypto';

export interface SeedResult {
  workflows: Record<string, string>;
  credentials: string[];
  dataTableId: string;
  webhookPath: string;
  rows: number;
  active: string[];
  archived: string[];
}

/**
 * A Schedule Trigger's parameters for a published workflow that must not fire while a test runs
 * (29 February, 03:07): a run writes the trigger's staticData and adds an execution, so the instance
 * would no longer equal its archive. An hourly rule will not do: n8n fires it at a random minute.
 */
export const LEAP_DAY_SCHEDULE = {
  rule: { interval: [{ field: 'cronExpression', expression: '7 3 29 2 *' }] },
};

export async function seedRealN8n(
  url: string,
  apiKey: string,
  options: { rows?: number } = {},
): Promise<SeedResult> {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { 'X-N8N-API-KEY': apiKey, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`seed: ${method} ${path} → ${response.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const tags: Record<string, string> = {};
  for (const name of ['production', 'billing', 'ops 🛠'])
    tags[name] = (await call<{ id: string }>('POST', '/tags', { name })).id;

  const headerAuth = await call<{ id: string; name: string }>('POST', '/credentials', {
    name: 'Billing API header',
    type: 'httpHeaderAuth',
    data: { name: 'X-Api-Key', value: 'not-a-real-secret' },
  });
  const basicAuth = await call<{ id: string; name: string }>('POST', '/credentials', {
    name: 'Legacy basic auth',
    type: 'httpBasicAuth',
    data: { user: 'legacy', password: 'not-a-real-secret' },
  });

  const table = await call<{ id: string }>('POST', '/data-tables', {
    name: 'customers',
    columns: [
      { name: 'email', type: 'string' },
      { name: 'score', type: 'number' },
      { name: 'vip', type: 'boolean' },
      { name: 'since', type: 'date' },
    ],
  });
  const rows = options.rows ?? 2000;
  for (let start = 0; start < rows; start += 250) {
    const batch = Array.from({ length: Math.min(250, rows - start) }, (_, i) => {
      const n = start + i;
      return {
        email: `customer${n}@example.com`,
        score: n % 97,
        vip: n % 5 === 0,
        since: new Date(Date.UTC(2024, 0, 1 + (n % 365))).toISOString(),
      };
    });
    await call('POST', `/data-tables/${table.id}/rows`, { data: batch, returnType: 'count' });
  }

  const position = (i: number): [number, number] => [i * 220, 300];
  const create = async (
    name: string,
    nodes: object[],
    connections: object = {},
    settings: object = {},
    extra: object = {},
  ) =>
    (
      await call<{ id: string }>('POST', '/workflows', {
        name,
        nodes,
        connections,
        settings: { executionOrder: 'v1', ...settings },
        ...extra,
      })
    ).id;

  const workflows: Record<string, string> = {};
  workflows.errorHandler = await create('Error handler ⚠️', [
    {
      id: randomUUID(),
      name: 'Error Trigger',
      type: 'n8n-nodes-base.errorTrigger',
      typeVersion: 1,
      position: position(0),
      parameters: {},
    },
  ]);
  workflows.child = await create('Child: enrich customer', [
    {
      id: randomUUID(),
      name: 'When called',
      type: 'n8n-nodes-base.executeWorkflowTrigger',
      typeVersion: 1.1,
      position: position(0),
      parameters: { inputSource: 'passthrough' },
    },
    {
      id: randomUUID(),
      name: 'Lookup customer',
      type: 'n8n-nodes-base.dataTable',
      typeVersion: 1,
      position: position(1),
      parameters: { operation: 'get', dataTableId: { __rl: true, value: table.id, mode: 'id' } },
    },
  ]);
  workflows.parent = await create(
    'Facturation journalière — 請求',
    [
      {
        id: randomUUID(),
        name: 'Leap-day close',
        type: 'n8n-nodes-base.scheduleTrigger',
        typeVersion: 1.2,
        position: position(0),
        parameters: LEAP_DAY_SCHEDULE,
      },
      {
        id: randomUUID(),
        name: 'Call child (locator)',
        type: 'n8n-nodes-base.executeWorkflow',
        typeVersion: 1.2,
        position: position(1),
        parameters: { workflowId: { __rl: true, value: workflows.child, mode: 'id' }, options: {} },
      },
      {
        id: randomUUID(),
        name: 'Call child (string)',
        type: 'n8n-nodes-base.executeWorkflow',
        typeVersion: 1,
        position: position(2),
        parameters: { source: 'database', workflowId: workflows.child },
      },
      {
        id: randomUUID(),
        name: 'Post invoice',
        type: 'n8n-nodes-base.httpRequest',
        typeVersion: 4.2,
        position: position(3),
        parameters: {
          url: 'http://127.0.0.1:9/invoice',
          authentication: 'genericCredentialType',
          genericAuthType: 'httpHeaderAuth',
          options: {},
        },
        credentials: { httpHeaderAuth: { id: headerAuth.id, name: headerAuth.name } },
      },
    ],
    {
      'Leap-day close': { main: [[{ node: 'Call child (locator)', type: 'main', index: 0 }]] },
      'Call child (locator)': { main: [[{ node: 'Call child (string)', type: 'main', index: 0 }]] },
      'Call child (string)': { main: [[{ node: 'Post invoice', type: 'main', index: 0 }]] },
    },
    { errorWorkflow: workflows.errorHandler },
  );
  const webhookPath = `ark-e2e-${randomUUID().slice(0, 8)}`;
  workflows.webhook = await create(
    'Inbound webhook 🚀',
    [
      {
        id: randomUUID(),
        name: 'Webhook',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        position: position(0),
        webhookId: randomUUID(),
        parameters: { httpMethod: 'GET', path: webhookPath, responseMode: 'onReceived', options: {} },
      },
      {
        id: randomUUID(),
        name: 'Done',
        type: 'n8n-nodes-base.noOp',
        typeVersion: 1,
        position: position(1),
        parameters: {},
      },
    ],
    { Webhook: { main: [[{ node: 'Done', type: 'main', index: 0 }]] } },
    {},
    { pinData: { Webhook: [{ json: { sample: 'pinned ✓' } }] } },
  );
  workflows.legacy = await create('Legacy import (archived)', [
    {
      id: randomUUID(),
      name: 'Old API',
      type: 'n8n-nodes-base.httpRequest',
      typeVersion: 4.2,
      position: position(0),
      parameters: {
        url: 'http://127.0.0.1:9/old',
        authentication: 'genericCredentialType',
        genericAuthType: 'httpBasicAuth',
        options: {},
      },
      credentials: { httpBasicAuth: { id: basicAuth.id, name: basicAuth.name } },
    },
  ]);

  await call('PUT', `/workflows/${workflows.parent}/tags`, [{ id: tags.production }, { id: tags.billing }]);
  await call('PUT', `/workflows/${workflows.child}/tags`, [{ id: tags.billing }]);
  await call('PUT', `/workflows/${workflows.webhook}/tags`, [{ id: tags.production }, { id: tags['ops 🛠'] }]);
  // n8n 2.41 refuses to publish a workflow whose sub-workflows are not published: callees first.
  await call('POST', `/workflows/${workflows.child}/activate`);
  await call('POST', `/workflows/${workflows.parent}/activate`);
  await call('POST', `/workflows/${workflows.webhook}/activate`);
  await call('POST', `/workflows/${workflows.legacy}/archive`);

  return {
    workflows,
    credentials: [headerAuth.id, basicAuth.id],
    dataTableId: table.id,
    webhookPath,
    rows,
    active: [workflows.child, workflows.parent, workflows.webhook],
    archived: [workflows.legacy],
  };
}

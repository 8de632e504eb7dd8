/**
 * A source instance with every resource type and every reference kind a restore must carry:
 * a team project with members, nested folders, tags, global and project variables, credentials,
 * data tables with rows (more than one insert batch), and workflows calling each other by plain
 * id, by resource locator (id, list with cached URL), as AI tools, through an error workflow,
 * caller lists, a self-call, an archived one and an active one.
 */
import { MemoryN8n, type MemoryN8nOptions } from './memory-n8n.js';

export const SEED_USERS = [
  { email: 'owner@example.com', firstName: 'Olga', lastName: 'Owner', role: 'global:owner' },
  { email: 'alice@example.com', firstName: 'Alice', lastName: 'Adams', role: 'global:member' },
  { email: 'bob@example.com', firstName: 'Bob', lastName: 'Brown', role: 'global:member' },
];

export function emptyTarget(options: MemoryN8nOptions = {}): MemoryN8n {
  return new MemoryN8n({ baseUrl: 'http://target.test', idPrefix: 't', users: SEED_USERS, ...options });
}

export function seededSource(
  options: { rows?: number; idPrefix?: string } & Pick<
    MemoryN8nOptions,
    'licensed' | 'missingScopes' | 'users'
  > = {},
): MemoryN8n {
  const n8n = new MemoryN8n({
    baseUrl: 'http://source.test',
    idPrefix: options.idPrefix ?? 's',
    users: options.users ?? SEED_USERS,
    ...(options.licensed ? { licensed: options.licensed } : {}),
    ...(options.missingScopes ? { missingScopes: options.missingScopes } : {}),
  });
  const personal = n8n.ownerPersonalProjectId;
  const ops = n8n.seedProject('Ops', [
    { email: 'owner@example.com', role: 'project:admin' },
    { email: 'alice@example.com', role: 'project:editor' },
    { email: 'bob@example.com', role: 'project:viewer' },
  ]);
  const billing = n8n.seedFolder('Billing', ops.id);
  const invoices = n8n.seedFolder('Invoices', ops.id, billing.id);
  const prod = n8n.seedTag('prod');
  const billingTag = n8n.seedTag('billing');
  n8n.seedTag('unused');
  n8n.seedVariable('REGION', 'eu-west-1');
  n8n.seedVariable('OPS_CHANNEL', '#ops', ops);
  const slack = n8n.seedCredential('Slack bot', 'slackApi', ops.id, 'credSlack0000001');
  const header = n8n.seedCredential('API header', 'httpHeaderAuth', personal, 'credHeader000001');
  const customers = n8n.seedDataTable(
    'customers',
    [
      { name: 'email', type: 'string' },
      { name: 'vip', type: 'boolean' },
    ],
    [
      { email: 'a@example.com', vip: true },
      { email: 'b@example.com', vip: false },
      { email: 'c@example.com', vip: false },
    ],
    ops.id,
  );
  const orders = n8n.seedDataTable(
    'orders',
    [
      { name: 'number', type: 'number' },
      { name: 'total', type: 'number' },
    ],
    Array.from({ length: options.rows ?? 7 }, (_, i) => ({ number: i + 1, total: (i + 1) * 10 })),
  );

  const errorHandler = n8n.seedWorkflow({
    name: 'Error handler',
    nodes: [
      {
        id: 'e1',
        name: 'On error',
        type: 'n8n-nodes-base.errorTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
    ],
  });
  // Main comes before the workflow it calls, so only the second pass can resolve that call.
  const main = n8n.seedWorkflow(
    {
      name: 'Main',
      active: true,
      description: 'Nightly invoice run',
      parentFolderId: billing.id,
      tags: [
        { id: prod.id, name: prod.name },
        { id: billingTag.id, name: billingTag.name },
      ],
      nodes: [
        {
          id: 'm1',
          name: 'Every night',
          type: 'n8n-nodes-base.scheduleTrigger',
          typeVersion: 1.2,
          position: [0, 0],
          parameters: {},
        },
        {
          id: 'm2',
          name: 'Call sub (list)',
          type: 'n8n-nodes-base.executeWorkflow',
          typeVersion: 1.2,
          position: [200, 0],
          parameters: {
            workflowId: {
              __rl: true,
              value: 'PENDING',
              mode: 'list',
              cachedResultName: 'Sub A',
              cachedResultUrl: '/workflow/PENDING',
            },
          },
        },
        {
          id: 'm3',
          name: 'Call sub (string)',
          type: 'n8n-nodes-base.executeWorkflow',
          typeVersion: 1,
          position: [400, 0],
          parameters: { source: 'database', workflowId: 'PENDING' },
        },
        {
          id: 'm4',
          name: 'Tell Slack',
          type: 'n8n-nodes-base.slack',
          typeVersion: 2.2,
          position: [600, 0],
          parameters: { text: 'done' },
          credentials: { slackApi: { id: slack.id, name: slack.name } },
        },
        {
          id: 'm5',
          name: 'Mark VIP',
          type: 'n8n-nodes-base.dataTable',
          typeVersion: 1,
          position: [800, 0],
          parameters: {
            dataTableId: {
              __rl: true,
              value: customers.id,
              mode: 'list',
              cachedResultName: 'customers',
              cachedResultUrl: `/projects/${ops.id}/datatables/${customers.id}`,
            },
          },
        },
        {
          id: 'm6',
          name: 'Call API',
          type: 'n8n-nodes-base.httpRequest',
          typeVersion: 4.2,
          position: [1000, 0],
          parameters: { url: 'https://api.example.com' },
          credentials: { httpHeaderAuth: { id: header.id, name: header.name } },
        },
      ],
      connections: { 'Every night': { main: [[{ node: 'Call sub (list)', type: 'main', index: 0 }]] } },
      settings: { executionOrder: 'v1', errorWorkflow: errorHandler.id },
      pinData: { 'Every night': [{ json: { at: 'midnight' } }] },
    },
    ops.id,
  );
  const subA = n8n.seedWorkflow(
    {
      name: 'Sub A',
      parentFolderId: invoices.id,
      nodes: [
        {
          id: 's1',
          name: 'When called',
          type: 'n8n-nodes-base.executeWorkflowTrigger',
          typeVersion: 1.1,
          position: [0, 0],
          parameters: {},
        },
      ],
      settings: { callerPolicy: 'workflowsFromAList', callerIds: `${main.id}, ${errorHandler.id}` },
    },
    ops.id,
  );
  for (const node of main.nodes) {
    const id = node.parameters.workflowId;
    if (typeof id === 'string') node.parameters.workflowId = subA.id;
    else if (id && typeof id === 'object' && !Array.isArray(id)) {
      id.value = subA.id;
      id.cachedResultUrl = `/workflow/${subA.id}`;
    }
  }
  n8n.seedWorkflow({
    name: 'Agent',
    nodes: [
      {
        id: 'a1',
        name: 'Chat',
        type: '@n8n/n8n-nodes-langchain.chatTrigger',
        typeVersion: 1.1,
        position: [0, 0],
        parameters: {},
      },
      {
        id: 'a2',
        name: 'Lookup',
        type: '@n8n/n8n-nodes-langchain.toolWorkflow',
        typeVersion: 2.1,
        position: [200, 0],
        parameters: { workflowId: { __rl: true, value: subA.id, mode: 'id' } },
      },
      {
        id: 'a3',
        name: 'Orders',
        type: 'n8n-nodes-base.dataTableTool',
        typeVersion: 1,
        position: [400, 0],
        parameters: { dataTableId: { __rl: true, value: orders.id, mode: 'id' } },
      },
    ],
  });
  const self = n8n.seedWorkflow({
    name: 'Recursive',
    nodes: [
      {
        id: 'r1',
        name: 'Again',
        type: 'n8n-nodes-base.executeWorkflow',
        typeVersion: 1.2,
        position: [0, 0],
        parameters: {},
      },
    ],
  });
  self.nodes[0]!.parameters.workflowId = { __rl: true, value: self.id, mode: 'id' };
  n8n.seedWorkflow(
    {
      name: 'Old flow',
      isArchived: true,
      tags: [{ id: billingTag.id, name: billingTag.name }],
      nodes: [
        {
          id: 'o1',
          name: 'Start',
          type: 'n8n-nodes-base.manualTrigger',
          typeVersion: 1,
          position: [0, 0],
          parameters: {},
        },
      ],
    },
    ops.id,
  );
  return n8n;
}

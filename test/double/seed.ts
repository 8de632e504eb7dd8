/**
 * Fills a double's state with a realistic, deterministic instance:
 * - 2 team projects (with members) besides the owner's personal project, nested folders;
 * - tags shared by several workflows; project-less and project-scoped variables;
 * - credentials of several types (slackApi, httpHeaderAuth, postgres);
 * - data tables with every column type (string, number, boolean, date, json), `rowsTotal` rows in all;
 * - `workflows` workflows: every 5th calls another through an Execute Workflow node (alternately
 *   as a plain id and as a resource locator), every 7th is an AI tool-workflow caller, every 3rd uses
 *   a credential, every 4th reads a data table, many have settings.errorWorkflow / callerIds,
 *   pinned data, unicode and emoji names; some archived, some active (schedule and webhook
 *   triggers, their sub-workflows active too); and one workflow with a dangling reference
 *   (an Execute Workflow node pointing at "${undefined}", as n8n can export).
 */
import type { JsonObject } from '../../functions/core/n8n-types.js';
import { type DoubleState, newId, now, type StoredWorkflow } from './state.js';

export interface SeedOptions {
  workflows: number;
  rowsTotal?: number;
  tables?: number;
}

export interface SeedCounts {
  workflows: number;
  tags: number;
  variables: number;
  credentials: number;
  dataTables: number;
  dataTableRows: number;
  projects: number;
  folders: number;
  users: number;
}

const NAMES = [
  'Orders',
  'Invoices 🧾',
  'Zahlungseingänge',
  'Slack alerts 🚨',
  '顧客同期',
  'CRM sync',
  'Nightly ETL',
  'Webhook → Sheet',
];

function node(name: string, type: string, parameters: JsonObject, extra: JsonObject = {}): JsonObject {
  return { id: newId(), name, type, typeVersion: 1, position: [0, 0], parameters, ...extra };
}

export function seedInstance(state: DoubleState, options: SeedOptions): SeedCounts {
  const at = now();
  const user = (email: string, firstName: string) => {
    const id = newId();
    state.users.set(id, {
      id,
      email,
      firstName,
      lastName: 'Example',
      role: 'global:member',
      createdAt: at,
      updatedAt: at,
    });
    return id;
  };
  const ana = user('ana@example.com', 'Ana');
  const bo = user('bo@example.com', 'Bo');
  const project = (name: string, members: { userId: string; role: string }[]) => {
    const id = newId();
    state.projects.set(id, {
      id,
      name,
      type: 'team',
      members: [{ userId: state.ownerId, role: 'project:admin' }, ...members],
      createdAt: at,
      updatedAt: at,
    });
    return id;
  };
  const finance = project('Finance', [{ userId: ana, role: 'project:editor' }]);
  const ops = project('Operations 🛠', [
    { userId: bo, role: 'project:admin' },
    { userId: ana, role: 'project:viewer' },
  ]);
  const projects = [state.personalProjectId, finance, ops];

  const folder = (name: string, projectId: string, parentFolderId: string | null) => {
    const id = newId();
    state.folders.set(id, { id, name, parentFolderId, projectId, createdAt: at, updatedAt: at });
    return id;
  };
  const billing = folder('Billing', finance, null);
  const folders = [billing, folder('2026', finance, billing), folder('Alerts', ops, null)];

  const tagIds = ['production', 'billing', 'ops', 'experimental 🧪'].map((name) => {
    const id = newId();
    state.tags.set(id, { id, name, createdAt: at, updatedAt: at });
    return id;
  });

  for (const [key, value, projectId] of [
    ['REGION', 'eu-central-1', null],
    ['SLACK_CHANNEL', '#alerts', null],
    ['INVOICE_PREFIX', 'INV-', finance],
  ] as const) {
    const id = newId();
    state.variables.set(id, { id, key, value, projectId });
  }

  const credentialSpecs: { type: string; name: string; data: JsonObject; projectId: string }[] = [
    { type: 'slackApi', name: 'Slack bot', data: { accessToken: 'xoxb-not-real' }, projectId: ops },
    {
      type: 'httpHeaderAuth',
      name: 'Billing API',
      data: { name: 'X-Api-Key', value: 'not-real' },
      projectId: finance,
    },
    {
      type: 'postgres',
      name: 'Warehouse',
      data: { host: 'db', database: 'dw', user: 'etl', password: 'not-real' },
      projectId: state.personalProjectId,
    },
  ];
  const credentials = credentialSpecs.map((c) => {
    const id = newId();
    state.credentials.set(id, { id, ...c, createdAt: at, updatedAt: at });
    return { id, ...c };
  });

  const tableCount = options.tables ?? 3;
  const rowsTotal = options.rowsTotal ?? 0;
  const tableIds: string[] = [];
  for (let t = 0; t < tableCount; t += 1) {
    const id = newId();
    const columns = (['string', 'number', 'boolean', 'date', 'json'] as const).map((type, index) => ({
      id: newId(),
      name: `${type}_col`,
      type,
      index,
    }));
    const rows: Record<string, unknown>[] = [];
    const count = Math.floor(rowsTotal / tableCount) + (t < rowsTotal % tableCount ? 1 : 0);
    for (let r = 0; r < count; r += 1) {
      rows.push({
        id: r + 1,
        string_col: `row ${r} — ünïcödé`,
        number_col: r * 1.5,
        boolean_col: r % 2 === 0,
        date_col: new Date(Date.UTC(2025, 0, 1) + r * 60_000).toISOString(),
        json_col: { n: r, tags: ['a', 'b'] },
        createdAt: at,
        updatedAt: at,
      });
    }
    state.dataTables.set(id, {
      id,
      name: `table ${t + 1}`,
      projectId: projects[t % projects.length] ?? state.personalProjectId,
      columns,
      rows,
      nextRowId: count + 1,
      createdAt: at,
      updatedAt: at,
    });
    tableIds.push(id);
  }

  const ids = Array.from({ length: options.workflows }, () => newId());
  const active = new Set<string>();
  for (let i = 0; i < options.workflows; i += 1) {
    const id = ids[i] ?? newId();
    const nodes: JsonObject[] = [];
    const trigger = i % 10 === 0 ? 'webhook' : i % 10 === 1 ? 'schedule' : 'manual';
    nodes.push(
      trigger === 'webhook'
        ? node(
            'Webhook',
            'n8n-nodes-base.webhook',
            { httpMethod: 'POST', path: `hook-${i}` },
            { webhookId: newId() },
          )
        : trigger === 'schedule'
          ? node('Every hour', 'n8n-nodes-base.scheduleTrigger', { rule: { interval: [{ field: 'hours' }] } })
          : i % 5 === 4
            ? node('When called', 'n8n-nodes-base.executeWorkflowTrigger', { inputSource: 'passthrough' })
            : node('Start', 'n8n-nodes-base.manualTrigger', {}),
    );
    // Callers point at a later sub-workflow (index + 4 ≡ 4 mod 5), which has an Execute Workflow Trigger.
    const calleeIndex = i + 4 - ((i + 4) % 5) + 4;
    const callee = i % 5 === 0 ? ids[calleeIndex] : undefined;
    if (callee) {
      nodes.push(
        i % 10 === 0
          ? node('Call sub-workflow', 'n8n-nodes-base.executeWorkflow', {
              source: 'database',
              workflowId: callee,
            })
          : node('Call sub-workflow', 'n8n-nodes-base.executeWorkflow', {
              workflowId: { __rl: true, value: callee, mode: 'id' },
            }),
      );
    }
    if (i % 7 === 0 && ids[i + 1]) {
      nodes.push(
        node('Ask tool', '@n8n/n8n-nodes-langchain.toolWorkflow', {
          workflowId: { __rl: true, value: ids[i + 1] ?? '', mode: 'list', cachedResultName: 'tool' },
        }),
      );
    }
    if (i % 3 === 0) {
      const credential = credentials[i % credentials.length]!;
      nodes.push(
        node(
          'Notify',
          'n8n-nodes-base.httpRequest',
          { url: 'https://example.com' },
          { credentials: { [credential.type]: { id: credential.id, name: credential.name } } },
        ),
      );
    }
    if (i % 4 === 0 && tableIds.length > 0) {
      nodes.push(
        node('Lookup', 'n8n-nodes-base.dataTable', {
          operation: 'get',
          dataTableId: { __rl: true, value: tableIds[i % tableIds.length] ?? '', mode: 'id' },
        }),
      );
    }
    if (i === 2)
      nodes.push(
        node('Call ghost', 'n8n-nodes-base.executeWorkflow', {
          workflowId: { __rl: true, value: '${undefined}', mode: 'id' },
        }),
      );
    const settings: JsonObject = { executionOrder: 'v1' };
    if (i % 6 === 0 && ids[i + 3]) settings.errorWorkflow = ids[i + 3] ?? '';
    if (i % 5 === 4) settings.callerIds = ids[i - 4] ?? '';
    const stored: StoredWorkflow = {
      id,
      name: `${NAMES[i % NAMES.length]} #${i}`,
      active: false,
      // Never a sub-workflow (those are ≡ 4 mod 5): n8n cannot have an active caller of an archived callee.
      isArchived: i % 25 === 23,
      nodes,
      connections:
        nodes.length > 1
          ? {
              [String(nodes[0]?.name)]: {
                main: [[{ node: String(nodes[1]?.name), type: 'main', index: 0 }]],
              },
            }
          : {},
      settings,
      staticData: null,
      pinData: i % 8 === 0 ? { [String(nodes[0]?.name)]: [{ json: { sample: i, note: 'pinned ✓' } }] } : null,
      description: i % 4 === 1 ? `Workflow number ${i}, described.` : null,
      tagIds: [tagIds[i % tagIds.length]!, ...(i % 3 === 0 ? [tagIds[0]!] : [])].filter(
        (v, k, a) => a.indexOf(v) === k,
      ),
      projectId: projects[i % projects.length] ?? state.personalProjectId,
      parentFolderId: null,
      versionId: newId(),
      createdAt: at,
      updatedAt: at,
    };
    if (stored.projectId === finance && i % 2 === 0) stored.parentFolderId = folders[i % 2] ?? null;
    state.workflows.set(id, stored);
    if (!stored.isArchived && (trigger === 'webhook' || trigger === 'schedule')) {
      active.add(id);
      if (callee) active.add(callee);
    }
  }
  for (const id of active) {
    const w = state.workflows.get(id);
    if (w && !w.isArchived) w.active = true;
  }

  return {
    workflows: options.workflows,
    tags: tagIds.length,
    variables: state.variables.size,
    credentials: credentials.length,
    dataTables: tableCount,
    dataTableRows: rowsTotal,
    projects: state.projects.size,
    folders: state.folders.size,
    users: state.users.size,
  };
}

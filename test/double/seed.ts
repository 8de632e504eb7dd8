/**
 * A realistic, deterministic n8n instance, built either straight into the double's state
 * (`seedInstance`, fast enough for 10,000 workflows and 200,000 rows) or through the Public API
 * only (`seedViaApi`, for a real n8n). Both realise the same plan (`planInstance`):
 *
 * - users: the owner plus ana@, bo@, chen@ (陳) and one pending invitation (pending@);
 * - with a licence: team projects "Finance" (ana editor) and "Operations 🛠" (bo admin, ana viewer),
 *   folders Finance/Billing/2026/Q1 (three deep), Operations/Alerts, personal/Drafts, and variables
 *   REGION, SLACK_CHANNEL, EMPTY_VALUE (empty) plus INVOICE_PREFIX in Finance;
 * - tags production, billing, ops, "experimental 🧪", and "unused" (on no workflow);
 * - credentials of six types (slackApi, httpHeaderAuth, postgres, openAiApi, httpBasicAuth,
 *   githubApi) with data valid for their schemas;
 * - `tables` data tables (default 3) with every column type n8n 2.41 has (string, number, boolean,
 *   date), unicode and null cells, `rowsTotal` rows in all;
 * - `workflows` workflows. #0 "Error handler ⚠️" (Error Trigger) is every 6th workflow's
 *   settings.errorWorkflow. Workflows ≡ 4 (mod 5) are sub-workflows (Execute Workflow Trigger) with
 *   callerPolicy workflowsFromAList and settings.callerIds naming their callers; workflows ≡ 0
 *   (mod 5) call the next one through an Execute Workflow node, by plain id (source: database),
 *   by resource locator (mode id) or by resource locator (mode list, cachedResultName), in turn.
 *   Every 7th (≡ 3) manual workflow has an AI tool-workflow node (@n8n/n8n-nodes-langchain.toolWorkflow,
 *   workflowId locator); every 3rd uses a credential; every 4th reads a data table through a Data
 *   Table node (dataTableId locator); every 8th has pinned data; every 4th (≡ 1) a description.
 *   Names mix unicode and emoji. Webhook (≡ 0 mod 10) and schedule (≡ 1 mod 10) workflows are
 *   active, with their sub-workflows published first; ≡ 23 (mod 25) are archived. #2 carries a
 *   dangling reference: node "Call ghost" points at "${undefined}" (as n8n can export) and node
 *   "Call missing" at an id no workflow has; it is never active.
 * Without a licence everything lives in the owner's personal project and there are no team
 * projects, folders or variables (what a community instance can hold).
 */
import type { Json, JsonObject } from '../../functions/core/n8n-types.js';
import { createRandom, uuid } from './prng.js';
import type { DataTableColumnType, DoubleState, StoredHistoryVersion, StoredWorkflow } from './state.js';

export interface SeedOptions {
  workflows: number;
  /** Data-table rows in all, spread over the tables. Default 0. */
  rowsTotal?: number;
  /** Number of data tables. Default 3. */
  tables?: number;
  /** Whether to create what needs a licence (team projects, folders, variables). Default true. */
  licensed?: boolean;
  /** Seed of the content generator. Default 1. */
  seed?: number;
  /**
   * Saved versions per workflow (n8n's workflow history), the current one included: the others are
   * earlier edits of its first node's position. Default 1 (the version saved at the create).
   */
  versions?: number;
}

/** What a full backup of the instance finds afterwards (totals, including what was there before). */
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

// ---- the plan

type ProjectKey = 'personal' | 'finance' | 'ops';

interface PlanCredential {
  key: string;
  type: string;
  name: string;
  data: JsonObject;
  project: ProjectKey;
}

interface PlanTable {
  key: number;
  name: string;
  project: ProjectKey;
  columns: { name: string; type: DataTableColumnType }[];
  rows: number;
}

interface PlanFolder {
  key: string;
  name: string;
  project: ProjectKey;
  parent?: string;
}

/** Turns plan references into real ids once they exist; unknown ones resolve to ''. */
export interface Resolver {
  workflow(index: number): string;
  workflowName(index: number): string;
  credential(key: string): { id: string; name: string };
  dataTable(key: number): string;
}

interface PlanWorkflow {
  index: number;
  name: string;
  project: ProjectKey;
  folder?: string;
  description?: string;
  tags: string[];
  active: boolean;
  archived: boolean;
  /** Workflows this one calls through Execute Workflow nodes (published before it). */
  callees: number[];
  build(ids: Resolver): {
    nodes: JsonObject[];
    connections: JsonObject;
    settings: JsonObject;
    pinData: JsonObject | null;
  };
}

export interface InstancePlan {
  users: { email: string; firstName: string; lastName: string; pending: boolean }[];
  projects: {
    key: Exclude<ProjectKey, 'personal'>;
    name: string;
    members: { email: string; role: string }[];
  }[];
  folders: PlanFolder[];
  tags: string[];
  variables: { key: string; value: string; project: ProjectKey | null }[];
  credentials: PlanCredential[];
  tables: PlanTable[];
  workflows: PlanWorkflow[];
}

const NAMES = [
  'Orders sync',
  'Invoices 🧾',
  'Zahlungseingänge',
  'Slack alerts 🚨',
  '顧客同期',
  'CRM → Sheets',
  'Nightly ETL 🌙',
  'Relevé bancaire',
  'Обработка заказов',
  'Webhook → Postgres',
];

const DATE_BASE = Date.UTC(2025, 0, 1);

/** The deterministic row `r` of a table (values already in the form n8n stores and returns). */
export function seededRow(table: number, r: number): Record<string, Json> {
  return {
    name: r % 11 === 0 ? `Zoë ${r} — ünïcödé 🎉` : `customer ${table}-${r}`,
    amount: r % 13 === 0 ? null : Math.round(r * 1.25 * 100) / 100,
    active: r % 2 === 0,
    since: r % 17 === 0 ? null : new Date(DATE_BASE + r * 60_000).toISOString(),
    notes: r % 5 === 0 ? '' : `row ${r}`,
  };
}

export function planInstance(options: SeedOptions): InstancePlan {
  const licensed = options.licensed ?? true;
  const random = createRandom(options.seed ?? 1);
  const place = (project: ProjectKey): ProjectKey => (licensed ? project : 'personal');
  const credentials: PlanCredential[] = [
    {
      key: 'slack',
      type: 'slackApi',
      name: 'Slack bot',
      data: { accessToken: 'xoxb-not-a-real-token' },
      project: place('ops'),
    },
    {
      key: 'billing',
      type: 'httpHeaderAuth',
      name: 'Billing API',
      data: { name: 'X-Api-Key', value: 'not-a-real-secret' },
      project: place('finance'),
    },
    {
      key: 'warehouse',
      type: 'postgres',
      name: 'Warehouse',
      data: { host: 'db.internal', database: 'dw', user: 'etl', password: 'not-a-real-secret', port: 5432 },
      project: 'personal',
    },
    {
      key: 'openai',
      type: 'openAiApi',
      name: 'OpenAI',
      data: { apiKey: 'sk-not-a-real-key' },
      project: 'personal',
    },
    {
      key: 'legacy',
      type: 'httpBasicAuth',
      name: 'Legacy basic auth',
      data: { user: 'legacy', password: 'not-a-real-secret' },
      project: 'personal',
    },
    {
      key: 'github',
      type: 'githubApi',
      name: 'GitHub 🐙',
      data: { accessToken: 'ghp-not-a-real-token' },
      project: 'personal',
    },
  ];
  const credentialNodes: Record<string, { type: string; typeVersion: number; parameters: JsonObject }> = {
    slack: {
      type: 'n8n-nodes-base.slack',
      typeVersion: 2.3,
      parameters: { select: 'channel', text: 'Done ✅' },
    },
    billing: {
      type: 'n8n-nodes-base.httpRequest',
      typeVersion: 4.2,
      parameters: {
        url: 'http://127.0.0.1:9/invoice',
        authentication: 'genericCredentialType',
        genericAuthType: 'httpHeaderAuth',
        options: {},
      },
    },
    warehouse: {
      type: 'n8n-nodes-base.postgres',
      typeVersion: 2.5,
      parameters: { operation: 'executeQuery', query: 'select 1', options: {} },
    },
    openai: { type: '@n8n/n8n-nodes-langchain.openAi', typeVersion: 1.8, parameters: { resource: 'text' } },
    legacy: {
      type: 'n8n-nodes-base.httpRequest',
      typeVersion: 4.2,
      parameters: {
        url: 'http://127.0.0.1:9/legacy',
        authentication: 'genericCredentialType',
        genericAuthType: 'httpBasicAuth',
        options: {},
      },
    },
    github: {
      type: 'n8n-nodes-base.github',
      typeVersion: 1.1,
      parameters: { resource: 'repository', owner: 'n8n-io' },
    },
  };

  const tableCount = Math.max(0, options.tables ?? 3);
  const rowsTotal = Math.max(0, options.rowsTotal ?? 0);
  const tableNames = ['customers', 'orders', 'events', 'invoices', 'audit log'];
  const tableProjects: ProjectKey[] = ['personal', 'finance', 'ops'];
  const tables: PlanTable[] = Array.from({ length: tableCount }, (_, t) => ({
    key: t,
    name: tableNames[t] ?? `table ${t + 1}`,
    project: place(tableProjects[t % tableProjects.length] ?? 'personal'),
    columns: [
      { name: 'name', type: 'string' },
      { name: 'amount', type: 'number' },
      { name: 'active', type: 'boolean' },
      { name: 'since', type: 'date' },
      { name: 'notes', type: 'string' },
    ],
    rows: Math.floor(rowsTotal / tableCount) + (t < rowsTotal % tableCount ? 1 : 0),
  }));

  const folders: PlanFolder[] = licensed
    ? [
        { key: 'billing', name: 'Billing', project: 'finance' },
        { key: '2026', name: '2026', project: 'finance', parent: 'billing' },
        { key: 'q1', name: 'Q1', project: 'finance', parent: '2026' },
        { key: 'alerts', name: 'Alerts', project: 'ops' },
        { key: 'drafts', name: 'Drafts', project: 'personal' },
      ]
    : [];

  const count = Math.max(0, options.workflows);
  const isSub = (i: number) => i % 5 === 4 && i !== 2;
  const calleeOf = (i: number) => (i % 5 === 0 && i + 4 < count ? i + 4 : undefined);
  const trigger = (i: number) =>
    i === 0 ? 'error' : isSub(i) ? 'sub' : i % 10 === 0 ? 'webhook' : i % 10 === 1 ? 'schedule' : 'manual';
  const archived = (i: number) => i % 25 === 23 && !isSub(i) && i !== 0;
  const activeCaller = (i: number) =>
    (trigger(i) === 'webhook' || trigger(i) === 'schedule') && !archived(i) && i !== 2;
  const active = new Set<number>();
  for (let i = 0; i < count; i += 1) {
    if (!activeCaller(i)) continue;
    active.add(i);
    const callee = calleeOf(i);
    if (callee !== undefined) active.add(callee);
  }
  const callersOf = new Map<number, number[]>();
  for (let i = 0; i < count; i += 1) {
    const callee = calleeOf(i);
    if (callee !== undefined) callersOf.set(callee, [...(callersOf.get(callee) ?? []), i]);
  }
  const projectCycle: ProjectKey[] = ['personal', 'finance', 'ops'];
  const tagCycle = ['production', 'billing', 'ops', 'experimental 🧪'];
  const webhookSalt = Math.floor(random() * 1e9).toString(36);

  const workflows: PlanWorkflow[] = [];
  for (let i = 0; i < count; i += 1) {
    const kind = trigger(i);
    const project = place(projectCycle[i % projectCycle.length] ?? 'personal');
    const folder =
      !licensed || i % 2 !== 0
        ? undefined
        : project === 'finance'
          ? (['billing', '2026', 'q1'] as const)[i % 3]
          : project === 'ops'
            ? 'alerts'
            : i % 4 === 0
              ? 'drafts'
              : undefined;
    const nodeIds = Array.from({ length: 8 }, () => uuid(random));
    const webhookId = uuid(random);
    const callee = calleeOf(i);
    const tool =
      kind === 'manual' && i % 7 === 3 && count > 4
        ? Math.min(count - 1, i + ((4 - (i % 5) + 5) % 5))
        : undefined;
    const toolTarget = tool !== undefined && isSub(tool) ? tool : undefined;
    // Published workflows only use the HTTP Request node, which any n8n 2.x can activate.
    const credentialKey =
      i % 3 !== 0 ? undefined : active.has(i) ? 'billing' : credentials[(i / 3) % credentials.length]?.key;
    const tableKey = i % 4 === 0 && tables.length > 0 ? i % tables.length : undefined;
    workflows.push({
      index: i,
      name:
        i === 0
          ? 'Error handler ⚠️'
          : i === 2
            ? 'Dangling references 👻 #2'
            : `${NAMES[i % NAMES.length]} #${i}`,
      project,
      ...(folder ? { folder } : {}),
      ...(i % 4 === 1
        ? { description: `Workflow number ${i}, described — «${NAMES[i % NAMES.length]}».` }
        : {}),
      tags: [
        ...new Set([tagCycle[i % tagCycle.length] ?? 'production', ...(i % 3 === 0 ? ['production'] : [])]),
      ],
      active: active.has(i),
      archived: archived(i),
      callees: callee === undefined ? [] : [callee],
      build(ids) {
        const nodes: JsonObject[] = [];
        let x = 0;
        const add = (
          name: string,
          type: string,
          typeVersion: number,
          parameters: JsonObject,
          extra: JsonObject = {},
        ) => {
          nodes.push({
            id: nodeIds[nodes.length] ?? '',
            name,
            type,
            typeVersion,
            position: [x, 300],
            parameters,
            ...extra,
          });
          x += 220;
        };
        switch (kind) {
          case 'error':
            add('Error Trigger', 'n8n-nodes-base.errorTrigger', 1, {});
            break;
          case 'sub':
            add('When called', 'n8n-nodes-base.executeWorkflowTrigger', 1.1, { inputSource: 'passthrough' });
            break;
          case 'webhook':
            add(
              'Webhook',
              'n8n-nodes-base.webhook',
              2,
              {
                httpMethod: 'POST',
                path: `ark-seed-${webhookSalt}-${i}`,
                responseMode: 'onReceived',
                options: {},
              },
              { webhookId },
            );
            break;
          case 'schedule':
            add('Every hour', 'n8n-nodes-base.scheduleTrigger', 1.2, {
              rule: { interval: [{ field: 'hours', hoursInterval: 1 + (i % 5) }] },
            });
            break;
          default:
            add('Start', 'n8n-nodes-base.manualTrigger', 1, {});
        }
        if (callee !== undefined) {
          const style = (i / 5) % 3;
          const workflowId: Json =
            style === 0
              ? ids.workflow(callee)
              : style === 1
                ? { __rl: true, value: ids.workflow(callee), mode: 'id' }
                : {
                    __rl: true,
                    value: ids.workflow(callee),
                    mode: 'list',
                    cachedResultName: ids.workflowName(callee),
                    cachedResultUrl: `/workflow/${ids.workflow(callee)}`,
                  };
          add('Call sub-workflow', 'n8n-nodes-base.executeWorkflow', 1.2, {
            ...(style === 0 ? { source: 'database' } : {}),
            workflowId,
            options: {},
          });
        }
        if (i === 2) {
          add('Call ghost', 'n8n-nodes-base.executeWorkflow', 1.2, {
            workflowId: { __rl: true, value: '${undefined}', mode: 'id' },
            options: {},
          });
          add('Call missing', 'n8n-nodes-base.executeWorkflow', 1, {
            source: 'database',
            workflowId: 'NoSuchWorkflow01',
          });
        }
        if (toolTarget !== undefined) {
          add('Ask the tool 🤖', '@n8n/n8n-nodes-langchain.toolWorkflow', 2.2, {
            description: 'Looks things up',
            workflowId: {
              __rl: true,
              value: ids.workflow(toolTarget),
              mode: 'list',
              cachedResultName: ids.workflowName(toolTarget),
            },
          });
        }
        if (credentialKey !== undefined) {
          const spec = credentialNodes[credentialKey];
          const credential = credentials.find((c) => c.key === credentialKey);
          if (spec && credential)
            add('Use credential', spec.type, spec.typeVersion, spec.parameters, {
              credentials: { [credential.type]: ids.credential(credential.key) },
            });
        }
        if (tableKey !== undefined) {
          add('Look up row', 'n8n-nodes-base.dataTable', 1, {
            operation: 'get',
            dataTableId: {
              __rl: true,
              value: ids.dataTable(tableKey),
              mode: 'list',
              cachedResultName: tables[tableKey]?.name ?? '',
            },
          });
        }
        const connections: JsonObject = {};
        for (let n = 0; n + 1 < nodes.length; n += 1) {
          const from = nodes[n];
          const to = nodes[n + 1];
          // AI tool nodes connect as tools, not through main; keep the main chain simple.
          if (
            !from ||
            !to ||
            String(to.type).includes('toolWorkflow') ||
            String(from.type).includes('toolWorkflow')
          )
            continue;
          connections[String(from.name)] = { main: [[{ node: String(to.name), type: 'main', index: 0 }]] };
        }
        const settings: JsonObject = { executionOrder: 'v1' };
        if (i % 6 === 0 && i !== 0 && count > 0) settings.errorWorkflow = ids.workflow(0);
        if (kind === 'sub') {
          settings.callerPolicy = 'workflowsFromAList';
          settings.callerIds = (callersOf.get(i) ?? [])
            .map((caller) => ids.workflow(caller))
            .filter(Boolean)
            .join(',');
        }
        if (i % 9 === 5) settings.timezone = 'Europe/Berlin';
        const first = nodes[0];
        const pinData: JsonObject | null =
          i % 8 === 0 && first
            ? { [String(first.name)]: [{ json: { sample: i, note: 'pinned ✓', nested: { ok: true } } }] }
            : null;
        return { nodes, connections, settings, pinData };
      },
    });
  }

  return {
    users: [
      { email: 'ana@example.com', firstName: 'Ana', lastName: 'Álvarez', pending: false },
      { email: 'bo@example.com', firstName: 'Bo', lastName: 'Berg', pending: false },
      { email: 'chen@example.com', firstName: '陳', lastName: 'Chen', pending: false },
      { email: 'pending@example.com', firstName: '', lastName: '', pending: true },
    ],
    projects: licensed
      ? [
          {
            key: 'finance',
            name: 'Finance',
            members: [{ email: 'ana@example.com', role: 'project:editor' }],
          },
          {
            key: 'ops',
            name: 'Operations 🛠',
            members: [
              { email: 'bo@example.com', role: 'project:admin' },
              { email: 'ana@example.com', role: 'project:viewer' },
            ],
          },
        ]
      : [],
    folders,
    tags: ['production', 'billing', 'ops', 'experimental 🧪', 'unused'],
    variables: licensed
      ? [
          { key: 'REGION', value: 'eu-central-1', project: null },
          { key: 'SLACK_CHANNEL', value: '#alerts 🚨', project: null },
          { key: 'EMPTY_VALUE', value: '', project: null },
          { key: 'INVOICE_PREFIX', value: 'INV-', project: 'finance' },
        ]
      : [],
    credentials,
    tables,
    workflows,
  };
}

/** Callees before callers, so every publish finds its sub-workflows already published. */
export function publishOrder(plan: InstancePlan): number[] {
  const order: number[] = [];
  const done = new Set<number>();
  const visit = (index: number) => {
    if (done.has(index)) return;
    done.add(index);
    for (const callee of plan.workflows[index]?.callees ?? []) visit(callee);
    if (plan.workflows[index]?.active) order.push(index);
  };
  for (const workflow of plan.workflows) visit(workflow.index);
  return order;
}

// ---- straight into the double's state

/** `count` versions saved before `current`, oldest first, each its first node a step further along. */
function earlierVersions(
  state: DoubleState,
  current: StoredHistoryVersion,
  count: number,
  index: number,
): void {
  const random = createRandom(index + 7);
  const earlier = Array.from({ length: count }, (_, k): StoredHistoryVersion => {
    const at = new Date(Date.parse(current.createdAt) - (count - k) * 60_000).toISOString();
    const [first, ...rest] = current.nodes;
    const moved = first ? [{ ...first, position: [k * 20, 0] }, ...rest] : [];
    return { ...current, versionId: uuid(random), nodes: moved, createdAt: at, updatedAt: at };
  });
  state.history.set(current.workflowId, [...earlier, ...(state.history.get(current.workflowId) ?? [])]);
}

export function seedInstance(state: DoubleState, options: SeedOptions): SeedCounts {
  const plan = planInstance(options);
  const projectIds: Record<ProjectKey, string> = {
    personal: state.personalProjectId,
    finance: state.personalProjectId,
    ops: state.personalProjectId,
  };
  const userIds = new Map<string, string>([[state.owner.email, state.owner.id]]);
  for (const user of plan.users) {
    const created = state.createUser({
      email: user.email,
      firstName: user.firstName || null,
      lastName: user.lastName || null,
      isPending: user.pending,
    });
    userIds.set(user.email, created.id);
  }
  for (const project of plan.projects) {
    const created = state.createTeamProject(project.name);
    projectIds[project.key] = created.id;
    for (const member of project.members) {
      const userId = userIds.get(member.email);
      if (userId) state.setProjectMember(created.id, userId, member.role);
    }
  }
  const folderIds = new Map<string, string>();
  for (const folder of plan.folders) {
    const created = state.createFolder({
      name: folder.name,
      projectId: projectIds[folder.project],
      parentFolderId: folder.parent ? (folderIds.get(folder.parent) ?? null) : null,
    });
    folderIds.set(folder.key, created.id);
  }
  const tagIds = new Map(
    plan.tags.map((name) => [name, (state.tagByName(name) ?? state.createTag(name)).id]),
  );
  for (const variable of plan.variables)
    state.createVariable({
      key: variable.key,
      value: variable.value,
      projectId: variable.project ? projectIds[variable.project] : null,
    });
  const credentialRefs = new Map<string, { id: string; name: string }>();
  for (const credential of plan.credentials) {
    const created = state.createCredential({
      name: credential.name,
      type: credential.type,
      data: credential.data,
      projectId: projectIds[credential.project],
    });
    credentialRefs.set(credential.key, { id: created.id, name: created.name });
  }
  const tableIds = new Map<number, string>();
  for (const table of plan.tables) {
    const created = state.createDataTable({
      name: table.name,
      projectId: projectIds[table.project],
      columns: table.columns,
    });
    tableIds.set(table.key, created.id);
    // Insert in chunks so a 200,000-row table never needs one giant array of inputs.
    for (let start = 0; start < table.rows; start += 5000) {
      const end = Math.min(table.rows, start + 5000);
      const batch: Record<string, Json>[] = [];
      for (let r = start; r < end; r += 1) batch.push(seededRow(table.key, r));
      state.insertRows(created, batch);
    }
  }

  // Ids first (references point forwards and backwards), then the bodies.
  const created: StoredWorkflow[] = plan.workflows.map((workflow) =>
    state.createWorkflow(
      {
        name: workflow.name,
        nodes: [],
        connections: {},
        settings: {},
        ...(workflow.description ? { description: workflow.description } : {}),
      },
      {
        projectId: projectIds[workflow.project],
        parentFolderId: workflow.folder ? (folderIds.get(workflow.folder) ?? null) : null,
      },
    ),
  );
  const resolver: Resolver = {
    workflow: (index) => created[index]?.id ?? '',
    workflowName: (index) => created[index]?.name ?? '',
    credential: (key) => credentialRefs.get(key) ?? { id: '', name: '' },
    dataTable: (key) => tableIds.get(key) ?? '',
  };
  plan.workflows.forEach((workflow, index) => {
    const stored = created[index];
    if (!stored) return;
    const body = workflow.build(resolver);
    stored.nodes = body.nodes;
    stored.connections = body.connections;
    stored.settings = body.settings;
    stored.pinData = body.pinData;
    // As if created with its body: the version n8n saved at the create holds the same graph (the
    // listing's graph is its current version's; docs/REAL-N8N-FINDINGS.md, workflow history).
    const saved = state.history.get(stored.id)?.find((v) => v.versionId === stored.versionId);
    if (saved) Object.assign(saved, { nodes: stored.nodes, connections: stored.connections });
    if (saved && (options.versions ?? 1) > 1)
      earlierVersions(state, saved, (options.versions ?? 1) - 1, index);
    state.setWorkflowTags(
      stored,
      workflow.tags.flatMap((name) => {
        const id = tagIds.get(name);
        return id ? [id] : [];
      }),
    );
  });
  for (const index of publishOrder(plan)) {
    const stored = created[index];
    if (stored) state.publishWorkflow(stored);
  }
  plan.workflows.forEach((workflow, index) => {
    const stored = created[index];
    if (stored && workflow.archived) state.archiveWorkflow(stored);
  });

  let rows = 0;
  for (const table of state.dataTables.values()) rows += table.rows.length;
  return {
    workflows: state.workflows.size,
    tags: state.tags.size,
    variables: state.variables.size,
    credentials: state.credentials.size,
    dataTables: state.dataTables.size,
    dataTableRows: rows,
    projects: state.projects.size,
    folders: state.folders.size,
    users: state.users.size,
  };
}

export { type ApiSeedResult, seedViaApi } from './seed-api.js';

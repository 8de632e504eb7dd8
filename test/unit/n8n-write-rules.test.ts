import { describe, expect, it } from 'vitest';
import { N8nApiError } from '../../functions/core/errors.js';
import {
  WRITABLE_NODE_KEYS,
  WRITABLE_SETTINGS_KEYS,
} from '../../functions/core/kinds/workflows/write-body.js';
import type { WorkflowNode, WorkflowWrite } from '../../functions/core/n8n-types.js';
import { MemoryN8n } from './fakes/memory-n8n.js';
import { N8N_IGNORED_SETTINGS_KEYS, N8N_NODE_KEYS, N8N_SETTINGS_KEYS } from './fakes/n8n-write-rules.js';

/** A node carrying every key the spec's `node` schema lets a client send, each with a value of its type. */
const NODE_WITH_EVERY_KEY: WorkflowNode = {
  id: '0f5532f9-36ba-4bef-86c7-30d607400b15',
  name: 'Jira',
  webhookId: 'b7d1c0de-0000-4000-8000-000000000001',
  disabled: false,
  notesInFlow: true,
  notes: 'files the ticket',
  type: 'n8n-nodes-base.jira',
  typeVersion: 1,
  executeOnce: false,
  alwaysOutputData: false,
  retryOnFail: true,
  maxTries: 3,
  waitBetweenTries: 1000,
  continueOnFail: false,
  onError: 'stopWorkflow',
  position: [-100, 80],
  parameters: { project: 'OPS' },
  credentials: { jiraSoftwareCloudApi: { id: '35', name: 'jiraApi' } },
  customTelemetryTags: { tag: [{ key: 'team', value: 'billing' }] },
};

/** Settings carrying every `workflowSettings` key of the spec, each with a value it allows. */
const SETTINGS_WITH_EVERY_KEY = {
  saveExecutionProgress: true,
  saveManualExecutions: false,
  saveDataErrorExecution: 'all',
  saveDataSuccessExecution: 'none',
  executionTimeout: 3600,
  errorWorkflow: 'VzqKEW0ShTXA5vPj',
  timezone: 'America/New_York',
  executionOrder: 'v1',
  binaryMode: 'separate',
  callerPolicy: 'workflowsFromAList',
  callerIds: '14, 18, 23',
  timeSavedMode: 'fixed',
  timeSavedPerExecution: 5,
  redactionPolicy: 'non-manual',
  availableInMCP: false,
  customTelemetryTags: [{ key: 'team', value: 'billing' }],
  credentialResolverId: 'resolver-1',
};

function body(overrides: Partial<WorkflowWrite> & Record<string, unknown> = {}): WorkflowWrite {
  return { name: 'Invoices', nodes: [], connections: {}, settings: {}, ...overrides };
}

/** Sends a body by POST (create) or PUT (update of an existing workflow); resolves to the stored workflow. */
async function send(n8n: MemoryN8n, method: 'POST' | 'PUT', write: WorkflowWrite) {
  if (method === 'POST') return n8n.createWorkflow(write);
  const existing = n8n.seedWorkflow({ name: 'Invoices' });
  return n8n.updateWorkflow(existing.id, write);
}

async function refusal(promise: Promise<unknown>): Promise<N8nApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof N8nApiError)) throw new Error(`expected an N8nApiError, got ${String(error)}`);
  return error;
}

describe('the in-memory n8n refuses workflow bodies as n8n 2.41 does', () => {
  it.each(['POST', 'PUT'] as const)(
    '%s: refuses a node key outside the spec node schema and writes nothing',
    async (method) => {
      const n8n = new MemoryN8n();
      const node = { ...NODE_WITH_EVERY_KEY, extendsCredential: 'jiraApi' };

      const error = await refusal(send(n8n, method, body({ nodes: [node] })));

      expect(error.status).toBe(400);
      expect(error.message).toBe("request/body/nodes/0 Unrecognized key(s) in object: 'extendsCredential'");
      expect(n8n.writes).toEqual([]);
    },
  );

  it.each(['POST', 'PUT'] as const)(
    '%s: refuses a settings key outside workflowSettings and writes nothing',
    async (method) => {
      const n8n = new MemoryN8n();
      const settings = { ...SETTINGS_WITH_EVERY_KEY, engineType: 'legacy' };

      const error = await refusal(send(n8n, method, body({ settings })));

      expect(error.status).toBe(400);
      expect(error.message).toBe("request/body/settings Unrecognized key(s) in object: 'engineType'");
      expect(n8n.writes).toEqual([]);
    },
  );

  it.each(['POST', 'PUT'] as const)('%s: refuses a node createdAt as read-only', async (method) => {
    const n8n = new MemoryN8n();
    const node = { ...NODE_WITH_EVERY_KEY, createdAt: '2026-01-01T00:00:00.000Z' };

    const error = await refusal(send(n8n, method, body({ nodes: [node] })));

    expect(error.message).toBe('request/body/nodes/0/createdAt is read-only');
  });

  it.each([
    ['POST', { active: false }, 'request/body/active is read-only'],
    ['PUT', { tags: [] }, 'request/body/tags is read-only'],
    ['POST', { description: 'Nightly' }, "request/body Unrecognized key(s) in object: 'description'"],
    ['PUT', { projectId: 'p1' }, "request/body Unrecognized key(s) in object: 'projectId'"],
  ] as const)('%s: refuses top-level %o', async (method, field, message) => {
    const n8n = new MemoryN8n();

    const error = await refusal(send(n8n, method, body(field)));

    expect(error.message).toBe(message);
  });

  it.each(['POST', 'PUT'] as const)(
    '%s: accepts every node and settings key the spec lists, storing all but the ignored settings',
    async (method) => {
      const n8n = new MemoryN8n();
      const write = body({ nodes: [NODE_WITH_EVERY_KEY], settings: SETTINGS_WITH_EVERY_KEY });

      const stored = await send(n8n, method, write);

      expect(Object.keys(NODE_WITH_EVERY_KEY).sort()).toEqual([...N8N_NODE_KEYS].sort());
      expect(Object.keys(SETTINGS_WITH_EVERY_KEY).sort()).toEqual([...N8N_SETTINGS_KEYS].sort());
      expect(stored.nodes).toEqual([NODE_WITH_EVERY_KEY]);
      const { binaryMode: _b, credentialResolverId: _c, ...kept } = SETTINGS_WITH_EVERY_KEY;
      expect(stored.settings).toEqual(kept);
    },
  );

  it('takes a description on update', async () => {
    const n8n = new MemoryN8n();

    const stored = await send(n8n, 'PUT', body({ description: 'Nightly invoice run' }));

    expect(stored.description).toBe('Nightly invoice run');
  });
});

describe("production's write lists agree with n8n 2.41's spec", () => {
  it('WRITABLE_NODE_KEYS are exactly the node keys the spec lets a client send', () => {
    const production = [...WRITABLE_NODE_KEYS].sort();

    const spec = [...N8N_NODE_KEYS].sort();

    expect(production).toEqual(spec);
  });

  it('WRITABLE_SETTINGS_KEYS are the workflowSettings keys but those n8n ignores', () => {
    const production = [...WRITABLE_SETTINGS_KEYS].sort();

    const spec = N8N_SETTINGS_KEYS.filter((key) => !N8N_IGNORED_SETTINGS_KEYS.includes(key)).sort();

    expect(production).toEqual(spec);
  });
});

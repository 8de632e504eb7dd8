/**
 * The n8n contract suite against the API double, licensed and as a community edition. The same
 * suite runs against real n8n in the e2e tests; passing both is what makes the double trustworthy.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { describeN8nContract } from '../contract/n8n-contract.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';

const RESTRICTED_KEY = 'contract-restricted-key';

/** The editor's draft save (internal REST, which the double does not serve): new nodes, never published. */
function saveDraft(double: () => N8nDouble) {
  return async (workflowId: string, nodes: unknown[]): Promise<void> => {
    const { state } = double();
    const workflow = state.workflows.get(workflowId);
    if (!workflow) throw new Error(`no workflow ${workflowId} to save a draft of`);
    const { name, connections, settings } = workflow;
    state.updateWorkflow(
      workflow,
      { name, nodes: nodes as typeof workflow.nodes, connections, settings },
      {
        republish: false,
      },
    );
  };
}
let licensed: N8nDouble;
let community: N8nDouble;

beforeAll(async () => {
  licensed = await startN8nDouble({ licensed: 'all' });
  community = await startN8nDouble();
  for (const double of [licensed, community]) double.addApiKey(RESTRICTED_KEY, ['workflow:list']);
  // n8n registers a webhook a moment after it answers the publish (measured: 0.1–0.3 s).
  licensed.state.webhooks.lagMs = 200;
});

afterAll(async () => {
  // The suite cleans up after itself: both instances are back to what they started with.
  for (const double of [licensed, community]) {
    const { state } = double;
    expect([
      state.workflows.size,
      state.tags.size,
      state.credentials.size,
      state.dataTables.size,
      state.variables.size,
      state.folders.size,
    ]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...state.projects.values()].map((p) => p.type)).toEqual(['personal']);
  }
  await Promise.all([licensed.close(), community.close()]);
});

describeN8nContract(
  'API double, licensed',
  () => ({
    baseUrl: licensed.url,
    apiKey: licensed.apiKey,
    licensed: true,
    restrictedApiKey: RESTRICTED_KEY,
    saveDraft: saveDraft(() => licensed),
  }),
  { withRestrictedKey: true },
);

describeN8nContract(
  'API double, community edition',
  () => ({
    baseUrl: community.url,
    apiKey: community.apiKey,
    licensed: false,
    restrictedApiKey: RESTRICTED_KEY,
  }),
  { withRestrictedKey: true },
);

/**
 * The same contract suite the API double passes (test/integration/contract-double.test.ts), against
 * a real n8n 2.41.1 community edition, on SQLite and on PostgreSQL (vitest.e2e.config.ts runs this
 * file once per database): where the double and real n8n disagree, the double is wrong.
 */
import { afterAll, beforeAll } from 'vitest';
import { describeN8nContract } from '../contract/n8n-contract.js';
import { e2eDatabase, type RealN8n, startN8n } from './harness/n8n-instance.js';

let n8n: RealN8n;
let restrictedApiKey: string;

beforeAll(async () => {
  n8n = await startN8n('contract');
  restrictedApiKey = await n8n.createApiKey(['workflow:list'], 'contract: workflow:list only');
}, 180_000);

afterAll(async () => {
  await n8n?.stop();
});

describeN8nContract(
  `real n8n 2.41.1, community edition, on ${e2eDatabase()}`,
  () => ({
    baseUrl: n8n.url,
    apiKey: n8n.apiKey,
    licensed: false,
    restrictedApiKey,
    saveDraft: (workflowId, nodes) => n8n.saveDraft(workflowId, nodes),
  }),
  { withRestrictedKey: true },
);

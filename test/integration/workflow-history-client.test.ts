/**
 * The HTTP client's history reads over real HTTP, against the API double (whose history routes the
 * contract suite holds to real n8n): the newest N versions across pages, and a version's graph.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { NotFoundError } from '../../functions/core/errors.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';

let double: N8nDouble | undefined;
afterEach(async () => {
  await double?.close();
});

const trigger = (x: number) => ({
  name: 'Start',
  type: 'n8n-nodes-base.manualTrigger',
  typeVersion: 1,
  position: [x, 0] as [number, number],
  parameters: {},
});

describe('N8nHttpClient workflow history', () => {
  it('reads the newest N versions, newest first, following the cursor past one page, and each graph', async () => {
    // Prepare
    double = await startN8nDouble();
    const client = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey, retries: 0 });
    const created = await client.createWorkflow({
      name: 'Orders',
      nodes: [trigger(0)],
      connections: {},
      settings: {},
    });
    const versionIds = [created.versionId];
    for (let x = 1; x <= 259; x += 1) {
      const updated = await client.updateWorkflow(created.id, {
        name: 'Orders',
        nodes: [trigger(x)],
        connections: {},
        settings: {},
      });
      versionIds.push(updated.versionId);
    }

    // Act
    const three = await client.latestWorkflowVersions(created.id, 3);
    const all = await client.latestWorkflowVersions(created.id, 1000);
    const oldest = await client.getWorkflowVersion(created.id, String(created.versionId));
    const missing = client.latestWorkflowVersions('NoSuchWorkflow00', 3);

    // Assess
    expect(three.map((v) => v.versionId)).toEqual(versionIds.slice(-3).reverse());
    expect(all.map((v) => v.versionId)).toEqual([...versionIds].reverse());
    expect(oldest).toMatchObject({ versionId: created.versionId, nodes: [{ position: [0, 0] }] });
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
  });
});

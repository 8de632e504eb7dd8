/**
 * The HTTP client learns n8n's version over real HTTP from the API double, whose package export
 * agrees with real n8n 2.41.1 (the contract suite checks both).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';

let double: N8nDouble | undefined;

afterEach(async () => {
  await double?.close();
  double = undefined;
});

async function withWorkflow(): Promise<N8nDouble> {
  const started = await startN8nDouble();
  started.state.createWorkflow({ name: 'Orders', nodes: [], connections: {}, settings: {} }, {});
  return started;
}

describe('N8nHttpClient.n8nVersion', () => {
  it('reads the version from the manifest of a package export of one workflow', async () => {
    double = await withWorkflow();
    double.state.n8nVersion = '2.43.0';
    const client = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey });

    expect(await client.n8nVersion()).toEqual({ version: '2.43.0' });
    expect(double.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /workflows',
      'POST /n8n-packages/export',
    ]);
  });

  it('answers null with the reason on an instance without workflows, writing nothing', async () => {
    double = await startN8nDouble();
    const client = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey });

    expect(await client.n8nVersion()).toEqual({
      version: null,
      reason: expect.stringContaining('the instance has no workflow'),
    });
  });

  it('answers null with the reason for a key without workflow:export', async () => {
    double = await withWorkflow();
    double.addApiKey('list-only', ['workflow:list']);
    const client = createN8nClient({ baseUrl: double.url, apiKey: 'list-only' });

    expect(await client.n8nVersion()).toEqual({
      version: null,
      reason: expect.stringContaining('lacks the workflow:export scope'),
    });
  });
});

import { describe, expect, it } from 'vitest';
import { credentialsWithFlags } from '../../functions/core/instance/credential-flags.js';
import { memoryN8nHolding } from './fakes/n8n-contents.js';

const credentials = [
  { id: 'c1', name: 'Shared Slack', type: 'slackApi', isGlobal: true },
  { id: 'c2', name: 'Free AI credits', type: 'openAiApi', isManaged: true },
  { id: 'c3', name: 'Header', type: 'httpHeaderAuth' },
];

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('credential flags (GET /credentials/{id})', () => {
  it('adds isGlobal and isManaged, which the list leaves out, in list order', async () => {
    // The list answers no flags; only the GET of one credential has them.
    const api = memoryN8nHolding({ credentials });
    const listed = api.listCredentials.bind(api);
    api.listCredentials = async function* () {
      for await (const { isGlobal: _g, isManaged: _m, ...item } of listed()) yield item;
    };
    const warnings: { code: string; message: string }[] = [];

    const read = await all(credentialsWithFlags(api, 2, warnings));

    expect(read.map((c) => [c.id, c.isGlobal, c.isManaged])).toEqual([
      ['c1', true, false],
      ['c2', false, true],
      ['c3', false, false],
    ]);
    expect(warnings).toEqual([]);
  });

  it('keeps the listed credentials and warns once when the key lacks credential:read', async () => {
    const api = memoryN8nHolding({ credentials, missingScopes: ['credential:read'] });
    const warnings: { code: string; message: string }[] = [];

    const read = await all(credentialsWithFlags(api, 1, warnings));

    expect(read.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(warnings).toEqual([
      { code: 'credential-flags-unknown', message: expect.stringContaining('lacks credential:read') },
    ]);
  });
});

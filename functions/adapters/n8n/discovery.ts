/** What the API key may do, where the instance tells (GET /discover, n8n 2.x). */
import { ConnectionError, NotFoundError } from '../../core/errors.js';
import type { N8nCapabilities } from '../../core/ports.js';
import type { N8nTransport } from './transport.js';

export class HttpDiscovery implements N8nCapabilities {
  constructor(private readonly http: N8nTransport) {}

  async discoverScopes(): Promise<string[] | undefined> {
    try {
      const answer = await this.http.json<{ data?: { scopes?: unknown } }>('GET', '/discover', {
        route: '/discover',
      });
      const scopes = answer?.data?.scopes;
      return Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : undefined;
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ConnectionError) return undefined;
      throw error;
    }
  }
}

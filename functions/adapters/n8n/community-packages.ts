/** Community packages over n8n's Public API (`/community-packages`). */
import type { CommunityPackage } from '../../core/n8n-types.js';
import type { N8nCommunityPackagesApi } from '../../core/ports.js';
import type { N8nTransport } from './transport.js';

export class HttpCommunityPackages implements N8nCommunityPackagesApi {
  constructor(private readonly http: N8nTransport) {}

  listCommunityPackages(): Promise<CommunityPackage[]> {
    return this.http.json('GET', '/community-packages', { route: '/community-packages' });
  }

  installCommunityPackage(
    name: string,
    version: string,
    options: { verify: boolean },
  ): Promise<CommunityPackage> {
    return this.http.json('POST', '/community-packages', {
      route: '/community-packages',
      body: { name, version, verify: options.verify },
    });
  }
}

/** Credentials over n8n's Public API (`/credentials`): metadata read, secrets only ever written. */
import type { CredentialMeta, CredentialWrite, JsonObject } from '../../core/n8n-types.js';
import type { N8nCredentialsApi, N8nScratchDeletes, PagedListing } from '../../core/ports.js';
import { enc, type N8nTransport } from './transport.js';

export class HttpCredentials implements N8nCredentialsApi, Pick<N8nScratchDeletes, 'deleteCredential'> {
  constructor(private readonly http: N8nTransport) {}

  listCredentials(): PagedListing<CredentialMeta> {
    return this.http.list<CredentialMeta>('/credentials', '/credentials');
  }

  getCredential(id: string): Promise<CredentialMeta> {
    return this.http.json('GET', `/credentials/${enc(id)}`, { route: '/credentials/{credentialId}' });
  }

  createCredential(body: CredentialWrite): Promise<CredentialMeta> {
    return this.http.json('POST', '/credentials', { route: '/credentials', body });
  }

  getCredentialSchema(type: string): Promise<JsonObject> {
    return this.http.json('GET', `/credentials/schema/${enc(type)}`, {
      route: '/credentials/schema/{credentialTypeName}',
    });
  }

  async transferCredential(id: string, destinationProjectId: string): Promise<void> {
    await this.http.json('PUT', `/credentials/${enc(id)}/transfer`, {
      route: '/credentials/{credentialId}/transfer',
      body: { destinationProjectId },
    });
  }

  async makeCredentialGlobal(id: string): Promise<void> {
    // Setting what is already set is a no-op on n8n's side, so sending it twice is harmless.
    await this.http.json('PATCH', `/credentials/${enc(id)}`, {
      route: '/credentials/{credentialId}',
      body: { isGlobal: true },
      idempotent: true,
    });
  }

  async updateCredentialData(id: string, data: JsonObject): Promise<void> {
    // The whole data object replaces the old one (isPartialData false), so sending it twice is harmless.
    await this.http.json('PATCH', `/credentials/${enc(id)}`, {
      route: '/credentials/{credentialId}',
      body: { data, isPartialData: false },
      idempotent: true,
    });
  }

  /** Only a drill's --wipe-scratch sends it (N8nScratchDeletes). */
  async deleteCredential(id: string): Promise<void> {
    await this.http.json('DELETE', `/credentials/${enc(id)}`, { route: '/credentials/{credentialId}' });
  }
}

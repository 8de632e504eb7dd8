import type { CredentialMeta } from '../../n8n-types.js';

/** The natural key across instances: `<type> / <name>` (a restore keeps ids, so it matches by id first). */
export function credentialKey(credential: Pick<CredentialMeta, 'type' | 'name'>): string {
  return `${credential.type} / ${credential.name}`;
}

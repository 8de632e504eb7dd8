/**
 * Whether a credential is global (every user may use it) or managed by n8n: the credential list does
 * not say, only GET /credentials/{id} does (scope credential:read). A key without that scope backs up
 * the credentials without the flags, and the archive says so once.
 */

import { mapOrdered } from '../async-iterables.js';
import { MissingScopeError, NotFoundError } from '../errors.js';
import type { CredentialMeta } from '../n8n-types.js';
import type { N8nCredentialsApi } from '../ports.js';

export const CREDENTIAL_FLAGS_UNKNOWN = 'credential-flags-unknown';

/** The credentials with their flags read one by one (`concurrency` at a time); a warning when they cannot be. */
export function credentialsWithFlags(
  api: Pick<N8nCredentialsApi, 'listCredentials' | 'getCredential'>,
  concurrency: number,
  warnings: { code: string; message: string }[],
): AsyncIterable<CredentialMeta> {
  let readable = true;
  return mapOrdered(api.listCredentials(), concurrency, async (credential) => {
    if (!readable) return credential;
    try {
      const { isGlobal, isManaged } = await api.getCredential(credential.id);
      return {
        ...credential,
        ...(typeof isGlobal === 'boolean' ? { isGlobal } : {}),
        ...(typeof isManaged === 'boolean' ? { isManaged } : {}),
      };
    } catch (error) {
      // Deleted since it was listed: the backup's closing check decides what that means.
      if (error instanceof NotFoundError) return credential;
      if (!(error instanceof MissingScopeError)) throw error;
      if (readable)
        warnings.push({
          code: CREDENTIAL_FLAGS_UNKNOWN,
          message:
            'whether credentials are global or managed by n8n is not recorded: only GET /credentials/{id} tells it, and the key lacks credential:read',
        });
      readable = false;
      return credential;
    }
  });
}

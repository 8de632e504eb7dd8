/**
 * Credentials: metadata only (never secrets). The restore keeps their ids and matches by id; across
 * instances where ids differ (the diff) a credential is its type and name.
 */

import { z } from 'zod';
import type { N8nCredentialsApi } from '../../ports.js';
import type { Kind } from '../kind.js';
import { id, text } from '../kind.js';
import { createCredentials, transferCredentials } from './apply.js';
import { makeCreatedGlobal } from './global.js';
import { planCredentials } from './plan.js';
import { fillStubSecrets } from './secrets.js';

export { credentialKey } from './key.js';

export const credentialsKind = {
  resource: 'credentials',
  restored: true,
  records: {
    credentials: z.looseObject({
      id,
      name: text,
      type: text,
      shared: z.array(z.looseObject({ id, role: text })).optional(),
    }),
  },
  list: (api: N8nCredentialsApi) => api.listCredentials(),
  restoreScopes: ['credential:list', 'credential:create'],
  plan: planCredentials,
  steps: [
    {
      name: 'credentials',
      run: async (ctx, resumed) => {
        await createCredentials(ctx, resumed);
        await makeCreatedGlobal(ctx);
        await fillStubSecrets(ctx);
      },
    },
    { name: 'transfers', last: true, run: (ctx) => transferCredentials(ctx) },
  ],
} as const satisfies Kind<'credentials', 'credentials' | 'transfers'>;

/**
 * Users: backed up and compared, never written. n8n creates users only by invitation (an e-mail the
 * person must accept), so a restore names members without an account instead of creating them.
 */

import { z } from 'zod';
import type { User } from '../n8n-types.js';
import type { N8nUsersApi } from '../ports.js';
import type { Kind } from './kind.js';
import { id, text } from './kind.js';

declare module './shared/state.js' {
  interface SourceRecords {
    users: User[];
  }
  interface TargetRecords {
    users: User[] | undefined;
  }
}

/** A user is the same person across instances by e-mail, whatever the case. */
export function userKey(user: User): string {
  return user.email.toLowerCase();
}

export const usersKind = {
  resource: 'users',
  restored: false,
  entries: {
    users: {
      name: 'users.ndjson',
      record: z.looseObject({ id, email: text }),
      // n8n keeps e-mail addresses unique; a restore knows a user (a project member) by it.
      naturalKey: (user: User) => ({ key: userKey(user), what: `user e-mail ${JSON.stringify(user.email)}` }),
    },
  },
  list: (api: N8nUsersApi) => api.listUsers(),
  restoreScopes: ['user:list'],
  diff: {
    index: (users: readonly User[]) =>
      users.map((user) => ({
        key: userKey(user),
        id: user.id,
        canonical: {
          email: user.email.toLowerCase(),
          firstName: user.firstName ?? null,
          lastName: user.lastName ?? null,
          role: user.role ?? null,
        },
      })),
  },
  steps: [],
} as const satisfies Kind<'users'>;

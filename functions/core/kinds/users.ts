/**
 * Users: backed up and compared, never written. n8n creates users only by invitation (an e-mail the
 * person must accept), so a restore names members without an account instead of creating them.
 */

import { z } from 'zod';
import type { User } from '../n8n-types.js';
import type { N8nUsersApi } from '../ports.js';
import type { Kind } from './kind.js';
import { id, text } from './kind.js';

/** A user is the same person across instances by e-mail, whatever the case. */
export function userKey(user: User): string {
  return user.email.toLowerCase();
}

export const usersKind = {
  resource: 'users',
  restored: false,
  records: { users: z.looseObject({ id, email: text }) },
  list: (api: N8nUsersApi) => api.listUsers(),
  restoreScopes: ['user:list'],
  steps: [],
} as const satisfies Kind<'users'>;

/** Users over n8n's Public API (`/users`), with their global role; invitations by POST /users. */
import type { User, UserInvitation } from '../../core/n8n-types.js';
import type { N8nUsersApi, PagedListing } from '../../core/ports.js';
import type { N8nTransport } from './transport.js';

/** One item of POST /users's answer (n8n 2.41.1): the user as invited, and why its e-mail failed. */
interface InvitedAnswer {
  user: UserInvitation;
  error?: string;
}

export class HttpUsers implements N8nUsersApi {
  constructor(private readonly http: N8nTransport) {}

  listUsers(): PagedListing<User> {
    return this.http.list<User>('/users', '/users', { includeRole: true });
  }

  async inviteUsers(invitations: readonly { email: string; role: string }[]): Promise<UserInvitation[]> {
    if (invitations.length === 0) return [];
    const answer = await this.http.json<InvitedAnswer[]>('POST', '/users', {
      route: '/users',
      body: invitations,
    });
    return (Array.isArray(answer) ? answer : []).map(({ user, error }) => ({
      ...user,
      ...(error ? { error } : {}),
    }));
  }
}

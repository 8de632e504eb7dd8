/** Users over n8n's Public API (`/users`), with their global role. */
import type { User } from '../../core/n8n-types.js';
import type { N8nUsersApi, PagedListing } from '../../core/ports.js';
import type { N8nTransport } from './transport.js';

export class HttpUsers implements N8nUsersApi {
  constructor(private readonly http: N8nTransport) {}

  listUsers(): PagedListing<User> {
    return this.http.list<User>('/users', '/users', { includeRole: true });
  }
}

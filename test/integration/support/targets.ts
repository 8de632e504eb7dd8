import type { N8nDouble } from '../../double/server.js';
import { startN8nDouble } from '../../double/server.js';

/**
 * An empty licensed target holding the source's users (n8n-ark invites no one), so personal
 * projects map. `idSeed` gives the target ids of its own.
 */
export async function freshTargetFor(source: N8nDouble, idSeed?: number): Promise<N8nDouble> {
  const target = await startN8nDouble({ licensed: 'all', ...(idSeed === undefined ? {} : { idSeed }) });
  for (const user of source.state.users.values())
    if (user.role !== 'global:owner') target.state.createUser({ ...user });
  return target;
}

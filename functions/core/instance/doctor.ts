/**
 * The preflight behind `n8n-ark doctor`: what this API key can back up from, and restore into,
 * this instance. Reads one page of each resource; writes nothing.
 */
import { peek } from '../async-iterables.js';
import {
  AuthenticationError,
  ConnectionError,
  FeatureNotLicensedError,
  MissingScopeError,
} from '../errors.js';
import { EVERY_KIND } from '../kinds/index.js';
import type { Kind } from '../kinds/kind.js';
import type { N8nApi, N8nCapabilities, N8nPackagesApi } from '../ports.js';

export type ReadStatus = 'ok' | 'not-licensed' | 'missing-scope' | 'error' | 'not-checked';

export interface ResourceCheck {
  resource: string;
  read: ReadStatus;
  detail?: string;
  /** The scope n8n named when the key may not read it (`missing-scope`). */
  scope?: string;
  /** Scopes a restore of this resource needs that the key lacks; undefined when the key's scopes are unknown. */
  missingRestoreScopes?: string[];
}

export interface DoctorReport {
  url: string;
  /** The key can read workflows: the minimum for a useful backup. */
  canBackUp: boolean;
  /**
   * Whether a backup would be complete: every kind readable or not licensed. A kind the key may not
   * read fails the backup unless excluded (`wouldExclude`, the `--exclude` that backs up without them).
   */
  completeBackup: {
    complete: boolean;
    missingScopes: string[];
    wouldExclude: string[];
    notLicensed: string[];
  };
  /** Every resource readable here can also be restored with this key (when scopes are known). */
  canRestore: boolean | undefined;
  scopes: string[] | undefined;
  resources: ResourceCheck[];
  /** Whether `restore --keep-workflow-ids` can work here: the package-import route, and the key's workflow:import. */
  keepWorkflowIds: { possible: boolean | undefined; detail: string };
}

/** The API-key scopes a restore of each resource uses, as each kind declares them. */
export const RESTORE_SCOPES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  EVERY_KIND.map((kind) => [kind.resource, kind.restoreScopes]),
);

type Probe = { read: ReadStatus; detail?: string; scope?: string; first?: unknown };

async function probe(list: () => AsyncIterable<unknown>): Promise<Probe> {
  try {
    const { items } = await peek(list());
    for await (const first of items) return { read: 'ok', first };
    return { read: 'ok' };
  } catch (error) {
    if (error instanceof FeatureNotLicensedError)
      return { read: 'not-licensed', detail: `needs ${error.feature}` };
    if (error instanceof MissingScopeError)
      return {
        read: 'missing-scope',
        detail: `needs ${error.scope ?? 'a scope'}`,
        ...(error.scope ? { scope: error.scope } : {}),
      };
    // A wrong URL or a rejected key is not a per-resource finding: it ends the check with its own message.
    if (error instanceof ConnectionError || error instanceof AuthenticationError) throw error;
    return { read: 'error', detail: (error as Error).message };
  }
}

export async function runDoctor(api: N8nApi & N8nCapabilities): Promise<DoctorReport> {
  const workflows = await probe(() => api.listWorkflows({ excludePinnedData: true }));
  const projects = await probe(() => api.listProjects());
  const firstProject = (projects.first as { id?: string } | undefined)?.id;
  // A kind listed per project (folders) is looked for in the first project the key can list.
  const perProject = async (kind: Kind) =>
    firstProject
      ? probe(() => kind.listInProject?.(api, firstProject) ?? noObjects())
      : {
          read: 'not-checked' as const,
          detail: `no project could be listed to look for ${kind.resource} in`,
        };
  const checks: [string, Probe][] = [];
  for (const kind of EVERY_KIND) {
    const known =
      kind.resource === 'workflows' ? workflows : kind.resource === 'projects' ? projects : undefined;
    const list = kind.list;
    const result = known ?? (list ? await probe(() => list(api)) : await perProject(kind));
    checks.push([kind.resource, result]);
  }
  const scopes = await api.discoverScopes();
  const resources = checks.map(([resource, { first: _first, ...result }]): ResourceCheck => {
    const needed = RESTORE_SCOPES[resource] ?? [];
    return {
      resource,
      ...result,
      ...(scopes ? { missingRestoreScopes: needed.filter((s) => !scopes.includes(s)) } : {}),
    };
  });
  const restorable = resources.filter((r) => r.read === 'ok');
  return {
    url: api.baseUrl,
    canBackUp: workflows.read === 'ok',
    completeBackup: completeness(resources),
    canRestore: scopes ? restorable.every((r) => (r.missingRestoreScopes ?? []).length === 0) : undefined,
    scopes,
    resources,
    keepWorkflowIds: await keepWorkflowIdsCheck(api, scopes),
  };
}

/** Would a backup with this key be complete, and what would it need to leave out to run? */
function completeness(resources: readonly ResourceCheck[]): DoctorReport['completeBackup'] {
  const unreadable = resources.filter((r) => r.read === 'missing-scope' && r.resource !== 'workflows');
  const missingScopes = [...new Set(unreadable.map((r) => r.scope ?? `a scope for ${r.resource}`))];
  return {
    complete: unreadable.length === 0,
    missingScopes,
    wouldExclude: unreadable.map((r) => r.resource),
    notLicensed: resources.filter((r) => r.read === 'not-licensed').map((r) => r.resource),
  };
}

async function keepWorkflowIdsCheck(
  api: Pick<N8nPackagesApi, 'supportsWorkflowImport'>,
  scopes: string[] | undefined,
): Promise<DoctorReport['keepWorkflowIds']> {
  if (!(await api.supportsWorkflowImport().catch(() => false)))
    return {
      possible: false,
      detail: 'this n8n has no POST /n8n-packages/import (n8n 2.24 or later has it)',
    };
  if (scopes === undefined) return { possible: undefined, detail: "the key's scopes are unknown" };
  if (!scopes.includes('workflow:import'))
    return { possible: false, detail: 'the key lacks workflow:import' };
  return { possible: true, detail: "n8n's package import answers and the key holds workflow:import" };
}

/**
 * Refuses a restore before its first write when the key lacks a scope it will need, naming them
 * all at once. Instances that do not answer /discover are let through: their 403s still name the scope.
 */
export async function assertRestoreScopes(
  capabilities: N8nCapabilities,
  resources: Iterable<string>,
  extraScopes: readonly string[] = [],
): Promise<void> {
  const scopes = await capabilities.discoverScopes();
  if (!scopes) return;
  const missing = new Set(extraScopes.filter((scope) => !scopes.includes(scope)));
  for (const resource of resources) {
    for (const scope of RESTORE_SCOPES[resource] ?? []) if (!scopes.includes(scope)) missing.add(scope);
  }
  if (missing.size > 0) throw restoreScopesMissing([...missing].sort());
}

function restoreScopesMissing(list: readonly string[]): MissingScopeError {
  return new MissingScopeError(
    `the API key lacks ${list.length === 1 ? 'the scope' : 'scopes'} ${list.join(', ')} that this restore needs; nothing was written. Create a key with ${list.length === 1 ? 'it' : 'them'} in n8n (Settings → n8n API), or restore fewer kinds of resources.`,
    { status: 403, method: 'GET', path: '/discover', scope: list[0] },
  );
}

async function* noObjects(): AsyncGenerator<never> {}

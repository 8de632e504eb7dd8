/**
 * Reading one resource of a live instance when the instance may not have it: an unlicensed feature
 * (403 "license does not allow for feat:…") or a scope the key lacks is not a failure but a reason
 * the resource is unavailable. Backup, restore planning and diff all read this way.
 */
import type { SkippedResource } from '../archive/format.js';
import { FeatureNotLicensedError, MissingScopeError } from '../errors.js';
import type { Project, ProjectMember } from '../n8n-types.js';
import type { N8nProjectsApi } from '../ports.js';

/** Why a listing is unavailable, or undefined when the error is a real failure (to be rethrown). */
export function unavailableReason(error: unknown): string | undefined {
  const why = unavailability(error);
  if (why === undefined) return undefined;
  return 'feature' in why
    ? `the instance is not licensed for ${why.feature}`
    : `the API key lacks the ${why.scope ?? 'required'} scope`;
}

export type Listing<T> = { items: T[] } | { unavailable: string };

/** Lists a resource whole (only for listings small by nature), or says why it cannot. */
export async function readListing<T>(list: () => AsyncIterable<T>): Promise<Listing<T>> {
  const items: T[] = [];
  try {
    for await (const item of list()) items.push(item);
    return { items };
  } catch (error) {
    const reason = unavailableReason(error);
    if (reason === undefined) throw error;
    return { unavailable: reason };
  }
}

/**
 * Reads the first item only: enough to learn whether the resource can be read at all, and if not,
 * why, and whether it is the instance's licence (then it cannot hold any) rather than the key.
 */
export async function probeListing(
  list: () => AsyncIterable<unknown>,
): Promise<{ reason: string; unlicensed: boolean } | undefined> {
  try {
    const iterator = list()[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    return undefined;
  } catch (error) {
    const reason = unavailableReason(error);
    if (reason === undefined) throw error;
    return { reason, unlicensed: error instanceof FeatureNotLicensedError };
  }
}

/** What makes a listing unavailable, as fields (a backup records them in the manifest's `skipped`). */
export function unavailability(error: unknown): { feature: string } | { scope?: string } | undefined {
  if (error instanceof FeatureNotLicensedError) return { feature: error.feature };
  if (error instanceof MissingScopeError) return error.scope ? { scope: error.scope } : {};
  return undefined;
}

/** The manifest's record of a resource a backup could not read, or undefined when the error is a real failure. */
export function skippedBecause(resource: string, error: unknown): SkippedResource | undefined {
  const why = unavailability(error);
  if (why === undefined) return undefined;
  return 'feature' in why
    ? {
        resource,
        feature: why.feature,
        reason: `${resource} needs a licence for ${why.feature}, which this instance does not have`,
      }
    : {
        resource,
        ...why,
        reason: `the API key lacks the ${why.scope ?? 'required'} scope to read ${resource}`,
      };
}

/**
 * Every project with its members, as backups and snapshots record them. Where the members cannot
 * be read (a scope the key lacks), `members: 'omit'` gives the project without them; `'throw'` fails.
 */
export async function* projectsWithMembers(
  api: Pick<N8nProjectsApi, 'listProjects' | 'listProjectMembers'>,
  options: { unreadableMembers: 'omit' | 'throw' },
): AsyncGenerator<Project & { members: ProjectMember[] }> {
  for await (const project of api.listProjects()) {
    const members: ProjectMember[] = [];
    try {
      for await (const member of api.listProjectMembers(project.id)) members.push(member);
    } catch (error) {
      if (options.unreadableMembers === 'throw' || unavailableReason(error) === undefined) throw error;
    }
    yield { ...project, members };
  }
}

/** An object listed under a project (a folder): n8n may leave its project out. */
export function inProject(item: unknown, projectId: string): unknown {
  const own = (item as { projectId?: string }).projectId;
  return { ...(item as object), projectId: own ?? projectId };
}

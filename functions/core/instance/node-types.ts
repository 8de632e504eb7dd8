/**
 * Node types and community packages: which node types a workflow uses, which package provides a
 * type, and an instance's community package inventory as a backup records it. A workflow that uses
 * a type its n8n lacks is saved by n8n but cannot be published ("Unrecognized node type").
 *
 * The inventory is small by nature (a handful of packages), so it lives in the manifest, not in an
 * entry of its own (docs/ARCHIVE-FORMAT.md). The node types each workflow uses are not stored: they
 * are in the workflow records, and a restore derives them while it reads those.
 */
import type { ArchivedCommunityPackage, SkippedResource } from '../archive/format.js';
import { NotFoundError } from '../errors.js';
import type { CommunityPackage, NodeTypeUse, Workflow } from '../n8n-types.js';
import type { N8nCommunityPackagesApi, N8nPackagesApi } from '../ports.js';

type CommunityPackagesReader = Pick<N8nCommunityPackagesApi, 'listCommunityPackages'>;

import { skippedBecause } from './read.js';
import { type RecordedVersion, recordedVersion } from './version.js';

/** The manifest's `skipped` resource name when the inventory could not be read. */
export const COMMUNITY_PACKAGES_RESOURCE = 'communityPackages';

/** `type@typeVersion`, how n8n itself keys a node type's version. */
export function nodeTypeKey({ type, typeVersion }: NodeTypeUse): string {
  return `${type}@${typeVersion}`;
}

/**
 * The distinct node types (with versions) a workflow uses: its draft and, when published, the
 * version that runs (a restore writes and publishes both).
 */
export function nodeTypesOf(workflow: Pick<Workflow, 'nodes'> & { activeVersion?: unknown }): NodeTypeUse[] {
  const published = (workflow.activeVersion as { nodes?: unknown } | null | undefined)?.nodes;
  const nodes = [...(workflow.nodes ?? []), ...(Array.isArray(published) ? published : [])];
  const uses = new Map<string, NodeTypeUse>();
  for (const node of nodes as { type?: unknown; typeVersion?: unknown }[]) {
    if (typeof node?.type !== 'string' || node.type === '') continue;
    const use = { type: node.type, typeVersion: typeof node.typeVersion === 'number' ? node.typeVersion : 1 };
    uses.set(nodeTypeKey(use), use);
  }
  return [...uses.values()];
}

/**
 * The npm package a node type comes from: what precedes its last dot (`n8n-nodes-foo.bar` →
 * `n8n-nodes-foo`, `@acme/n8n-nodes-foo.bar` → `@acme/n8n-nodes-foo`).
 */
export function packageOfNodeType(type: string): string {
  const dot = type.lastIndexOf('.');
  return dot > 0 ? type.slice(0, dot) : type;
}

/** Node types n8n ships: n8n-nodes-base and its own `@n8n/…` packages. No package provides them. */
export function isBuiltInNodeType(type: string): boolean {
  const pkg = packageOfNodeType(type);
  return pkg === 'n8n-nodes-base' || pkg.startsWith('@n8n/');
}

/** The archive's form of one installed package. */
export function archivedPackage(pkg: CommunityPackage): ArchivedCommunityPackage {
  return {
    name: pkg.packageName,
    version: pkg.installedVersion,
    nodes: (pkg.installedNodes ?? []).map((node) => ({
      type: node.type,
      name: node.name,
      ...(typeof node.latestVersion === 'number' ? { latestVersion: node.latestVersion } : {}),
    })),
  };
}

export type RecordedInventory =
  | { communityPackages: ArchivedCommunityPackage[] }
  | { skipped: SkippedResource };

/**
 * What a backup records of the source's community packages (GET /community-packages, scope
 * communityPackage:list). A scope the key lacks, an unlicensed feature or an n8n without the route
 * is a skip with the reason, never a failed backup.
 */
export async function recordedInventory(api: CommunityPackagesReader): Promise<RecordedInventory> {
  const read = await readInventory(api);
  return 'skipped' in read ? read : { communityPackages: read.packages.map(archivedPackage) };
}

/**
 * What a backup's manifest records of the source beyond its content: its n8n version and its
 * community packages (or, through `onSkip`, why they could not be read).
 */
export async function recordedSourceFacts(
  api: CommunityPackagesReader & Pick<N8nPackagesApi, 'n8nVersion'>,
  onSkip: (skip: SkippedResource) => void,
): Promise<{ version: RecordedVersion; inventory: { communityPackages?: ArchivedCommunityPackage[] } }> {
  const version = await recordedVersion(api);
  const inventory = await recordedInventory(api);
  if ('skipped' in inventory) onSkip(inventory.skipped);
  return { version, inventory: 'skipped' in inventory ? {} : inventory };
}

/** An instance's installed packages, or why they cannot be read (backup and restore planning). */
export async function readInventory(
  api: CommunityPackagesReader,
): Promise<{ packages: CommunityPackage[] } | { skipped: SkippedResource }> {
  try {
    return { packages: await api.listCommunityPackages() };
  } catch (error) {
    const skipped = skippedBecause(COMMUNITY_PACKAGES_RESOURCE, error);
    if (skipped) return { skipped };
    if (error instanceof NotFoundError)
      return {
        skipped: {
          resource: COMMUNITY_PACKAGES_RESOURCE,
          reason: 'the instance has no GET /community-packages in its Public API',
        },
      };
    throw error;
  }
}

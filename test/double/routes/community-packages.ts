/**
 * GET/POST /community-packages as n8n 2.41.1 answers them (docs/REAL-N8N-FINDINGS.md), and which
 * node types the double knows. Measured on a real 2.41.1: the list is a bare array (`[]` when none),
 * each item `{packageName, installedVersion, authorName, authorEmail, installedNodes: [{name, type,
 * latestVersion}], createdAt, updatedAt, failedLoading}`; N8N_COMMUNITY_PACKAGES_ENABLED changes
 * neither route. An install with `verify` (the default) needs n8n's vetted list, which n8n reads
 * online; these machines are offline, so it is 400 "Package <name> is not vetted for installation".
 * With `verify: false` n8n runs npm install against its registry: the double installs what a test
 * put in `state.npmRegistry` and answers anything else as n8n does when npm finds nothing.
 *
 * Node types: built-in ones (n8n-nodes-base, @n8n/…) are known at any version (a simplification:
 * real n8n knows each node's versions), a community type when an installed, loaded package lists
 * it at a version up to its `latestVersion`. Publishing a workflow with an unknown type is 400
 * "Unrecognized node type: <type>"; a package import lists them (packages.ts).
 */
import { ApiError, type Context, legacy, ok, type Route } from '../http.js';
import type { DoubleState } from '../state.js';
import { boolean, object, optional, string, validate } from '../validation.js';

export interface StoredCommunityPackage {
  packageName: string;
  installedVersion: string;
  authorName?: string;
  authorEmail?: string;
  installedNodes: { name: string; type: string; latestVersion: number }[];
  failedLoading?: boolean;
  createdAt?: string;
  updatedAt?: string;
}

/** The double's community packages: what is installed, and what an unverified install can fetch. */
export interface CommunityPackageState {
  communityPackages: StoredCommunityPackage[];
  npmRegistry: StoredCommunityPackage[];
}

export function knowsNodeType(state: DoubleState, type: string, typeVersion: unknown): boolean {
  const pkg = type.slice(0, Math.max(0, type.lastIndexOf('.')));
  if (pkg === 'n8n-nodes-base' || pkg.startsWith('@n8n/')) return true;
  const version = typeof typeVersion === 'number' ? typeVersion : 1;
  return state.community.communityPackages.some(
    (p) =>
      !p.failedLoading &&
      p.installedNodes.some((node) => node.type === type && version <= node.latestVersion),
  );
}

/** The first node of these whose type the double does not know, for "Unrecognized node type". */
export function unrecognizedNodeType(state: DoubleState, nodes: readonly unknown[]): string | undefined {
  for (const node of nodes as { type?: unknown; typeVersion?: unknown }[])
    if (typeof node?.type === 'string' && !knowsNodeType(state, node.type, node.typeVersion))
      return node.type;
  return undefined;
}

function render(pkg: StoredCommunityPackage, withLoadStatus: boolean) {
  return {
    packageName: pkg.packageName,
    installedVersion: pkg.installedVersion,
    ...(pkg.authorName ? { authorName: pkg.authorName } : {}),
    ...(pkg.authorEmail ? { authorEmail: pkg.authorEmail } : {}),
    installedNodes: pkg.installedNodes,
    createdAt: pkg.createdAt,
    updatedAt: pkg.updatedAt,
    ...(withLoadStatus ? { failedLoading: pkg.failedLoading === true } : {}),
  };
}

const installBody = object({ name: string(), version: optional(string()), verify: optional(boolean) });

function install(ctx: Context) {
  const { state } = ctx;
  const body = ctx.body as { name: string; version?: string; verify?: boolean };
  if (body.verify ?? true) throw new ApiError(400, `Package ${body.name} is not vetted for installation`);
  const community = state.community;
  if (community.communityPackages.some((p) => p.packageName === body.name))
    throw new ApiError(400, `Package "${body.name}" is already installed`);
  const found = community.npmRegistry.find(
    (p) => p.packageName === body.name && (body.version === undefined || p.installedVersion === body.version),
  );
  if (!found) throw new ApiError(400, `Error loading package "${body.name}" :Package not found in npm`);
  const now = state.now();
  const installed = { ...structuredClone(found), createdAt: now, updatedAt: now };
  community.communityPackages.push(installed);
  return ok(render(installed, false));
}

export function communityPackageRoutes(): Route[] {
  return [
    legacy('GET', '/community-packages', [{ scope: 'communityPackage:list' }], (ctx) =>
      ok(ctx.state.community.communityPackages.map((p) => render(p, true))),
    ),
    legacy('POST', '/community-packages', [{ scope: 'communityPackage:install' }], install, (ctx) => {
      const result = validate(installBody, ctx.body, 'body');
      if (!result.ok) throw new ApiError(400, result.message);
    }),
  ];
}

/**
 * Node types the target lacks, found while planning. n8n saves a workflow whatever node types it
 * uses, but refuses to publish one whose types it does not have ("Unrecognized node type"), so the
 * plan names them by workflow before anything is written, and says what to install: the community
 * packages at the archive's versions (`--install-community-packages` installs them first).
 *
 * What the target has is learnt without writing: its community package inventory, and for every
 * type (built-in ones too) a package import that n8n must refuse, listing each missing type
 * (N8nApi.missingNodeTypes). Where the probe cannot be asked, community types are judged by the
 * inventory alone and built-in ones are not judged (a note says so).
 */
import type { ArchivedCommunityPackage } from '../../archive/format.js';
import {
  isBuiltInNodeType,
  nodeTypeKey,
  packageOfNodeType,
  readInventory,
} from '../../instance/node-types.js';
import type { CommunityPackage, NodeTypeUse } from '../../n8n-types.js';
import type { N8nCommunityPackagesApi, N8nPackagesApi, NodeTypesAnswer } from '../../ports.js';
import type { RestorePlan } from '../kind.js';
import type { WorkflowSummary } from './summary.js';

export interface CommunityPackageInstall {
  name: string;
  version: string;
}

/** What tells the node types a target has: n8n's package-import probe and its community packages. */
type NodeTypesReader = Pick<N8nPackagesApi, 'missingNodeTypes'> &
  Pick<N8nCommunityPackagesApi, 'listCommunityPackages'>;

export interface NodeTypeCheckOptions {
  installCommunityPackages?: boolean;
}

/** Adds the check's notes and warnings to the plan, and what is missing per workflow and what to install. */
export async function checkNodeTypes(
  plan: RestorePlan,
  api: NodeTypesReader,
  source: { readonly workflows: readonly WorkflowSummary[] },
  archived: ArchivedCommunityPackage[] | undefined,
  options: NodeTypeCheckOptions = {},
): Promise<void> {
  const written = new Set(
    plan.entries
      .filter(
        (e) =>
          e.resource === 'workflows' &&
          (e.action === 'create' || e.action === 'update' || e.publishWaiting === true),
      )
      .map((e) => e.sourceId),
  );
  const uses = new Map<string, NodeTypeUse>();
  for (const workflow of source.workflows)
    if (written.has(workflow.id)) for (const use of workflow.nodeTypes ?? []) uses.set(nodeTypeKey(use), use);
  if (uses.size === 0) return;

  // The probe answers for every type; the inventory is read only when it cannot, or to say what to
  // install (a fresh n8n takes over a second to answer its first GET /community-packages).
  const answer = await api.missingNodeTypes([...uses.values()]);
  if (answer.missing?.length === 0) return;
  const inventory = await readInventory(api);
  const installed = 'packages' in inventory ? inventory.packages : undefined;
  if ('skipped' in inventory)
    plan.notes.push(`The target's community packages could not be read: ${inventory.skipped.reason}.`);
  const missing = missingOnTarget(answer, [...uses.values()], installed, plan.notes);
  if (missing.size === 0) return;

  const byWorkflow: Record<string, string[]> = {};
  for (const workflow of source.workflows) {
    if (!written.has(workflow.id)) continue;
    const lacking = (workflow.nodeTypes ?? []).map(nodeTypeKey).filter((key) => missing.has(key));
    if (lacking.length === 0) continue;
    // Only what the published version uses keeps it from being published; the draft is saved anyway.
    const blocking = (workflow.publishedNodeTypes ?? lacking).filter((key) => missing.has(key));
    if (blocking.length > 0) byWorkflow[workflow.id] = blocking;
    plan.warnings.push({
      code: 'missing-node-types',
      resource: 'workflows',
      workflow: { id: workflow.id, name: workflow.name },
      message: `workflow "${workflow.name}" uses node types the target does not have: ${lacking.map(describeKey).join(', ')}. ${
        blocking.length > 0
          ? 'n8n saves it but cannot publish it until they are installed.'
          : 'Only its draft uses them: the version that ran on the source is published, the draft is saved.'
      }`,
    });
  }
  if (Object.keys(byWorkflow).length > 0) plan.missingNodeTypes = byWorkflow;
  const install = whatToInstall([...missing.values()], archived, installed, plan.notes);
  noteInstalls(plan, install, archived, options);
}

/** What the plan says about the packages to install (and installs, with the flag). */
function noteInstalls(
  plan: RestorePlan,
  install: CommunityPackageInstall[],
  archived: ArchivedCommunityPackage[] | undefined,
  options: NodeTypeCheckOptions,
): void {
  if (install.length > 0) plan.communityPackagesToInstall = install;
  const list = install.map((p) => `${p.name}@${p.version}`).join(', ');
  if (install.length > 0)
    plan.notes.push(
      options.installCommunityPackages
        ? `The restore installs these community packages on the target before writing workflows: ${list}.`
        : `Install these community packages on the target (n8n: Settings → Community nodes, or run the restore with --install-community-packages), then run the restore again to publish the workflows that use them: ${list}.`,
    );
  if (archived === undefined)
    plan.notes.push(
      "The archive does not record the source's community packages, so it cannot say which versions to install.",
    );
}

/** `type@version` keys of the types the target lacks (the probe's answer, or the inventory's). */
function missingOnTarget(
  answer: NodeTypesAnswer,
  uses: NodeTypeUse[],
  installed: CommunityPackage[] | undefined,
  notes: string[],
): Map<string, NodeTypeUse> {
  if (answer.missing) return new Map(answer.missing.map((use) => [nodeTypeKey(use), use]));
  const loaded = new Set(
    (installed ?? []).filter((p) => !p.failedLoading).flatMap((p) => p.installedNodes.map((n) => n.type)),
  );
  const community = uses.filter((use) => !isBuiltInNodeType(use.type));
  notes.push(
    installed
      ? `Only community node types were checked against the target (its installed packages); built-in node types and versions were not: ${answer.reason}.`
      : `The node types workflows use could not be checked against the target: ${answer.reason}.`,
  );
  if (!installed) return new Map();
  return new Map(community.filter((use) => !loaded.has(use.type)).map((use) => [nodeTypeKey(use), use]));
}

/** The packages to install at the archive's versions; notes for what installing cannot fix. */
function whatToInstall(
  missing: NodeTypeUse[],
  archived: ArchivedCommunityPackage[] | undefined,
  installed: CommunityPackage[] | undefined,
  notes: string[],
): CommunityPackageInstall[] {
  const install = new Map<string, CommunityPackageInstall>();
  const explained = new Set<string>();
  for (const { type, typeVersion } of missing) {
    const name = packageOfNodeType(type);
    if (explained.has(name) || install.has(name)) continue;
    const source = archived?.find((p) => p.name === name);
    const target = installed?.find((p) => p.packageName === name);
    if (isBuiltInNodeType(type)) {
      notes.push(
        `The target does not know the built-in node type ${type} at version ${typeVersion}: it runs an older n8n than the source, most likely. Upgrade it.`,
      );
    } else if (target?.failedLoading) {
      notes.push(
        `The community package ${name} is installed on the target (${target.installedVersion}) but n8n failed to load it; reinstall it or check n8n's log.`,
      );
    } else if (target) {
      notes.push(
        `The community package ${name} is installed on the target (${target.installedVersion}${source ? `; the archive has ${source.version}` : ''}), but the target does not know ${type} at version ${typeVersion}: community packages may be disabled there (N8N_COMMUNITY_PACKAGES_ENABLED=false, or not allowed by its licence), or that version lacks it.`,
      );
    } else if (source) {
      install.set(name, { name, version: source.version });
      continue;
    } else {
      notes.push(
        `No community package in the archive provides ${type}: the source did not have ${name} installed either (or its inventory was not recorded). Install it on the target by hand.`,
      );
    }
    explained.add(name);
  }
  return [...install.values()];
}

function describeKey(key: string): string {
  const at = key.lastIndexOf('@');
  return `${key.slice(0, at)} (version ${key.slice(at + 1)})`;
}

/**
 * Of the node types the plan found missing, those the target still lacks now (packages may have been
 * installed since): asked again the same way, once, before publishing. Where the target cannot be
 * asked, a type counts as missing unless a loaded community package provides it.
 */
export async function nodeTypesStillMissing(api: NodeTypesReader, plan: RestorePlan): Promise<Set<string>> {
  const keys = new Set(Object.values(plan.missingNodeTypes ?? {}).flat());
  if (keys.size === 0) return keys;
  const uses = [...keys].map((key) => {
    const at = key.lastIndexOf('@');
    return { type: key.slice(0, at), typeVersion: Number(key.slice(at + 1)) };
  });
  const answer = await api.missingNodeTypes(uses);
  if (answer.missing) return new Set(answer.missing.map(nodeTypeKey));
  const inventory = await readInventory(api);
  const loaded = new Set(
    'packages' in inventory
      ? inventory.packages.filter((p) => !p.failedLoading).flatMap((p) => p.installedNodes.map((n) => n.type))
      : [],
  );
  return new Set(uses.filter((use) => !loaded.has(use.type)).map(nodeTypeKey));
}

/** How a `type@version` key reads in a message. */
export function describeNodeTypeKey(key: string): string {
  return describeKey(key);
}

/**
 * KINDS: every n8n resource kind n8n-ark knows, in dependency order (a kind's objects may refer only
 * to kinds before it). This is the one list of resources in the codebase: the resources a restore
 * writes, its steps, the counts it reports and the resources a diff compares all derive from it.
 * Adding a kind is one module beside this file and one line below.
 */
import { credentialsKind } from './credentials/index.js';
import { dataTablesKind } from './data-tables/index.js';
import { foldersKind } from './folders.js';
import type { Kind } from './kind.js';
import { projectsKind } from './projects.js';
import { tagsKind } from './tags.js';
import { usersKind } from './users.js';
import { variablesKind } from './variables.js';
import { workflowsKind } from './workflows/index.js';

export const KINDS = [
  usersKind,
  projectsKind,
  foldersKind,
  tagsKind,
  variablesKind,
  credentialsKind,
  dataTablesKind,
  workflowsKind,
] as const;

/** KINDS as the contract sees each kind: for code that works with any kind through its hooks. */
export const EVERY_KIND: readonly Kind[] = KINDS;

type AnyKind = (typeof KINDS)[number];

/** Every resource an instance snapshot has (what a diff compares). */
export type SnapshotResource = AnyKind['resource'];
export const SNAPSHOT_RESOURCES: readonly SnapshotResource[] = KINDS.map((k) => k.resource);

/** What a restore writes, in the order it writes them. */
export type RestoreResource = Extract<AnyKind, { restored: true }>['resource'];
export const RESTORE_RESOURCES: readonly RestoreResource[] = KINDS.filter(
  (k): k is Extract<AnyKind, { restored: true }> => k.restored,
).map((k) => k.resource);

/** The applier's steps, in order. Each is safe to run again after an interruption. */
export type RestoreStep = AnyKind['steps'][number]['name'];
export const RESTORE_STEPS: readonly RestoreStep[] = [
  ...KINDS.flatMap((k) => k.steps.filter((s) => !('last' in s && s.last))),
  ...KINDS.flatMap((k) => k.steps.filter((s) => 'last' in s && s.last)),
].map((s) => s.name);

/** Resources counted in a report: the restored ones, each followed by what it also counts (rows). */
export type CountedResource =
  | RestoreResource
  | Extract<AnyKind, { alsoCounted: unknown }>['alsoCounted'][number];
export const COUNTED_RESOURCES: readonly CountedResource[] = KINDS.flatMap((k) =>
  k.restored ? [k.resource, ...('alsoCounted' in k ? k.alsoCounted : [])] : [],
);

/** The kind that writes a resource. */
export function kindOf(resource: SnapshotResource): Kind {
  const kind = EVERY_KIND.find((k) => k.resource === resource);
  if (!kind) throw new Error(`no kind for ${resource}`);
  return kind;
}

export type { SourceRecords, SourceState, TargetRecords, TargetState } from './shared/state.js';

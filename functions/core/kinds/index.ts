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
import { projectsKind } from './projects/index.js';
import { kindLists } from './shared/kind-lists.js';
import type { SourceRecords, TargetRecords } from './shared/state.js';
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

type AnyKind = (typeof KINDS)[number];

/** Every resource an instance snapshot has (what a diff compares). */
export type SnapshotResource = AnyKind['resource'];
/** What a restore writes. */
export type RestoreResource = Extract<AnyKind, { restored: true }>['resource'];
/** The applier's steps. Each is safe to run again after an interruption. */
export type RestoreStep = AnyKind['steps'][number]['name'];
/** Resources counted in a report: the restored ones and what they also count (rows). */
export type CountedResource =
  | RestoreResource
  | Extract<AnyKind, { alsoCounted: unknown }>['alsoCounted'][number];

const lists = kindLists(KINDS);
/** KINDS as the contract sees each kind: for code that works with any kind through its hooks. */
export const EVERY_KIND: readonly Kind[] = lists.EVERY_KIND;
export const SNAPSHOT_RESOURCES = lists.SNAPSHOT_RESOURCES as readonly SnapshotResource[];
/** In the order a restore writes them. */
export const RESTORE_RESOURCES = lists.RESTORE_RESOURCES as readonly RestoreResource[];
/** In the order they run. */
export const RESTORE_STEPS = lists.RESTORE_STEPS as readonly RestoreStep[];
export const COUNTED_RESOURCES = lists.COUNTED_RESOURCES as readonly CountedResource[];
/** What a backup may leave out on purpose (`--exclude`). */
export const EXCLUDABLE_RESOURCES = lists.EXCLUDABLE_RESOURCES;
export const kindOf: (resource: SnapshotResource) => Kind = lists.kindOf;

export type { SourceRecords, SourceState, TargetRecords, TargetState } from './shared/state.js';

// --- the records each kind declares agree with what it makes --------------------------------------
// A kind adds its records to SourceRecords and TargetRecords (shared/state.ts) by hand; here, where
// the list is known, the compiler checks that what its listing, `backup.records`, `summarize` and
// `readTarget` make fits what it declares. A kind that declares otherwise names itself below.

type Listed<K> = K extends { list: (api: never) => AsyncIterable<infer T> }
  ? T
  : K extends { listInProject: (api: never, projectId: string) => AsyncIterable<infer T> }
    ? T
    : never;
type Archived<K> = K extends { backup: { records: (api: never, read: never) => AsyncIterable<infer T> } }
  ? T
  : Listed<K>;
type Sourced<K> = K extends { summarize: (record: never) => infer S } ? S : Archived<K>;
type Targeted<K> = K extends { readTarget: (read: never) => Promise<readonly (infer T)[]> } ? T : Listed<K>;
type Disagreeing = {
  [K in AnyKind as K['resource']]: K['resource'] extends keyof SourceRecords & keyof TargetRecords
    ? [Sourced<K>[]] extends [SourceRecords[K['resource']]]
      ? [Targeted<K>[]] extends [NonNullable<TargetRecords[K['resource']]>]
        ? never
        : `${K['resource']}: target records`
      : `${K['resource']}: source records`
    : `${K['resource']}: declares no records`;
}[AnyKind['resource']];
export const KIND_RECORDS_AGREE: [Disagreeing] extends [never] ? true : Disagreeing = true;

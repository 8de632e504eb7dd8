/**
 * The archive's entry names (format v1, docs/ARCHIVE-FORMAT.md), by the manifest `resource` of each,
 * as the kinds declare them (`Kind.entries`): `ENTRY.workflows` is `workflows.ndjson`, and an entry
 * split into chunks names itself from its parent's id and the chunk (`ENTRY.dataTableRows(id, 0)`).
 */
import { EVERY_KIND, type KINDS } from '../kinds/index.js';
import type { ArchiveEntrySpec } from '../kinds/kind.js';

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;
type Entries = UnionToIntersection<(typeof KINDS)[number]['entries']>;

/** A manifest resource the archive format knows: a kind, or one of a kind's further entries. */
export type ArchiveResource = keyof Entries & string;

/** Every entry's spec (name, record schema, references), by manifest resource. */
export const ENTRY_SPECS: ReadonlyMap<string, ArchiveEntrySpec> = new Map(
  EVERY_KIND.flatMap((kind) => Object.entries(kind.entries)),
);

export const ENTRY = Object.fromEntries(
  [...ENTRY_SPECS].map(([resource, spec]) => [resource, spec.name]),
) as {
  readonly [R in ArchiveResource]: Entries[R] extends { name: infer N } ? N : never;
};

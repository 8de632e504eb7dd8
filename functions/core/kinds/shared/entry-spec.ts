/**
 * What a kind says of its archive entries (`Kind.entries`): each entry's name and record schema,
 * and what the archive check judges across records before any write — ids, natural keys, what n8n
 * would refuse, references to other entries, parents and the names records give each other.
 */
import type { z } from 'zod';
import type { DanglingReference } from '../../archive/format.js';
import type { ListingPosition, N8nApi } from '../../ports.js';

/** What an archive entry holds and what it is called. */
export interface ArchiveEntrySpec {
  /** Its name in the zip; entries split into chunks (a table's rows) are named by the parent's id and the chunk. */
  readonly name: string | ((parentId: string, chunk: number) => string);
  /** The schema of its records (loose: fields n8n adds later are allowed). */
  readonly record: z.ZodType;
  /** A record's id, unique in its entry; default its `id`. */
  idOf?(record: unknown): string;
  /** For an entry split per record of its kind (a table's rows): what a backup writes of one record; `from`, where a slice stood. */
  readFor?(api: N8nApi, parentId: string, from?: ListingPosition): AsyncIterable<unknown>;
  /** The ids a record names in other entries, judged before a restore writes anything. */
  references?(record: unknown): ArchiveReference[];
  /** Its natural key (what n8n keeps unique, a restore matches by): two records with one are refused, `what` naming it. */
  naturalKey?(record: unknown): { key: string; what: string } | undefined;
  /** What n8n would refuse in a record that its schema cannot say (a variable key's characters, a column's type). */
  problemOf?(record: unknown): string | undefined;
  /** The record's parent among the entry's own records (a folder's): they must form trees, without cycles. */
  parentOf?(record: unknown): string | null | undefined;
  /** The name other records give it when they name it (a tag's, in a workflow's `tags`): they must agree. */
  nameOf?(record: unknown): string;
  /** The body a restore sends n8n for a record, in bytes (weighed against the target's payload limit); none: not written. */
  bodyBytes?(record: unknown): number;
}

/** A reference from one archive record to another entry's object. */
export interface ArchiveReference {
  resource: string;
  id: string;
  /** The problem when the archive lacks it, e.g. `a workflow carries tag t1, which is not in tags.ndjson`. */
  problem: string;
  /** Judged even when the archive has no entry of that resource (skipped at backup: not judged). */
  always?: boolean;
  /** The name the referring record gives the object (a workflow's copy of its tag's name): must be its `nameOf`. */
  name?: string;
  /** A reference the backup may have found dangling on the source: declared so in the manifest, no corruption. */
  dangling?: DanglingReference;
}

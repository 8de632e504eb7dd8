/**
 * The backup's closing honesty. A listing can lose an object without any error: n8n pages by offset
 * underneath its cursors, so an object deleted mid-scan shifts the next page and one object is never
 * sent. One read of ids and names before the export and one after it catch that: an object present
 * at both reads existed for the whole backup and must be in the archive. An object created or
 * deleted while the backup ran is fine either way; it is named, not counted against the backup.
 */
import { NotFoundError } from '../errors.js';
import { unavailableReason } from '../instance/read.js';
import { EVERY_KIND, type SnapshotResource } from '../kinds/index.js';
import type { Kind } from '../kinds/kind.js';

import { identityOf } from '../kinds/shared/identity.js';
import type { N8nApi } from '../ports.js';

/** One resource's objects, id → name (a variable's key, a user's e-mail). */
export type Identities = Map<string, string>;
/** Per resource, the objects one read found; a resource that could not be read is absent. */
export type InstanceIdentities = Map<SnapshotResource, Identities>;

export interface ObjectRef {
  resource: SnapshotResource;
  id: string;
  name: string;
}

export interface ChangedObject extends ObjectRef {
  change: 'created' | 'deleted';
  archived: boolean;
}

export interface ClosingFindings {
  /** At the opening and the closing read, yet not in the archive: the backup is not complete. */
  missing: ObjectRef[];
  /** Created or deleted while the backup ran. */
  changed: ChangedObject[];
}

export interface IdentityReadOptions {
  /**
   * The projects folders are listed in; default: the projects this read lists. The opening read
   * chooses them and the closing read asks the same ones, so both cover the same folders.
   */
  folderProjects?: readonly string[];
  /** Runs for each object read; throwing stops the read (the deadline, a failed backup). */
  onItem?: () => void;
  /** Resources not read (the export's own listing of them cannot miss an object). */
  skip?: readonly SnapshotResource[];
  /**
   * For a resource the export has not finished listing, what to await before reading it: such a
   * resource is read apart, once that settles, and the others go on without it. So the closing read
   * can start while the export still writes its last entries.
   */
  gate?: (resource: SnapshotResource) => Promise<void> | undefined;
}

/**
 * Reads every resource's ids and names, one resource after another in the order of KINDS, streamed
 * (only ids and names are kept, never bodies). It runs in the background from `start`: the opening
 * read goes on beside the export, which waits (`ready`) only for the resource it is about to list,
 * so the read of workflows hides behind the export of the resources before them.
 */
export class IdentityRead {
  readonly identities: InstanceIdentities = new Map();
  private readonly reads = new Map<SnapshotResource, Promise<void>>();
  private readonly last: Promise<void>;
  private readonly ended: Promise<void>;

  private constructor(
    private readonly api: N8nApi,
    private readonly options: IdentityReadOptions,
  ) {
    let previous = Promise.resolve();
    for (const kind of EVERY_KIND) {
      const resource = kind.resource as SnapshotResource;
      const gate = this.options.gate?.(resource);
      const after = gate ? Promise.all([previous, gate]) : previous;
      const read = after.then(() => this.read(kind));
      // Awaited by ready() or all(); until then, a failure must not count as unhandled.
      read.catch(() => {});
      this.reads.set(resource, read);
      if (!gate) previous = read;
    }
    this.last = Promise.all(this.reads.values()).then(() => {});
    this.last.catch(() => {});
    this.ended = Promise.allSettled(this.reads.values()).then(() => {});
  }

  static start(api: N8nApi, options: IdentityReadOptions = {}): IdentityRead {
    return new IdentityRead(api, options);
  }

  /** A read an earlier slice of a sliced backup finished: what it found, nothing read again. */
  static done(
    identities: InstanceIdentities,
  ): Pick<IdentityRead, 'ready' | 'all' | 'settled' | 'identities'> {
    return {
      identities,
      ready: async () => {},
      all: async () => identities,
      settled: async () => {},
    };
  }

  /** Resolves once `resource` has been read; rejects with the read's failure. */
  ready(resource: SnapshotResource): Promise<void> {
    return this.reads.get(resource) ?? Promise.resolve();
  }

  async all(): Promise<InstanceIdentities> {
    await this.last;
    return this.identities;
  }

  /** Resolves once the read has ended, whether it failed or not. */
  settled(): Promise<void> {
    return this.ended;
  }

  private async read(kind: Kind): Promise<void> {
    const resource = kind.resource as SnapshotResource;
    if (this.options.skip?.includes(resource)) return;
    const listed = kind.list;
    const list = listed
      ? () => listed(this.api)
      : () => inProjects(this.api, kind, this.options.folderProjects ?? folderProjectsOf(this.identities));
    const identities = await identitiesOf(list, this.options.onItem);
    if (identities) this.identities.set(resource, identities);
  }
}

/** The project ids the folders of a read were listed in. */
export function folderProjectsOf(read: InstanceIdentities): string[] {
  return [...(read.get('projects')?.keys() ?? [])];
}

async function identitiesOf(
  list: () => AsyncIterable<unknown>,
  onItem: (() => void) | undefined,
): Promise<Identities | undefined> {
  const identities: Identities = new Map();
  try {
    for await (const record of list()) {
      onItem?.();
      const identity = identityOf(record);
      if (identity) identities.set(identity.id, identity.name);
    }
    return identities;
  } catch (error) {
    // Unlicensed or out of the key's scope: the export skips it too, and there is nothing to compare.
    if (unavailableReason(error) === undefined) throw error;
    return undefined;
  }
}

/** A kind listed per project; a project deleted while the backup ran has none of it any more, rather than failing the read. */
async function* inProjects(api: N8nApi, kind: Kind, projectIds: readonly string[]): AsyncGenerator<unknown> {
  for (const projectId of projectIds) {
    try {
      yield* kind.listInProject?.(api, projectId) ?? [];
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
}

/**
 * Compares the archive with the reads before and after it, for each resource all three have (a
 * resource skipped by the export or unreadable at either read cannot be compared).
 */
export function compareIdentities(
  opening: InstanceIdentities,
  archived: InstanceIdentities,
  closing: InstanceIdentities,
): ClosingFindings {
  const findings: ClosingFindings = { missing: [], changed: [] };
  for (const [resource, inArchive] of archived) {
    const before = opening.get(resource);
    const after = closing.get(resource);
    if (!before || !after) continue;
    for (const [id, name] of before) {
      if (after.has(id)) {
        if (!inArchive.has(id)) findings.missing.push({ resource, id, name });
      } else findings.changed.push({ resource, id, name, change: 'deleted', archived: inArchive.has(id) });
    }
    for (const [id, name] of after)
      if (!before.has(id))
        findings.changed.push({ resource, id, name, change: 'created', archived: inArchive.has(id) });
  }
  return findings;
}

/** An ArchiveTally as saved between slices: identities as [id, name] pairs in the order written. */
export interface TallyState {
  identities: Record<string, [string, string][]>;
  seen: Record<string, number>;
  repeated: ObjectRef[];
}

/** Identities as saved between slices, and back. */
export function savedIdentities(read: InstanceIdentities): Record<string, [string, string][]> {
  return Object.fromEntries([...read].map(([resource, ids]) => [resource, [...ids]]));
}

export function restoredIdentities(saved: Record<string, [string, string][]>): InstanceIdentities {
  return new Map(
    Object.entries(saved).map(([resource, ids]) => [resource as SnapshotResource, new Map(ids)]),
  );
}

/**
 * What went into the archive, told apart from what the archive builder says it wrote: records seen
 * per resource, and each object's id and name (rows are only counted).
 */
export class ArchiveTally {
  /** What the archive holds per resource; a resource the export skipped is absent. */
  readonly identities: InstanceIdentities = new Map();
  private readonly seen: Record<string, number> = {};
  /** Objects whose id the archive got twice: the restore would refuse such an archive. */
  private readonly repeated: ObjectRef[] = [];

  /** What it holds, as a sliced backup saves it between slices (ArchiveTally.restored takes it up). */
  saved(): TallyState {
    return {
      identities: Object.fromEntries([...this.identities].map(([resource, ids]) => [resource, [...ids]])),
      seen: { ...this.seen },
      repeated: [...this.repeated],
    };
  }

  static restored(state: TallyState): ArchiveTally {
    const tally = new ArchiveTally();
    for (const [resource, ids] of Object.entries(state.identities))
      tally.identities.set(resource as SnapshotResource, new Map(ids));
    Object.assign(tally.seen, state.seen);
    tally.repeated.push(...state.repeated);
    return tally;
  }

  /** The export started writing this resource's entry (an empty entry is still a written resource). */
  begin(resource: SnapshotResource): void {
    this.identities.set(resource, new Map());
  }

  record(resource: SnapshotResource, record: unknown): void {
    this.count(resource);
    const identity = identityOf(record);
    const archived = this.identities.get(resource);
    if (!identity || !archived) return;
    if (archived.has(identity.id)) this.repeated.push({ resource, ...identity });
    archived.set(identity.id, identity.name);
  }

  count(resource: string): void {
    this.seen[resource] = (this.seen[resource] ?? 0) + 1;
  }

  /**
   * Why the archive cannot be called complete, one line per problem (none: it is complete): an
   * object of both reads missing from it, an id written twice, a count that is not the records
   * seen going in and held by the entries (`recordsOf`).
   */
  problems(
    missing: readonly ObjectRef[],
    counts: Readonly<Record<string, number>>,
    recordsOf: (resource: string) => number,
  ): string[] {
    return [
      ...missing.map((o) => `${describeObject(o)} existed for the whole backup but is not in the archive`),
      ...this.repeated.map((o) => `${describeObject(o)} was written twice`),
      ...Object.entries(counts).flatMap(([resource, count]) => {
        const seen = this.seen[resource] ?? 0;
        const held = recordsOf(resource);
        return seen === count && held === count
          ? []
          : [`counts.${resource} is ${count}, but ${seen} records were read and its entries hold ${held}`];
      }),
    ];
  }
}

/** `workflows "Orders" (id w1)`: the kind and the name a person looks for, with the id to be sure. */
export function describeObject(object: ObjectRef): string {
  return `${object.resource} ${JSON.stringify(object.name)} (id ${object.id})`;
}

export function describeChange(object: ChangedObject): string {
  const what = object.change === 'created' ? 'was created' : 'was deleted';
  const archived = object.archived ? 'the archive has it' : 'the archive does not have it';
  return `${describeObject(object)} ${what} while the backup ran; ${archived}`;
}

/**
 * What planning reads before it decides anything: the archive's small entries whole, its workflows
 * as summaries (the one read of workflows.ndjson a plan makes), and the target's current state.
 * Each kind is read as it declares (kinds/kind.ts: `summarize`, `readTarget`, its listing).
 */
import type { RecordPlace } from '../archive/check.js';
import type { OpenedArchive } from '../archive/format.js';
import { parseArchiveJson } from '../archive/json-text.js';
import { inProject, unavailableReason } from '../instance/read.js';
import { collect } from '../json.js';
import { EVERY_KIND, type SourceState, type TargetState } from '../kinds/index.js';
import { type Kind, type TargetRead, Unavailable } from '../kinds/kind.js';
import type { N8nApi } from '../ports.js';
import { LargeRecords } from './body-limit.js';

export type { SourceState, TargetState } from '../kinds/index.js';

/** The kind whose own entry holds a manifest resource (other entries, like rows, are not planning state). */
const KIND_OF_RESOURCE = new Map(EVERY_KIND.map((kind) => [kind.resource, kind]));

/**
 * Gathers the source state record by record, so it can be filled by the pass that verifies the
 * archive (one read of each entry for both) or by reading the archive on its own.
 */
export class SourceCollector {
  private readonly records = new Map<string, unknown[]>(EVERY_KIND.map((kind) => [kind.resource, []]));
  private readonly large = new LargeRecords();

  /**
   * Takes one record of an archive entry; entries that are no kind's own are not part of the state,
   * but a record of any entry a restore writes is weighed when its line is large (`place`).
   */
  add(resource: string, record: unknown, place?: RecordPlace): void {
    const kind = KIND_OF_RESOURCE.get(resource);
    if (kind) this.records.get(resource)?.push(kind.summarize ? kind.summarize(record) : record);
    if (place) this.large.weigh(resource, record, place);
  }

  /** The records were judged against their kinds' schemas on the way in: from here on they are typed. */
  result(archive: OpenedArchive): SourceState {
    const skipped = new Map(archive.manifest.skipped.map((s) => [s.resource, s.reason]));
    const records = Object.fromEntries(this.records) as unknown as SourceState;
    return { ...records, skipped, large: this.large.found };
  }
}

/** Reads the kinds' own entries (not rows: a plan made without the verifying pass weighs no row). */
export async function readSource(archive: OpenedArchive): Promise<SourceState> {
  const collector = new SourceCollector();
  for (const entry of archive.manifest.entries) {
    if (!KIND_OF_RESOURCE.has(entry.resource)) continue;
    let line = 0;
    for await (const text of archive.lines(entry.name)) {
      line += 1;
      const record = parseArchiveJson(text, entry.name, `${entry.name} line ${line}`);
      collector.add(entry.resource, record, { entry, line, bytes: Buffer.byteLength(text) });
    }
  }
  return collector.result(archive);
}

/**
 * Reads every kind from the target side by side (each listing is a round trip or more); a kind
 * listed per project waits for the projects. What the target will not list (unlicensed, a scope
 * the key lacks) is undefined, with the reason in `unavailable`.
 */
export async function readTarget(api: N8nApi): Promise<TargetState> {
  const unavailable = new Map<string, string>();
  const reads = new Map<string, Promise<unknown[] | undefined>>();
  const read: TargetRead = {
    api,
    of: (resource) => reads.get(resource) as never,
    why: (resource) => unavailable.get(resource),
  };
  for (const kind of EVERY_KIND) reads.set(kind.resource, readKind(kind, read, unavailable));
  const state = await Promise.all(
    [...reads].map(async ([resource, listing]) => [resource, await listing] as const),
  );
  return { ...Object.fromEntries(state), unavailable } as TargetState;
}

async function readKind(
  kind: Kind,
  read: TargetRead,
  unavailable: Map<string, string>,
): Promise<unknown[] | undefined> {
  try {
    if (kind.readTarget) return [...(await kind.readTarget(read))];
    if (kind.list) return await collect(kind.list(read.api));
    return await inEveryProject(kind, read);
  } catch (error) {
    const reason =
      error instanceof Unavailable ? error.message : kind.required ? undefined : unavailableReason(error);
    if (reason === undefined) throw error;
    unavailable.set(kind.resource, reason);
    return undefined;
  }
}

/** A kind listed per project, in every project the target lists. */
async function inEveryProject(kind: Kind, read: TargetRead): Promise<unknown[]> {
  const projects = await read.of('projects');
  if (!projects) throw new Unavailable(read.why('projects') ?? 'projects are unavailable');
  const items: unknown[] = [];
  for (const project of projects)
    for (const item of await collect(kind.listInProject?.(read.api, project.id) ?? noItems()))
      items.push(inProject(item, project.id));
  return items;
}

async function* noItems(): AsyncGenerator<never> {}

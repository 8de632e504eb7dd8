/**
 * The archive judged across its records, as the kinds declare them (`ArchiveEntrySpec`): ids and
 * natural keys unique per entry, what n8n would refuse in a record, references that land in the
 * archive (or that the backup declared dangling on the source), the names one record gives
 * another, trees without cycles, and every kind either present or absent for a stated reason.
 * Only ids, keys and names are kept; a reference to an entry already read is judged at once, so
 * only forward references wait for the end.
 */
import { compareN8nVersions, parseN8nVersion } from '../instance/version.js';
import { EVERY_KIND } from '../kinds/index.js';
import type { ArchiveEntrySpec, ArchiveReference } from '../kinds/kind.js';
import type { DanglingReference, Manifest, ManifestEntry } from './format.js';

export interface ContentProblem {
  entry: string;
  problem: string;
}

interface Waiting {
  entry: string;
  line: number;
  reference: ArchiveReference;
}

/**
 * Why each resource the manifest says is absent is absent: skipped at backup (not licensed, a
 * scope the key lacks). Kinds left out on purpose (`excluded`) join here when the manifest has them.
 */
export function absentWithReason(manifest: Manifest): Map<string, string> {
  const absent = new Map<string, string>();
  for (const skip of manifest.skipped) if (skip.reason.trim() !== '') absent.set(skip.resource, skip.reason);
  return absent;
}

/**
 * Every kind is in the archive, or the manifest says why not (a required kind must be there). A
 * kind added to n8n-ark later (`recordedSince`) may be missing from archives written before it.
 */
export function kindsAccountedFor(manifest: Manifest): ContentProblem[] {
  const present = new Set(manifest.entries.map((e) => e.resource));
  const absent = absentWithReason(manifest);
  const writer = parseN8nVersion(manifest.tool.version);
  const before = (since: string | undefined) => {
    const added = since === undefined ? undefined : parseN8nVersion(since);
    return added !== undefined && writer !== undefined && compareN8nVersions(writer, added) < 0;
  };
  return EVERY_KIND.filter((kind) => !present.has(kind.resource) && !before(kind.recordedSince)).flatMap(
    (kind) => {
      if (kind.required)
        return [
          {
            entry: 'manifest.json',
            problem: `the archive has no ${kind.resource}, which every archive holds`,
          },
        ];
      if (absent.has(kind.resource)) return [];
      return [
        {
          entry: 'manifest.json',
          problem: `the archive has no ${kind.resource} entry and the manifest does not say why (no skipped or excluded reason): it was removed or lost`,
        },
      ];
    },
  );
}

/** The cross-record state of one check, fed record by record. */
export class Consistency {
  private readonly ids = new Map<string, Set<string>>();
  private readonly keys = new Map<string, Set<string>>();
  private readonly names = new Map<string, Map<string, string>>();
  private readonly parents = new Map<
    string,
    { entry: string; of: Map<string, { parent: string; line: number }> }
  >();
  /** Resources whose every entry has been read: references to them are judged at once. */
  private readonly complete = new Set<string>();
  /** References to entries not read yet, once per entry and problem. */
  private readonly waiting = new Map<string, Waiting>();
  private readonly absent: Map<string, string>;
  private readonly declared: (dangling: DanglingReference) => boolean;

  constructor(manifest: Manifest) {
    this.absent = absentWithReason(manifest);
    this.declared = declaredDangling(manifest);
  }

  /** What is wrong with one record that passed its schema, or undefined; remembers what later checks need. */
  record(entry: ManifestEntry, spec: ArchiveEntrySpec, record: unknown, line: number): string | undefined {
    const id = spec.idOf ? spec.idOf(record) : String((record as { id: unknown }).id);
    const ids = setIn(this.ids, entry.resource);
    if (ids.has(id)) return `id ${JSON.stringify(id)} appears twice among the ${entry.resource}`;
    ids.add(id);
    const problem = spec.problemOf?.(record);
    if (problem) return problem;
    const natural = spec.naturalKey?.(record);
    if (natural) {
      const keys = setIn(this.keys, entry.resource);
      if (keys.has(natural.key)) return `${natural.what} appears twice (n8n keeps one; ids differ)`;
      keys.add(natural.key);
    }
    if (spec.nameOf) mapIn(this.names, entry.resource).set(id, spec.nameOf(record));
    const parent = spec.parentOf?.(record);
    if (parent) this.parentsOf(entry).set(id, { parent, line });
    for (const reference of spec.references?.(record) ?? []) {
      if (!this.complete.has(reference.resource)) {
        const key = `${entry.name}\n${reference.problem}\n${reference.name ?? ''}`;
        if (!this.waiting.has(key)) this.waiting.set(key, { entry: entry.name, line, reference });
        continue;
      }
      const unmet = this.judge(reference);
      if (unmet) return unmet;
    }
    return undefined;
  }

  /** Every entry of `resource` has been read. */
  finished(resource: string): void {
    this.complete.add(resource);
  }

  /** What only the whole archive tells: forward references, and cycles among parents. */
  finish(): ContentProblem[] {
    const problems: ContentProblem[] = [];
    for (const { entry, line, reference } of this.waiting.values()) {
      const unmet = this.judge(reference);
      if (unmet) problems.push({ entry, problem: `line ${line}: ${unmet}` });
    }
    for (const [resource, { entry, of }] of this.parents)
      for (const cycle of cyclesAmong(of))
        problems.push({
          entry,
          problem: `line ${of.get(cycle[0] as string)?.line}: ${resource} ${cycle.map((id) => JSON.stringify(id)).join(' → ')} → ${JSON.stringify(cycle[0])} form a cycle: each is its own ancestor`,
        });
    return problems;
  }

  private judge(reference: ArchiveReference): string | undefined {
    const { resource, id } = reference;
    if (!this.ids.get(resource)?.has(id)) {
      if (!reference.always && this.absent.has(resource) && !this.ids.has(resource)) return undefined;
      if (reference.dangling && this.declared(reference.dangling)) return undefined;
      return reference.problem;
    }
    const known = this.names.get(resource)?.get(id);
    if (reference.name !== undefined && known !== undefined && known !== reference.name)
      return `gives ${resource} ${JSON.stringify(id)} the name ${JSON.stringify(reference.name)}, but its own entry names it ${JSON.stringify(known)}`;
    return undefined;
  }

  private parentsOf(entry: ManifestEntry): Map<string, { parent: string; line: number }> {
    let found = this.parents.get(entry.resource);
    if (!found) {
      found = { entry: entry.name, of: new Map() };
      this.parents.set(entry.resource, found);
    }
    return found.of;
  }
}

/**
 * Whether the backup declared a reference dangling. Archives from before the manifest listed them
 * (`danglingReferences` absent) are judged by their `dangling-reference` warnings, which name the
 * workflow and the node (none for a reference in the settings).
 */
function declaredDangling(manifest: Manifest): (dangling: DanglingReference) => boolean {
  if (manifest.danglingReferences) {
    const declared = new Set(manifest.danglingReferences.map(danglingKey));
    return (dangling) => declared.has(danglingKey(dangling));
  }
  const warned = new Set(
    manifest.warnings
      .filter((w) => w.code === 'dangling-reference' && w.workflow)
      .map((w) => `${w.workflow?.id}\n${w.node ?? ''}`),
  );
  return (dangling) => warned.has(`${dangling.workflow}\n${nodeOf(dangling.location) ?? ''}`);
}

function danglingKey(dangling: DanglingReference): string {
  return JSON.stringify([dangling.workflow, dangling.kind, dangling.id, dangling.location]);
}

/** The node a reference's location names (`nodes["Call"].parameters…` → `Call`), none for settings. */
function nodeOf(location: string): string | undefined {
  const quoted = /^nodes\[("(?:[^"\\]|\\.)*")\]/.exec(location)?.[1];
  return quoted === undefined ? undefined : (JSON.parse(quoted) as string);
}

/** Each cycle among id → parent links once, found without recursion (a parent outside the map ends a chain). */
function cyclesAmong(of: Map<string, { parent: string }>): string[][] {
  const done = new Set<string>();
  const cycles: string[][] = [];
  for (const start of of.keys()) {
    const path: string[] = [];
    const onPath = new Map<string, number>();
    for (let id: string | undefined = start; id !== undefined && !done.has(id); id = of.get(id)?.parent) {
      const at = onPath.get(id);
      if (at !== undefined) {
        cycles.push(path.slice(at));
        break;
      }
      onPath.set(id, path.length);
      path.push(id);
    }
    for (const id of path) done.add(id);
  }
  return cycles;
}

function setIn(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

function mapIn(map: Map<string, Map<string, string>>, key: string): Map<string, string> {
  let inner = map.get(key);
  if (!inner) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

/**
 * Mutants of a real archive that stay well-formed — digests, sizes, records and counts recomputed,
 * every line JSON — yet break one rule of the archive's own consistency (docs/ARCHIVE-FORMAT.md,
 * "What verify judges"): one or more per rule. Which record each mutant changes is drawn from a
 * generator seeded per mutant, so a failure names the seed and the rule and can be made again.
 */
import { createHash } from 'node:crypto';
import { createRandom, type Random } from '../../double/prng.js';
import {
  type BaseArchive,
  entryNamed,
  linesOf,
  manifestOf,
  rewriteEntry,
  withManifest,
} from './archive-mutants.js';

type JsonRecord = Record<string, unknown>;

export interface ConsistencyMutant {
  rule: string;
  detail: string;
  entries: [string, Buffer][];
  /** The entry the refusal must name first. */
  entry: string;
  /** Whether it must name the line too (a rule about one record; rules about the manifest name none). */
  line: boolean;
}

type Made = Omit<ConsistencyMutant, 'rule'>;
type Rule = (random: Random, base: BaseArchive) => Made;

const pick = <T>(random: Random, items: readonly T[]): T => {
  if (items.length === 0)
    throw new Error('nothing to pick from: the base archive lacks what this rule needs');
  return items[Math.floor(random() * items.length)] as T;
};

const WORKFLOWS = 'workflows.ndjson';

function records(base: BaseArchive, name: string): JsonRecord[] {
  return linesOf(entryNamed(base, name)).map((line) => JSON.parse(line) as JsonRecord);
}

function entryNameOf(base: BaseArchive, resource: string): string {
  const entry = manifestOf(base).entries.find((e) => e.resource === resource && e.records > 0);
  if (!entry) throw new Error(`the base archive has no ${resource}`);
  return entry.name;
}

/** The entry with its lines replaced (as text, so a line may be what JSON.stringify cannot make). */
function withLines(base: BaseArchive, name: string, lines: string[], detail: string, line = true): Made {
  return {
    entries: rewriteEntry(base, name, `${lines.join('\n')}\n`, lines.length),
    detail,
    entry: name,
    line,
  };
}

/** One record of the entry changed by `edit` (which says what it did). */
function editOne(
  random: Random,
  base: BaseArchive,
  name: string,
  choose: (record: JsonRecord) => boolean,
  edit: (record: JsonRecord, all: JsonRecord[]) => string,
): Made {
  const all = records(base, name);
  const candidates = all.map((record, at) => ({ record, at })).filter(({ record }) => choose(record));
  const { record, at } = pick(random, candidates);
  const detail = `${name} line ${at + 1}: ${edit(record, all)}`;
  return withLines(
    base,
    name,
    all.map((r) => JSON.stringify(r)),
    detail,
  );
}

/** A record whose field `path` holds arrays/objects nested `depth` deep (made as text: no recursion). */
function deeplyNested(
  random: Random,
  base: BaseArchive,
  name: string,
  place: (record: JsonRecord, marker: string) => void,
  depth: number,
): Made {
  const lines = linesOf(entryNamed(base, name));
  const at = Math.floor(random() * lines.length);
  const record = JSON.parse(lines[at] as string) as JsonRecord;
  const marker = '__nested_here__';
  place(record, marker);
  lines[at] = JSON.stringify(record).replace(
    `"${marker}"`,
    `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`,
  );
  return withLines(base, name, lines, `${name} line ${at + 1}: nested ${depth * 2} levels`);
}

function replaceInRecord(record: JsonRecord, from: string, to: string): void {
  const replaced = JSON.parse(JSON.stringify(record).replaceAll(JSON.stringify(from), JSON.stringify(to)));
  for (const key of Object.keys(record)) delete record[key];
  Object.assign(record, replaced);
}

/** The first id of `kind` a node of the workflow names (credentials, data tables, workflows it calls). */
function nodeIds(workflow: JsonRecord, kind: 'credential' | 'dataTable' | 'workflow'): string[] {
  const ids: string[] = [];
  for (const node of (workflow.nodes as JsonRecord[]) ?? []) {
    const parameters = (node.parameters ?? {}) as JsonRecord;
    if (kind === 'credential')
      for (const credential of Object.values((node.credentials ?? {}) as Record<string, JsonRecord>))
        if (typeof credential.id === 'string') ids.push(credential.id);
    const field = kind === 'dataTable' ? 'dataTableId' : kind === 'workflow' ? 'workflowId' : undefined;
    const value = field ? parameters[field] : undefined;
    const id = typeof value === 'object' && value !== null ? (value as JsonRecord).value : value;
    if (typeof id === 'string' && id.length > 8 && !id.startsWith('=')) ids.push(id);
  }
  return ids;
}

/** Any record of the entry changed by `edit` (which says what it did), drawn by the mutant's generator. */
function anyRecord(
  name: string,
  edit: (random: Random, record: JsonRecord, all: JsonRecord[]) => string,
): Rule {
  return (random, base) =>
    editOne(
      random,
      base,
      name,
      () => true,
      (record, all) => edit(random, record, all),
    );
}

/** A workflow whose credential, data table or sub-workflow is swapped for one neither in the archive nor declared dangling. */
function usedObjectGone(kind: 'credential' | 'dataTable' | 'workflow'): Rule {
  return (random, base) =>
    editOne(
      random,
      base,
      WORKFLOWS,
      (w) => nodeIds(w, kind).length > 0,
      (w) => {
        const [id] = nodeIds(w, kind);
        replaceInRecord(w, id as string, `${kind}GoneAndUndeclared`);
        return `${kind} ${id} → ${kind}GoneAndUndeclared`;
      },
    );
}

/**
 * A record given another record's natural key (`fields` copied from it): the same tag name, variable
 * key in one place, table name in one project… under two ids. `alike` says which other qualifies.
 */
function sameKeyAs(
  name: string,
  fields: readonly string[],
  alike: (record: JsonRecord, other: JsonRecord) => boolean = () => true,
): Rule {
  return (random, base) =>
    editOne(
      random,
      base,
      name,
      (record) => records(base, name).some((o) => o.id !== record.id && alike(record, o)),
      (record, all) => {
        const other = all.find((o) => o.id !== record.id && alike(record, o)) as JsonRecord;
        for (const field of fields) record[field] = other[field] ?? null;
        return `${fields.map((f) => `${f} ${JSON.stringify(record[f])}`).join(', ')} as on ${String(other.id)}`;
      },
    );
}

/** Removes a kind's entries from the zip and the manifest (and its count), leaving no reason. */
function dropKind(base: BaseArchive, resource: string): Made {
  const manifest = manifestOf(base);
  const names = new Set(manifest.entries.filter((e) => e.resource === resource).map((e) => e.name));
  manifest.entries = manifest.entries.filter((e) => e.resource !== resource);
  delete manifest.counts[resource];
  return {
    entries: withManifest(base, manifest).filter(([name]) => !names.has(name)),
    detail: `${[...names].join(', ')} removed from the zip and the manifest, no skipped entry`,
    entry: 'manifest.json',
    line: false,
  };
}

/** The rules, each with the mutants that break it. */
export const CONSISTENCY_RULES: Record<string, Rule[]> = {
  'nesting bounded': [
    (random, base) =>
      deeplyNested(
        random,
        base,
        WORKFLOWS,
        (w, m) => {
          const [node] = w.nodes as JsonRecord[];
          (node as JsonRecord).parameters = { ...((node as JsonRecord).parameters as object), deep: m };
        },
        5_000,
      ),
    (random, base) => deeplyNested(random, base, WORKFLOWS, (w, m) => (w.settings = { deep: m }), 5_000),
    (random, base) => deeplyNested(random, base, WORKFLOWS, (w, m) => (w.fromALaterN8n = m), 5_000),
    (random, base) =>
      deeplyNested(
        random,
        base,
        entryNameOf(base, 'dataTableRows'),
        (row, m) => {
          const column = Object.keys(row).find((k) => !['id', 'createdAt', 'updatedAt'].includes(k));
          row[column as string] = m;
        },
        50_000,
      ),
  ],
  'text is UTF-8': [
    (random, base) => {
      const lines = linesOf(entryNamed(base, WORKFLOWS));
      const at = Math.floor(random() * lines.length);
      const bytes = Buffer.concat(
        lines.map((line, i) => {
          const text = Buffer.from(`${line}\n`);
          if (i !== at) return text;
          const cut = text.indexOf('"name":"') + 8;
          return Buffer.concat([text.subarray(0, cut), Buffer.from([0xc3, 0x28, 0xff]), text.subarray(cut)]);
        }),
      );
      const manifest = manifestOf(base);
      Object.assign(manifest.entries.find((e) => e.name === WORKFLOWS) ?? {}, {
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
      return {
        entries: withManifest(base, manifest).map(([n, b]): [string, Buffer] => [
          n,
          n === WORKFLOWS ? bytes : b,
        ]),
        detail: `${WORKFLOWS} line ${at + 1}: bytes C3 28 FF in the name`,
        entry: WORKFLOWS,
        line: true,
      };
    },
  ],
  'references land or are declared dangling': [
    usedObjectGone('credential'),
    usedObjectGone('dataTable'),
    usedObjectGone('workflow'),
    (_random, base) => dropKind(base, 'credentials'),
  ],
  'folder trees acyclic': [
    anyRecord('folders.ndjson', (_random, f) => {
      f.parentFolderId = f.id;
      return 'its own parent';
    }),
    (random, base) =>
      editOne(
        random,
        base,
        'folders.ndjson',
        (f) => typeof f.parentFolderId === 'string',
        (f, all) => {
          const parent = all.find((p) => p.id === f.parentFolderId) as JsonRecord;
          parent.parentFolderId = f.id;
          return `${f.id} and ${parent.id} each the other's parent`;
        },
      ),
  ],
  'natural keys unique': [
    sameKeyAs('tags.ndjson', ['name']),
    sameKeyAs('variables.ndjson', ['key'], (v, o) => JSON.stringify(o.project) === JSON.stringify(v.project)),
    sameKeyAs('data-tables.ndjson', ['name', 'projectId']),
    sameKeyAs('projects.ndjson', ['name'], (p, o) => p.type === 'team' && o.type === 'team'),
    sameKeyAs('folders.ndjson', ['name', 'parentFolderId'], (f, o) => o.projectId === f.projectId),
  ],
  "n8n's own rules": [
    anyRecord('variables.ndjson', (_random, v) => {
      v.key = '';
      return 'an empty variable key';
    }),
    anyRecord('variables.ndjson', (random, v) => {
      v.key = pick(random, ['has space', 'dash-ed', 'x'.repeat(51), 'ünïcode']);
      return `variable key ${JSON.stringify(v.key)}`;
    }),
    anyRecord('data-tables.ndjson', (random, t) => {
      const column = pick(random, t.columns as JsonRecord[]);
      column.type = 'blob';
      return `column ${String(column.name)} of type blob`;
    }),
  ],
  'owners present': [
    anyRecord(WORKFLOWS, (_random, w) => {
      w.shared = [{ role: 'workflow:owner', projectId: 'projectGone' }];
      return 'owned by a project the archive lacks';
    }),
    anyRecord(WORKFLOWS, (random, w) => {
      w.shared = pick(random, [
        [],
        [{ role: 'workflow:editor', projectId: (w.shared as JsonRecord[])[0]?.projectId }],
      ]);
      return 'no owner at all';
    }),
    anyRecord('credentials.ndjson', (_random, c) => {
      c.shared = [{ id: 'projectGone', name: 'Gone', role: 'credential:owner' }];
      return 'credential of a project the archive lacks';
    }),
    anyRecord('data-tables.ndjson', (_random, t) => {
      t.projectId = 'projectGone';
      return 'data table of a project the archive lacks';
    }),
  ],
  'every kind present or absent for a reason': [
    (_random, base) => dropKind(base, 'tags'),
    (_random, base) => dropKind(base, 'projects'),
    (_random, base) => dropKind(base, 'variables'),
  ],
  'names agree': [
    (random, base) =>
      editOne(
        random,
        base,
        WORKFLOWS,
        (w) => ((w.tags as unknown[]) ?? []).length > 0,
        (w) => {
          const tag = pick(random, w.tags as JsonRecord[]);
          tag.name = `${String(tag.name)} (renamed)`;
          return `tag ${String(tag.id)} named ${String(tag.name)} here only`;
        },
      ),
  ],
};

/** Every mutant of every rule, each drawn from its own generator. */
export function consistencyMutants(base: BaseArchive, seed: number): ConsistencyMutant[] {
  return Object.entries(CONSISTENCY_RULES).flatMap(([rule, makers]) =>
    makers.map((make, index) => ({ rule, ...make(createRandom(seedOf(seed, rule, index)), base) })),
  );
}

/** One generator's seed per run seed, rule and mutant. */
function seedOf(seed: number, rule: string, index: number): number {
  return createHash('sha256').update(`${seed}/${rule}/${index}`).digest().readUInt32BE(0);
}

import { type ArchiveContents, readContents } from '../../../core/archive/contents.js';
import type { Manifest, OpenedArchive } from '../../../core/archive/format.js';
import {
  countVersions,
  findArchivedWorkflow,
  holdsHistory,
  versionsOf,
} from '../../../core/archive/history.js';
import type { OptionValues } from '../../../core/options/table.js';
import { defineCommand } from '../../command.js';
import { inspectUsage } from '../../errors.js';
import { formatBytes, formatTable, type Output, printJson } from '../../output.js';
import { INSPECT_COMMAND } from './options.js';

type InspectValues = OptionValues<typeof INSPECT_COMMAND.options>;

export const inspectCommand = defineCommand(
  INSPECT_COMMAND,
  async ({ args: [location = ''], values, cli }) => {
    const archive = await (await cli.archives(values)).openArchive(location);
    try {
      if (values.contents || values.workflows) await printContents(cli.out, archive, values);
      else if (values.versions) await printVersions(cli.out, archive, values);
      else if (values.workflow !== undefined || values.tag !== undefined || values.project !== undefined)
        throw inspectUsage.filterWithoutListing();
      else await printManifest(cli.out, archive, values.json === true);
    } finally {
      await archive.close();
    }
  },
);

async function printManifest(out: Output, archive: OpenedArchive, json: boolean): Promise<void> {
  const m = archive.manifest;
  if (json) return printJson(out, m);
  out.stdout.write(`${formatTable(manifestFields(m))}\n\n`);
  out.stdout.write(
    `${formatTable([['resource', 'count'], ...Object.entries(m.counts).map(([k, v]) => [k, String(v)])])}\n\n`,
  );
  out.stdout.write(
    `${formatTable([
      ['entry', 'records', 'size', 'sha256'],
      ...m.entries.map((e) => [e.name, String(e.records), formatBytes(e.size), e.sha256.slice(0, 16)]),
    ])}\n`,
  );
  for (const skip of m.skipped) out.stdout.write(`skipped: ${skip.resource} — ${skip.reason}\n`);
  for (const warning of m.warnings) out.stdout.write(`warning: ${warning.message}\n`);
  if (!holdsHistory(archive)) return;
  const counts = await countVersions(archive);
  out.stdout.write(
    `\n${formatTable([['workflow', 'id', 'saved versions'], ...counts.map((w) => [w.name, w.id, String(w.versions)])])}\n`,
  );
}

function manifestFields(m: Manifest): string[][] {
  const duration = (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000;
  return [
    ['field', 'value'],
    ['format', `${m.format} v${m.formatVersion}`],
    ['tool', `${m.tool.name} ${m.tool.version}`],
    ['instance', m.source.instance],
    ['source URL', m.source.url],
    [
      'n8n version',
      m.source.n8nVersion ?? `unknown (${m.source.n8nVersionNote ?? 'not recorded by this archive'})`,
    ],
    [
      'community packages',
      m.communityPackages === undefined
        ? 'not recorded'
        : m.communityPackages.map((p) => `${p.name}@${p.version}`).join(', ') || 'none',
    ],
    ['started', m.startedAt],
    ['finished', `${m.finishedAt} (${duration.toFixed(1)} s)`],
  ];
}

async function printVersions(out: Output, archive: OpenedArchive, flags: InspectValues): Promise<void> {
  if (flags.workflow === undefined) throw inspectUsage.versionsWithoutWorkflow();
  if (!holdsHistory(archive)) throw inspectUsage.noHistory();
  const workflow = await findArchivedWorkflow(archive, flags.workflow);
  const versions = await versionsOf(archive, workflow.id);
  if (flags.json) return printJson(out, { workflow: { id: workflow.id, name: workflow.name }, versions });
  out.stdout.write(
    `${formatTable([
      ['versionId', 'createdAt', 'authors', 'name'],
      ...versions.map((v) => [v.versionId, v.createdAt, v.authors ?? '', v.name ?? '']),
    ])}\n`,
  );
}

async function printContents(out: Output, archive: OpenedArchive, flags: InspectValues): Promise<void> {
  const contents = await readContents(
    archive,
    { workflow: flags.workflow, tag: flags.tag, project: flags.project },
    { workflowsOnly: flags.contents !== true },
  );
  if (flags.json) return printJson(out, flags.contents ? contents : contents.workflows);
  const sections = flags.contents ? contentTables(contents) : [workflowTable(contents)];
  out.stdout.write(`${sections.join('\n\n')}\n`);
}

function workflowTable(c: ArchiveContents): string {
  if (c.workflows.length === 0) return 'workflows: none';
  return formatTable([
    ['workflow', 'project', 'folder', 'tags', 'active', 'updated', 'id'],
    ...c.workflows.map((w) => [
      w.archived ? `${w.name} (archived)` : w.name,
      w.project ?? '',
      w.folder ?? '',
      w.tags.join(', '),
      w.active ? 'yes' : 'no',
      w.updatedAt ?? '',
      w.id,
    ]),
  ]);
}

function contentTables(c: ArchiveContents): string[] {
  const table = (kind: string, header: string[], rows: string[][]) =>
    `${kind} (${rows.length})\n${rows.length === 0 ? 'none' : formatTable([header, ...rows])}`;
  return [
    `Workflows (${c.workflows.length})\n${workflowTable(c)}`,
    table(
      'Projects',
      ['project', 'type', 'id'],
      c.projects.map((p) => [p.name, p.type, p.id]),
    ),
    table(
      'Folders',
      ['folder', 'project', 'id'],
      c.folders.map((f) => [f.path, f.project ?? '', f.id]),
    ),
    table(
      'Tags',
      ['tag', 'id'],
      c.tags.map((t) => [t.name, t.id]),
    ),
    table(
      'Credentials (metadata only)',
      ['credential', 'type', 'project', 'id'],
      c.credentials.map((x) => [x.name, x.type, x.project ?? '', x.id]),
    ),
    table(
      'Data tables',
      ['data table', 'project', 'columns', 'rows', 'id'],
      c.dataTables.map((t) => [t.name, t.project ?? '', String(t.columns), String(t.rows), t.id]),
    ),
    table(
      'Variables (keys only)',
      ['variable', 'project', 'id'],
      c.variables.map((v) => [v.key, v.project ?? '', v.id]),
    ),
  ];
}

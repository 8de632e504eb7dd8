import type { Command } from 'commander';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../core/archive/access.js';
import { type ArchiveContents, readContents } from '../../core/archive/contents.js';
import type { Manifest, OpenedArchive } from '../../core/archive/format.js';
import { countVersions, findArchivedWorkflow, holdsHistory, versionsOf } from '../../core/archive/history.js';
import { UsageError } from '../../core/errors.js';
import { formatBytes, formatTable, type Output, printJson } from '../output.js';
import { storeForArchive } from '../stores.js';

interface InspectFlags {
  json?: boolean;
  workflow?: string;
  versions?: boolean;
  contents?: boolean;
  workflows?: boolean;
  tag?: string;
  project?: string;
}

export function registerInspectCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  program
    .command('inspect')
    .summary("show what an archive holds: its manifest, its objects by name, a workflow's saved versions")
    .description(
      'Without options: the manifest (source, n8n version, counts, entries with their checksums) and ' +
        "each workflow's number of saved versions. --contents lists every object by name; --workflows " +
        'only the workflows. Nothing is written anywhere; `extract` writes workflows and rows out.',
    )
    .argument('<archive>', 'archive path, or s3://bucket/key[?versionId=…]')
    .option(
      '--contents',
      'list every object by kind: names, projects, folders, tags, active state, last update',
    )
    .option('--workflows', 'list the workflows only (as --contents does)')
    .option(
      '--workflow <glob|name|id>',
      'with --contents/--workflows: only workflows whose name matches this glob; with --versions: the workflow',
    )
    .option('--tag <name>', 'with --contents/--workflows: only workflows with this tag')
    .option('--project <name>', 'with --contents/--workflows: only this project and what it holds')
    .option(
      '--versions',
      "list one workflow's saved versions (versionId, createdAt, authors); needs --workflow",
    )
    .option('--json', 'print the manifest, the contents or the versions as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  n8n-ark inspect ./n8n-ark-backups/prod/2026-11-29T02-00-00-000Z.zip\n' +
        '  n8n-ark inspect <archive> --contents\n' +
        '  n8n-ark inspect <archive> --workflows --workflow "Orders*" --tag billing\n' +
        '  n8n-ark inspect <archive> --workflows --project "Finance" --json\n' +
        '  n8n-ark inspect <archive> --workflow "Orders" --versions\n' +
        'Write a workflow or a saved version out with `n8n-ark extract`.\n',
    )
    .action(async (location: string, flags: InspectFlags) => {
      const archive = await openArchiveAt(await storeForArchive(location, env), location, openZipArchive);
      try {
        if (flags.contents || flags.workflows) await printContents(out, archive, flags);
        else if (flags.versions) await printVersions(out, archive, flags);
        else if (flags.workflow !== undefined || flags.tag !== undefined || flags.project !== undefined)
          throw new UsageError(
            '--workflow, --tag and --project go with --contents, --workflows or --versions',
          );
        else await printManifest(out, archive, flags.json === true);
      } finally {
        await archive.close();
      }
    });
}

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

async function printVersions(out: Output, archive: OpenedArchive, flags: InspectFlags): Promise<void> {
  if (flags.workflow === undefined) throw new UsageError('--versions needs --workflow <name-or-id>');
  if (!holdsHistory(archive))
    throw new UsageError(
      'this archive holds no saved versions (backed up before history was kept, or with --history 0)',
    );
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

async function printContents(out: Output, archive: OpenedArchive, flags: InspectFlags): Promise<void> {
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

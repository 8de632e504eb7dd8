import { describe, expect, it } from 'vitest';
import { checkArchiveContent } from '../../functions/core/archive/check.js';
import { ENTRY } from '../../functions/core/archive/entries.js';
import { ArchiveIntegrityError } from '../../functions/core/errors.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { runRestore } from '../../functions/core/restore/run.js';
import { type MemoryArchive, memoryArchive } from './fakes/memory-archive.js';
import { emptyTarget, seededSource } from './fakes/seeded-instance.js';
import { InMemoryLedgerStore } from './support/in-memory-ledger-store.js';

/** An archive whose content was changed after the backup, digests kept matching (as if recomputed). */
function altered(change: (archive: MemoryArchive) => void): MemoryArchive {
  const archive = memoryArchive(seededSource());
  change(archive);
  return archive;
}

function records(archive: MemoryArchive, name: string): Record<string, unknown>[] {
  return archive.content.get(name) as Record<string, unknown>[];
}

/** A kind's entry removed from the manifest (so from the archive) with its count, leaving no reason. */
function dropped(resource: string) {
  return (a: MemoryArchive) => {
    a.manifest.entries.splice(
      a.manifest.entries.findIndex((e) => e.resource === resource),
      1,
    );
    delete a.manifest.counts[resource];
  };
}

function firstRowsChunk(archive: MemoryArchive) {
  const chunk = archive.manifest.entries.find((e) => e.resource === 'dataTableRows');
  if (!chunk) throw new Error('the seeded archive has no rows');
  return chunk;
}

describe('checkArchiveContent', () => {
  it('finds nothing wrong with an archive as the backup wrote it', async () => {
    expect(await checkArchiveContent(memoryArchive(seededSource()))).toEqual([]);
  });

  it.each([
    [
      'an emptied workflows entry',
      (a: MemoryArchive) => a.content.set(ENTRY.workflows, []),
      /workflows\.ndjson.*holds 0 record\(s\); the manifest says \d+/,
    ],
    [
      'a workflow whose nodes are not a list',
      (a: MemoryArchive) => {
        const [first] = records(a, ENTRY.workflows);
        if (first) first.nodes = 'none';
      },
      /workflows\.ndjson.*line 1: nodes:/,
    ],
    [
      'a data table whose name is a number',
      (a: MemoryArchive) => {
        const [first] = records(a, ENTRY.dataTables);
        if (first) first.name = 42;
      },
      /data-tables\.ndjson.*line 1: name:/,
    ],
    [
      'a rows chunk naming a table the archive lacks',
      (a: MemoryArchive) => {
        firstRowsChunk(a).dataTableId = 'no-such-table';
      },
      /rows-\d{6}\.ndjson: entries of dataTableRows are named data-tables\/no-such-table\//,
    ],
    [
      'a row with a column its table does not have',
      (a: MemoryArchive) => {
        const [row] = records(a, firstRowsChunk(a).name);
        if (row) row.smuggled = 'x';
      },
      /line 1: smuggled: not a column of its data table/,
    ],
    [
      'two tags with one id',
      (a: MemoryArchive) => {
        const tags = records(a, ENTRY.tags);
        if (tags[0] && tags[1]) tags[1].id = tags[0].id;
      },
      /tags\.ndjson.*appears twice among the tags/,
    ],
    [
      'a workflow tagged with a tag the archive lacks',
      (a: MemoryArchive) => {
        const tagged = records(a, ENTRY.workflows).find((w) => (w.tags as unknown[]).length > 0);
        if (tagged) tagged.tags = [{ id: 'ghost', name: 'ghost' }];
      },
      /carries tag ghost, which is not in tags\.ndjson/,
    ],
    [
      'a saved version of a workflow the archive lacks',
      (a: MemoryArchive) => {
        const [version] = records(a, ENTRY.workflowHistory);
        if (version) version.workflowId = 'ghost';
      },
      /workflow-history\.ndjson: line 1: it holds versions of workflow ghost, which is not in workflows\.ndjson/,
    ],
    [
      'two saved versions with one versionId',
      (a: MemoryArchive) => {
        const versions = records(a, ENTRY.workflowHistory);
        if (versions[0] && versions[1]) versions[1].versionId = versions[0].versionId;
      },
      /workflow-history\.ndjson.*appears twice among the workflowHistory/,
    ],
    [
      'a saved version without its graph',
      (a: MemoryArchive) => {
        const [version] = records(a, ENTRY.workflowHistory);
        if (version) delete version.nodes;
      },
      /workflow-history\.ndjson.*line 1: nodes:/,
    ],
    [
      'manifest counts that differ from the entries',
      (a: MemoryArchive) => {
        a.manifest.counts.workflows = (a.manifest.counts.workflows ?? 0) + 1;
      },
      /counts\.workflows is \d+, but its entries hold \d+/,
    ],
  ])('refuses %s, naming the entry', async (_what, change, problem) => {
    // Prepare
    const archive = altered(change);

    // Act
    const problems = await checkArchiveContent(archive);

    // Assess
    expect(problems.map((p) => `${p.entry}: ${p.problem}`)).toContainEqual(expect.stringMatching(problem));
  });

  it.each([
    [
      'a folder that is its own parent',
      (a: MemoryArchive) => {
        const [folder] = records(a, ENTRY.folders);
        if (folder) folder.parentFolderId = folder.id;
      },
      /folders\.ndjson: line \d+: folders ".+" → ".+" form a cycle: each is its own ancestor/,
    ],
    [
      'two folders each the parent of the other',
      (a: MemoryArchive) => {
        const [first, second] = records(a, ENTRY.folders);
        if (first && second) {
          first.parentFolderId = second.id;
          second.parentFolderId = first.id;
        }
      },
      /folders\.ndjson: line \d+: folders "(.+)" → "(.+)" → "\1" form a cycle/,
    ],
    [
      'one tag name under two ids',
      (a: MemoryArchive) => {
        const [first, second] = records(a, ENTRY.tags);
        if (first && second) second.name = first.name;
      },
      /tags\.ndjson: line 2: tag name "prod" appears twice \(n8n keeps one; ids differ\)/,
    ],
    [
      'one global variable key under two ids',
      (a: MemoryArchive) => {
        const variables = records(a, ENTRY.variables);
        variables.push({ ...variables[0], id: 'other' });
      },
      /variables\.ndjson: line 3: variable key "REGION" among the global ones appears twice/,
    ],
    [
      'one data table name twice in a project',
      (a: MemoryArchive) => {
        const [first, second] = records(a, ENTRY.dataTables);
        if (first && second) Object.assign(second, { name: first.name, projectId: first.projectId });
      },
      /data-tables\.ndjson: line 2: data table name "customers" in project \S+ appears twice/,
    ],
    [
      'one team project name under two ids',
      (a: MemoryArchive) => {
        const projects = records(a, ENTRY.projects);
        const team = projects.find((p) => p.type === 'team');
        projects.push({ ...team, id: 'copy' });
      },
      /projects\.ndjson: line \d+: project name "Ops" appears twice/,
    ],
    [
      'one folder name twice under one parent',
      (a: MemoryArchive) => {
        const folders = records(a, ENTRY.folders);
        folders.push({ ...folders[0], id: 'copy' });
      },
      /folders\.ndjson: line 3: folder name "Billing" under the top of project \S+ appears twice/,
    ],
    [
      'an empty variable key',
      (a: MemoryArchive) => {
        const [variable] = records(a, ENTRY.variables);
        if (variable) variable.key = '';
      },
      /variables\.ndjson: line 1: key "" is not one n8n takes/,
    ],
    [
      'a variable key with characters n8n refuses',
      (a: MemoryArchive) => {
        const [variable] = records(a, ENTRY.variables);
        if (variable) variable.key = 'REGION-EU';
      },
      /variables\.ndjson: line 1: key "REGION-EU" is not one n8n takes/,
    ],
    [
      'a column type n8n does not have',
      (a: MemoryArchive) => {
        const [column] = (records(a, ENTRY.dataTables)[0]?.columns ?? []) as { type: string }[];
        if (column) column.type = 'blob';
      },
      /data-tables\.ndjson: line 1: column "email" has type "blob", which n8n does not have/,
    ],
    [
      'a column name twice in a table',
      (a: MemoryArchive) => {
        const [table] = records(a, ENTRY.dataTables);
        const columns = table?.columns as { name: string }[];
        columns[1]!.name = columns[0]!.name;
      },
      /data-tables\.ndjson: line 1: column "email" appears twice/,
    ],
    [
      'a workflow owned by a project the archive lacks',
      (a: MemoryArchive) => {
        const [workflow] = records(a, ENTRY.workflows);
        if (workflow) workflow.shared = [{ role: 'workflow:owner', projectId: 'ghost' }];
      },
      /workflows\.ndjson: line 1: workflow \S+ is owned by project ghost, which is not in the archive/,
    ],
    [
      'a workflow without an owner',
      (a: MemoryArchive) => {
        const [workflow] = records(a, ENTRY.workflows);
        if (workflow) workflow.shared = [];
      },
      /workflows\.ndjson: line 1: workflow \S+ has no owner/,
    ],
    [
      'a credential owned by a project the archive lacks',
      (a: MemoryArchive) => {
        const [credential] = records(a, ENTRY.credentials);
        if (credential) credential.shared = [{ id: 'ghost', name: 'Ghost', role: 'credential:owner' }];
      },
      /credentials\.ndjson: line 1: credential \S+ is owned by project ghost, which is not in the archive/,
    ],
    [
      'a data table of a project the archive lacks',
      (a: MemoryArchive) => {
        const [table] = records(a, ENTRY.dataTables);
        if (table) table.projectId = 'ghost';
      },
      /data-tables\.ndjson: line 1: data table \S+ belongs to project ghost, which is not in the archive/,
    ],
    [
      'a workflow using a credential neither in the archive nor declared dangling',
      (a: MemoryArchive) => {
        const used = records(a, ENTRY.workflows).find((w) => JSON.stringify(w.nodes).includes('credSlack'));
        if (used)
          Object.assign(used, JSON.parse(JSON.stringify(used).replaceAll('credSlack0000001', 'credGone')));
      },
      /workflows\.ndjson: line \d+: workflow \S+ nodes\[".+"\]\.credentials\.slackApi\.id refers to credential \(slackApi\) "credGone", which is neither in the archive nor declared dangling/,
    ],
    [
      'the credentials entry gone from archive and manifest alike',
      dropped('credentials'),
      /manifest\.json: the archive has no credentials entry and the manifest does not say why/,
    ],
    [
      'the tags entry gone from archive and manifest alike',
      dropped('tags'),
      /manifest\.json: the archive has no tags entry and the manifest does not say why/,
    ],
    [
      'a workflow naming its tag otherwise than tags.ndjson',
      (a: MemoryArchive) => {
        const tagged = records(a, ENTRY.workflows).find((w) => (w.tags as unknown[]).length > 0);
        const [tag] = (tagged?.tags ?? []) as { name: string }[];
        if (tag) tag.name = 'renamed';
      },
      /workflows\.ndjson: line \d+: gives tags "\S+" the name "renamed", but its own entry names it "(prod|billing)"/,
    ],
  ])('refuses %s, naming the entry and line', async (_what, change, problem) => {
    // Prepare
    const archive = altered(change);

    // Act
    const problems = await checkArchiveContent(archive);

    // Assess
    expect(problems.map((p) => `${p.entry}: ${p.problem}`)).toContainEqual(expect.stringMatching(problem));
  });

  it('accepts a reference the backup declared dangling, and one a legacy archive warned about', async () => {
    // Prepare: the same unknown credential, declared in the manifest's list (or, before it, in a warning)
    const gone = (a: MemoryArchive) => {
      const used = records(a, ENTRY.workflows).find((w) => JSON.stringify(w.nodes).includes('credSlack'));
      if (!used) throw new Error('the seeded archive uses no Slack credential');
      Object.assign(used, JSON.parse(JSON.stringify(used).replaceAll('credSlack0000001', 'credGone')));
      const node = (used.nodes as { name: string; credentials?: object }[]).find((n) => n.credentials);
      return { workflow: String(used.id), node: String(node?.name) };
    };
    const declared = altered((a) => {
      const { workflow, node } = gone(a);
      a.manifest.danglingReferences = [
        {
          workflow,
          kind: 'credential',
          id: 'credGone',
          location: `nodes[${JSON.stringify(node)}].credentials.slackApi.id`,
        },
      ];
    });
    const legacy = altered((a) => {
      const { workflow, node } = gone(a);
      a.manifest.warnings.push({
        code: 'dangling-reference',
        message: 'x',
        workflow: { id: workflow, name: 'x' },
        node,
      });
    });

    // Act
    const problems = [await checkArchiveContent(declared), await checkArchiveContent(legacy)];

    // Assess
    expect(problems).toEqual([[], []]);
  });

  it('accepts a kind the manifest says was skipped, with its references unjudged', async () => {
    // Prepare: projects skipped at backup (not licensed): what they own is not judged against them
    const archive = memoryArchive(seededSource(), {
      skipped: [{ resource: 'projects', reason: 'not licensed' }],
    });

    // Act
    const problems = await checkArchiveContent(archive);

    // Assess
    expect(archive.manifest.entries.map((e) => e.resource)).not.toContain('projects');
    expect(problems).toEqual([]);
  });

  it('accepts an archive written before history was kept (no workflow-history entry)', async () => {
    // Prepare
    const archive = memoryArchive(seededSource(), {
      skipped: [{ resource: 'workflowHistory', reason: 'not kept' }],
    });
    archive.manifest.skipped.length = 0;

    // Act
    const problems = await checkArchiveContent(archive);

    // Assess
    expect(archive.manifest.entries.map((e) => e.resource)).not.toContain('workflowHistory');
    expect(problems).toEqual([]);
  });

  it('makes a restore refuse such an archive before its first write', async () => {
    // Prepare
    const archive = altered((a) => a.content.set(ENTRY.workflows, []));
    const target = emptyTarget();
    const deps = {
      archive,
      api: target,
      ledgerStore: new InMemoryLedgerStore(),
      clock: { now: () => new Date('2026-11-22T02:00:00.000Z') },
      logger: silentLogger,
      progress: silentProgress,
    };

    // Act
    const restore = runRestore(deps);

    // Assess
    await expect(restore).rejects.toThrow(ArchiveIntegrityError);
    await expect(runRestore(deps)).rejects.toThrow(/holds 0 record\(s\).*Nothing was written/);
    expect(target.writes).toEqual([]);
  });
});

/**
 * Workflows: a workflow is its name in its project (or, keeping ids, its id). They are written last
 * of all kinds, since they refer to every other: created (new ids, or their own through n8n's
 * package import), given their final references, tagged, archived and published.
 */
import { z } from 'zod';
import { isOwnerRole } from '../../instance/identity.js';
import type { Workflow, WorkflowVersion } from '../../n8n-types.js';
import type { N8nApi, N8nWorkflowsApi } from '../../ports.js';
import {
  findWorkflowReferences,
  referredTo,
  type WorkflowReference,
} from '../../references/workflow-references.js';
import type { ApplyContext, ArchiveReference, Kind, KindPlanOptions, RestorePlan } from '../kind.js';
import { id, jsonObject, optionalText, text } from '../kind.js';
import { activateWorkflows } from './activation.js';
import { archiveWorkflows } from './archive.js';
import { judgeWorkflows } from './closing.js';
import { installCommunityPackages, installsCommunityPackages } from './community-install.js';
import { createWorkflows } from './create.js';
import { workflowsDetail } from './detail.js';
import { HISTORY_ENTRY, WORKFLOWS_ENTRY } from './entry-names.js';
import { workflowImportMissing } from './errors.js';
import { importWorkflowsKeepingIds } from './keep-ids-import.js';
import { planWorkflows } from './plan.js';
import { writeDrafts } from './published.js';
import { writeFinalReferences } from './references-pass.js';
import { wipeWorkflow } from './scratch.js';
import { beforeRetry, workflowNeeds } from './selection.js';
import { readTargetWorkflows, summarize } from './summary.js';
import { tagWorkflows } from './tags.js';
import { toWorkflowWrite } from './write-body.js';

export { WorkflowCanonicalizer } from './canonical.js';
export { choosable, type WorkflowRow, workflowRow } from './contents.js';
export type { CommunityPackageInstall, WorkflowEntryDetail, WorkflowsPlanDetail } from './detail.js';
export { HISTORY_ENTRY, WORKFLOWS_ENTRY } from './entry-names.js';
export { workflowKey } from './plan.js';
export type { TargetWorkflow, WorkflowSummary } from './summary.js';
export { toWorkflowWrite, WRITABLE_NODE_KEYS, WRITABLE_SETTINGS_KEYS } from './write-body.js';

function create(ctx: ApplyContext): Promise<void> {
  return ctx.plan.keepWorkflowIds ? importWorkflowsKeepingIds(ctx) : createWorkflows(ctx);
}

/** Keeping ids needs n8n's package import (n8n 2.24+): the only route that creates workflows under chosen ids. */
async function refuseUnfitTarget(api: N8nApi, options: KindPlanOptions): Promise<void> {
  if (options.workflowWrite?.keepWorkflowIds && !(await api.supportsWorkflowImport()))
    throw workflowImportMissing(api.baseUrl);
}

/** Keeping ids creates workflows through n8n's package import; installing packages needs its own scope. */
function extraScopes(plan: RestorePlan, options: KindPlanOptions): string[] {
  const creates = plan.entries.some((e) => e.resource === 'workflows' && e.action === 'create');
  return [
    ...(plan.keepWorkflowIds && creates ? ['workflow:import'] : []),
    ...(installsCommunityPackages(plan, options) ? ['communityPackage:install'] : []),
  ];
}

/** What a workflow names in other entries: its folder, its tags, its owner, and what its nodes and settings use. */
function references(workflow: Workflow): ArchiveReference[] {
  return [
    ...folderOf(workflow),
    ...tagsOf(workflow),
    ...ownerOf(workflow),
    ...findWorkflowReferences(workflow).map((reference) => usedObject(workflow, reference)),
  ];
}

function folderOf(workflow: Workflow): ArchiveReference[] {
  if (typeof workflow.parentFolderId !== 'string') return [];
  return [
    {
      resource: 'folders',
      id: workflow.parentFolderId,
      problem: `a workflow is in folder ${workflow.parentFolderId}, which is not in folders.ndjson`,
    },
  ];
}

/** Its tags, with the names it gives them (they must be the tags' own). */
function tagsOf(workflow: Workflow): ArchiveReference[] {
  return (workflow.tags ?? []).map((tag) => ({
    resource: 'tags',
    id: tag.id,
    name: tag.name,
    problem: `a workflow carries tag ${tag.id}, which is not in tags.ndjson`,
  }));
}

function ownerOf(workflow: Workflow): ArchiveReference[] {
  const owner = owningShare(workflow);
  if (!owner) return [];
  return [
    {
      resource: 'projects',
      id: owner.projectId,
      problem: `workflow ${workflow.id} is owned by project ${owner.projectId}, which is not in the archive`,
    },
  ];
}

const REFERRED_RESOURCE: Record<WorkflowReference['kind'], string> = {
  credential: 'credentials',
  dataTable: 'dataTables',
  workflow: 'workflows',
  errorWorkflow: 'workflows',
  callerId: 'workflows',
};

/** A credential, data table or workflow a workflow uses: in the archive, or declared dangling by the backup. */
function usedObject(workflow: Workflow, reference: WorkflowReference): ArchiveReference {
  return {
    resource: REFERRED_RESOURCE[reference.kind],
    id: reference.id,
    problem: `workflow ${workflow.id} ${reference.location} refers to ${referredTo(reference)}, which is neither in the archive nor declared dangling by the backup`,
    dangling: { workflow: workflow.id, kind: reference.kind, id: reference.id, location: reference.location },
  };
}

/** The share that owns a workflow (n8n's role `workflow:owner`). */
function owningShare(workflow: Workflow): { projectId: string } | undefined {
  return (workflow.shared ?? []).find((share) => isOwnerRole(share.role));
}

/** Every workflow n8n holds has an owning project; one without cannot be placed. */
function ownerProblem(workflow: Workflow): string | undefined {
  return owningShare(workflow)
    ? undefined
    : `workflow ${workflow.id} has no owner (no share with role workflow:owner)`;
}

/** A saved version belongs to an archived workflow; its own id is its versionId (n8n's key for history). */
const historyEntry = {
  name: HISTORY_ENTRY,
  record: z.looseObject({
    workflowId: id,
    versionId: id,
    createdAt: text,
    authors: optionalText,
    name: optionalText,
    nodes: z.array(z.looseObject({ name: text, type: text, parameters: jsonObject.optional() })),
    connections: jsonObject,
  }),
  idOf: (version: WorkflowVersion & { workflowId: string }) => String(version.versionId),
  references: (version: WorkflowVersion & { workflowId: string }): ArchiveReference[] => [
    {
      resource: 'workflows',
      id: String(version.workflowId),
      problem: `it holds versions of workflow ${version.workflowId}, which is not in workflows.ndjson`,
      always: true,
    },
  ],
};

export const workflowsKind = {
  resource: 'workflows',
  restored: true,
  required: true,
  entries: {
    workflows: {
      name: WORKFLOWS_ENTRY,
      record: z.looseObject({
        id,
        name: text,
        nodes: z.array(z.looseObject({ name: text, type: text, parameters: jsonObject.optional() })),
        connections: jsonObject,
        settings: jsonObject.nullish(),
        staticData: jsonObject.nullish(),
        active: z.boolean().optional(),
        isArchived: z.boolean().optional(),
        description: optionalText,
        parentFolderId: z.string().nullish(),
        tags: z.array(z.looseObject({ id, name: text })).optional(),
        shared: z.array(z.looseObject({ projectId: id, role: text })).optional(),
      }),
      references,
      problemOf: ownerProblem,
      // What a create (and the references pass's PUT) sends.
      bodyBytes: (workflow: Workflow) => Buffer.byteLength(JSON.stringify(toWorkflowWrite(workflow).body)),
    },
    /** Saved versions (backup --history): the graph of each, never written back (n8n cannot take history). */
    workflowHistory: historyEntry,
  },
  list: (api: N8nWorkflowsApi) => api.listWorkflows({ excludePinnedData: true }),
  backup: { projectsOf: (workflow: Workflow) => (workflow.shared ?? []).map((share) => share.projectId) },
  summarize,
  refuseUnfitTarget,
  readTarget: readTargetWorkflows,
  restoreScopes: [
    'workflow:list',
    'workflow:read',
    'workflow:create',
    'workflow:update',
    'workflow:activate',
    'workflow:move',
  ],
  selection: { needs: workflowNeeds },
  plan: planWorkflows,
  detail: workflowsDetail,
  steps: [
    { name: 'workflows', run: create },
    { name: 'workflowReferences', run: (ctx) => writeFinalReferences(ctx) },
    { name: 'workflowTags', run: (ctx) => tagWorkflows(ctx) },
    { name: 'workflowArchive', run: (ctx) => archiveWorkflows(ctx) },
    { name: 'activation', run: (ctx) => activateWorkflows(ctx) },
    { name: 'workflowDrafts', run: (ctx) => writeDrafts(ctx) },
  ],
  closingCheckNames: true,
  judgeRestored: judgeWorkflows,
  extraScopes,
  beforeWrite: installCommunityPackages,
  beforeRetry,
  scratch: { wipe: wipeWorkflow, wipeScopes: ['workflow:deactivate', 'workflow:delete'] },
} as const satisfies Kind<
  'workflows',
  'workflows' | 'workflowReferences' | 'workflowTags' | 'workflowArchive' | 'activation' | 'workflowDrafts'
>;

/**
 * Workflows: a workflow is its name in its project (or, keeping ids, its id). They are written last
 * of all kinds, since they refer to every other: created (new ids, or their own through n8n's
 * package import), given their final references, tagged, archived and published.
 */
import { z } from 'zod';
import type { N8nWorkflowsApi } from '../../ports.js';
import type { ApplyContext, Kind } from '../kind.js';
import { id, jsonObject, optionalText, text } from '../kind.js';
import { activateWorkflows } from './activation.js';
import { archiveWorkflows } from './archive.js';
import { createWorkflows } from './create.js';
import { importWorkflowsKeepingIds } from './keep-ids-import.js';
import { planWorkflows } from './plan.js';
import { writeDrafts } from './published.js';
import { writeFinalReferences } from './references-pass.js';
import { tagWorkflows } from './tags.js';

export { workflowKey } from './plan.js';
export { toWorkflowWrite, WRITABLE_NODE_KEYS, WRITABLE_SETTINGS_KEYS } from './write-body.js';

function create(ctx: ApplyContext, resumed: boolean): Promise<void> {
  return ctx.plan.keepWorkflowIds ? importWorkflowsKeepingIds(ctx, resumed) : createWorkflows(ctx, resumed);
}

export const workflowsKind = {
  resource: 'workflows',
  restored: true,
  records: {
    workflows: z.looseObject({
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
    /** Saved versions (backup --history): the graph of each, never written back (n8n cannot take history). */
    workflowHistory: z.looseObject({
      workflowId: id,
      versionId: id,
      createdAt: text,
      authors: optionalText,
      name: optionalText,
      nodes: z.array(z.looseObject({ name: text, type: text, parameters: jsonObject.optional() })),
      connections: jsonObject,
    }),
  },
  list: (api: N8nWorkflowsApi) => api.listWorkflows({ excludePinnedData: true }),
  restoreScopes: [
    'workflow:list',
    'workflow:read',
    'workflow:create',
    'workflow:update',
    'workflow:activate',
    'workflow:move',
  ],
  plan: planWorkflows,
  steps: [
    { name: 'workflows', run: create },
    { name: 'workflowReferences', run: (ctx) => writeFinalReferences(ctx) },
    { name: 'workflowTags', run: (ctx) => tagWorkflows(ctx) },
    { name: 'workflowArchive', run: (ctx) => archiveWorkflows(ctx) },
    { name: 'activation', run: (ctx) => activateWorkflows(ctx) },
    { name: 'workflowDrafts', run: (ctx) => writeDrafts(ctx) },
  ],
} as const satisfies Kind<
  'workflows',
  'workflows' | 'workflowReferences' | 'workflowTags' | 'workflowArchive' | 'activation' | 'workflowDrafts'
>;

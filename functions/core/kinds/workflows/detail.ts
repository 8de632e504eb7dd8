/**
 * What the workflows kind says on its plan entries and on the plan (flat on the generic records:
 * part of the ledger's plan), and the plan-wide detail it adds once every kind has planned.
 */
import type { KindDetail } from '../kind.js';
import type { PlanEntryDetail, RestorePlanDetail } from '../shared/plan-records.js';
import { type CommunityPackageInstall, checkNodeTypes } from './node-type-check.js';
import { planWebhookCollisions } from './webhook-plan.js';

export type { CommunityPackageInstall } from './node-type-check.js';

declare module '../shared/plan-records.js' {
  interface PlanEntryDetail {
    /** Workflows: the matched target workflow is archived / active (an update must undo that first). */
    targetArchived?: boolean;
    targetActive?: boolean;
    /**
     * Workflows: skipped, the target holds it as the archive's published version but unpublished (an
     * earlier restore wrote it and could not publish it): published now.
     */
    publishWaiting?: boolean;
  }
  interface RestorePlanDetail {
    /** Workflows are created under their archive ids (n8n package import), not given new ones. */
    keepWorkflowIds?: boolean;
    /** A later round of a finished restore: whether its earlier runs published what was active. */
    activatedEarlier?: boolean;
    /**
     * Written workflows (source id) that use node types the target lacks (`type@typeVersion`): they
     * are written but not published (node-type-check.ts).
     */
    missingNodeTypes?: Record<string, string[]>;
    /** Community packages the target lacks, at the archive's versions, that provide missing node types. */
    communityPackagesToInstall?: CommunityPackageInstall[];
  }
}

export type WorkflowEntryDetail = Pick<PlanEntryDetail, 'targetArchived' | 'targetActive' | 'publishWaiting'>;
export type WorkflowsPlanDetail = Pick<
  RestorePlanDetail,
  'keepWorkflowIds' | 'activatedEarlier' | 'missingNodeTypes' | 'communityPackagesToInstall'
>;

export const workflowsDetail: KindDetail<WorkflowEntryDetail, WorkflowsPlanDetail> = {
  ofTarget: ['targetArchived', 'targetActive', 'publishWaiting'],
  async finishPlan(ctx, plan) {
    if (ctx.options.workflowWrite?.keepWorkflowIds) plan.keepWorkflowIds = true;
    if (ctx.options.earlier) plan.activatedEarlier = ctx.options.earlier.activated;
    planWebhookCollisions(ctx, plan);
    await checkNodeTypes(
      plan,
      ctx.api,
      ctx.source,
      ctx.archive.manifest.communityPackages,
      ctx.options.preflight,
    );
  },
};

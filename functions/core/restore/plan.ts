/**
 * Planning: reads the archive and the target, applies the selection, then lets each kind decide,
 * per object, create / update / skip / conflict with the reason. It only reads; the applier carries
 * the plan out and a dry run prints it.
 *
 * Memory: the plan holds one small entry per object (ids, names, decisions), never bodies or rows.
 */
import { createHash } from 'node:crypto';
import type { Manifest, OpenedArchive } from '../archive/format.js';
import { stableStringify } from '../json.js';
import { EVERY_KIND, RESTORE_RESOURCES, type RestoreResource } from '../kinds/index.js';
import type { KindPlanOptions, PlanContext, ProjectScope } from '../kinds/kind.js';
import type { ConflictPolicy } from '../kinds/shared/conflict-policy.js';
import { type Logger, type N8nApi, type Progress, silentLogger, silentProgress } from '../ports.js';
import { checkReferences } from '../references/restore-check.js';
import { judgeBodySizes } from './body-limit.js';
import { readSource, readTarget, type SourceState, type TargetState } from './plan-state.js';
import { carryOver } from './rounds.js';
import { type Selection, selectObjects } from './selection.js';
import type {
  EarlierRestore,
  PlanAction,
  PlanEntry,
  PlanOptions,
  RestorePlan,
  RestoreWarning,
} from './types.js';
import { checkVersions } from './version-check.js';

/** Identifies an archive's content: the manifest carries every entry's digest. */
export function manifestDigest(manifest: Manifest): string {
  return createHash('sha256').update(stableStringify(manifest)).digest('hex');
}

/** What one planning is given beside its options: what was read already, earlier rounds, where it reports. */
export interface PlanRun {
  /** The archive's state when the caller read it already (while verifying it). */
  source?: SourceState;
  /** A later round of a finished restore: what its earlier runs wrote (see `restoredEarlier`). */
  earlier?: EarlierRestore;
  logger?: Logger;
  progress?: Progress;
}

export async function planRestore(
  archive: OpenedArchive,
  api: N8nApi,
  options: PlanOptions = {},
  { source, earlier, logger = silentLogger, progress = silentProgress }: PlanRun = {},
): Promise<RestorePlan> {
  const kindOptions = kindPlanOptions(options, earlier);
  for (const kind of EVERY_KIND) await kind.refuseUnfitTarget?.(api, kindOptions);
  const versions = checkVersions(
    archive.manifest.source,
    await api.n8nVersion(),
    options.preflight?.requireSameMinor,
  );
  progress.start('plan: reading the archive');
  const state = source ?? (await readSource(archive));
  progress.start('plan: reading the target');
  const target = await readTarget(api);
  progress.done('plan', 'target read');

  const context = createPlanContext(archive, api, options, state, target, earlier);
  for (const note of versions.notes) context.note(note);
  for (const warning of versions.warnings) context.warn(warning);
  for (const [resource, reason] of state.skipped)
    context.note(`The archive has no ${resource}: the backup skipped them (${reason}).`);
  for (const kind of EVERY_KIND) await kind.plan?.(context);
  if (earlier) carryOver((resource) => context.entries(resource), earlier, target);
  checkReferences(context);
  const plan = context.toPlan();
  for (const kind of EVERY_KIND) await kind.detail?.finishPlan?.(context, plan);
  await judgeBodySizes(plan, api, state.large ?? [], {
    note: (text) => plan.notes.push(text),
    warn: (warning) => plan.warnings.push(warning),
  });
  logger.info('restore planned', {
    target: api.baseUrl,
    entries: plan.entries.length,
    notes: plan.notes.length,
    warnings: plan.warnings.length,
  });
  return plan;
}

/** The context kinds plan in, over states already read (planRestore reads them; tests hand them in). */
export function createPlanContext(
  archive: OpenedArchive,
  api: N8nApi,
  options: PlanOptions,
  source: SourceState,
  target: TargetState,
  earlier?: EarlierRestore,
): PlanContext & { toPlan(): RestorePlan } {
  return new PlanningContext(archive, api, options, kindPlanOptions(options, earlier), source, target);
}

/** What the kinds plan by: the restore's options and, in a later round, what the earlier runs did. */
function kindPlanOptions(options: PlanOptions, earlier: EarlierRestore | undefined): KindPlanOptions {
  return earlier
    ? {
        ...options,
        earlier: {
          activated: earlier.activated,
          ...(earlier.rewrite ? { rewrite: earlier.rewrite } : {}),
        },
      }
    : options;
}

/** The planning context the kinds share: selection, where projects land, and the growing plan. */
class PlanningContext implements PlanContext {
  private readonly planned = new Map<RestoreResource, PlanEntry[]>();
  private readonly notes: string[] = [];
  private readonly warnings: RestoreWarning[] = [];
  private readonly scopes = new Map<string, ProjectScope>();
  private readonly selection: Selection | undefined;
  private readonly personalProjectIds: Set<string>;
  private readonly only: readonly RestoreResource[] | undefined;
  readonly onConflict: ConflictPolicy;

  constructor(
    readonly archive: OpenedArchive,
    readonly api: N8nApi,
    restoreOptions: PlanOptions,
    readonly options: KindPlanOptions,
    readonly source: SourceState,
    readonly target: TargetState,
  ) {
    this.onConflict = restoreOptions.conflicts?.onConflict ?? 'skip';
    this.only = restoreOptions.selection?.only;
    this.selection = selectObjects(source, restoreOptions.selection ?? {});
    this.notes.push(...(this.selection?.notes ?? []));
    this.personalProjectIds = new Set(
      (target.projects ?? []).filter((project) => project.type === 'personal').map((project) => project.id),
    );
  }

  isSelected(resource: RestoreResource, id: string): boolean {
    if (this.only && !this.only.includes(resource)) return false;
    return !this.selection || this.selection.ids.get(resource)?.has(id) === true;
  }

  isMatchable(resource: RestoreResource): boolean {
    return this.only !== undefined && !this.only.includes(resource);
  }

  pulledInBy(resource: RestoreResource, id: string): { pulledInBy?: string } {
    const by = this.selection?.pulledIn.get(`${resource}:${id}`);
    return by ? { pulledInBy: by } : {};
  }

  conflictPolicy(resource: RestoreResource, id: string): ConflictPolicy {
    return this.selection?.pulledIn.has(`${resource}:${id}`) ? 'skip' : this.onConflict;
  }

  setScope(sourceProjectId: string, scope: ProjectScope): void {
    this.scopes.set(sourceProjectId, scope);
  }

  scopeOf(sourceProjectId: string | undefined): ProjectScope {
    return (sourceProjectId && this.scopes.get(sourceProjectId)) || { kind: 'personal' };
  }

  readonly sourcePlace = (sourceProjectId: string | undefined): string => {
    const scope = this.scopeOf(sourceProjectId);
    return scope.kind === 'existing' ? scope.id : scope.kind === 'new' ? `new:${scope.name}` : 'personal';
  };

  /**
   * The key owner's personal project id is not known through the API: any personal project (or
   * anything, when the target has no projects) is taken to be it.
   */
  targetPlaces(targetProjectId: string | undefined): string[] {
    const personal =
      !this.target.projects || targetProjectId === undefined || this.personalProjectIds.has(targetProjectId);
    if (targetProjectId === undefined) return ['personal'];
    return personal ? [targetProjectId, 'personal'] : [targetProjectId];
  }

  add(entry: PlanEntry): void {
    const list = this.planned.get(entry.resource) ?? [];
    list.push(entry);
    this.planned.set(entry.resource, list);
  }

  entries(resource: RestoreResource): readonly PlanEntry[] {
    return this.planned.get(resource) ?? [];
  }

  note(text: string): void {
    this.notes.push(text);
  }

  warn(warning: RestoreWarning): void {
    this.warnings.push(warning);
  }

  /** Per kind the restore writes, whether the target listed it (a required kind always does, or planning failed). */
  private writable(): Partial<Record<RestoreResource, boolean>> {
    const target = this.target as unknown as Record<string, unknown>;
    return Object.fromEntries(
      EVERY_KIND.filter((kind) => kind.restored && !kind.required).map((kind) => [
        kind.resource,
        target[kind.resource] !== undefined,
      ]),
    );
  }

  toPlan(): RestorePlan {
    const manifest = this.archive.manifest;
    return {
      archive: {
        digest: manifestDigest(manifest),
        instance: manifest.source.instance,
        sourceUrl: manifest.source.url,
        startedAt: manifest.startedAt,
      },
      target: { url: this.api.baseUrl, ...this.writable() },
      onConflict: this.onConflict,
      entries: RESTORE_RESOURCES.flatMap((r) => this.entries(r)),
      notes: this.notes,
      warnings: this.warnings,
    };
  }
}

/** Counts of a plan's entries per resource and action. */
export function summarizePlan(plan: RestorePlan): Record<RestoreResource, Record<PlanAction, number>> {
  const summary = Object.fromEntries(
    RESTORE_RESOURCES.map((r) => [r, { create: 0, update: 0, skip: 0, conflict: 0 }]),
  ) as Record<RestoreResource, Record<PlanAction, number>>;
  for (const entry of plan.entries) summary[entry.resource][entry.action] += 1;
  return summary;
}

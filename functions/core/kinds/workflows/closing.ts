/**
 * What runs, judged by the restore's closing check from its one read of the target (Kind.judgeRestored).
 * Per workflow the plan writes, publishes or finds written by an earlier run: published when the
 * archive's was (unpublished when it was not, or with --no-activate); the published version the
 * archive's (nodes, connections, settings; compared in the archive's ids, the target's mapped back
 * through the ledger); and each of its Webhook and Form triggers registered by n8n, asked by CORS
 * preflight, which runs nothing, polled for a bounded time since n8n registers a moment after it
 * answers the publish. A webhook two published workflows claim (n8n's race) does not count.
 */
import { mapOrdered } from '../../async-iterables.js';
import { digestOf, stableStringify } from '../../json.js';
import type { Workflow } from '../../n8n-types.js';
import type { WebhookRegistration } from '../../ports.js';
import { type IdMaps, rewriteWorkflowReferences } from '../../references/workflow-references.js';
import type { ApplyContext, PlanEntry } from '../kind.js';
import type { ClosingFinding, ClosingJudge } from '../shared/closing-judge.js';
import { canonicalGraph, writableSettings } from './canonical.js';
import { notRunningFinding, webhookUnchecked } from './errors.js';
import type { WorkflowFacts } from './memo.js';
import { restoredWorkflowFacts } from './planned.js';
import { publishedNodes } from './summary.js';
import { routeKey, type WebhookRoute, webhookRoutes } from './webhooks.js';

/** How long a webhook may take to be registered after its publish (measured: 0.1–0.5 s on n8n 2.41.1). */
export const WEBHOOK_WAIT_MS = 10_000;
const POLL_MS = 500;

interface Seen {
  active: boolean;
  routes: WebhookRoute[];
  /** What its published version runs, in the archive's ids: where the content is compared. */
  run?: { graph: string; settings: Record<string, unknown> };
}

export function judgeWorkflows(ctx: ApplyContext): ClosingJudge {
  const checked = checkedEntries(ctx);
  const seen = new Map<string, Seen>();
  const claims = new Map<string, { id: string; name: string }[]>();
  let inverse: IdMaps | undefined;
  return {
    see(record) {
      const workflow = record as Workflow;
      const active = workflow.active === true;
      const routes = active ? webhookRoutes(publishedNodes(workflow)) : [];
      for (const key of new Set(routes.map(routeKey)))
        claims.set(key, [...(claims.get(key) ?? []), { id: workflow.id, name: workflow.name }]);
      const entry = checked.get(workflow.id);
      if (!entry) return;
      inverse ??= inverseMaps(ctx);
      const compared = active && !entry.restoredEarlier;
      seen.set(workflow.id, { active, routes, ...(compared ? { run: runOf(workflow, inverse) } : {}) });
    },
    async finish() {
      const facts = new Map((await restoredWorkflowFacts(ctx)).map((f) => [f.entry.sourceId, f.facts]));
      const findings: ClosingFinding[] = [];
      const probes: { entry: PlanEntry; route: WebhookRoute }[] = [];
      for (const [targetId, entry] of checked) {
        const observed = seen.get(targetId);
        const known = facts.get(entry.sourceId);
        if (!observed || !known) continue;
        const found = judgeOne(ctx, entry, known, observed, claims, targetId);
        if (found) findings.push(found);
        else if (observed.active && expectedActive(ctx, entry, known) === true)
          for (const route of observed.routes) probes.push({ entry, route });
      }
      findings.push(...(await unregistered(ctx, probes)));
      return findings;
    },
  };
}

/** Target id → entry: what this run wrote, what an earlier run wrote, and what it published. */
function checkedEntries(ctx: ApplyContext): Map<string, PlanEntry> {
  const checked = new Map<string, PlanEntry>();
  for (const entry of ctx.entries('workflows')) {
    if (entry.action === 'conflict' || ctx.hasFailed(entry)) continue;
    const written = entry.action === 'create' || entry.action === 'update';
    if (!written && !entry.restoredEarlier && !entry.publishWaiting) continue;
    const targetId = ctx.ledger.targetId('workflows', entry.sourceId);
    if (targetId) checked.set(targetId, entry);
  }
  return checked;
}

/** Whether it must be published now (true), unpublished (false), or either (undefined). */
function expectedActive(ctx: ApplyContext, entry: PlanEntry, facts: WorkflowFacts): boolean | undefined {
  if (facts.archived) return undefined;
  if (ctx.options.workflowWrite?.activate === false) return entry.action === 'create' ? false : undefined;
  if (entry.restoredEarlier) return facts.active ? true : undefined;
  return facts.active;
}

function judgeOne(
  ctx: ApplyContext,
  entry: PlanEntry,
  facts: WorkflowFacts,
  observed: Seen,
  claims: ReadonlyMap<string, readonly { id: string; name: string }[]>,
  targetId: string,
): ClosingFinding | undefined {
  const expected = expectedActive(ctx, entry, facts);
  const finding = (why: string, kind: ClosingFinding['finding']) => ({ entry, why, finding: kind });
  if (expected === true && !observed.active) return finding(notRunningFinding.unpublished(), 'not-running');
  if (expected === false && observed.active) return finding(notRunningFinding.published(), 'differs');
  if (expected !== true || !observed.active) return undefined;
  if (observed.run && facts.runs) {
    if (observed.run.graph !== facts.runs.graph) return finding(notRunningFinding.otherGraph(), 'differs');
    const setting = Object.keys(facts.runs.settings).find(
      (key) => stableStringify(facts.runs?.settings[key]) !== stableStringify(observed.run?.settings[key]),
    );
    if (setting !== undefined) return finding(notRunningFinding.otherSetting(setting), 'differs');
  }
  for (const key of new Set(observed.routes.map(routeKey))) {
    const other = claims.get(key)?.find((holder) => holder.id !== targetId);
    if (other) return finding(notRunningFinding.claimedTwice(key, other), 'not-running');
  }
  return undefined;
}

/** The target's published version in the archive's ids: its graph's digest and its settings. */
function runOf(workflow: Workflow, inverse: IdMaps): NonNullable<Seen['run']> {
  const version = workflow.activeVersion as { nodes?: unknown; connections?: unknown } | null | undefined;
  const view = {
    ...workflow,
    nodes: publishedNodes(workflow),
    connections: (version?.connections ?? workflow.connections) as Workflow['connections'],
  };
  const { workflow: mapped } = rewriteWorkflowReferences(view, inverse);
  return { graph: digestOf(canonicalGraph(mapped)), settings: writableSettings(mapped.settings) };
}

/** Target id → archive id, from the ledger's maps (final once the steps are done). */
function inverseMaps(ctx: ApplyContext): IdMaps {
  const invert = (map: Map<string, string>) => new Map([...map].map(([source, target]) => [target, source]));
  return {
    workflows: invert(ctx.ledger.idMap('workflows')),
    credentials: invert(ctx.ledger.idMap('credentials')),
    dataTables: invert(ctx.ledger.idMap('dataTables')),
  };
}

/**
 * The webhooks n8n has not registered, each asked again every half second until it is or the wait
 * is over. One the target could not be asked about (no answer n8n would give) is noted, not failed.
 */
async function unregistered(
  ctx: ApplyContext,
  probes: { entry: PlanEntry; route: WebhookRoute }[],
): Promise<ClosingFinding[]> {
  const pause = ctx.deps.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let pending = probes.map((probe) => ({ ...probe, answer: undefined as WebhookRegistration | undefined }));
  for (let waited = 0; pending.length > 0; waited += POLL_MS) {
    const asked = mapOrdered(toAsync(pending), ctx.concurrency, async (probe) => ({
      ...probe,
      answer: await ctx.api.webhookRegistration(
        probe.route.endpoint,
        probe.route.requestPath,
        probe.route.method,
      ),
    }));
    const next: typeof pending = [];
    for await (const probe of asked) if (probe.answer.registered !== true) next.push(probe);
    pending = next;
    if (pending.length === 0 || waited >= WEBHOOK_WAIT_MS) break;
    await pause(POLL_MS);
  }
  const unknown = pending.find((p) => p.answer?.registered === undefined)?.answer;
  if (unknown?.registered === undefined && unknown) ctx.ledger.warn(webhookUnchecked(unknown.reason));
  return pending.flatMap(({ entry, route, answer }) =>
    answer?.registered === false
      ? [
          {
            entry,
            why: notRunningFinding.unregistered(route, answer.message, WEBHOOK_WAIT_MS),
            finding: 'not-running' as const,
          },
        ]
      : [],
  );
}

async function* toAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

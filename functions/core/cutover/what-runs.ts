/**
 * The switch's closing check, "what runs": every workflow the source ran is published on the target,
 * its published version is what ran on the source (its graph, references mapped back to the
 * source's ids), and each of its production webhooks is registered by n8n (CORS preflight, which
 * runs nothing), polled for a bounded time since n8n registers a moment after the publish answer.
 */
import { WEBHOOK_WAIT_MS } from '../kinds/workflows/closing.js';
import { publishedNodes } from '../kinds/workflows/summary.js';
import { routeKey, type WebhookRoute, webhookRoutes } from '../kinds/workflows/webhooks.js';
import type { CutoverJournal } from './journal.js';
import { inverseOf, publishedGraph } from './published-graph.js';
import type { CutoverDeps } from './types.js';

const POLL_MS = 500;

export async function whatRuns(deps: CutoverDeps, journal: CutoverJournal): Promise<string[]> {
  const inverse = journal.state.idMaps ? inverseOf(journal.state.idMaps) : undefined;
  const findings: string[] = [];
  const probes: { name: string; route: WebhookRoute }[] = [];
  for (const frozen of journal.state.frozen ?? []) {
    const targetId = journal.targetId(frozen.id);
    const workflow = await deps.target.getWorkflow(targetId);
    const named = `workflow "${frozen.name}" (target id ${targetId})`;
    if (workflow.active !== true) findings.push(`${named} is not published on the target`);
    else if (publishedGraph(workflow, inverse) !== frozen.graph)
      findings.push(`${named} runs another version on the target than the one that ran on the source`);
    else for (const route of webhookRoutes(publishedNodes(workflow))) probes.push({ name: named, route });
  }
  return [...findings, ...(await unregistered(deps, probes))];
}

async function unregistered(
  deps: CutoverDeps,
  probes: { name: string; route: WebhookRoute }[],
): Promise<string[]> {
  const pause = deps.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let pending = probes;
  const notes = new Map<string, string>();
  for (let waited = 0; pending.length > 0; waited += POLL_MS) {
    const next: typeof pending = [];
    for (const probe of pending) {
      const { endpoint, requestPath, method } = probe.route;
      const answer = await deps.target.webhookRegistration(endpoint, requestPath, method);
      if (answer.registered === false) next.push(probe);
      else if (answer.registered === undefined) notes.set(routeKey(probe.route), answer.reason);
    }
    pending = next;
    if (pending.length === 0 || waited >= WEBHOOK_WAIT_MS) break;
    await pause(POLL_MS);
  }
  for (const [route, reason] of notes)
    deps.logger.warn(`webhook ${route} on the target could not be checked: ${reason}`);
  return pending.map(
    (p) =>
      `${p.name}: its webhook ${routeKey(p.route)} is not registered on the target after ${WEBHOOK_WAIT_MS / 1000} s`,
  );
}

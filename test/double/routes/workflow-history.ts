/**
 * A workflow's saved versions, as n8n 2.41.1 answers them (docs/REAL-N8N-FINDINGS.md): the history
 * newest first behind an offset cursor, asked for with `limit + 1` so that `nextCursor` comes only
 * when there is more (and, for `limit=0`, always); a version with its graph. Both need
 * `workflow:read` and no licence.
 */
import { type Context, controller, found, ok, type Route } from '../http.js';
import { controllerWindow, nextCursor } from '../paging.js';
import type { StoredHistoryVersion } from '../state.js';

function meta(version: StoredHistoryVersion) {
  return {
    versionId: version.versionId,
    workflowId: version.workflowId,
    authors: version.authors,
    name: version.name,
    description: version.description,
    createdAt: version.createdAt,
    updatedAt: version.updatedAt,
  };
}

function history(ctx: Context): ReturnType<typeof ok> {
  const window = controllerWindow(ctx.query);
  const workflow = found(ctx.state.workflows.get(ctx.params.workflowId ?? ''));
  const newestFirst = [...(ctx.state.history.get(workflow.id) ?? [])].reverse();
  const asked = newestFirst.slice(window.offset, window.offset + window.limit + 1);
  const hasMore = asked.length > window.limit;
  const data = asked.slice(0, window.limit);
  const total = hasMore ? window.offset + window.limit + 1 : window.offset + data.length;
  return ok({ data: data.map(meta), nextCursor: nextCursor(window, total) });
}

function version(ctx: Context): ReturnType<typeof ok> {
  const workflow = found(ctx.state.workflows.get(ctx.params.workflowId ?? ''), 'Workflow not found');
  const saved = found(
    ctx.state.history.get(workflow.id)?.find((v) => v.versionId === ctx.params.workflowVersionId),
    'Version not found',
  );
  return ok({
    versionId: saved.versionId,
    workflowId: saved.workflowId,
    nodes: saved.nodes,
    connections: saved.connections,
    nodeGroups: saved.nodeGroups,
    authors: saved.authors,
    name: saved.name,
    description: saved.description,
    createdAt: saved.createdAt,
    updatedAt: saved.updatedAt,
  });
}

export function workflowHistoryRoutes(): Route[] {
  return [
    controller('GET', '/workflows/:workflowId/history', 'workflow:read', history),
    controller('GET', '/workflows/:workflowId/versions/:workflowVersionId', 'workflow:read', version),
  ];
}

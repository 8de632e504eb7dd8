/**
 * GET /executions (ExecutionsPublicController, scope execution:list) as n8n 2.41.1 answers it for
 * the filters a cutover uses: `status` (one of n8n's statuses, else 400) and `workflowId`, newest
 * first, cursor paged. Executions are what a test put in `state.executions`; nothing here runs one.
 */
import { ApiError, controller, ok, type Route } from '../http.js';
import { controllerWindow, nextCursor, slice } from '../paging.js';

const STATUSES = new Set(['canceled', 'crashed', 'error', 'new', 'running', 'success', 'unknown', 'waiting']);

export function executionRoutes(): Route[] {
  return [
    controller('GET', '/executions', 'execution:list', ({ state, query }) => {
      const status = query.get('status');
      if (status !== null && !STATUSES.has(status))
        throw new ApiError(400, `request/query/status must be equal to one of the allowed values`);
      const workflowId = query.get('workflowId');
      const window = controllerWindow(query);
      const listed = state.executions
        .filter(
          (e) =>
            (status === null || e.status === status) && (workflowId === null || e.workflowId === workflowId),
        )
        .reverse();
      return ok({
        data: slice(listed, window).map((e) => ({ ...e, finished: e.status === 'success', retryOf: null })),
        nextCursor: nextCursor(window, listed.length),
      });
    }),
  ];
}

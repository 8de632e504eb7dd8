/** The workflows' archive entries: the workflows themselves and their saved versions (backup --history). */
export const WORKFLOWS_ENTRY = 'workflows.ndjson';
export const HISTORY_ENTRY = 'workflow-history.ndjson';

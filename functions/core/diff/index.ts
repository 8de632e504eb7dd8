/** The diff's public surface: snapshots of two instances, their comparison, and its lines for people. */
export { WorkflowCanonicalizer } from '../kinds/workflows/canonical.js';
export { type Difference, type DiffOptions, type DiffResult, diffInstances } from './compare.js';
export { fieldDifferences, formatDifferences } from './format.js';
export { diffOneWorkflow, type SideWorkflow } from './one-workflow.js';
export { archiveSnapshot, type InstanceSnapshot, liveSnapshot, type SnapshotResource } from './snapshot.js';

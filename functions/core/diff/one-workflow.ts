/**
 * One workflow on each side compared as `diff` compares workflows (canonical form, references by
 * the name of what they point to), over chosen fields: how an extracted file that was imported by
 * hand is checked against the archive's workflow, whatever ids the import gave it.
 */

import { WorkflowCanonicalizer } from '../kinds/workflows/canonical.js';
import type { Workflow } from '../n8n-types.js';
import { fieldDifferences } from './format.js';
import { indexSide } from './side-index.js';
import type { InstanceSnapshot } from './snapshot.js';

export interface SideWorkflow {
  side: InstanceSnapshot;
  workflow: Workflow;
}

/** The differences (`nodes[Slack].parameters.text: "a" → "b"`) in `fields`; none means equal. */
export async function diffOneWorkflow(
  a: SideWorkflow,
  b: SideWorkflow,
  fields: readonly string[],
  limit = 50,
): Promise<string[]> {
  const [left, right] = [
    new WorkflowCanonicalizer((await indexSide(a.side)).names).canonical(a.workflow),
    new WorkflowCanonicalizer((await indexSide(b.side)).names).canonical(b.workflow),
  ];
  return fields.flatMap((field) => fieldDifferences(left[field], right[field], field, limit));
}

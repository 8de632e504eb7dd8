/** The workflows kind's refusals, with what to do next (never a secret in a message). */
import { RestoreError } from '../../errors.js';

export function workflowImportMissing(url: string): RestoreError {
  return new RestoreError(
    `${url} does not answer POST /api/v1/n8n-packages/import (n8n 2.24 or later has it), the only route that creates workflows under chosen ids; nothing was written. Upgrade the target, or restore without keeping workflow ids (workflows get new ids and every reference to them is rewritten).`,
  );
}
